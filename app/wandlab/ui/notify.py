"""One notification sink for the whole window, and the coroutine runner that reports into it.

Every error a user should see goes through ``Notifier``: it shows in the status bar and in a
non-modal banner above the pages; nothing pops up a traceback dialog or blocks the window. A message
whose cause is gone (the label was typed, the board came back) is ``withdraw``n, so it does not stay
up telling the user to do what they already did. Board errors are worded by ``plain_errors``. Long or
I/O-bound actions started from buttons run as asyncio tasks on the shared qasync loop through
``TaskRunner``, whose failures land here too (with the traceback in the log, not in the user's face).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from wandlab.errors import WandlabError
from wandlab.ui.elided_label import ElidedLabel
from wandlab.ui.plain_errors import plain

log = logging.getLogger(__name__)

INFO, WARNING, ERROR = "info", "warning", "error"
_COLOURS = {INFO: ("#e8f1fb", "#1d4f91"), WARNING: ("#fff4d6", "#7a5200"), ERROR: ("#fde7e7", "#9b1c1c")}
INFO_BANNER_MS = 6000  # info and warnings fade on their own; errors stay until dismissed


class Notifier(QObject):
    posted = Signal(str, str)  # level, text
    cleared = Signal()
    withdrawn = Signal(str)  # text: this message no longer holds; take it down if it is still shown

    def info(self, text: str) -> None:
        self.posted.emit(INFO, text)

    def warning(self, text: str) -> None:
        self.posted.emit(WARNING, text)

    def error(self, text: str) -> None:
        self.posted.emit(ERROR, text)

    def clear(self) -> None:
        self.cleared.emit()

    def withdraw(self, *texts: str) -> None:
        for text in texts:
            self.withdrawn.emit(text)

    def exception(self, what: str, exc: BaseException) -> None:
        if isinstance(exc, WandlabError):
            self.error(f"{what}: {plain(exc)}")  # our errors already say what failed and what to do
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
    """A dismissable one-line strip above the pages showing the latest notification.

    It lives in a ``BannerRow`` of fixed height, so showing or hiding it never moves the page under
    the mouse (a button that jumps 36 px as a message comes and goes gets the wrong click). A message
    too long for the line ends in "…"; the whole text is in its tooltip and in the status bar, and a
    right-click copies it.
    """

    def __init__(self, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.level = ""
        self.label = ElidedLabel()
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss this message")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 4, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self, singleShot=True, interval=INFO_BANNER_MS)
        self._timer.timeout.connect(self.dismiss)
        notifier.posted.connect(self.show_message)
        notifier.cleared.connect(self.dismiss)
        notifier.withdrawn.connect(self.withdraw)
        self.hide()

    def show_message(self, level: str, text: str) -> None:
        background, foreground = _COLOURS.get(level, _COLOURS[INFO])
        self.setStyleSheet(f"#banner {{ background: {background}; border: 1px solid {foreground}; "
                           f"border-radius: 4px; }} #banner * {{ color: {foreground}; }}")
        self.level = level
        self.label.setText(text)
        self.show()
        if level == ERROR:
            self._timer.stop()
        else:
            self._timer.start()

    def withdraw(self, text: str) -> None:
        if self.level and self.label.text() == text:
            self.dismiss()

    def dismiss(self) -> None:
        self._timer.stop()
        self.level = ""
        self.hide()


class BannerRow(QWidget):
    """The banner's row: always the banner's height, whether a message is shown or not."""

    def __init__(self, banner: Banner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(banner)
        self.setFixedHeight(banner.sizeHint().height())
