"""Automatic trimming: cut a take down to the motion (IMU) or the voiced part (audio).

Thresholds are relative to each take's own noise floor and peak, because boards, mounting and
microphones differ far more than gestures do. A take with no clear event keeps its full range rather
than being cut to nothing: the user can always crop by hand.
"""

from __future__ import annotations

import numpy as np

from wandlab.onboard.filters import moving_average

# One "motion unit" is roughly a deliberate wrist movement: 60 deg/s of rotation or 0.15 g of
# acceleration beyond the slow (gravity/orientation) component.
GYRO_SCALE_DPS = 60.0
ACCEL_SCALE_G = 0.15
MIN_MOTION = 1.0  # a take whose smoothed peak stays below this has no gesture in it
IMU_PAD_S = 0.10
AUDIO_FRAME_S = 0.02
AUDIO_HOP_S = 0.01
MIN_VOICE_DBFS = -50.0  # quieter than this is silence, whatever the floor
AUDIO_PAD_BEFORE_S = 0.05
AUDIO_PAD_AFTER_S = 0.10  # word endings decay slowly; keep their tail


def motion_score(data: np.ndarray, rate_hz: float) -> np.ndarray:
    """Per-frame motion in motion units: rotation rate plus acceleration beyond its 0.5 s average.

    The moving average removes gravity and a resting tilt, so a take that ends in a new orientation
    is not mistaken for one that keeps moving.
    """
    data = np.asarray(data, dtype=np.float64)
    window = max(1, int(round(0.5 * rate_hz)))
    acc = data[:, :3]
    high = acc - moving_average(acc, window)
    score = np.linalg.norm(high, axis=1) / ACCEL_SCALE_G
    if data.shape[1] >= 6:
        score = score + np.linalg.norm(data[:, 3:6], axis=1) / GYRO_SCALE_DPS
    smooth = max(1, int(round(0.05 * rate_hz)))
    return moving_average(score, smooth)


def auto_trim_imu(data: np.ndarray, rate_hz: float) -> tuple[int, int]:
    n = len(data)
    if n < 3:
        return 0, n
    score = motion_score(data, rate_hz)
    floor, peak = float(np.percentile(score, 10)), float(score.max())
    if peak < MIN_MOTION or peak < 2 * floor:
        return 0, n
    active = np.flatnonzero(score > floor + 0.2 * (peak - floor))
    pad = int(round(IMU_PAD_S * rate_hz))
    return _padded(int(active[0]), int(active[-1]) + 1, pad, pad, n)


def frame_dbfs(pcm: np.ndarray, rate_hz: float) -> np.ndarray:
    """RMS level of overlapping short frames in dB relative to full scale (one value per hop)."""
    frame = max(1, int(AUDIO_FRAME_S * rate_hz))
    hop = max(1, int(AUDIO_HOP_S * rate_hz))
    x = pcm.astype(np.float64) / 32768.0
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    count = 1 + (len(x) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    rms = np.sqrt(np.mean(x[idx] ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9))


def auto_trim_audio(pcm: np.ndarray, rate_hz: float) -> tuple[int, int]:
    n = len(pcm)
    level = frame_dbfs(pcm, rate_hz)
    floor, peak = float(np.percentile(level, 10)), float(level.max())
    if peak < MIN_VOICE_DBFS:
        return 0, n
    # Between the noise floor and the peak, nearer the floor; but never inside the noise.
    threshold = min(max(peak - 35.0, floor + 8.0, MIN_VOICE_DBFS), peak - 3.0)
    voiced = np.flatnonzero(level > threshold)
    hop = max(1, int(AUDIO_HOP_S * rate_hz))
    frame = max(1, int(AUDIO_FRAME_S * rate_hz))
    start, end = int(voiced[0]) * hop, int(voiced[-1]) * hop + frame
    return _padded(start, min(end, n), int(AUDIO_PAD_BEFORE_S * rate_hz), int(AUDIO_PAD_AFTER_S * rate_hz), n)


def auto_trim(kind: str, data: np.ndarray, rate_hz: float) -> tuple[int, int]:
    """The trim range [start, end) in frames for a take of either kind."""
    return auto_trim_imu(data, rate_hz) if kind == "imu" else auto_trim_audio(data, rate_hz)


def _padded(start: int, end: int, before: int, after: int, n: int) -> tuple[int, int]:
    start, end = max(0, start - before), min(n, end + after)
    return (start, end) if end > start else (0, n)
