"""Open set for gestures on the host: the negatives bank, thresholds by ``onboard.open_set``'s rule, and
``wandlab bench open-set``.

The bank: feature windows of motion that is no gesture - everyday motion streamed through the board's
own segmenter (``onboard.segmenter``: the very windows a board would judge), a virtual wand handled
between gestures (``synth.everyday``), random strokes, a wand at rest - embedded by the model. A bundle
keeps the chosen windows (``negatives.npz``, int8 at 1/127) so that a model trained from it can embed
them again with its own network (``calibrate_open_set``); its recogniser keeps their embeddings
(``KnnRecognizer.bank``), which travel to the board in the image. Nothing here reads ``../shared`` at
run time: the windows are computed by the recipe (``flows.base_recipe.negatives_recipe``) and shipped.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard.imu_features import FeatureConfig, batch_features, resample
from wandlab.onboard.knn import KnnRecognizer
from wandlab.onboard.open_set import (
    DEFAULT_MARGIN,
    MAX_BANK,
    NegativesBank,
    Threshold,
    check_margin,
    class_threshold,
    positive_spread,
    shot_spread,
    typical_spread,
)

NEGATIVES_FILE = "negatives.npz"
WINDOW_SCALE = 127  # negatives.npz stores feature windows (range +-1) as int8 codes at 1/127
NEGATIVE_LABELS = ("_negative_", "negative", "negatives", "unknown", "background")


def gesture_mask(labels: np.ndarray) -> np.ndarray:
    """True for takes that may be a class: not labelled as no gesture at all (``NEGATIVE_LABELS``; idle
    stays, as a user may enroll "nothing")."""
    return ~np.isin(np.char.lower(np.asarray(labels).astype(str)), NEGATIVE_LABELS)


def is_negative_label(label: str) -> bool:
    """Takes that are no gesture: idle/none/nomotion/... and magic_wand_tf's ``_negative_``."""
    from wandlab.ml.evaluate import is_idle_label

    return is_idle_label(label) or str(label).strip().lower() in NEGATIVE_LABELS


# ---- negative windows: streams -> the board's segments -> feature windows ------------------------------


@dataclass
class Stream:
    name: str  # "subject/session" of the takes it was joined from
    data: np.ndarray  # (n, channels) float32, g and deg/s
    rate_hz: float


def read_streams(
    folder: str | Path, channels: int, rate_hz: float | None = None, keep: Callable[[str], bool] | None = None
) -> list[Stream]:
    """Continuous everyday motion from a labeled folder: the takes of each (subject, session), in manifest
    order, joined end to end (sp_sw_har stores one execution as consecutive label runs; magic_wand_tf a
    negative log as consecutive pieces). If the folder also holds gestures, only its takes labelled as no
    gesture (``is_negative_label``) are used. ``keep(name)``: which streams to use. Resampled to ``rate_hz``."""
    from wandlab.dataset.folder import iter_folder

    recs = [r for r in iter_folder(Path(folder)) if r.kind == "imu"]
    if not recs:
        raise ModelError(f"{folder}: no IMU takes")
    if any(is_negative_label(r.label) for r in recs) and not all(is_negative_label(r.label) for r in recs):
        recs = [r for r in recs if is_negative_label(r.label)]
    narrow = sum(r.data.shape[1] < channels for r in recs)
    if narrow:
        raise ModelError(f"{folder}: {narrow} takes have fewer than {channels} IMU columns; use --channels 3")
    groups: dict[str, list[Any]] = {}
    for r in recs:
        groups.setdefault(f"{r.subject}/{r.session}", []).append(r)
    out = []
    for name, parts in groups.items():
        if keep is not None and not keep(name):
            continue
        rate = parts[0].rate_hz
        data = np.concatenate(
            [
                p.data[:, :channels] if p.rate_hz == rate else resample(p.data[:, :channels], p.rate_hz, rate)
                for p in parts
            ]
        )
        if rate_hz is not None and rate_hz != rate:
            data, rate = resample(data, rate, rate_hz), rate_hz
        out.append(Stream(name, np.asarray(data, np.float32), float(rate)))
    return out


@dataclass
class Segments:
    """What the board's segmenter cuts from streams: model windows (raw samples) and whether it decides."""

    windows: list[np.ndarray] = field(default_factory=list)
    decidable: list[bool] = field(default_factory=list)
    stream: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rate_hz: float = 0.0

    def features(self, features: FeatureConfig) -> np.ndarray:
        return batch_features([(w, self.rate_hz) for w in self.windows], features)


def segment_streams(streams: list[Stream], block_s: float = 0.05) -> Segments:
    """Stream each through a fresh ``Segmenter`` in ``block_s`` blocks (its output does not depend on the
    blocking); every segment's model window, as the board would embed it."""
    from wandlab.onboard.segmenter import Segmenter

    out = Segments()
    for s in streams:
        if out.rate_hz and s.rate_hz != out.rate_hz:
            raise ModelError("streams to segment together must share one rate")
        out.rate_hz = s.rate_hz
        seg = Segmenter(s.rate_hz)
        step = max(1, round(block_s * s.rate_hz))
        for i in range(0, len(s.data), step):
            for found in seg.feed(s.data[i : i + step], i):
                window = seg.model_window(found.data)
                if len(window) >= 3:
                    out.windows.append(window)
                    out.decidable.append(found.decidable)
                    out.stream.append(s.name)
        out.seconds += len(s.data) / s.rate_hz
    return out


def synthetic_negatives(
    features: FeatureConfig,
    people: list[int],
    seconds_per_person: float,
    strokes: int,
    resting: int,
    idle_takes: int,
    seed: int = 0,
) -> tuple[np.ndarray, list[str]]:
    """Feature windows of synthetic non-gestures: the virtual wand handled between gestures
    (``synth.everyday`` through the segmenter), its idle takes, random strokes and a resting wand."""
    from wandlab.ml.synthetic import RATE_HZ, random_shape_classes, virtual_takes
    from wandlab.ml.train import resting_windows
    from wandlab.onboard.trim import auto_trim_imu
    from wandlab.synth.everyday import everyday_motion

    rng = np.random.default_rng(seed)
    streams = [
        Stream(
            f"virtual-{p}",
            everyday_motion(seconds_per_person, RATE_HZ, p, seed).astype(np.float32)[:, : features.channels],
            RATE_HZ,
        )
        for p in people
    ]
    everyday = segment_streams(streams).features(features)
    idle = []
    for t in virtual_takes(["idle"], idle_takes, people, seed + 1):
        start, end = auto_trim_imu(t.data, t.rate_hz)
        idle.append((t.data[start:end, : features.channels], t.rate_hz))
    idle_x = batch_features(idle, features) if idle else np.zeros((0, *features.shape), np.float32)
    stroke_x, _ = random_shape_classes(strokes, 1, features, rng)
    rest_x = resting_windows(resting, features, rng)
    parts = {"virtual everyday": everyday, "virtual idle": idle_x, "random strokes": stroke_x, "resting wand": rest_x}
    x = np.concatenate([v for v in parts.values()]).astype(np.float32)
    return x, [name for name, v in parts.items() for _ in range(len(v))]


def choose(sources: list[str], quotas: dict[str, float], size: int, seed: int = 0) -> np.ndarray:
    """Indices of a stratified random sample: ``quotas[source]`` shares of ``size`` (renormalised over the
    sources present; a source with too few entries gives its remainder to the others)."""
    rng = np.random.default_rng(seed)
    src = np.asarray(sources)
    present = {s: q for s, q in quotas.items() if (src == s).any() and q > 0}
    if not present:
        raise ModelError("no negatives to choose a bank from")
    size = min(size, len(src))
    want = {s: q / sum(present.values()) * size for s, q in present.items()}
    take = {s: min(int(round(w)), int((src == s).sum())) for s, w in want.items()}
    while sum(take.values()) < size:  # hand out what the small sources could not fill
        room = [s for s in present if take[s] < (src == s).sum()]
        if not room:
            break
        take[max(room, key=lambda s: want[s] - take[s])] += 1
    while sum(take.values()) > size:
        take[max(take, key=lambda s: take[s] - want[s])] -= 1
    picked = [rng.choice(np.flatnonzero(src == s), n, replace=False) for s, n in take.items() if n]
    return np.sort(np.concatenate(picked))


def pack_windows(x: np.ndarray, sources: list[str]) -> bytes:
    """negatives.npz: the bank's feature windows as int8 codes (x * 127) and where each came from."""
    codes = np.clip(np.round(np.asarray(x, np.float64) * WINDOW_SCALE), -127, 127).astype(np.int8)
    buf = io.BytesIO()
    np.savez_compressed(buf, windows=codes, sources=np.asarray(sources, dtype=str))
    return buf.getvalue()


def unpack_windows(blob: bytes, features: FeatureConfig) -> tuple[np.ndarray, list[str]]:
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            codes, sources = z["windows"], [str(s) for s in z["sources"]]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{NEGATIVES_FILE} is not a negatives file: {exc}") from None
    if codes.dtype != np.int8 or codes.shape[1:] != features.shape or len(sources) != len(codes):
        raise ModelError(
            f"{NEGATIVES_FILE} holds {codes.shape} {codes.dtype} windows, the model takes {features.shape}"
        )
    return codes.astype(np.float32) / WINDOW_SCALE, sources


def matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether stream ``name`` ("subject/session") matches one of ``patterns`` (fnmatch, e.g. "s01/*")."""
    from fnmatch import fnmatchcase

    return any(fnmatchcase(name, p) for p in patterns)


def counts(sources: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in sources:
        out[s] = out.get(s, 0) + 1
    return out


# ---- thresholds ------------------------------------------------------------------------------------------


def _excluded(positives: np.ndarray, groups: np.ndarray | None, refs: np.ndarray) -> np.ndarray:
    """(positives, refs) mask of the comparisons a spread must not use: a positive with the reference that
    *is* it (k-medoids pick training takes) and, when several people recorded the class, with references
    taken by its own person - the threshold is for people who are not in the data."""
    same = (positives[:, None, :] == refs[None, :, :]).all(axis=2)
    if groups is None or len(np.unique(groups)) < 2:
        return same
    owner = np.array([groups[np.flatnonzero(same[:, j])[0]] if same[:, j].any() else None
                      for j in range(len(refs))], dtype=object)
    return same | (np.asarray(groups, dtype=object)[:, None] == owner[None, :])


def apply_rule(knn: KnnRecognizer, positives: np.ndarray | None = None, positive_labels: np.ndarray | None = None,
               typical: int | None = None, positive_groups: np.ndarray | None = None) -> list[Threshold]:
    """Set every class's threshold (in place) by the open-set rule with ``knn.bank`` and ``knn.margins``.
    Spread: from ``positives`` (many takes, ``positive_groups`` the person of each: against other people's
    references) where given, else from the references themselves (enrolled shots)."""
    assert knn.margins is not None
    bank = knn.bank.embeddings if knn.bank is not None else None
    typical = typical or knn.typical_spread
    chosen = []
    for c, label in enumerate(knn.labels):
        refs = knn.references[knn.ref_class == c]
        others = knn.references[knn.ref_class != c]
        if positives is not None and positive_labels is not None and (np.asarray(positive_labels) == label).any():
            mine = np.asarray(positive_labels) == label
            pos = np.asarray(positives, np.int8)[mine]
            groups = np.asarray(positive_groups)[mine] if positive_groups is not None else None
            people = len(np.unique(groups)) if groups is not None else 1
            if people >= 2:
                # How far a new person lands: the farthest take from the other people's references. It
                # rests on as many people as recorded the class, not on their takes (those of one person
                # are alike), so that is what it is shrunk by. Measured (bench train-flash set-up, 8
                # gestures, people 1-4 train, 5-8 test; and the 4-gesture user case): 0.9 quantile of
                # leave-one-out distances, weight by takes: 0.95 recall / 0 unknown accepted; 0.9 quantile
                # of other people's, by takes: 0.996 / 0.125 (v and w taken for circle); max, by people:
                # 0.980 / 0.000.
                spread, count = positive_spread(pos, refs, _excluded(pos, groups, refs), quantile=1.0), people
            else:
                spread, count = positive_spread(pos, refs, _excluded(pos, None, refs)), len(pos)
        else:
            spread, count = shot_spread(refs), len(refs)
        t = class_threshold(refs, spread=spread, count=count, typical=typical, others=others, bank=bank,
                            margin=float(knn.margins[c]))
        knn.thresholds[c] = t.value
        chosen.append(t)
    if chosen:
        knn.default_threshold = int(np.median([t.value for t in chosen]))
    return chosen


def summary(chosen: list[Threshold], labels: list[str]) -> dict[str, Any]:
    limited: dict[str, int] = {}
    for t in chosen:
        limited[t.limited_by] = limited.get(t.limited_by, 0) + 1
    warnings = [w for t, label in zip(chosen, labels, strict=True) if (w := t.warning(label))]
    return {
        "limited_by": limited,
        "bank_accepted": {label: t.bank_accepted for t, label in zip(chosen, labels, strict=True)},
        "warnings": warnings,
    }


def calibrate_open_set(
    knn: KnnRecognizer,
    blob: bytes,
    train_emb: np.ndarray,
    train_labels: np.ndarray,
    train_groups: np.ndarray | None,
    negatives_x: np.ndarray,
    negatives_sources: list[str],
    margins: dict[str, float] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Thresholds for a trained model: its bank (``negatives_x`` embedded by ``blob``), its typical spread
    (3 random training takes of one gesture by one person), the rule with the training takes as positives.
    ``margins``: per label, "*" for the others (default 0.5)."""
    from wandlab.ml.verify import int8_embeddings

    t0 = time.perf_counter()
    try:
        typical = typical_spread(train_emb, train_labels, train_groups, seed=seed)
    except ModelError:  # fewer than 3 takes of every gesture per person: pool the people
        typical = typical_spread(train_emb, train_labels, None, seed=seed)
    knn.bank = NegativesBank(
        int8_embeddings(blob, negatives_x),
        typical,
        counts(negatives_sources),
        "embedded by this model from its base model's negative windows",
    )
    margins = margins or {}
    default = margins.get("*", DEFAULT_MARGIN)
    knn.margins = np.array([check_margin(margins.get(label, default)) for label in knn.labels])
    chosen = apply_rule(knn, train_emb, train_labels, positive_groups=train_groups)
    return {
        "method": "open-set rule (onboard.open_set): spread of the training takes against other people's "
        "references, negatives bank, other classes",
        "positives": int(len(train_emb)),
        "bank": int(len(knn.bank.embeddings)),
        "bank_sources": knn.bank.sources,
        "typical_spread": int(typical),
        "margins": {label: float(m) for label, m in zip(knn.labels, knn.margins, strict=True)},
        "thresholds": [int(t) for t in knn.thresholds],
        "default_threshold": int(knn.default_threshold),
        **summary(chosen, knn.labels),
        "seconds": round(time.perf_counter() - t0, 3),
    }


# ---- the benchmark ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSetConfig:
    shots: int = 3
    unknown_classes: int | None = None  # None: a third of the classes
    episodes: int = 20
    seed: int = 0
    margin: float = DEFAULT_MARGIN
    dtw: bool = True
    bank_veto: bool = True  # False: decide by the thresholds alone (what the bank veto changes)
    max_test: int = 400  # known-class test takes per episode


@dataclass
class Gestures:
    x: np.ndarray  # feature windows of the takes cut as the board cuts them
    labels: np.ndarray
    groups: np.ndarray  # one person or session: enrolment and tests stay inside one
    rate_hz: float


def read_gestures(folder: str | Path, features: FeatureConfig) -> Gestures:
    """Gesture takes trimmed to the motion as the board's segmenter trims a segment (``model_window``);
    takes labelled as no gesture are left out. Groups: sessions where the folder has them, else subjects."""
    from wandlab.dataset.folder import iter_folder
    from wandlab.onboard.trim import auto_trim_imu

    recs = [r for r in iter_folder(Path(folder)) if r.kind == "imu" and not is_negative_label(r.label)]
    if not recs:
        raise ModelError(f"{folder}: no IMU gesture takes")
    narrow = sum(r.data.shape[1] < features.channels for r in recs)
    if narrow:
        raise ModelError(f"{folder}: {narrow} takes have fewer than {features.channels} IMU columns; use --channels 3")
    takes = []
    for r in recs:
        start, end = auto_trim_imu(r.data, r.rate_hz)
        takes.append((r.data[start:end], r.rate_hz))
    by_session = any(r.session for r in recs)
    groups = np.array([(r.session if by_session else r.subject) or "(all)" for r in recs])
    return Gestures(
        batch_features(takes, features),
        np.array([r.label for r in recs]),
        groups,
        float(np.median([r.rate_hz for r in recs])),
    )


def _decide(cd: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = np.argmin(cd, axis=1)
    return best, cd[np.arange(len(cd)), best] <= thresholds[best]


def _class_min(d: np.ndarray, ref_class: np.ndarray, n: int) -> np.ndarray:
    return np.stack([d[:, ref_class == c].min(axis=1) for c in range(n)], axis=1)


def run_open_set(
    gestures: Gestures,
    negatives: Segments,
    negatives_x: np.ndarray,
    bundle: Any,
    cfg: OpenSetConfig,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Enrol all but K classes of one group per episode (``shots`` takes each, thresholds by the rule with
    the model's bank), test the other takes, the held-out classes' takes and the everyday motion's
    segments; DTW 1-NN on the same windows at the same recall. Returns the JSON-able result."""
    from wandlab.ml.baselines import dtw_distances, znorm
    from wandlab.ml.verify import int8_embeddings
    from wandlab.onboard.hybrid_rank import take_codes

    t0 = time.perf_counter()
    check_margin(cfg.margin)
    rng = np.random.default_rng(cfg.seed)
    emb = int8_embeddings(bundle.tflite, gestures.x)
    neg_emb = int8_embeddings(bundle.tflite, negatives_x) if len(negatives_x) else np.zeros((0, emb.shape[1]), np.int8)
    decided = np.asarray(negatives.decidable, bool)
    hours = negatives.seconds / 3600
    base = bundle.recognizer
    if base.bank is None:
        raise ModelError(
            "the model has no negatives bank (recognizer.json open_set); rebuild it with "
            "wandlab train-base --negatives-only"
        )
    eligible = {
        g: [
            c
            for c in np.unique(gestures.labels[gestures.groups == g])
            if ((gestures.groups == g) & (gestures.labels == c)).sum() > cfg.shots
        ]
        for g in np.unique(gestures.groups)
    }
    k_unknown = cfg.unknown_classes
    usable = [g for g, cs in eligible.items() if len(cs) >= 2 + (k_unknown if k_unknown is not None else 1)]
    if not usable:
        raise ModelError(
            f"no session/person has 2 enrollable classes plus held-out ones with more than {cfg.shots} takes each"
        )
    step = 2  # DTW on every second frame (32 of 64), as bench fewshot
    zx = znorm(gestures.x)[:, ::step] if cfg.dtw else None
    zneg = znorm(negatives_x[decided])[:, ::step] if cfg.dtw and decided.any() else None
    # What a board computes per take and segment; None where it cannot code the windows (it then ranks by
    # the embedding alone, and so does this benchmark).
    codes = take_codes(gestures.x)
    neg_codes = take_codes(negatives_x) if codes is not None and len(negatives_x) else None
    rows: dict[str, list[float]] = {k: [] for k in ("recall", "wrong", "unknown", "ft", "ft_all", "bank", "e_recall",
                                                    "e_wrong", "e_unknown", "e_ft", "e_ft_all")}
    dtw_known: list[tuple[float, bool]] = []  # (nearest DTW distance, nearest class right) per test take
    dtw_unknown: list[float] = []
    dtw_neg: list[np.ndarray] = []
    fused = _Fused()  # the same with the fused distance (embedding + DTW)
    limited: dict[str, int] = {}
    per_group: dict[str, int] = {}
    known_tests = unknown_tests = 0
    for ep in range(cfg.episodes):
        g = usable[ep % len(usable)]  # round robin: every person/session as often as the others
        classes = eligible[g]
        k = k_unknown if k_unknown is not None else max(1, int(round(len(classes) / 3)))
        k = min(k, len(classes) - 2)
        unknown = set(rng.choice(classes, k, replace=False).tolist()) if k else set()
        known = [c for c in classes if c not in unknown]
        in_g = gestures.groups == g
        enroll, test = [], []
        for c in known:
            idx = rng.permutation(np.flatnonzero(in_g & (gestures.labels == c)))
            enroll += idx[: cfg.shots].tolist()
            test += idx[cfg.shots :].tolist()
        test_arr = np.asarray(test)
        if len(test_arr) > cfg.max_test:
            test_arr = rng.choice(test_arr, cfg.max_test, replace=False)
        unk = np.flatnonzero(in_g & np.isin(gestures.labels, sorted(unknown)))
        enroll_arr = np.asarray(enroll)
        ref_class = np.repeat(np.arange(len(known)), cfg.shots)
        knn = KnnRecognizer(
            list(known),
            emb[enroll_arr],
            ref_class,
            np.zeros(len(known), np.int64),
            base.k,
            margins=np.full(len(known), cfg.margin),
            bank=base.bank,
            bank_veto=cfg.bank_veto,
        )
        for t in apply_rule(knn):
            limited[t.limited_by] = limited.get(t.limited_by, 0) + 1
        truth = np.array([known.index(v) for v in gestures.labels[test_arr]])
        figures = _embedding_rows(knn, (emb[test_arr], truth), emb[unk], (neg_emb, decided), hours)
        for key, value in figures.items():
            rows["e_" + key].append(value)
        if codes is not None:  # the board's ranking: embedding + DTW
            figures = _hybrid_rows(knn, codes[enroll_arr], (emb[test_arr], codes[test_arr], truth),
                                   (emb[unk], codes[unk]), (neg_emb, neg_codes, decided), hours, fused)
        for key, value in figures.items():
            rows[key].append(value)
        # By the thresholds alone: with the veto every bank entry would turn itself away.
        rows["bank"].append(float(np.mean(_decide(knn.class_distances(base.bank.embeddings), knn.thresholds)[1])))
        if zx is not None:
            refs = zx[enroll_arr]
            d = _class_min(dtw_distances(zx[test_arr], refs), ref_class, len(known))
            dtw_known += list(zip(d.min(axis=1).tolist(), (d.argmin(axis=1) == truth).tolist(), strict=True))
            if len(unk):
                dtw_unknown += dtw_distances(zx[unk], refs).min(axis=1).tolist()
            if zneg is not None:
                dtw_neg.append(dtw_distances(zneg, refs).min(axis=1))
        known_tests += len(test_arr)
        unknown_tests += len(unk)
        per_group[g] = per_group.get(g, 0) + 1
        if progress:
            progress(
                {
                    "episode": ep + 1,
                    "of": cfg.episodes,
                    "group": g,
                    "unknown": sorted(unknown),
                    "recall": rows["recall"][-1],
                    "unknown_accept_rate": rows["unknown"][-1],
                }
            )
    recall = float(np.mean(rows["recall"]))
    result: dict[str, Any] = {"ranking": "embedding + DTW" if codes is not None else "embedding"}
    for prefix in ("", "e_"):
        name = "embedding_" if prefix else ""
        result.update({
            f"{name}recall": float(np.mean(rows[prefix + "recall"])),
            f"{name}wrong_class_rate": float(np.mean(rows[prefix + "wrong"])),
            f"{name}unknown_accept_rate": float(np.mean(rows[prefix + "unknown"])),
            f"{name}false_triggers_per_hour": float(np.mean(rows[prefix + "ft"])) if rows[prefix + "ft"] else None,
            f"{name}false_triggers_per_hour_if_every_segment_decided":
                float(np.mean(rows[prefix + "ft_all"])) if rows[prefix + "ft_all"] else None,
        })
    result["bank_accept_rate"] = float(np.mean(rows["bank"]))
    if cfg.dtw:
        result.update(_at_recall(dtw_known, dtw_unknown, dtw_neg, recall, cfg.episodes, hours))
    if codes is not None:
        result.update(_at_recall(fused.known, fused.unknown, fused.neg, recall, cfg.episodes, hours, "fused_"))
    result.update(
        {
            "episodes": cfg.episodes,
            "shots": cfg.shots,
            "unknown_classes": k_unknown if k_unknown is not None else "a third",
            "margin": cfg.margin,
            "bank_veto": cfg.bank_veto,
            "known_test_takes": known_tests,
            "unknown_test_takes": unknown_tests,
            "groups": per_group,
            "thresholds_limited_by": limited,
            "negatives_hours": round(hours, 3),
            "negatives_segments_per_hour": len(decided) / hours if hours else None,
            "negatives_decided_segments_per_hour": float(decided.sum() / hours) if hours else None,
            "bank_size": int(len(base.bank.embeddings)),
            "typical_spread": int(base.bank.typical_spread),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    )
    return result


@dataclass
class _Fused:
    """Per test take, over the run: the fused distance to the nearest enrolled class (and whether that
    class is right), for ``_at_recall``."""

    known: list[tuple[float, bool]] = field(default_factory=list)
    unknown: list[float] = field(default_factory=list)
    neg: list[np.ndarray] = field(default_factory=list)


def _figures(known: tuple[np.ndarray, np.ndarray, np.ndarray], unknown_accepted: np.ndarray | None,
             negatives: tuple[np.ndarray, np.ndarray] | None, hours: float) -> dict[str, float]:
    """One episode's figures from the decisions, whichever ranking made them: known takes (class, accepted,
    true class), unknown takes' accepted flags, everyday segments' (accepted, which the segmenter decides)."""
    best, ok, truth = known
    out = {"recall": float(np.mean(ok & (best == truth))), "wrong": float(np.mean(ok & (best != truth))),
           "unknown": float(np.mean(unknown_accepted)) if unknown_accepted is not None else 0.0}
    if negatives is not None:
        accepted, decided = negatives
        out["ft"] = float((accepted & decided).sum() / hours) if hours else 0.0
        out["ft_all"] = float(accepted.sum() / hours) if hours else 0.0
    return out


def _embedding_rows(knn: KnnRecognizer, known: tuple[np.ndarray, np.ndarray], unknown: np.ndarray,
                    negatives: tuple[np.ndarray, np.ndarray], hours: float) -> dict[str, float]:
    """One episode's figures with the classes ranked by embedding distance alone (a board's rule for
    classes without shape codes): known (embeddings, true class), unknown embeddings, everyday segments'
    embeddings with which of them the segmenter decides."""
    def decide(emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        best, dist = knn.nearest(emb)
        return best, knn.accepts(emb, best, dist)

    emb, decided = negatives
    return _figures((*decide(known[0]), known[1]), decide(unknown)[1] if len(unknown) else None,
                    (decide(emb)[1], decided) if len(emb) else None, hours)


def _hybrid_rows(knn: KnnRecognizer, ref_codes: np.ndarray, known: tuple[np.ndarray, np.ndarray, np.ndarray],
                 unknown: tuple[np.ndarray, np.ndarray],
                 negatives: tuple[np.ndarray, np.ndarray | None, np.ndarray],
                 hours: float, fused: _Fused) -> dict[str, float]:
    """One episode's figures as a board decides them: the classes ranked by embedding + DTW
    (``onboard.hybrid_rank``), accepted by the embedding thresholds. Known (embeddings, codes, true class),
    unknown (embeddings, codes), everyday segments (embeddings, codes, which the segmenter decides). Adds
    the fused distances to ``fused`` (the fused distance as the rejection score, thresholded per run)."""
    from wandlab.onboard.hybrid_rank import fused_class_distances, verdict

    cd = fused_class_distances(knn, ref_codes, known[0], known[1])  # the DTW costs: once per take
    best, ok = verdict(knn, cd, known[0])
    fused.known += list(zip(cd.min(axis=1).tolist(), (best == known[2]).tolist(), strict=True))
    unknown_accepted = None
    if len(unknown[0]):
        cd = fused_class_distances(knn, ref_codes, *unknown)
        unknown_accepted = verdict(knn, cd, unknown[0])[1]
        fused.unknown += cd.min(axis=1).tolist()
    emb, codes, decided = negatives
    everyday = None
    if codes is not None and len(emb):
        cd = fused_class_distances(knn, ref_codes, emb, codes)
        fused.neg.append(cd[decided].min(axis=1) if decided.any() else np.zeros(0))
        everyday = (verdict(knn, cd, emb)[1], decided)
    return _figures((best, ok, known[2]), unknown_accepted, everyday, hours)


def _at_recall(
    known: list[tuple[float, bool]],
    unknown: list[float],
    neg: list[np.ndarray],
    recall: float,
    episodes: int,
    hours: float,
    prefix: str = "baseline_dtw_",
) -> dict[str, Any]:
    """One distance threshold for the whole run (DTW's, or the fused distance's): the largest whose recall
    (nearest class right and within the threshold) does not exceed the model's; unknown takes and everyday
    segments judged at it."""
    if not known:
        return {}
    d = np.array([v for v, _ in known])
    right = np.array([r for _, r in known])
    order = np.argsort(d)
    hits = np.cumsum(right[order]) / len(d)  # recall if the threshold were d[order[i]]
    reach = int(np.searchsorted(hits, recall, side="right"))  # entries that keep recall <= the model's
    tau = float(d[order[reach - 1]]) if reach else -math.inf
    achieved = float(hits[reach - 1]) if reach else 0.0
    out: dict[str, Any] = {
        f"{prefix}recall": achieved,
        f"{prefix}closed_set_accuracy": float(right.mean()),
        f"{prefix}unknown_accept_rate": float(np.mean(np.array(unknown) <= tau)) if unknown else 0.0,
    }
    if neg and hours:
        out[f"{prefix}false_triggers_per_hour"] = float(np.mean([(v <= tau).sum() / hours for v in neg]))
    elif hours:
        out[f"{prefix}false_triggers_per_hour"] = 0.0  # no segment was decided at all
    return out


__all__ = [
    "MAX_BANK",
    "NEGATIVES_FILE",
    "Gestures",
    "OpenSetConfig",
    "Segments",
    "Stream",
    "apply_rule",
    "calibrate_open_set",
    "choose",
    "counts",
    "gesture_mask",
    "is_negative_label",
    "pack_windows",
    "read_gestures",
    "read_streams",
    "run_open_set",
    "segment_streams",
    "synthetic_negatives",
    "unpack_windows",
]
