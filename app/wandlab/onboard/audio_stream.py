"""Incremental audio front end: int16 chunks of any length in, int8 log-mel frames out, as the board runs it.

The batch front end (``audio_features``) turns a whole clip into frames; a board hears an endless stream
and must not recompute a second of features every hop. ``AudioFrontEnd.feed`` keeps only the samples not
yet consumed by a frame (a frame needs ``window_samples`` = 480, frames start every ``hop_samples`` = 320,
so 160 samples carry over into the next frame), computes frames only for new complete hops, and keeps
the last ``num_frames`` (49 = 1 s) int8 codes in a ring, with each frame's level for an energy gate.

Every frame is computed by ``audio_features.log_mel`` and ``quantize`` themselves (on just the samples it
covers), so the codes equal the batch output on the same signal bit for bit whatever the chunking
(tests/onboard/test_audio_stream.py); there is one definition of the features, not two.
"""

from __future__ import annotations

import numpy as np

from wandlab.onboard.audio_features import AudioFeatureConfig, frames_for, log_mel, quantize

SILENT_DBFS = -120.0  # level of a frame of digital silence (and of ring slots not filled yet)


class AudioFrontEnd:
    """Log-mel frames of a continuous 16 kHz stream; ``window()`` is the model input for the last second."""

    def __init__(self, config: AudioFeatureConfig | None = None) -> None:
        self.config = config or AudioFeatureConfig()
        c = self.config
        self._pending = np.zeros(0, np.int16)  # starts at the first sample of the next frame
        self._ring = np.zeros((c.num_frames, c.num_mel_bands), np.int8)
        self._levels = np.full(c.num_frames, SILENT_DBFS)
        self._head = 0  # ring slot the next frame goes into (the oldest frame's slot once full)
        self.frames = 0  # frames computed since the start
        self.samples = 0  # samples fed since the start

    @property
    def full(self) -> bool:
        """Whether a whole window (``num_frames`` frames) has been heard."""
        return self.frames >= self.config.num_frames

    def frame_end(self, frame: int) -> int:
        """Stream sample index one past the last sample of frame ``frame`` (counted from 0)."""
        return frame * self.config.hop_samples + self.config.window_samples

    def feed(self, pcm: np.ndarray) -> np.ndarray:
        """Append samples; returns the int8 codes of the frames they completed, (k, bands), oldest first."""
        c = self.config
        chunk = np.asarray(pcm, dtype=np.int16).reshape(-1)
        self.samples += len(chunk)
        pending = np.concatenate([self._pending, chunk]) if len(self._pending) else chunk
        n = frames_for(len(pending), c)
        if n == 0:
            self._pending = pending.copy()
            return np.zeros((0, c.num_mel_bands), np.int8)
        span = pending[: (n - 1) * c.hop_samples + c.window_samples]
        codes = quantize(log_mel(span, c), c)
        self._store(codes, self._frame_levels(span, n))
        self.frames += n
        self._pending = pending[n * c.hop_samples :].copy()
        return codes

    def window(self) -> np.ndarray:
        """The last ``num_frames`` frames, (frames, bands) int8, oldest first (zeros before the first)."""
        return np.roll(self._ring, -self._head, axis=0)

    def window_level_dbfs(self, frames: int | None = None) -> float:
        """The loudest frame's RMS level (dBFS) among the last ``frames`` frames (default: the window)."""
        k = min(frames or self.config.num_frames, self.config.num_frames)
        recent = np.roll(self._levels, -self._head)[-k:]
        return float(recent.max())

    def _store(self, codes: np.ndarray, levels: np.ndarray) -> None:
        size = self.config.num_frames
        codes, levels = codes[-size:], levels[-size:]  # a chunk longer than a window: only its end stays
        slots = (self._head + np.arange(len(codes))) % size
        self._ring[slots] = codes
        self._levels[slots] = levels
        self._head = int((self._head + len(codes)) % size)

    def _frame_levels(self, span: np.ndarray, n: int) -> np.ndarray:
        c = self.config
        idx = np.arange(n)[:, None] * c.hop_samples + np.arange(c.window_samples)[None, :]
        x = span[idx].astype(np.float64) / 32768.0
        rms = np.sqrt(np.mean(x * x, axis=1))
        return np.where(rms > 0, 20.0 * np.log10(np.maximum(rms, 1e-12)), SILENT_DBFS)
