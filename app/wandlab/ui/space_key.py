"""Space as a page's main action (Record's record / next take / stop) that never fights typing.

A QShortcut for Space loses the key to any focused widget that claims it: a spin box claims Space and
does nothing with it, so after setting "10 takes" Space did nothing. This application event filter
lets the focus widget decide: in a text field Space types a space; anywhere else in the page's
window, while the page is shown, it triggers the action (and does not press the focused button too).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget


def types_text(widget: QWidget | None) -> bool:
    """Does a Space typed into ``widget`` make a space? (A spin box or a button takes no spaces.)"""
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly() and not isinstance(widget.parent(), QAbstractSpinBox)
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return not widget.isReadOnly()
    return False


class SpaceKey(QObject):
    def __init__(self, page: QWidget, action: Callable[[], None]) -> None:
        super().__init__(page)
        self.page, self.action = page, action
        self.enabled = True
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() != QEvent.Type.KeyPress or not self.enabled or not isinstance(event, QKeyEvent):
            return False
        if event.key() != Qt.Key.Key_Space or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        page = self.page
        if not isinstance(watched, QWidget) or watched.window() is not page.window() or not page.isVisible():
            return False
        if types_text(QApplication.focusWidget()):
            return False
        if not event.isAutoRepeat():  # holding Space must not start and stop takes in a row
            self.action()
        return True
