"""Motion-triggered capture: start a take on motion, end it on stillness, keep a little pre-roll.

A pure class fed IMU blocks as they arrive; it returns events and does no I/O, so the same code runs
under the GUI, the CLI and tests, and its output does not depend on how the stream was cut into
blocks. Typical use with the recorder::

    for event in detector.feed(block):
        if event.kind == "start":
            rec = project.start_recording(label, "imu", rate, axes)
        rec.append(event.data)
        if event.kind == "stop":
            rec.finish()
        elif event.kind == "discard":  # too short to be a gesture: a bump or a twitch
            rec.abort()
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wandlab.onboard.filters import one_pole
from wandlab.onboard.trim import ACCEL_SCALE_G, GYRO_SCALE_DPS


@dataclass(frozen=True)
class MotionEvent:
    kind: str  # 'start' (data: the pre-roll), 'data', 'stop' or 'discard' (data: the take's last frames)
    data: np.ndarray  # (frames, axes) float32, to append to the take in order
    frame: int  # stream frame index (counted from the first block fed) where the event happened
    quiet_frames: int = 0  # 'start' only: frames below the start level since the previous take ended


class MotionDetector:
    """Hysteresis on a smoothed motion score (the same units as auto-trim's)."""

    def __init__(
        self,
        rate_hz: float,
        start_threshold: float = 1.5,
        stop_threshold: float = 0.7,
        still_s: float = 0.3,
        pre_roll_s: float = 0.25,
        min_s: float = 0.2,
        max_s: float = 5.0,
    ) -> None:
        if not stop_threshold < start_threshold:
            raise ValueError("stop_threshold must be below start_threshold (hysteresis)")
        self.rate_hz = rate_hz
        self.start_threshold, self.stop_threshold = start_threshold, stop_threshold
        self.still_frames = max(1, round(still_s * rate_hz))
        self.pre_roll = round(pre_roll_s * rate_hz)
        self.min_frames, self.max_frames = round(min_s * rate_hz), round(max_s * rate_hz)
        # Gravity/tilt tracker (0.5 s) and score smoother (30 ms): one-pole low-pass filters.
        self._a_slow = 1 - math.exp(-1 / (0.5 * rate_hz))
        self._a_smooth = 1 - math.exp(-1 / (0.03 * rate_hz))
        self.reset()

    def reset(self) -> None:
        self.active = False
        self.level = 0.0  # latest smoothed score, for a motion meter in the UI
        self._frame = 0
        self._take_frames = 0
        self._still = 0
        self._idle = 0  # quiet frames since the last take ended: the pre-roll never reaches into it
        self._history: np.ndarray | None = None
        self._slow_state: np.ndarray | None = None
        self._smooth_state = np.zeros(())

    def feed(self, block: np.ndarray) -> list[MotionEvent]:
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[1] not in (3, 6) or len(block) == 0:
            raise ValueError(f"IMU block must be (n, 3|6) with n > 0, got {block.shape}")
        score = self._score(block)
        events: list[MotionEvent] = []
        taken = 0  # frames of this block already handed out in events
        for i, s in enumerate(score):
            if not self.active:
                if s >= self.start_threshold:
                    self.active, self._take_frames, self._still = True, 1, 0
                    events.append(MotionEvent("start", self._pre_roll(block, i), self._frame + i, self._idle))
                    taken = i
                else:
                    self._idle += 1
                continue
            self._take_frames += 1
            self._still = self._still + 1 if s < self.stop_threshold else 0
            if self._still >= self.still_frames or self._take_frames >= self.max_frames:
                kind = "stop" if self._take_frames - self._still >= self.min_frames else "discard"
                events.append(MotionEvent(kind, block[taken : i + 1], self._frame + i + 1))
                self.active, taken, self._idle = False, i + 1, 0
        if self.active and taken < len(block):
            events.append(MotionEvent("data", block[taken:], self._frame + len(block)))
        self._remember(block)
        self._frame += len(block)
        self.level = float(score[-1])
        return events

    def _score(self, block: np.ndarray) -> np.ndarray:
        acc = block[:, :3].astype(np.float64)
        a = self._a_slow
        if self._slow_state is None:  # start settled on the first frame: no false trigger from gravity
            self._slow_state = (1 - a) * acc[0]
        slow, self._slow_state = one_pole(acc, a, self._slow_state)
        raw = np.linalg.norm(acc - slow, axis=1) / ACCEL_SCALE_G
        if block.shape[1] == 6:
            raw += np.linalg.norm(block[:, 3:6].astype(np.float64), axis=1) / GYRO_SCALE_DPS
        b = self._a_smooth
        smooth, self._smooth_state = one_pole(raw, b, self._smooth_state)
        return smooth

    def _pre_roll(self, block: np.ndarray, i: int) -> np.ndarray:
        before = block[:i] if self._history is None else np.concatenate([self._history, block[:i]])
        return before[len(before) - min(self.pre_roll, self._idle, len(before)) :]

    def _remember(self, block: np.ndarray) -> None:
        joined = block if self._history is None else np.concatenate([self._history, block])
        self._history = joined[len(joined) - min(self.pre_roll, len(joined)) :].copy()
