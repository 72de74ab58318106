"""The personal wake-word benchmark behind ``wandlab bench wakeword`` (logic only: no argparse, no Qt).

Any labeled speech folder (``manifest.csv``) works. A speaker is the ``subject``, or the ``session`` when
the subject is empty or "unknown" (one caller per call in WUW-II); a clip with neither is only ever a
negative. For every (speaker, label) pair with at least ``shots + 1`` takes, ``shots`` random takes
(seeded per pair, so a pair's enrolment does not depend on --max-pairs) are enrolled, exactly as the
board enrols: trimmed with ``trim_voiced``, embedded on the window centred on the word. Positives are the
pair's other takes; negatives are other labels said by the same speaker (always, up to the cap) and by
other speakers, plus ``_negative_`` / ``_silence_`` / ``_noise_`` clips, at most ``max_negatives``.

A test take is scored by its 1-NN cosine distance to the enrolled embeddings. A take longer than the
model's 1 s window is scored at every window position (hop 0.1 s, plus the end-aligned and the centred
window) and the smallest distance counts: the board's stream detector slides the same way, so a long
word is not judged by its middle second only. Scores of all pairs are pooled for the EER and the true
accept rate at 1 % / 5 % false accepts; ``calibrated_*`` use each pair's own threshold from
``calibrate_threshold`` (what ``enroll`` stores). The DTW-on-MFCC baseline (``DtwWakeWord``: 1-NN over
the templates, leave-one-out threshold) runs on the same pairs and takes. ``hybrid_*``: both together,
each take scored by cosine distance + ``HYBRID_DTW_WEIGHT`` x DTW distance (a recipe measured here
before any board runs it; docs/wakeword.md). ``enroll_refused`` counts the pairs whose enrolment set
``enroll`` would refuse, by reason.

``continuous``: for a sample of pairs, a stream of the pair's negative clips separated by short gaps of
low noise goes through the detector (``detector_factory``) in 0.1 s blocks; every event is a false wake.
The default is the board's own detector (``board_detector``: ``ml.wake_stream.BoardStreamDetector``,
160 ms hops, energy gate, 2-of-3 confirmation, refractory second), so the figure is what a board would
do; ``sliding_detector`` is ``wakeword.StreamDetector`` (one hop within the threshold wakes), kept for
comparison (``--detector sliding``). On FSDD: 40 false wakes per hour with the board's rule, 88 with the
sliding one.

Cost, measured on the 2-core development machine: reading a clip (Opus decode, resample, trim) 1-7 ms,
its features and embeddings 2-3 ms; only the clips the chosen pairs use are read, but 100 pairs x 400
negatives touch nearly all of a 12,000-clip folder. The DTW baseline runs batched over each pair's
test takes (``dtw_many``): 0.1-0.2 s per pair at 400 negatives (one ``dtw_distance`` call per take:
~0.3 s). FSDD (3,000 clips, 60 pairs): 17 s; dspspeech20 (100 pairs): 1 min; arabic_commands (100
of 1,200 pairs): 1.5-2.3 min, most of it decoding. ``continuous`` adds ~10-20 s per 0.25 h of stream.
"""

from __future__ import annotations

import json
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from wandlab.dataset.folder import read_manifest, read_row
from wandlab.errors import DatasetError, WandlabError
from wandlab.ml import wakeword as ww
from wandlab.onboard import audio_features as af

RATE_HZ = 16000
NON_WORDS = ("_negative_", "_silence_", "_noise_")  # never enrolled; always negatives
NO_SPEAKER = ("", "unknown")
WINDOW_HOP = 1600  # 0.1 s: five feature hops, so window features are slices of one log-mel
STREAM_BLOCK = 1600  # the stream is fed in 0.1 s blocks, as a board delivers audio
STREAM_GAP_S = (0.2, 0.8)
STREAM_NOISE_RMS = 10.0  # ~-70 dBFS: a quiet room between utterances
# Embedding + DTW score = cosine distance + weight x DTW distance. The medians of the pooled positives are
# ~0.03 (cosine) and ~2.5-5 (DTW); chosen over 0.02 / 0.1 / 0.2 and per-pair normalisation on 40 pairs of
# each of five speech sets (docs/wakeword.md "Embedding + DTW").
HYBRID_DTW_WEIGHT = 0.05
DTW_CHUNK_ELEMENTS = 2_000_000  # bounds the (takes, n, m) cost tensor of one batched DTW call


class BenchInputError(WandlabError, ValueError):
    """The folder cannot be benchmarked; the message names it and says what to do."""


class Detector(Protocol):
    def feed(self, pcm: np.ndarray) -> list[tuple[float, float]]: ...


DetectorFactory = Callable[[ww.WakeWord, ww.Embedder], Detector]


def board_detector(word: ww.WakeWord, embedder: ww.Embedder) -> Detector:
    """The board's streaming detector (onboard.wake_detector) with the PC's embedder: the default."""
    from wandlab.ml.wake_stream import BoardStreamDetector

    return BoardStreamDetector(word, embedder)


def sliding_detector(word: ww.WakeWord, embedder: ww.Embedder) -> Detector:
    """A sliding 1 s window that wakes on any hop within the threshold (no confirmation)."""
    return ww.StreamDetector(word, embedder)


DETECTORS: dict[str, DetectorFactory] = {"board": board_detector, "sliding": sliding_detector}


@dataclass(frozen=True)
class BenchConfig:
    shots: int = 3
    seed: int = 0
    max_pairs: int | None = None
    max_negatives: int = 400
    sensitivity: float = 0.5
    dtw: bool = True
    continuous: bool = False
    hours: float = 0.25  # total stream, shared by the continuous pairs
    continuous_pairs: int = 20


@dataclass(frozen=True)
class Pair:
    speaker: str
    label: str
    enrol: tuple[int, ...]  # row indices
    positives: tuple[int, ...]
    negatives: tuple[int, ...]


@dataclass
class Clip:
    label: str
    speaker: str | None
    pcm: np.ndarray  # 16 kHz int16, as recorded (what enroll() and the stream get)
    word: np.ndarray  # trimmed
    centre: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # (dim,)
    windows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # (k, dim)
    mfcc: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


def speaker_of(subject: str, session: str) -> str | None:
    """The speaker identity of a manifest row (None: the clip can only be a negative)."""
    subject, session = subject.strip(), session.strip()
    if subject.lower() not in NO_SPEAKER:
        return subject
    if session:
        return f"session {session}"
    return None


# --- metrics ----------------------------------------------------------------------------------------


def eer(pos: np.ndarray, neg: np.ndarray) -> float:
    """Equal error rate of distances (accept when distance <= t), at the threshold where FRR ~ FAR."""
    pos, neg = np.sort(pos), np.sort(neg)
    ts = np.unique(np.concatenate([pos, neg, [-np.inf]]))
    frr = 1.0 - np.searchsorted(pos, ts, side="right") / len(pos)
    far = np.searchsorted(neg, ts, side="right") / len(neg)
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


def tar_at_far(pos: np.ndarray, neg: np.ndarray, far: float) -> float:
    """True accept rate at the loosest threshold whose false accept rate is at most ``far``."""
    neg = np.sort(neg)
    allowed = int(np.floor(far * len(neg) + 1e-9))
    if allowed >= len(neg):
        return 1.0
    return float(np.mean(pos < neg[allowed]))  # ties with the first refused negative are refused too


def _metrics(prefix: str, pos: np.ndarray, neg: np.ndarray) -> dict[str, float]:
    return {
        f"{prefix}eer": round(eer(pos, neg), 4),
        f"{prefix}tar_at_far1": round(tar_at_far(pos, neg, 0.01), 4),
        f"{prefix}tar_at_far5": round(tar_at_far(pos, neg, 0.05), 4),
    }


# --- DTW, batched -----------------------------------------------------------------------------------


def dtw_many(a: np.ndarray, bs: Sequence[np.ndarray]) -> np.ndarray:
    """``ww.dtw_distance(a, b)`` for every b, many at once (same recurrence, vectorised over the b's).

    The b's are padded to a common length: DTW column j only depends on columns <= j, so the padding
    never reaches a b's own last column. Sorting by length keeps the padding small."""
    out = np.empty(len(bs))
    order = sorted(range(len(bs)), key=lambda i: len(bs[i]))
    start = 0
    a_sq = (a**2).sum(axis=1)
    while start < len(order):
        stop = start + 1
        while stop < len(order) and (stop + 1 - start) * len(a) * len(bs[order[stop]]) <= DTW_CHUNK_ELEMENTS:
            stop += 1
        idx = order[start:stop]
        lengths = np.array([len(bs[i]) for i in idx])
        m = int(lengths.max())
        b = np.zeros((len(idx), m, a.shape[1]))
        for k, i in enumerate(idx):
            b[k, : lengths[k]] = bs[i]
        sq = a_sq[None, :, None] + (b**2).sum(axis=2)[:, None, :] - 2.0 * np.einsum("nd,kmd->knm", a, b)
        cost = np.sqrt(np.maximum(sq, 0.0))
        prev = np.cumsum(cost[:, 0, :], axis=1)
        inf = np.full((len(idx), 1), np.inf)
        for i in range(1, len(a)):
            row = cost[:, i, :]
            t = row + np.minimum(prev, np.concatenate([inf, prev[:, :-1]], axis=1))
            csum = np.cumsum(row, axis=1)
            prev = csum + np.minimum.accumulate(t - csum, axis=1)
        out[idx] = prev[np.arange(len(idx)), lengths - 1] / (len(a) + lengths)
        start = stop
    return out


# --- data -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    line_no: int
    row: dict[str, str]
    label: str
    speaker: str | None


def _audio_rows(root: Path) -> list[_Row]:
    if not root.is_dir():
        raise BenchInputError(f"{root}: no such folder; give a labeled speech folder (manifest.csv + samples)")
    try:
        manifest = read_manifest(root)
    except DatasetError as exc:
        raise BenchInputError(f"{root}: cannot read the manifest ({exc}); give a labeled speech folder") from None
    rows = [
        _Row(n, r, (r.get("label") or "").strip(), speaker_of(r.get("subject") or "", r.get("session") or ""))
        for n, r in enumerate(manifest, start=2)
        if (r.get("kind") or "").strip().lower() == "audio"
    ]
    if not rows:
        raise BenchInputError(f"{root}: manifest.csv lists no audio clips (kind=audio); give a speech folder")
    return rows


def plan_pairs(
    labels: Sequence[str],
    speakers: Sequence[str | None],
    shots: int,
    seed: int,
    max_pairs: int | None,
    max_negatives: int,
) -> tuple[list[Pair], int]:
    """(the pairs to run, how many pairs qualified before --max-pairs) over clip indices."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (label, speaker) in enumerate(zip(labels, speakers, strict=True)):
        if speaker is not None and label not in NON_WORDS:
            groups[(speaker, label)].append(i)
    keys = sorted(k for k, v in groups.items() if len(v) >= shots + 1)
    available = len(keys)
    if max_pairs is not None and max_pairs < len(keys):
        chosen = np.random.default_rng(seed).choice(len(keys), max_pairs, replace=False)
        keys = [keys[i] for i in sorted(chosen)]
    by_speaker: dict[str | None, list[int]] = defaultdict(list)
    for i, speaker in enumerate(speakers):
        by_speaker[speaker].append(i)
    labels_arr = np.asarray(labels, dtype=object)
    pairs = []
    for speaker, label in keys:
        rng = np.random.default_rng([seed, zlib.crc32(f"{speaker}\x00{label}".encode())])
        takes = groups[(speaker, label)]
        enrol = sorted(int(i) for i in rng.choice(takes, shots, replace=False))
        positives = tuple(i for i in takes if i not in enrol)
        own = [i for i in by_speaker[speaker] if labels[i] != label]
        if len(own) > max_negatives:
            own = sorted(int(i) for i in rng.choice(own, max_negatives, replace=False))
        # Other speakers' takes of the same word are neither: the model is speaker-independent, so
        # accepting them is expected, and rejecting them is not what a personal wake word promises.
        others = np.nonzero((labels_arr != label) & np.array([s != speaker for s in speakers], dtype=bool))[0]
        room = max_negatives - len(own)
        if room < len(others):
            others = rng.choice(others, room, replace=False)
        negatives = tuple(sorted([*own, *(int(i) for i in others)]))
        pairs.append(Pair(speaker, label, tuple(enrol), positives, negatives))
    return pairs, available


def _to_16k(data: np.ndarray, rate_hz: float) -> np.ndarray:
    from scipy.signal import resample_poly

    rate = int(round(rate_hz))
    x = np.asarray(data)
    if rate != RATE_HZ:
        x = resample_poly(x.astype(np.float64), RATE_HZ, rate)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _features(clip: Clip, embedder: ww.Embedder, dtw: bool) -> None:
    word = clip.word
    clip.centre = embedder.embed(word)
    n = af.AudioFeatureConfig().clip_samples
    windows = [clip.centre]
    log_mel = af.log_mel(word) if len(word) >= 1600 else None
    if len(word) > n:
        frames_per_hop = WINDOW_HOP // af.AudioFeatureConfig().hop_samples
        frames = af.AudioFeatureConfig().num_frames
        assert log_mel is not None
        for start in range(0, len(word) - n + 1, WINDOW_HOP):
            k = start // WINDOW_HOP * frames_per_hop
            windows.append(embedder.embed_features(af.quantize(log_mel[k : k + frames])))
        windows.append(embedder.embed(word[-n:]))
    clip.windows = np.stack(windows)
    if dtw:
        clip.mfcc = ww.mfcc_from_log_mel(log_mel) if log_mel is not None else ww.mfcc(word)


# --- the run ----------------------------------------------------------------------------------------


def _reason(exc: ww.EnrollmentError) -> str:
    return exc.reason or str(exc).split(" (")[0]


def _refusal(clips: dict[int, Clip], pair: Pair, embedder: ww.Embedder) -> str | None:
    """Why enroll() would refuse this pair's takes (None: accepted). enroll() takes exactly three, so
    with another shot count only the per-take checks apply."""
    takes = [clips[i].pcm for i in pair.enrol]
    try:
        if len(takes) == 3:
            ww.enroll(pair.label, takes, embedder)
        else:
            for take in takes:
                ww.check_utterance(take)
    except ww.EnrollmentError as exc:
        return _reason(exc)
    return None


def _stream(clips: list[Clip], pool: Sequence[int], seconds: float, rng: np.random.Generator) -> np.ndarray:
    parts: list[np.ndarray] = []
    total = 0
    order = list(rng.permutation(pool))
    while total < seconds * RATE_HZ:
        if not order:
            order = list(rng.permutation(pool))
        gap = rng.normal(0.0, STREAM_NOISE_RMS, int(rng.uniform(*STREAM_GAP_S) * RATE_HZ))
        parts += [np.clip(np.round(gap), -32768, 32767).astype(np.int16), clips[order.pop()].pcm]
        total += len(parts[-2]) + len(parts[-1])
    return np.concatenate(parts)[: int(seconds * RATE_HZ)]


def model_figures(model: Path) -> tuple[int, int | None]:
    """(model bytes, TFLM arena bytes): the shipped model's arena from its config.json (measured when it
    was built); another model's by a binary search in TFLM (a second or two), None if that fails."""
    blob = model.read_bytes()
    config = model.parent / "config.json"
    if model.resolve() == Path(ww.DEFAULT_MODEL).resolve() and config.is_file():
        info = json.loads(config.read_text()).get("model", {})
        if info.get("bytes") == len(blob) and isinstance(info.get("tflm_arena_bytes"), int):
            return len(blob), int(info["tflm_arena_bytes"])
    try:
        from wandlab.ml.speech_model import smallest_arena

        return len(blob), smallest_arena(blob)
    except Exception:  # no TFLM runtime, or a model TFLM cannot run: the figure is unknown, not fatal
        return len(blob), None


def run_bench(
    data_dir: str | Path,
    config: BenchConfig = BenchConfig(),
    model: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    detector_factory: DetectorFactory = board_detector,
) -> dict[str, Any]:
    """Run the benchmark on one folder; the result is one flat JSON-able dict (see the module doc)."""
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    root = Path(data_dir)
    if config.shots < 1:
        raise BenchInputError("--shots must be at least 1")
    rows = _audio_rows(root)
    model_path = Path(model) if model is not None else Path(ww.DEFAULT_MODEL)
    try:
        embedder = ww.Embedder(model_path)
    except (OSError, ValueError) as exc:
        raise BenchInputError(f"{model_path}: cannot load the speech model ({exc}); give a .tflite file") from None
    labels = [r.label for r in rows]
    speakers = [r.speaker for r in rows]
    bad: set[int] = set()
    clips: dict[int, Clip] = {}
    while True:
        usable = [i for i in range(len(rows)) if i not in bad]
        pairs_u, available = plan_pairs(
            [labels[i] for i in usable],
            [speakers[i] for i in usable],
            config.shots,
            config.seed,
            config.max_pairs,
            config.max_negatives,
        )
        if not pairs_u:
            raise BenchInputError(
                f"{root}: no (speaker, label) pair has {config.shots + 1} or more readable takes "
                f"(--shots {config.shots} plus one to test); give a folder with repeated takes per speaker "
                "(subject or session column) or lower --shots"
            )
        pairs = [
            Pair(p.speaker, p.label, *(tuple(usable[i] for i in part) for part in (p.enrol, p.positives, p.negatives)))
            for p in pairs_u
        ]
        if not any(p.negatives for p in pairs):
            raise BenchInputError(
                f"{root}: every clip has the same label, so nothing can be a false accept; add clips of other "
                "words (or _negative_ clips) to the folder"
            )
        needed = sorted({i for p in pairs for i in (*p.enrol, *p.positives, *p.negatives)} - clips.keys())
        say(f"loading {len(needed)} clips for {len(pairs)} pairs")
        for n, i in enumerate(needed, start=1):
            try:
                rec = read_row(root, rows[i].row, rows[i].line_no)
            except DatasetError as exc:
                say(f"skipping {exc}")
                bad.add(i)
                continue
            pcm = _to_16k(rec.data, rec.rate_hz)
            word = ww.trim_voiced(pcm)
            clips[i] = Clip(labels[i], speakers[i], pcm, word if len(word) else pcm)
            if n % 1000 == 0:
                say(f"loaded {n}/{len(needed)} clips")
        if not bad & set(needed):
            break
    t_load = time.perf_counter() - t0

    for n, clip in enumerate(clips.values(), start=1):
        _features(clip, embedder, config.dtw)
        if n % 2000 == 0:
            say(f"features {n}/{len(clips)} clips")
    t_features = time.perf_counter() - t0 - t_load

    pos, neg, cal_tp, cal_fp = [], [], 0, 0
    dtw_pos, dtw_neg, dtw_tp, dtw_fp = [], [], 0, 0
    hybrid_pos, hybrid_neg = [], []
    reasons: Counter[str] = Counter()
    words: list[ww.WakeWord] = []
    t_dtw = 0.0
    for n, pair in enumerate(pairs, start=1):
        refs = np.stack([clips[i].centre for i in pair.enrol])
        tests = [*pair.positives, *pair.negatives]
        windows = np.concatenate([clips[i].windows for i in tests])
        owners = np.cumsum([0] + [len(clips[i].windows) for i in tests[:-1]])
        score = np.minimum.reduceat(np.min(ww.cosine_distance(windows, refs), axis=1), owners)
        bank = embedder.negatives
        limits = ww.bank_limits(refs, bank) if bank is not None else None
        threshold = ww.calibrate_threshold(refs, config.sensitivity, limits)
        n_pos = len(pair.positives)
        pos.append(score[:n_pos])
        neg.append(score[n_pos:])
        cal_tp += int(np.sum(score[:n_pos] <= threshold))
        cal_fp += int(np.sum(score[n_pos:] <= threshold))
        words.append(ww.WakeWord(pair.label, refs, threshold, config.sensitivity))
        reason = _refusal(clips, pair, embedder)
        if reason:
            reasons[reason] += 1
        if config.dtw:
            t = time.perf_counter()
            templates = [clips[i].mfcc for i in pair.enrol]
            test_mfcc = [clips[i].mfcc for i in tests]
            dist = np.min(np.stack([dtw_many(tpl, test_mfcc) for tpl in templates]), axis=0)
            dtw_pos.append(dist[:n_pos])
            dtw_neg.append(dist[n_pos:])
            hybrid = score + HYBRID_DTW_WEIGHT * dist
            hybrid_pos.append(hybrid[:n_pos])
            hybrid_neg.append(hybrid[n_pos:])
            if len(templates) > 1:
                loo = [
                    min(ww.dtw_distance(a, b) for j, b in enumerate(templates) if j != i)
                    for i, a in enumerate(templates)
                ]
                dtw_threshold = max(loo) * ww.DTW_MARGIN
                dtw_tp += int(np.sum(dist[:n_pos] <= dtw_threshold))
                dtw_fp += int(np.sum(dist[n_pos:] <= dtw_threshold))
            t_dtw += time.perf_counter() - t
        if n % 10 == 0 or n == len(pairs):
            say(f"pairs {n}/{len(pairs)}")

    all_pos, all_neg = np.concatenate(pos), np.concatenate(neg)
    model_bytes, arena = model_figures(model_path)
    result: dict[str, Any] = {
        "data_dir": str(root),
        "model": str(model_path),
        "shots": config.shots,
        "seed": config.seed,
        "sensitivity": config.sensitivity,
        "clips": len(clips),
        "skipped_clips": len(bad),
        "speakers": len({p.speaker for p in pairs}),
        "labels": len({p.label for p in pairs}),
        "pairs": len(pairs),
        "pairs_available": available,
        "positives": int(len(all_pos)),
        "negatives": int(len(all_neg)),
        **_metrics("", all_pos, all_neg),
        "calibrated_tar": round(cal_tp / len(all_pos), 4),
        "calibrated_far": round(cal_fp / len(all_neg), 4),
        "enroll_refused": sum(reasons.values()),
        "enroll_refused_rate": round(sum(reasons.values()) / len(pairs), 4),
        "refusal_reasons": dict(sorted(reasons.items())),
        "model_bytes": model_bytes,
        "arena_bytes": arena,
    }
    if config.dtw:
        dp, dn = np.concatenate(dtw_pos), np.concatenate(dtw_neg)
        result |= _metrics("baseline_dtw_", dp, dn)
        result["baseline_dtw_calibrated_tar"] = round(dtw_tp / len(dp), 4) if config.shots > 1 else None
        result["baseline_dtw_calibrated_far"] = round(dtw_fp / len(dn), 4) if config.shots > 1 else None
        result |= _metrics("hybrid_", np.concatenate(hybrid_pos), np.concatenate(hybrid_neg))

    t_stream = 0.0
    if config.continuous:
        t = time.perf_counter()
        result |= _continuous(clips, pairs, words, embedder, config, detector_factory, say)
        t_stream = time.perf_counter() - t
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["seconds_by_stage"] = {
        "load": round(t_load, 1),
        "features": round(t_features, 1),
        "dtw": round(t_dtw, 1),
        "stream": round(t_stream, 1),
    }
    return result


def _continuous(
    clips: dict[int, Clip],
    pairs: list[Pair],
    words: list[ww.WakeWord],
    embedder: ww.Embedder,
    config: BenchConfig,
    factory: DetectorFactory,
    say: Callable[[str], None],
) -> dict[str, Any]:
    rng = np.random.default_rng([config.seed, 0x57EA])
    chosen = sorted(rng.permutation(len(pairs))[: config.continuous_pairs])
    seconds = config.hours * 3600 / len(chosen)
    ordered = [clips[i] for i in sorted(clips)]
    index = {i: k for k, i in enumerate(sorted(clips))}
    wakes = 0
    total_s = 0.0
    for n, p in enumerate(chosen, start=1):
        pair = pairs[p]
        stream = _stream(ordered, [index[i] for i in pair.negatives], seconds, rng)
        detector = factory(words[p], embedder)
        for start in range(0, len(stream), STREAM_BLOCK):
            wakes += len(detector.feed(stream[start : start + STREAM_BLOCK]))
        total_s += len(stream) / RATE_HZ
        say(f"continuous {n}/{len(chosen)} pairs, {wakes} false wakes in {total_s / 60:.1f} min")
    return {
        "continuous_pairs": len(chosen),
        "stream_hours": round(total_s / 3600, 3),
        "false_wakes": wakes,
        "false_wakes_per_hour": round(wakes / (total_s / 3600), 2),
    }
