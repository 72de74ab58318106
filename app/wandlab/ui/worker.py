"""Run Qt-free work off the GUI thread: a plain function, or a Progress generator with a dialog.

The core's long jobs (import, export, problem search) are plain Python; a daemon thread runs them and
Qt signals carry progress and results back to the GUI thread (queued across threads). Cancelling a
job closes its generator between steps, which the core guarantees leaves the project unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from wandlab.dataset.jobs import Progress


class _Relay(QObject):
    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object)


class Worker:
    """One background call ``fn(report)``; ``report(x)`` reaches ``on_progress(x)`` and the result
    ``on_done(result)`` (or ``on_error(exc)``), all on the GUI thread."""

    def __init__(self, fn: Callable[[Callable[[Any], None]], Any], on_done: Callable[[Any], None],
                 on_error: Callable[[BaseException], None],
                 on_progress: Callable[[Any], None] | None = None) -> None:  # fmt: skip
        self.relay = _Relay()
        if on_progress is not None:  # connected before the thread starts: no early step is missed
            self.relay.progress.connect(on_progress, Qt.ConnectionType.QueuedConnection)
        self.relay.done.connect(on_done, Qt.ConnectionType.QueuedConnection)
        self.relay.failed.connect(on_error, Qt.ConnectionType.QueuedConnection)
        self._fn = fn
        self.thread = threading.Thread(target=self._run, name="wandlab-worker", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            result = self._fn(self.relay.progress.emit)
        except BaseException as exc:  # reported to the user, never lost in a thread
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(result)


class JobDialog:
    """Drives a Progress generator in a thread behind a non-modal-looking progress dialog."""

    def __init__(self, parent: QWidget, title: str, job: Generator[Progress, None, Any],
                 on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]) -> None:  # fmt: skip
        self.cancelled = threading.Event()
        self.dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(300)  # quick jobs finish without a flash of dialog
        self.dialog.canceled.connect(self.cancelled.set)
        self._job = job
        self._on_done, self._on_error = on_done, on_error
        self.worker = Worker(self._drive, self._finished, self._failed, self._show)

    def _drive(self, report: Callable[[Any], None]) -> Any:
        job = self._job
        try:
            while True:
                if self.cancelled.is_set():
                    return None
                report(next(job))
        except StopIteration as stop:
            return stop.value
        finally:
            job.close()

    def _show(self, progress: Progress) -> None:
        self.dialog.setMaximum(max(1, progress.total))
        self.dialog.setValue(min(progress.done, progress.total))
        self.dialog.setLabelText(progress.message)

    def _finished(self, result: Any) -> None:
        self.dialog.reset()
        self.dialog.hide()
        if not self.cancelled.is_set():
            self._on_done(result)

    def _failed(self, exc: BaseException) -> None:
        self.dialog.reset()
        self.dialog.hide()
        self._on_error(exc)
