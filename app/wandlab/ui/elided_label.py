"""A one-line label that shortens its text with "…" instead of widening its window.

A plain QLabel asks for the width of its whole text: one long model id or take title then makes a
fixed-width panel scroll sideways or pushes the window wider than the screen. This label asks for
little, draws as much of the text as fits, and shows all of it in its tooltip; right-click copies it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_CHARS = 6  # never narrower than a few characters, so a squeezed label still says something


class ElidedLabel(QWidget):
    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
                 alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> None:
        super().__init__(parent)
        self._text = ""
        self.mode = mode
        self.alignment = alignment
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        copy = QAction("Copy", self)
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(self._text))
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (the QLabel name, so it can stand in for one)
        self._text = text
        self.setToolTip("" if self.fits() else text)
        self.updateGeometry()
        self.update()

    def shown_text(self) -> str:
        """The text as drawn at the current width (with "…" when it does not fit)."""
        return self.fontMetrics().elidedText(self._text, self.mode, max(0, self.width()))

    def fits(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self._text) <= self.width()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._text) + 2, fm.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        fm = self.fontMetrics()
        return QSize(min(fm.horizontalAdvance(self._text), fm.averageCharWidth() * MIN_CHARS), fm.height())

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt API)
        self.setToolTip("" if self.fits() else self._text)
        super().resizeEvent(event)  # type: ignore[arg-type]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.rect(), self.alignment | Qt.AlignmentFlag.AlignVCenter, self.shown_text())
        painter.end()
