"""Small pictures of takes for the dataset table and the recent-takes strip.

Drawn with QPainter straight from the trimmed data (no plot widget: a few hundred of these must cost
milliseconds), and cached by sample id and trim, so an edit redraws only the take it changed.
IMU: the three acceleration axes in red/green/blue, each scaled to the take's own range, so the
shape of a gesture shows however hard it was performed. Audio: the min/max envelope.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF

from wandlab.dataset.model import Sample
from wandlab.dataset.project import Project
from wandlab.errors import WandlabError

AXIS_COLOURS = ("#d62728", "#2ca02c", "#1f77b4")  # x, y, z as in the live view
AUDIO_COLOUR = "#555"
CACHE_SIZE = 2000
SIZE = (96, 32)


def render(
    kind: str, data: np.ndarray, width: int = SIZE[0], height: int = SIZE[1], background: str = "#fafafa"
) -> QPixmap:
    pixmap = QPixmap(width, height)
    pixmap.fill(QColor(background))
    if len(data) < 2:
        return pixmap
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if kind == "imu":
        _draw_imu(painter, np.asarray(data, dtype=np.float64), width, height)
    else:
        _draw_audio(painter, np.asarray(data, dtype=np.float64) / 32768.0, width, height)
    painter.end()
    return pixmap


def _draw_imu(painter: QPainter, data: np.ndarray, width: int, height: int) -> None:
    x = np.linspace(1, width - 1, min(len(data), width * 2))
    idx = np.linspace(0, len(data) - 1, len(x)).astype(int)
    acc = data[idx, :3]
    low, high = float(acc.min()), float(acc.max())
    span = max(high - low, 0.05)  # a still take stays a flat line, not amplified noise
    for axis in range(acc.shape[1]):
        y = height - 2 - (acc[:, axis] - low) / span * (height - 4)
        painter.setPen(QPen(QColor(AXIS_COLOURS[axis]), 1.0))
        painter.drawPolyline(QPolygonF([QPointF(a, b) for a, b in zip(x, y, strict=True)]))


def _draw_audio(painter: QPainter, pcm: np.ndarray, width: int, height: int) -> None:
    bins = np.array_split(pcm, min(width, len(pcm)))
    peak = max(float(np.abs(pcm).max()), 0.02)  # quiet takes look quiet
    mid = height / 2
    painter.setPen(QPen(QColor(AUDIO_COLOUR), 1.0))
    for i, part in enumerate(bins):
        x = i * width / len(bins)
        top, bottom = mid - part.max() / peak * (mid - 1), mid - part.min() / peak * (mid - 1)
        painter.drawLine(QPointF(x, top), QPointF(x, max(bottom, top + 0.5)))


class ThumbnailCache:
    """Thumbnails by (sample id, trim); loads the take from the project on the first request."""

    def __init__(self, size: tuple[int, int] = SIZE) -> None:
        self.size = size
        self._cache: OrderedDict[tuple[str, int, int], QPixmap] = OrderedDict()

    def get(self, project: Project, sample: Sample) -> QPixmap:
        key = (sample.id, sample.trim_start, sample.trim_end)
        pixmap = self._cache.get(key)
        if pixmap is not None:
            self._cache.move_to_end(key)
            return pixmap
        try:
            data = project.load(sample, trimmed=True)
            pixmap = render(sample.kind, data, *self.size)
        except (WandlabError, OSError, ValueError):
            pixmap = QPixmap(*self.size)  # unreadable take: the problems list says why
            pixmap.fill(Qt.GlobalColor.lightGray)
        self._cache[key] = pixmap
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return pixmap

    def clear(self) -> None:
        self._cache.clear()
