"""One notification sink for the whole window, and the coroutine runner that reports into it.

Every error a user should see goes through ``Notifier``: it shows in the status bar and in a
non-modal banner above the pages; nothing pops up a traceback dialog or blocks the window. Long or
I/O-bound actions started from buttons run as asyncio tasks on the shared qasync loop through
``TaskRunner``, whose failures land here too (with the traceback in the log, not in the user's face).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from wandlab.errors import WandlabError

log = logging.getLogger(__name__)

INFO, WARNING, ERROR = "info", "warning", "error"
_COLOURS = {INFO: ("#e8f1fb", "#1d4f91"), WARNING: ("#fff4d6", "#7a5200"), ERROR: ("#fde7e7", "#9b1c1c")}
INFO_BANNER_MS = 6000  # info and warnings fade on their own; errors stay until dismissed


class Notifier(QObject):
    posted = Signal(str, str)  # level, text
    cleared = Signal()

    def info(self, text: str) -> None:
        self.posted.emit(INFO, text)

    def warning(self, text: str) -> None:
        self.posted.emit(WARNING, text)

    def error(self, text: str) -> None:
        self.posted.emit(ERROR, text)

    def clear(self) -> None:
        self.cleared.emit()

    def exception(self, what: str, exc: BaseException) -> None:
        if isinstance(exc, WandlabError):
            self.error(f"{what}: {exc}")  # our errors already say what failed and what to do
        else:
            log.error("%s failed", what, exc_info=exc)
            self.error(f"{what} failed unexpectedly ({type(exc).__name__}: {exc}); details are in the log")


class TaskRunner:
    """Starts coroutines from Qt slots and keeps them alive until done; errors go to the notifier."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self._tasks: set[asyncio.Task[Any]] = set()

    def run(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self.notifier.exception(what, t.exception())  # type: ignore[arg-type]

        task.add_done_callback(done)
        return task

    @property
    def pending(self) -> int:
        return len(self._tasks)


class Banner(QFrame):
    """A dismissable strip above the pages showing the latest notification."""

    def __init__(self, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.level = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss this message")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self, singleShot=True, interval=INFO_BANNER_MS)
        self._timer.timeout.connect(self.dismiss)
        notifier.posted.connect(self.show_message)
        notifier.cleared.connect(self.dismiss)
        self.hide()

    def show_message(self, level: str, text: str) -> None:
        background, foreground = _COLOURS.get(level, _COLOURS[INFO])
        self.setStyleSheet(f"#banner {{ background: {background}; border: 1px solid {foreground}; "
                           f"border-radius: 4px; }} #banner QLabel {{ color: {foreground}; }}")
        self.level = level
        self.label.setText(text)
        self.show()
        if level == ERROR:
            self._timer.stop()
        else:
            self._timer.start()

    def dismiss(self) -> None:
        self._timer.stop()
        self.level = ""
        self.hide()
