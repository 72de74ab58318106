"""Horizontal bars with a limit: "model 14.4 KB of 16 KB", "int8 accuracy 96 %".

Painted directly (no plot widget): a handful of bars that must read at a glance, crisp at any size.
A bar over its limit turns red and its text says by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

OK_COLOUR = "#2e8b57"
OVER_COLOUR = "#c0392b"
NEUTRAL_COLOUR = "#3b6fb6"
TRACK_COLOUR = "#e6e9ee"
ROW_HEIGHT = 30
NAME_WIDTH = 118
MIN_TRACK = 40


@dataclass(frozen=True)
class Meter:
    name: str  # left of the bar: "Model size"
    value: float
    limit: float  # the budget (the bar's full width is max(limit, value) * 1.1 for budgets)
    text: str  # right of the bar: "14.4 KB of 16 KB"
    budget: bool = True  # False: a plain fraction bar (accuracy), no limit line, neutral colour
    colour: str = ""

    @property
    def over(self) -> bool:
        return self.budget and self.value > self.limit


class MeterBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.meters: list[Meter] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_meters(self, meters: list[Meter]) -> None:
        self.meters = list(meters)
        self.setFixedHeight(max(1, len(self.meters)) * ROW_HEIGHT + 4)
        self.setToolTip("\n".join(f"{m.name}: {m.text}" for m in self.meters))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(max(420, self.minimumSizeHint().width()), max(1, len(self.meters)) * ROW_HEIGHT + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Names and texts whole, with a short bar between them: a squeezed bar is fine, a cut "4.2 KB of 8" is not."""
        name_width, text_width = self._columns()
        return QSize(name_width + MIN_TRACK + 8 + text_width, max(1, len(self.meters)) * ROW_HEIGHT + 4)

    def _columns(self) -> tuple[int, int]:
        fm = self.fontMetrics()
        name_width = max([fm.horizontalAdvance(m.name) for m in self.meters] or [NAME_WIDTH // 2]) + 12
        text_width = max([fm.horizontalAdvance(m.text) for m in self.meters] or [60]) + 10
        return name_width, text_width

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width()
        name_width, text_width = self._columns()
        track_x = name_width
        track_w = max(MIN_TRACK, width - name_width - text_width - 8)
        for row, meter in enumerate(self.meters):
            y = row * ROW_HEIGHT + 2
            painter.setPen(QColor("#333"))
            painter.drawText(QRectF(0, y, name_width - 8, ROW_HEIGHT), Qt.AlignmentFlag.AlignVCenter
                             | Qt.AlignmentFlag.AlignRight, meter.name)
            track = QRectF(track_x, y + 7, track_w, ROW_HEIGHT - 14)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(TRACK_COLOUR))
            painter.drawRoundedRect(track, 3, 3)
            full = max(meter.limit, meter.value) * (1.1 if meter.budget else 1.0) or 1.0
            fill = QRectF(track.x(), track.y(), track.width() * min(1.0, max(0.0, meter.value / full)), track.height())
            colour = meter.colour or (OVER_COLOUR if meter.over else OK_COLOUR if meter.budget else NEUTRAL_COLOUR)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(fill, 3, 3)
            if meter.budget and meter.limit > 0:
                x = track.x() + track.width() * meter.limit / full
                painter.setPen(QPen(QColor("#222"), 2, Qt.PenStyle.DashLine))
                painter.drawLine(int(x), int(y + 3), int(x), int(y + ROW_HEIGHT - 3))
            painter.setPen(QColor(OVER_COLOUR if meter.over else "#333"))
            painter.drawText(QRectF(track_x + track_w + 8, y, text_width, ROW_HEIGHT),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, meter.text)
        painter.end()


def kbytes(n: float) -> str:
    """Bytes as KB of 1024 bytes, the one unit the board panel and the report both use: "14.5 KB", "256 KB"."""
    k = n / 1024
    return f"{k:.0f} KB" if k >= 100 or k == int(k) else f"{k:.1f} KB"
