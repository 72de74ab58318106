"""The last seconds of the board's IMU stream, addressed by the board's own sample index.

The board names the window a decision was made on by the stream index of its last sample
(``InferenceEvent.sample_index``); blocks carry the index of their first sample. Keeping the recent
blocks with their indices lets the live test save exactly the motion the board judged, as a labeled
take ("That was wrong", "Missed it"). Plain NumPy, no Qt.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from wandlab.board.blocks import SampleBlock
from wandlab.onboard.trim import auto_trim_imu


class StreamTail:
    def __init__(self, seconds: float = 12.0) -> None:
        self.seconds = seconds
        self.rate_hz = 0
        self._blocks: deque[tuple[int, np.ndarray]] = deque()

    def clear(self) -> None:
        self._blocks.clear()

    def on_block(self, block: SampleBlock) -> None:
        """Session block listener: keep IMU blocks for ``seconds``. O(1) per block."""
        if block.sensor != "imu":
            return
        if block.rate_hz != self.rate_hz or (self._blocks and block.first_sample < self._blocks[-1][0]):
            self._blocks.clear()  # a new rate or a restarted stream: old indices mean something else
            self.rate_hz = block.rate_hz
        self._blocks.append((block.first_sample, block.data))
        keep = self.seconds * max(1, self.rate_hz)
        while self._blocks and block.first_sample - self._blocks[0][0] > keep:
            self._blocks.popleft()

    @property
    def end_index(self) -> int:
        """Index just past the newest sample held (0 when empty)."""
        if not self._blocks:
            return 0
        first, data = self._blocks[-1]
        return first + len(data)

    def window(self, end_index: int, seconds: float, not_before: int = 0) -> np.ndarray:
        """Samples [max(end - seconds, not_before), end) that are still held; (0, axes) if none."""
        start = max(end_index - int(round(seconds * max(1, self.rate_hz))), not_before)
        parts = []
        for first, data in self._blocks:
            lo, hi = max(start, first), min(end_index, first + len(data))
            if lo < hi:
                parts.append(data[lo - first : hi - first])
        if not parts:
            axes = self._blocks[-1][1].shape[1] if self._blocks else 6
            return np.zeros((0, axes), np.float32)
        return np.concatenate(parts).astype(np.float32)


def motion_take(data: np.ndarray, rate_hz: float) -> tuple[int, int]:
    """The trim range of a saved window: the motion in it, as the recorder trims a take."""
    return auto_trim_imu(data, rate_hz)
