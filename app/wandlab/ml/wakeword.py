"""Personal wake word: enrol from three utterances, detect by k-NN in embedding space.

Numpy only at import (the app and the virtual wand use this without TensorFlow); the int8 model runs
through ai_edge_litert, imported when an ``Embedder`` is created.

- ``trim_voiced``: energy VAD on 10 ms frames; the span from the first to the last frame within
  ``VAD_RANGE_DB`` of the loudest (and above the noise floor), padded a little. The board trims the same
  way, and the training recipe uses this function too, so training clips look like enrolment clips.
- ``check_utterance``: the quality checks a user can act on (too quiet, clipped, too short, too long).
- ``enroll``: three utterances -> three embeddings + a threshold calibrated from their spread:
  the leave-one-out distance of each to its nearest sibling says how far a genuine repeat lands.
- ``WakeWord.distance``: k-NN (k = 1, nearest reference) cosine distance; accept below the threshold.
- ``StreamDetector``: slides a 1 s window over a stream (hop 80 ms) and fires once per utterance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.ml.shipped import speech_model
from wandlab.onboard import audio_features as af

VAD_FRAME = 160  # 10 ms at 16 kHz
VAD_RANGE_DB = 35.0  # frames quieter than peak - 35 dB are not part of the word
VAD_ABOVE_NOISE_DB = 8.0
VAD_PAD = 960  # 60 ms kept either side: word onsets/offsets are quiet consonants
MIN_VOICED_S = 0.2
MAX_VOICED_S = 1.6
MIN_PEAK_DBFS = -40.0  # a word whose loudest 10 ms is below this is too quiet to embed reliably
CLIP_LEVEL = 32000
MAX_CLIPPED_FRACTION = 0.002
# Threshold = clamp(spread * margin(sensitivity)): the spread of 3 takes is a noisy estimate, the
# clamps keep a lucky-tight or sloppy enrolment usable.
THRESHOLD_MIN, THRESHOLD_MAX = 0.05, 0.10
MAX_ENROLL_SPREAD = 0.6  # any pair of the three further apart than this: "the three are too different"
DEFAULT_MODEL = speech_model()


class EnrollmentError(ModelError):
    """An utterance (or the set of three) is not good enough to enrol; the message says why."""


def _frame_db(pcm: np.ndarray) -> np.ndarray:
    x = np.asarray(pcm, dtype=np.float64) / 32768.0
    n = len(x) // VAD_FRAME
    if n == 0:
        return np.full(1, -120.0)
    rms = np.sqrt(np.mean(x[: n * VAD_FRAME].reshape(n, VAD_FRAME) ** 2, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def voiced_span(pcm: np.ndarray) -> tuple[int, int]:
    """(start, stop) sample indices of the voiced part; (0, 0) when nothing rises above the floor."""
    db = _frame_db(pcm)
    noise = float(np.percentile(db, 10))
    peak = float(db.max())
    # min(..., peak - 6): a take that is loud throughout (no quiet lead-in) is all voice, not all noise.
    threshold = max(peak - VAD_RANGE_DB, min(noise + VAD_ABOVE_NOISE_DB, peak - 6.0), -70.0)
    voiced = np.nonzero(db >= threshold)[0]
    if len(voiced) == 0 or db.max() <= -100.0:
        return 0, 0
    start = max(0, int(voiced[0]) * VAD_FRAME - VAD_PAD)
    stop = min(len(pcm), (int(voiced[-1]) + 1) * VAD_FRAME + VAD_PAD)
    return start, stop


def trim_voiced(pcm: np.ndarray) -> np.ndarray:
    start, stop = voiced_span(pcm)
    return np.asarray(pcm, dtype=np.int16)[start:stop]


def check_utterance(pcm: np.ndarray, rate_hz: int = 16000) -> np.ndarray:
    """Validate one enrolment take; return it trimmed, or raise EnrollmentError saying what to do."""
    pcm = np.asarray(pcm)
    if rate_hz != 16000:
        raise EnrollmentError(f"audio must be 16 kHz (got {rate_hz} Hz)")
    if pcm.ndim != 1 or len(pcm) == 0:
        raise EnrollmentError("recording is empty")
    pcm = pcm.astype(np.int16)
    peak_db = float(_frame_db(pcm).max())
    if peak_db < MIN_PEAK_DBFS:
        raise EnrollmentError(
            f"too quiet (loudest part {peak_db:.0f} dBFS, need {MIN_PEAK_DBFS:.0f}): speak louder or closer"
        )
    clipped = float(np.mean(np.abs(pcm.astype(np.int32)) >= CLIP_LEVEL))
    if clipped > MAX_CLIPPED_FRACTION:
        raise EnrollmentError(
            f"clipped ({clipped:.1%} of samples at full scale): speak softer or further away"
        )
    word = trim_voiced(pcm)
    seconds = max(0, len(word) - 2 * VAD_PAD) / rate_hz  # speech itself, not the padding around it
    if seconds < MIN_VOICED_S:
        raise EnrollmentError(
            f"too short ({seconds:.2f} s of speech, need {MIN_VOICED_S:.1f} s): say the whole word"
        )
    if seconds > MAX_VOICED_S:
        raise EnrollmentError(
            f"too long ({seconds:.1f} s of speech, max {MAX_VOICED_S:.1f} s): use a short word"
        )
    return word


class Embedder:
    """The int8 speech embedding model run by LiteRT (XNNPACK off: bit-identical to TFLM)."""

    def __init__(self, model: str | Path | bytes = DEFAULT_MODEL) -> None:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        blob = model if isinstance(model, bytes) else Path(model).read_bytes()
        self._interp = Interpreter(
            model_content=blob, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        )
        self._interp.allocate_tensors()
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        scale, zero = self._in["quantization"]
        if self._in["dtype"] != np.int8 or abs(scale - 1 / 128) > 1e-9 or zero != 0:
            raise ModelError(
                f"speech model input must be int8 with scale 1/128, zero 0 (got {scale}, {zero})"
            )
        self.out_scale, self.out_zero = self._out["quantization"]

    def embed_features(self, q: np.ndarray) -> np.ndarray:
        """(49, 40) int8 features -> float embedding (unit length up to int8 rounding)."""
        self._interp.set_tensor(self._in["index"], np.asarray(q, dtype=np.int8).reshape(self._in["shape"]))
        self._interp.invoke()
        out = self._interp.get_tensor(self._out["index"]).reshape(-1).astype(np.float32)
        e = (out - self.out_zero) * self.out_scale
        return e / max(float(np.linalg.norm(e)), 1e-6)

    def embed_raw(self, q: np.ndarray) -> np.ndarray:
        """The int8 output as the board sees it (for bit-exactness checks)."""
        self._interp.set_tensor(self._in["index"], np.asarray(q, dtype=np.int8).reshape(self._in["shape"]))
        self._interp.invoke()
        return self._interp.get_tensor(self._out["index"]).copy()

    def embed(self, pcm: np.ndarray) -> np.ndarray:
        """A trimmed utterance -> embedding (centred in the 1 s model clip)."""
        return self.embed_features(af.clip_features(pcm))


def cosine_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1.0 - np.asarray(a) @ np.asarray(b).T


def sensitivity_margin(sensitivity: float) -> float:
    """0 = strict .. 1 = lenient; 0.5 (default) places the threshold at the enrolment spread.

    Rule and clamps tuned on FSDD training speakers saying digits the model never saw (validation),
    never on the benchmark's held-out speakers."""
    if not 0.0 <= sensitivity <= 1.0:
        raise ModelError("sensitivity must be between 0 and 1")
    return 0.8 + 0.4 * sensitivity


def calibrate_threshold(refs: np.ndarray, sensitivity: float = 0.5) -> float:
    d = cosine_distance(refs, refs)
    np.fill_diagonal(d, np.inf)
    spread = float(np.max(np.min(d, axis=1)))  # the worst leave-one-out nearest-sibling distance
    return float(np.clip(spread * sensitivity_margin(sensitivity), THRESHOLD_MIN, THRESHOLD_MAX))


@dataclass
class WakeWord:
    """Three reference embeddings, a label and the threshold: what the board stores."""

    label: str
    refs: np.ndarray  # (3, dim) unit vectors
    threshold: float
    sensitivity: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    def distance(self, embedding: np.ndarray) -> float:
        """1-NN cosine distance to the references (k = 1: with three shots, the nearest is the best vote)."""
        return float(np.min(cosine_distance(self.refs, embedding)))

    def accepts(self, embedding: np.ndarray) -> bool:
        return self.distance(embedding) <= self.threshold

    def with_sensitivity(self, sensitivity: float) -> WakeWord:
        return WakeWord(
            self.label, self.refs, calibrate_threshold(self.refs, sensitivity), sensitivity, self.meta
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "label": self.label,
                "refs": self.refs.tolist(),
                "threshold": self.threshold,
                "sensitivity": self.sensitivity,
                "meta": self.meta,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> WakeWord:
        d = json.loads(text)
        return cls(
            d["label"],
            np.asarray(d["refs"], dtype=np.float32),
            float(d["threshold"]),
            float(d["sensitivity"]),
            dict(d.get("meta", {})),
        )


def enroll(label: str, takes: list[np.ndarray], embedder: Embedder, sensitivity: float = 0.5) -> WakeWord:
    """Three raw 16 kHz takes -> a WakeWord, or EnrollmentError naming the take and the problem."""
    if len(takes) != 3:
        raise EnrollmentError(f"enrolment needs exactly 3 takes, got {len(takes)}")
    words = []
    for i, take in enumerate(takes, start=1):
        try:
            words.append(check_utterance(take))
        except EnrollmentError as exc:
            raise EnrollmentError(f"take {i}: {exc}") from None
    lengths = [len(w) for w in words]
    if max(lengths) > 2.2 * min(lengths):
        raise EnrollmentError(
            "the three takes are too different (lengths differ by more than 2x): repeat the same word"
        )
    refs = np.stack([embedder.embed(w) for w in words])
    d = cosine_distance(refs, refs)
    if d.max() > MAX_ENROLL_SPREAD:
        raise EnrollmentError(
            f"the three takes are too different (distance {d.max():.2f}): repeat the same word"
        )
    threshold = calibrate_threshold(refs, sensitivity)
    return WakeWord(label, refs, threshold, sensitivity, {"spread": float(d.max()), "seconds": lengths})


class StreamDetector:
    """Sliding 1 s window over a 16 kHz stream; reports (time_s, distance) once per detected word."""

    def __init__(self, word: WakeWord, embedder: Embedder, hop_frames: int = 4, refractory_s: float = 1.0):
        self.word, self.embedder = word, embedder
        self.config = af.AudioFeatureConfig()
        self.hop_frames, self.refractory_s = hop_frames, refractory_s
        self._pcm = np.zeros(0, dtype=np.int16)
        self._consumed = 0  # samples dropped from the front of _pcm so far
        self._last_fire = -1e9

    def feed(self, pcm: np.ndarray) -> list[tuple[float, float]]:
        c = self.config
        self._pcm = np.concatenate([self._pcm, np.asarray(pcm, dtype=np.int16)])
        step = self.hop_frames * c.hop_samples
        events = []
        while len(self._pcm) >= c.clip_samples:
            window = self._pcm[: c.clip_samples]
            t = (self._consumed + c.clip_samples / 2) / c.sample_rate_hz  # window centre
            if float(_frame_db(window).max()) >= MIN_PEAK_DBFS:  # skip silence: saves the board power
                dist = self.word.distance(self.embedder.embed_features(af.clip_features(window)))
                if dist <= self.word.threshold and t - self._last_fire >= self.refractory_s:
                    events.append((t, dist))
                    self._last_fire = t
            self._pcm = self._pcm[step:]
            self._consumed += step
        return events


# --- Baseline: DTW on MFCCs, 1-NN (what a wake word would be without the model) ---------------------

DTW_MARGIN = 1.0  # same calibration rule as the embedding threshold (sensitivity 0.5)


def _dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    k, n = np.arange(n_out)[:, None], np.arange(n_in)[None, :]
    return np.sqrt(2.0 / n_in) * np.cos(np.pi * k * (2 * n + 1) / (2 * n_in))


def mfcc(pcm: np.ndarray, n_coeffs: int = 13) -> np.ndarray:
    """(frames, n_coeffs - 1) MFCCs from the same log-mel, c0 dropped and mean removed (gain invariant)."""
    pcm = np.asarray(pcm, dtype=np.int16)
    if len(pcm) < 1600:  # at least a few frames, so any input has a defined distance
        pcm = np.concatenate([pcm, np.zeros(1600 - len(pcm), dtype=np.int16)])
    c = af.log_mel(pcm) @ _dct_matrix(af.AudioFeatureConfig().num_mel_bands, n_coeffs).T
    c = c[:, 1:]
    return c - c.mean(axis=0, keepdims=True)


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """DTW with steps (1,0), (0,1), (1,1) on Euclidean frame distances, normalised by path bound n + m.

    Row update without a Python inner loop: D[i, j] = min_k (t_k - C_k) + C_j, where t_k is the cost
    arriving from row i-1 and C the running sum of row i's costs (a horizontal run from k to j).
    """
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
    prev = np.cumsum(cost[0])
    for i in range(1, len(a)):
        row = cost[i]
        diag = np.concatenate([[np.inf], prev[:-1]])
        t = row + np.minimum(prev, diag)
        csum = np.cumsum(row)
        prev = csum + np.minimum.accumulate(t - csum)
    return float(prev[-1] / (len(a) + len(b)))


@dataclass
class DtwWakeWord:
    label: str
    templates: list[np.ndarray]
    threshold: float

    @classmethod
    def enroll(cls, label: str, words: list[np.ndarray], margin: float = DTW_MARGIN) -> DtwWakeWord:
        templates = [mfcc(w) for w in words]
        loo = [
            min(dtw_distance(t, u) for j, u in enumerate(templates) if j != i)
            for i, t in enumerate(templates)
        ]
        return cls(label, templates, max(loo) * margin)

    def distance(self, word: np.ndarray) -> float:
        m = mfcc(word)
        return min(dtw_distance(t, m) for t in self.templates)
