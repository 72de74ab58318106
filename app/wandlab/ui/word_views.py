"""Small views of the word wizard: one take as a waveform with its trimmed word highlighted, and the row of
three takes with their verdicts ("✓ 0.62 s", "✗ too quiet")."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from wandlab.ml.wakeword import voiced_span

GOOD, BAD, WAITING = "#2e8b57", "#c0392b", "#8a8f98"
KEPT_FILL = "#dbe7f7"  # the trimmed span: what the board will learn from
KEPT_LINE = "#1d4f91"
CUT_LINE = "#9aa3ad"  # before and after the word: cut off


class Waveform(QWidget):
    """A take's min/max envelope; the span the trimmer kept is shaded and drawn in blue."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pcm = np.zeros(0, np.int16)
        self.span = (0, 0)
        self.setMinimumSize(150, 56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(200, 64)

    def set_take(self, pcm: np.ndarray | None) -> None:
        self.pcm = np.zeros(0, np.int16) if pcm is None else np.asarray(pcm, np.int16)
        self.span = voiced_span(self.pcm) if self.pcm.size else (0, 0)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        w, h = float(self.width()), float(self.height())
        p.fillRect(QRectF(0, 0, w, h), QColor("#f7f8fa"))
        p.setPen(QColor("#d6d9de"))
        p.drawRect(QRectF(0, 0, w - 1, h - 1))
        n = self.pcm.size
        if n == 0:
            p.end()
            return
        start, stop = self.span
        x0, x1 = w * start / n, w * stop / n
        p.fillRect(QRectF(x0, 1, max(1.0, x1 - x0), h - 2), QColor(KEPT_FILL))
        columns = max(1, int(w))
        edges = np.linspace(0, n, columns + 1).astype(int)
        # Scaled to the take's own peak (at least -30 dBFS full height): a quiet take still shows its shape.
        scale = max(float(np.abs(self.pcm.astype(np.int32)).max()), 1000.0)
        mid = h / 2
        for lo, hi, colour in ((0, start, CUT_LINE), (start, stop, KEPT_LINE), (stop, n, CUT_LINE)):
            top, bottom = [], []
            for c in range(columns):
                a, b = max(edges[c], lo), min(edges[c + 1], hi)
                if b <= a:
                    continue
                chunk = self.pcm[a:b]
                top.append(QPointF(c + 0.5, mid - (h / 2 - 3) * float(chunk.max()) / scale))
                bottom.append(QPointF(c + 0.5, mid - (h / 2 - 3) * float(chunk.min()) / scale))
            if top:
                p.setPen(QPen(QColor(colour), 1))
                p.setBrush(QColor(colour))
                p.drawPolygon(QPolygonF(top + bottom[::-1]))
        p.end()


class TakeCard(QFrame):
    """One of the three takes: "Take 2", its waveform, and the verdict under it."""

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = number
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b>Take {number}</b>")
        self.wave = Waveform()
        self.verdict = QLabel("", wordWrap=True)
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdict.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)  # two lines, so cards do not jump
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.wave, 1)
        layout.addWidget(self.verdict)
        self.clear()

    def clear(self) -> None:
        self.ok = False
        self.wave.set_take(None)
        self.show_verdict("not yet", WAITING)

    def listening(self) -> None:
        self.setStyleSheet("TakeCard { border: 2px solid #1d4f91; border-radius: 4px; }")

    def set_good(self, pcm: np.ndarray, word_samples: int) -> None:
        self.ok = True
        self.wave.set_take(pcm)
        self.setStyleSheet("")
        self.show_verdict(f"✓ {word_samples / 16000:.2f} s of word", GOOD)

    def set_bad(self, pcm: np.ndarray | None, reason: str) -> None:
        self.ok = False
        self.wave.set_take(pcm)
        self.setStyleSheet("")
        self.show_verdict(f"✗ {reason}", BAD)

    def show_verdict(self, text: str, colour: str) -> None:
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"color: {colour};")
        self.verdict.setToolTip(text)


class TakeRow(QWidget):
    def __init__(self, count: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards = [TakeCard(i + 1) for i in range(count)]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for card in self.cards:
            layout.addWidget(card, 1)

    def clear(self) -> None:
        for card in self.cards:
            card.clear()
            card.setStyleSheet("")
