"""The last few seconds of a live stream, for views that redraw at their own pace.

A LiveBuffer is the model behind the live plots: ``on_block`` (a BoardClient block listener) appends
each block into fixed ring buffers in O(block) time and bumps ``version``; a view polls ``version`` on
a timer (~30 fps) and redraws only when it changed. Appending never allocates once the rings exist,
so a 16 kHz stream costs the event loop next to nothing, and drawing cost does not scale with the
block rate. Pure NumPy, no Qt.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from wandlab.board.blocks import SampleBlock

IMU_CHANNELS = 6  # ax, ay, az (g), gx, gy, gz (deg/s); 3-axis boards leave the gyro columns NaN
FULL_SCALE = 32768.0  # int16 PCM full scale, the 0 dBFS reference
SILENCE_DBFS = -120.0  # what a digital zero reads as, instead of -inf


class Ring:
    """Fixed-capacity FIFO of samples (rows) with O(n) append and ordered reads."""

    def __init__(self, capacity: int, channels: int | None = None, dtype: type = np.float32) -> None:
        if capacity < 1:
            raise ValueError(f"ring capacity must be >= 1, got {capacity}")
        shape = (capacity,) if channels is None else (capacity, channels)
        fill = np.nan if np.issubdtype(dtype, np.floating) else 0
        self._data: np.ndarray = np.full(shape, fill, dtype=dtype)
        self.capacity = capacity
        self.total = 0  # samples ever appended
        self._end = 0  # index just past the newest row

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def clear(self) -> None:
        self.total = self._end = 0

    def append(self, rows: np.ndarray) -> None:
        n = len(rows)
        if n == 0:
            return
        if n >= self.capacity:  # only the newest capacity rows survive anyway
            self._data[...] = rows[n - self.capacity :]
            self._end = 0
            self.total += n
            return
        start = self._end
        first = min(n, self.capacity - start)
        self._data[start : start + first] = rows[:first]
        if first < n:
            self._data[: n - first] = rows[first:]
        self._end = (start + n) % self.capacity
        self.total += n

    def latest(self, n: int | None = None) -> np.ndarray:
        """A copy of the newest ``n`` rows (all held rows if None), oldest first."""
        held = len(self)
        n = held if n is None else max(0, min(n, held))
        end = self._end
        if n <= end:
            return self._data[end - n : end].copy()
        return np.concatenate((self._data[self.capacity - (n - end) :], self._data[:end]))


@dataclass(frozen=True)
class Levels:
    """Audio level over a short window, for a meter."""

    rms_dbfs: float
    peak_dbfs: float
    clipped: bool  # a sample touched full scale: the user should back off from the mic


def dbfs(amplitude: float) -> float:
    """Amplitude as a fraction of full scale -> dBFS, with digital silence at SILENCE_DBFS."""
    return 20.0 * math.log10(amplitude) if amplitude > 10 ** (SILENCE_DBFS / 20) else SILENCE_DBFS


def audio_levels(samples: np.ndarray) -> Levels:
    if samples.size == 0:
        return Levels(SILENCE_DBFS, SILENCE_DBFS, False)
    x = samples.astype(np.float32)
    peak = float(np.max(np.abs(x)))
    rms = float(np.sqrt(np.mean(x * x)))
    return Levels(dbfs(rms / FULL_SCALE), dbfs(peak / FULL_SCALE), peak >= FULL_SCALE - 1)


def envelope(samples: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) per bin: a waveform of any length drawn with 2*bins points, peaks kept."""
    n = len(samples)
    if n == 0 or bins < 1:
        empty = np.zeros(0, dtype=samples.dtype)
        return empty, empty
    if n <= bins:
        return samples.copy(), samples.copy()
    per = n // bins
    cut = samples[n - per * bins :].reshape(bins, per)  # drop the oldest remainder, keep the newest
    return cut.min(axis=1), cut.max(axis=1)


class LiveBuffer:
    """Ring buffers for the last ``seconds`` of IMU and audio, plus counters for the status bar."""

    def __init__(self, seconds: float = 10.0, imu_rate_hz: int = 100, audio_rate_hz: int = 16_000) -> None:
        self.seconds = seconds
        self.version = 0  # bumped by every change; views compare it to skip redundant redraws
        self.lost_imu = 0  # blocks lost in transit, totalled over reconnects (the client resets its own)
        self.lost_audio = 0
        self.last_block_at = 0.0  # time.monotonic() of the newest block, 0 before any
        self.imu_rate_hz = imu_rate_hz
        self.audio_rate_hz = audio_rate_hz
        self.imu = Ring(self._capacity(imu_rate_hz), IMU_CHANNELS, np.float32)
        self.audio = Ring(self._capacity(audio_rate_hz), None, np.int16)

    def _capacity(self, rate_hz: int) -> int:
        return max(1, int(round(self.seconds * rate_hz)))

    @property
    def lost_blocks(self) -> int:
        return self.lost_imu + self.lost_audio

    def clear(self) -> None:
        """Forget samples and counters (a new connection)."""
        self.imu.clear()
        self.audio.clear()
        self.lost_imu = self.lost_audio = 0
        self.last_block_at = 0.0
        self.version += 1

    def on_block(self, block: SampleBlock) -> None:
        """BoardClient block listener. Runs in the event loop for every block: keep it O(block)."""
        if block.sensor == "imu":
            self.append_imu(block.data, block.rate_hz, block.lost_before)
        elif block.sensor == "audio":
            self.append_audio(block.data, block.rate_hz, block.lost_before)
        self.last_block_at = block.received_at or time.monotonic()

    def append_imu(self, data: np.ndarray, rate_hz: int, lost_before: int = 0) -> None:
        if rate_hz and rate_hz != self.imu_rate_hz:
            # A new rate changes what a row means in time: start the window afresh.
            self.imu_rate_hz = rate_hz
            self.imu = Ring(self._capacity(rate_hz), IMU_CHANNELS, np.float32)
        if data.ndim != 2 or data.shape[1] not in (3, IMU_CHANNELS):
            raise ValueError(f"IMU data must be (n, 3) or (n, 6), got {data.shape}")
        if data.shape[1] == 3:
            padded = np.full((len(data), IMU_CHANNELS), np.nan, dtype=np.float32)
            padded[:, :3] = data
            data = padded
        self.imu.append(data)
        self.lost_imu += lost_before
        self.version += 1

    def append_audio(self, data: np.ndarray, rate_hz: int, lost_before: int = 0) -> None:
        if rate_hz and rate_hz != self.audio_rate_hz:
            self.audio_rate_hz = rate_hz
            self.audio = Ring(self._capacity(rate_hz), None, np.int16)
        self.audio.append(data.reshape(-1))
        self.lost_audio += lost_before
        self.version += 1

    # -- reads for views and tests -------------------------------------------------------------
    def imu_window(self, seconds: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(t, data): t in seconds relative to the newest sample (<= 0), data (n, 6)."""
        n = None if seconds is None else int(seconds * self.imu_rate_hz)
        data = self.imu.latest(n)
        t = (np.arange(len(data), dtype=np.float64) - (len(data) - 1)) / self.imu_rate_hz
        return t, data

    def audio_window(self, seconds: float | None = None) -> np.ndarray:
        n = None if seconds is None else int(seconds * self.audio_rate_hz)
        return self.audio.latest(n)

    def audio_levels(self, window_s: float = 0.05) -> Levels:
        return audio_levels(self.audio_window(window_s))

    def gyro_peak_dps(self, seconds: float = 1.0) -> float:
        """Largest angular rate magnitude in the last ``seconds``: how much the wand is moving."""
        _, data = self.imu_window(seconds)
        gyro = data[:, 3:6]
        gyro = gyro[np.isfinite(gyro).all(axis=1)]
        return float(np.sqrt((gyro.astype(np.float64) ** 2).sum(axis=1)).max()) if len(gyro) else 0.0
