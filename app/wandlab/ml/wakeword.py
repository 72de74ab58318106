"""Personal wake word: enrol from three utterances, detect by k-NN in embedding space.

Numpy only at import (the app and the virtual wand use this without TensorFlow); the int8 model runs
through ai_edge_litert, imported when an ``Embedder`` is created.

- ``trim_voiced``: energy VAD on 10 ms frames; the span from the first to the last frame within
  ``VAD_RANGE_DB`` of the loudest (and above the noise floor), leaving out clicks and breaths away from
  the word, padded a little. The board trims the same way, and the training recipe uses this function
  too, so training clips look like enrolment clips.
- ``check_utterance``: the quality checks a user can act on (too quiet, clipped, too short, too long).
- ``enroll``: three utterances -> three embeddings + a threshold calibrated from their spread:
  the leave-one-out distance of each to its nearest sibling says how far a genuine repeat lands.
  ``check_agreement`` refuses a set whose takes are not one word.
- ``WakeWord.distance``: k-NN (k = 1, nearest reference) cosine distance; accept below the threshold.
- ``StreamDetector``: slides a 1 s window over a stream (hop 80 ms) and fires once per utterance.
"""

from __future__ import annotations

import json
import zlib
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
# Sounds more than 250 ms away from the word (the loudest stretch of voice) belong to it only if they are
# speech-like: at least 100 ms long and within 15 dB of the word's peak ("hey ... wand"). Shorter or
# weaker ones are the record button's click, a tap, a breath, a lip smack: dspspeech20 takes start and
# end with them, which made a 0.7 s word "1.9 s of speech" (9 % of its takes over 1.6 s, 2.4 % after).
WORD_GAP_FRAMES = 25
WORD_MIN_FRAMES = 10
WORD_RANGE_DB = 15.0
# The checks below were measured with ``wandlab bench wakeword`` on real speakers (fsdd,
# arabic_commands, dspspeech20, wuw2; docs/audio.md) and set so that their takes pass while the takes a
# user can and should fix are refused.
# 80 ms: FSDD's quick digits, cut tight at the word, measure 0.07-0.13 s of voiced frames; a click or a
# tap alone is shorter, and next to a word the rule above already leaves it out.
MIN_VOICED_S = 0.08
# 2 s: the model sees 1 s, but detection slides the window over the stream (and the bench scores a long
# take at every window position), so a slow two-syllable word of 1.5-2 s (dspspeech20, wuw2's
# "thinkengine") is still found; beyond 2 s it is a phrase or a sentence, not a wake word.
MAX_VOICED_S = 2.0
# -50 dBFS: FSDD's quietest speaker peaks at -42..-46 dBFS and is perfectly clear; a take at -60 dBFS is
# mostly the microphone's own noise. StreamDetector gates on the same level, so a word enrolled this
# quietly still opens the gate when it is said as quietly again.
MIN_PEAK_DBFS = -50.0
CLIP_LEVEL = 32000
# 1 %: a few flattened peaks (arabic_commands has takes with 0.2 %) do not change the log-mel envelope;
# a voice hard against full scale for 1 % of the take (dspspeech20's loudest speakers, runs of up to 12
# samples) does, and "speak softer" fixes it.
MAX_CLIPPED_FRACTION = 0.01
# "Too noisy": the word's loudest 10 ms frame less than 5 dB above the quieter end of the take (the median
# of its first or last 100 ms: room before or after the word, or the word's own soft onset or tail when a
# take is cut tight): the voice barely stands out, and the enrolment would learn the room. Not the VAD's
# background: in loud noise the VAD takes the noise for voice. Real takes (random 1,500 per set,
# 2026-12-07): under 5 dB 0.1 % of FSDD and of wuw2, none of mycroft_precise; arabic_commands,
# dspspeech20 and picovoice_wwb start at 17-36 dB (400 each).
MIN_SNR_DB = 5.0
EDGE_FRAMES = 10
# Threshold = clamp(spread) * margin(sensitivity): the spread of 3 takes is a noisy estimate, the
# clamps keep a lucky-tight or sloppy enrolment usable. The margin comes after the clamp so that the
# sensitivity slider moves every threshold (clamped inside, a tight enrolment sat at the floor from
# strict to lenient); at the default 0.5 the margin is 1, so nothing changes there.
THRESHOLD_MIN, THRESHOLD_MAX = 0.05, 0.10
# "Too different", relative to the set itself: real repeats of one word by one speaker lie up to ~0.6
# apart in this model's space (the absolute limit 0.6 refused 2-3 % of real sets), so a take is called a
# different word only when it is far (ODD_TAKE_MIN) *and* much further from the other two than those two
# are from each other (ODD_TAKE_RATIO); and a set is refused when not even two takes agree (PAIR_MAX).
ODD_TAKE_MIN = 0.5
ODD_TAKE_RATIO = 3.0
PAIR_MAX = 0.4
DEFAULT_MODEL = speech_model()


class EnrollmentError(ModelError):
    """An utterance (or the set of three) is not good enough to enrol; the message says why.

    ``reason`` is a short stable key ("too quiet", "clipped", "noisy", "too short", "too long", "too different")
    so callers can count or react to a kind of problem without parsing the sentence."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


def frame_dbfs(pcm: np.ndarray) -> np.ndarray:
    """RMS level of each whole 10 ms frame of 16 kHz PCM, in dBFS (none for less than a frame). The one
    level meter of the app's speech: this VAD, the utterance cutter and the recorder's meter."""
    x = np.asarray(pcm, dtype=np.float64) / 32768.0
    n = len(x) // VAD_FRAME
    rms = np.sqrt(np.mean(x[: n * VAD_FRAME].reshape(n, VAD_FRAME) ** 2, axis=1)) if n else np.zeros(0)
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def _frame_db(pcm: np.ndarray) -> np.ndarray:
    """``frame_dbfs``, one silent frame for less than a frame (so max and percentiles are defined)."""
    db = frame_dbfs(pcm)
    return db if len(db) else np.full(1, -120.0)


def _voiced_frames(pcm: np.ndarray) -> tuple[int, int]:
    """(first, stop) 10 ms frame indices of the voiced part, unpadded; (0, 0) when nothing is voiced."""
    db = _frame_db(pcm)
    noise = float(np.percentile(db, 10))
    peak = float(db.max())
    # min(..., peak - 6): a take that is loud throughout (no quiet lead-in) is all voice, not all noise.
    threshold = max(peak - VAD_RANGE_DB, min(noise + VAD_ABOVE_NOISE_DB, peak - 6.0), -70.0)
    voiced = np.nonzero(db >= threshold)[0]
    if len(voiced) == 0 or db.max() <= -100.0:
        return 0, 0
    splits = np.nonzero(np.diff(voiced) > WORD_GAP_FRAMES)[0]
    starts = np.concatenate([voiced[:1], voiced[splits + 1]])
    stops = np.concatenate([voiced[splits], voiced[-1:]]) + 1
    loudest = np.array([db[a:b].max() for a, b in zip(starts, stops, strict=True)])
    long_enough = stops - starts >= WORD_MIN_FRAMES
    # The word is the loudest stretch long enough to be one (a click can be louder than the voice);
    # when none is, the loudest of all: a too-short take must stay short for check_utterance.
    word = int(np.argmax(np.where(long_enough, loudest, -np.inf))) if long_enough.any() else int(np.argmax(loudest))
    keep = long_enough & (loudest >= loudest[word] - WORD_RANGE_DB)
    keep[word] = True
    return int(starts[keep][0]), int(stops[keep][-1])


def background_snr_db(pcm: np.ndarray) -> float | None:
    """The loudest 10 ms frame over the quieter end of the take (median of its first or last 100 ms), in
    dB; None for a take under 0.3 s."""
    db = _frame_db(pcm)
    if len(db) < 3 * EDGE_FRAMES:
        return None
    return float(db.max() - min(np.median(db[:EDGE_FRAMES]), np.median(db[-EDGE_FRAMES:])))


def voiced_span(pcm: np.ndarray) -> tuple[int, int]:
    """(start, stop) sample indices of the voiced part; (0, 0) when nothing rises above the floor."""
    first, stop = _voiced_frames(pcm)
    if stop == 0:
        return 0, 0
    return max(0, first * VAD_FRAME - VAD_PAD), min(len(pcm), stop * VAD_FRAME + VAD_PAD)


def voiced_seconds(pcm: np.ndarray) -> float:
    """Seconds of speech in a 16 kHz take: first to last voiced frame, without trim_voiced's padding."""
    first, stop = _voiced_frames(pcm)
    return (stop - first) * VAD_FRAME / 16000


def trim_voiced(pcm: np.ndarray) -> np.ndarray:
    start, stop = voiced_span(pcm)
    return np.asarray(pcm, dtype=np.int16)[start:stop]


def check_utterance(pcm: np.ndarray, rate_hz: int = 16000) -> np.ndarray:
    """Validate one enrolment take; return it trimmed, or raise EnrollmentError saying what to do."""
    pcm = np.asarray(pcm)
    if rate_hz != 16000:
        raise EnrollmentError(f"audio must be 16 kHz (got {rate_hz} Hz)", "wrong rate")
    if pcm.ndim != 1 or len(pcm) == 0:
        raise EnrollmentError("recording is empty", "empty")
    pcm = pcm.astype(np.int16)
    peak_db = float(_frame_db(pcm).max())
    if peak_db < MIN_PEAK_DBFS:
        raise EnrollmentError(
            f"too quiet (loudest part {peak_db:.0f} dBFS, need {MIN_PEAK_DBFS:.0f}): speak louder or closer",
            "too quiet",
        )
    clipped = float(np.mean(np.abs(pcm.astype(np.int32)) >= CLIP_LEVEL))
    if clipped > MAX_CLIPPED_FRACTION:
        raise EnrollmentError(
            f"clipped ({clipped:.1%} of samples at full scale): speak softer or further away", "clipped"
        )
    snr = background_snr_db(pcm)
    if snr is not None and snr < MIN_SNR_DB:
        raise EnrollmentError(
            f"too noisy (the word is only {snr:.0f} dB above the background, need {MIN_SNR_DB:.0f}): "
            "find a quieter place or speak closer to the microphone",
            "noisy",
        )
    word = trim_voiced(pcm)
    # The voiced frames themselves: len(word) - 2 * VAD_PAD undercounts a take cut tight at the word (no
    # room for the padding), which with the old 0.2 s limit refused 23 of FSDD's 60 sets as "too short".
    seconds = voiced_seconds(pcm)
    if seconds < MIN_VOICED_S:
        raise EnrollmentError(
            f"too short ({seconds:.2f} s of speech, need {MIN_VOICED_S:.2f} s): say the whole word", "too short"
        )
    if seconds > MAX_VOICED_S:
        raise EnrollmentError(
            f"too long ({seconds:.1f} s of speech, max {MAX_VOICED_S:.1f} s): use a short word", "too long"
        )
    return word


class Embedder:
    """The int8 speech embedding model run by LiteRT (XNNPACK off: bit-identical to TFLM)."""

    def __init__(self, model: str | Path | bytes = DEFAULT_MODEL) -> None:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        blob = model if isinstance(model, bytes) else Path(model).read_bytes()
        # What WordUpload names the model by: a board refuses embeddings made by another network.
        self.model_crc = zlib.crc32(blob)
        self._interp = Interpreter(
            model_content=blob, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        )
        self._interp.allocate_tensors()
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        scale, zero = self._in["quantization"]
        if self._in["dtype"] != np.int8 or abs(scale - 1 / 128) > 1e-9 or zero != 0:
            raise ModelError(f"speech model input must be int8 with scale 1/128, zero 0 (got {scale}, {zero})")
        self.out_scale, self.out_zero = self._out["quantization"]
        self.negatives = (
            load_negatives(Path(model).with_name(NEGATIVES_FILE), self.model_crc)
            if not isinstance(model, bytes)
            else None
        )

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


NEGATIVES_FILE = "negatives.npz"
# Share of the negatives bank a word's threshold may let in, strict .. lenient: a bank clip inside the
# threshold is another word (or someone else) that would wake the board.
BANK_ACCEPT = (0.002, 0.03)


def load_negatives(path: Path, model_crc: int) -> np.ndarray | None:
    """The bank of negative-speech embeddings shipped beside a model (unit float rows), or None.

    A bank made by another network would calibrate against the wrong space: it is ignored, not used."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as z:
            if int(z["model_crc"]) != model_crc:
                return None
            raw = z["embeddings"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        raise ModelError(f"{path}: not a readable negatives bank; reinstall Wandlab") from None
    return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-6)


def bank_limits(refs: np.ndarray, bank: np.ndarray) -> list[float]:
    """The distance at which the bank starts to be accepted, for sensitivity 0, 0.1, .. 1 (11 values)."""
    nearest = np.sort(np.min(cosine_distance(bank, refs), axis=1))
    shares = np.geomspace(BANK_ACCEPT[0], BANK_ACCEPT[1], 11)
    return [float(nearest[min(len(nearest) - 1, int(share * len(nearest)))]) for share in shares]


def cosine_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1.0 - np.asarray(a) @ np.asarray(b).T


def sensitivity_margin(sensitivity: float) -> float:
    """0 = strict .. 1 = lenient; 0.5 (default) places the threshold at the enrolment spread.

    Rule and clamps tuned on FSDD training speakers saying digits the model never saw (validation),
    never on the benchmark's held-out speakers."""
    if not 0.0 <= sensitivity <= 1.0:
        raise ModelError("sensitivity must be between 0 and 1")
    return 0.8 + 0.4 * sensitivity


def calibrate_threshold(refs: np.ndarray, sensitivity: float = 0.5, limits: list[float] | None = None) -> float:
    """The spread rule (how far a genuine repeat lands), capped by the negatives bank when there is one
    (``limits`` from ``bank_limits``): three takes alone say nothing about how close the user's other
    words come, the bank of other people's words does."""
    d = cosine_distance(refs, refs)
    np.fill_diagonal(d, np.inf)
    spread = float(np.max(np.min(d, axis=1)))  # the worst leave-one-out nearest-sibling distance
    threshold = float(np.clip(spread, THRESHOLD_MIN, THRESHOLD_MAX) * sensitivity_margin(sensitivity))
    if limits:
        # Never below half the floor: a word whose neighbourhood is crowded gets strict, not deaf.
        at = float(np.interp(sensitivity, np.linspace(0, 1, len(limits)), limits))
        threshold = max(min(threshold, at), THRESHOLD_MIN / 2)
    return threshold


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
            self.label,
            self.refs,
            calibrate_threshold(self.refs, sensitivity, self.meta.get("bank_limits")),
            sensitivity,
            self.meta,
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
        raise EnrollmentError(f"enrolment needs exactly 3 takes, got {len(takes)}", "takes")
    words = []
    for i, take in enumerate(takes, start=1):
        try:
            words.append(check_utterance(take))
        except EnrollmentError as exc:
            raise EnrollmentError(f"take {i}: {exc}", exc.reason) from None
    # No check on the takes' lengths: on real speakers a 2.2x length ratio refused 13-17 % of genuine
    # sets (fsdd, dspspeech20) and caught a take of another word no more often than a genuine repeat.
    refs = np.stack([embedder.embed(w) for w in words])
    check_agreement(refs)
    d = cosine_distance(refs, refs)
    limits = bank_limits(refs, embedder.negatives) if embedder.negatives is not None else None
    threshold = calibrate_threshold(refs, sensitivity, limits)
    seconds = [round(voiced_seconds(t), 2) for t in takes]
    meta: dict[str, Any] = {"spread": float(d.max()), "seconds": seconds}
    if limits is not None:
        meta["bank_limits"] = limits
    return WakeWord(label, refs, threshold, sensitivity, meta)


def check_agreement(refs: np.ndarray) -> None:
    """Raise EnrollmentError when the three embeddings are not three takes of one word.

    The two closest takes define the word; the third is "a different word" only when it is far from
    both in absolute terms and relative to how far apart those two are (see ODD_TAKE_RATIO)."""
    d = cosine_distance(refs, refs)
    pair_d, odd = min((float(d[i, j]), 3 - i - j) for i, j in ((0, 1), (0, 2), (1, 2)))
    if pair_d > PAIR_MAX:
        raise EnrollmentError(
            f"the three takes are too different (the closest two are {pair_d:.2f} apart): "
            "say the same word the same way three times",
            "too different",
        )
    odd_d = float(min(d[odd, j] for j in range(3) if j != odd))
    if odd_d > max(ODD_TAKE_MIN, ODD_TAKE_RATIO * pair_d):
        raise EnrollmentError(
            f"take {odd + 1} sounds like a different word ({odd_d:.2f} from the others, which are "
            f"{pair_d:.2f} apart): record take {odd + 1} again",
            "too different",
        )


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
    return mfcc_from_log_mel(af.log_mel(pcm), n_coeffs)


def mfcc_from_log_mel(log_mel: np.ndarray, n_coeffs: int = 13) -> np.ndarray:
    """``mfcc`` of an already computed log-mel (a benchmark shares one log-mel with the embedding)."""
    c = log_mel @ _dct_matrix(log_mel.shape[1], n_coeffs).T
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
        loo = [min(dtw_distance(t, u) for j, u in enumerate(templates) if j != i) for i, t in enumerate(templates)]
        return cls(label, templates, max(loo) * margin)

    def distance(self, word: np.ndarray) -> float:
        m = mfcc(word)
        return min(dtw_distance(t, m) for t in self.templates)
