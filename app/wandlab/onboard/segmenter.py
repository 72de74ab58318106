"""Cuts the board's live IMU stream into motion segments and each segment into the model's window.

Segmentation is the motion-triggered recorder's own detector (``dataset.motion.MotionDetector``: start
on motion with pre-roll, end on 0.3 s of stillness or at ``MAX_SEGMENT_S``), so a gesture the board
recognises is cut the way a recorded take was. ``model_window`` then trims the segment to the motion
exactly as the recorder auto-trims a take (``dataset.trim.auto_trim_imu``, which keeps 0.1 s either
side) plus ``CONTEXT_S``. Since feature version 2 stretches the whole window, the rest either side must
be in the same proportion as in the training takes: user models train on recorder-trimmed takes and the
base recipe trims its virtual-wand takes the same way, so no extra context (0.0). Measured before the
base recipe trimmed its takes (base accel model, 6 unseen simulated people x 20 gestures through this
board path, right / none / wrong): 0.1 s 105/9/6, 0.2 s 115/3/2, 0.3 s 119/0/1, 0.4 s 118/0/2 - while a
model trained on trimmed takes (`bench train-flash --seed 1`) then lost 4 of 40 with 0.3 s. Now (trimmed
base takes): `bench train-flash` seeds 0, 1, 2 all 40 of 40 with 0.0 s; the base accel recogniser 112/2/6
(0.0 s) and 112/5/3 (0.1 s) - its wrong answers are mostly one simulated person whose v and w look alike
without the gyro. With version-1 (centre-crop) windows 0.25 s had been best.

Which segments the recogniser decides on (``Segment.decidable``): a wand gesture starts from a held wand
and ends in one. Everyday motion mostly does not: streamed through this segmenter, sp_sw_har (23 people
sitting, standing up, walking, turning, sitting down; phone and watch, 1.4 h) gave 1016 segments per hour,
1325 of its 1424 segments ran into MAX_SEGMENT_S while still moving (walking), and of the 99 that ended in
stillness all but 2 began within 0.1 s of the end of the previous one (the next step, a turn). So a
segment is decided only if it ended in stillness (not ``clipped``) and began after at least
QUIET_BEFORE_S below the start level (``settled``; the stillness that ended the previous segment does not
count): 1.4 decisions per hour of that motion instead of 1016 (0.05 s: 2.9; 0.1-0.3 s: 1.4), while a
gesture performed from rest is still decided (a virtual take starts 0.1-0.25 s after rest; 0.3 s lost
gestures performed right after an enrollment). The other segments still reach the recogniser
(enrollment uses them; benchmarks count them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wandlab.onboard.motion import MotionDetector
from wandlab.onboard.trim import auto_trim_imu

MAX_SEGMENT_S = 3.0
CONTEXT_S = 0.0
QUIET_BEFORE_S = 0.1  # a gesture starts from a held wand: this long below the start level before it


@dataclass(frozen=True)
class Segment:
    data: np.ndarray  # (n, axes) float32, g and deg/s
    end_index: int  # stream sample index just after the segment
    clipped: bool  # ended at MAX_SEGMENT_S while still moving
    settled: bool = True  # began after QUIET_BEFORE_S of a held wand (or everything before it was quiet)

    @property
    def decidable(self) -> bool:
        """Whether the board recognises this segment at all (see the module docstring)."""
        return self.settled and not self.clipped

    def seconds(self, rate_hz: float) -> float:
        return len(self.data) / rate_hz


class Segmenter:
    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = rate_hz
        self.detector = MotionDetector(rate_hz, max_s=MAX_SEGMENT_S)
        self._parts: list[np.ndarray] | None = None
        self._pre_roll = 0
        self._settled = True
        self._quiet_needed = round(QUIET_BEFORE_S * rate_hz)
        self._fed = 0  # frames fed to the detector, to map its frame numbers to stream indices

    def feed(self, block: np.ndarray, first_index: int) -> list[Segment]:
        """Feed (n, axes) samples whose first has stream index ``first_index``; finished segments."""
        offset = first_index - self._fed
        out = []
        for ev in self.detector.feed(block):
            if ev.kind == "start":
                self._parts, self._pre_roll = [ev.data], len(ev.data)
                # A stream that was quiet from its first frame counts as settled: the board just began.
                self._settled = ev.quiet_frames >= self._quiet_needed or ev.quiet_frames == ev.frame
            elif self._parts is not None:
                self._parts.append(ev.data)
            if ev.kind in ("stop", "discard"):
                parts, self._parts = self._parts, None
                if ev.kind == "stop" and parts:
                    data = np.concatenate(parts)
                    clipped = len(data) - self._pre_roll >= self.detector.max_frames
                    out.append(Segment(data, ev.frame + offset, clipped, self._settled))
        self._fed += len(block)
        return out

    def model_window(self, data: np.ndarray) -> np.ndarray:
        """The part of a segment the model sees: the motion plus CONTEXT_S of rest either side."""
        start, end = auto_trim_imu(data, self.rate_hz)
        pad = round(CONTEXT_S * self.rate_hz)
        return data[max(0, start - pad) : end + pad]
