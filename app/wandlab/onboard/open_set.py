"""Open-set thresholds: when is a motion one of the enrolled gestures, and when is it "none of these"?

One rule, used wherever a class gets its threshold: enrollment on the board (a few shots), training
(``ml.train.calibrate_thresholds``: many takes) and ``wandlab bench open-set``. For class c with
references R_c (int8 embeddings; all distances are the board's squared int8 distances):

1. **spread** - how far a new take of c may land from R_c. The caller measures it on its positives
   (enrollment: the largest leave-one-out nearest-sibling distance among the shots; training: the
   largest distance of a training take to the references of *other* people, i.e. how far a new person
   lands, count = people). Three shots under-sample a person, so the measured spread is shrunk towards the
   model's typical 3-shot spread ``typical`` (a property of the embedding, stored with the bank):
   ``s = spread^w * typical^(1-w)``, ``w = count / (count + 3)`` (1 shot: ``typical``; 3 shots: the
   geometric mean; many training takes: mostly their own spread). Bound:
   ``SPREAD_FACTOR * margin_factor(m) * s``.
2. **negatives** - the bank (``NegativesBank``: a few hundred int8 embeddings of everyday motion cut by
   the board's own segmenter, a wand at rest and random strokes). Bound: just below the distance of the
   (k+1)-th nearest bank entry to R_c, ``k = floor(bank_share(m) * len(bank))``, so that at most
   ``bank_share(m)`` of the bank (1 % at the default margin) lies within the class's threshold.
3. **other classes** - never beyond the nearest reference of another enrolled class: farther than that,
   an input is more likely something else than a sloppy take of c.

threshold = min(1, 2, 3). ``margin`` m in [0, 1] (0 strict, 1 lenient, default 0.5) is per class and
stored with it: it scales the spread bound (x0.5 .. x2) and the bank share (0.25 % .. 4 %).

Why (issue 12): before, enrollment took 2x the shots' spread and training maximised accepted augmented
takes minus accepted random strokes; nothing measured how near everyday motion or unknown gestures land,
and after Train & Flash untrained gestures were accepted at ~40x the typical same-class distance. A
spread alone is also the noisiest estimate (three shots); the bank and the neighbour bound it. Constants
chosen on cyberry_wand, magic_wand_tf, nanguoyu_wand and virtual-wand episodes (docs/ml.md, "Open set").
numpy only: the firmware computes the same with a sort of the bank's distances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard.knn import sq_distances

DEFAULT_MARGIN = 0.5
BANK_SHARE = 0.01  # at the default margin, at most this share of the bank lies within a class's threshold
SPREAD_FACTOR = 2.0  # x the (shrunk) spread at the default margin
SHRINK_COUNT = 3  # positives worth as much as the model's prior: 3 shots -> geometric mean
MAX_BANK = 256  # 256 x 32 int8 = 8 KB: fits a board's flash beside the model
BANK_VERSION = 1


def check_margin(margin: float) -> float:
    m = float(margin)
    if not (0.0 <= m <= 1.0) or math.isnan(m):
        raise ModelError(f"margin {margin} is outside 0 (strict) .. 1 (lenient)")
    return m


def margin_factor(margin: float) -> float:
    """Multiplier of the spread bound: 0.5 (margin 0) .. 1 (0.5) .. 2 (1)."""
    return float(2.0 ** (2.0 * check_margin(margin) - 1.0))


def bank_share(margin: float) -> float:
    """Share of the bank a class may accept: 0.25 % (margin 0) .. 1 % (0.5) .. 4 % (1)."""
    return float(BANK_SHARE * 4.0 ** (2.0 * check_margin(margin) - 1.0))


@dataclass
class NegativesBank:
    """What is *not* a gesture, as the model embeds it, plus the model's typical 3-shot spread."""

    embeddings: np.ndarray  # (m, dim) int8
    typical_spread: int  # median largest leave-one-out distance among 3 shots of one gesture
    sources: dict[str, int] = field(default_factory=dict)  # where the entries came from -> count
    note: str = ""
    # Recordings the entries were cut from, per data set: "subject/session" patterns (fnmatch), so that a
    # benchmark on the same data set can leave them out.
    used: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.embeddings = np.asarray(self.embeddings, np.int8)
        if self.embeddings.ndim != 2 or not len(self.embeddings):
            raise ModelError("a negatives bank needs a (count, dim) int8 array with count >= 1")
        if self.typical_spread <= 0:
            raise ModelError("a negatives bank needs a positive typical spread")

    @property
    def nbytes(self) -> int:
        return int(self.embeddings.size)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": BANK_VERSION,
            "count": int(len(self.embeddings)),
            "dim": int(self.embeddings.shape[1]),
            # hex: 2 characters per int8 value, a third of a JSON list of numbers
            "embeddings": self.embeddings.tobytes().hex(),
            "typical_spread": int(self.typical_spread),
            "sources": {str(k): int(v) for k, v in self.sources.items()},
            "note": self.note,
            "used": {str(k): [str(p) for p in v] for k, v in self.used.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NegativesBank:
        try:
            if int(d["version"]) != BANK_VERSION:
                raise ModelError(f"negatives bank version {d['version']} is not supported")
            count, dim = int(d["count"]), int(d["dim"])
            raw = bytes.fromhex(str(d["embeddings"]))
            if not (1 <= count <= 4 * MAX_BANK and 1 <= dim <= 255) or len(raw) != count * dim:
                raise ModelError(f"negatives bank holds {len(raw)} bytes, not {count} x {dim}")
            emb = np.frombuffer(raw, np.int8).reshape(count, dim).copy()
            used = {str(k): [str(p) for p in v] for k, v in dict(d.get("used") or {}).items()}
            return cls(emb, int(d["typical_spread"]), dict(d.get("sources") or {}), str(d.get("note", "")), used)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"invalid negatives bank: {exc}") from None


def shot_spread(shots: np.ndarray) -> int | None:
    """Largest distance from a shot to its nearest sibling (None for a single shot)."""
    shots = np.asarray(shots, np.int8)
    if len(shots) < 2:
        return None
    d = sq_distances(shots, shots).astype(np.float64)
    np.fill_diagonal(d, np.inf)
    return int(d.min(axis=1).max())


def positive_spread(positives: np.ndarray, refs: np.ndarray, exclude: np.ndarray | None = None,
                    quantile: float = 0.9) -> int | None:
    """Spread measured on many positives (training takes) against the class's references: the
    ``quantile`` of each positive's distance to its nearest reference it may be compared with
    (``exclude[i, j]``: reference j is positive i itself, or was taken by the same person)."""
    positives, refs = np.asarray(positives, np.int8), np.asarray(refs, np.int8)
    if not len(positives) or not len(refs):
        return None
    d = sq_distances(positives, refs).astype(np.float64)
    if exclude is not None:
        d[np.asarray(exclude, bool)] = np.inf
    nearest = d.min(axis=1)
    nearest = nearest[np.isfinite(nearest)]
    return int(np.quantile(nearest, quantile)) if len(nearest) else None


def typical_spread(
    emb: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None = None,
    shots: int = 3,
    draws: int = 400,
    seed: int = 0,
) -> int:
    """Median ``shot_spread`` of ``shots`` random takes of one gesture by one person/session (a model's
    prior for the spread of a newly enrolled class)."""
    emb, labels = np.asarray(emb, np.int8), np.asarray(labels)
    groups = np.zeros(len(labels), int) if groups is None else np.asarray(groups)
    keys = [
        (g, c)
        for g in np.unique(groups)
        for c in np.unique(labels[groups == g])
        if ((groups == g) & (labels == c)).sum() >= shots
    ]
    if not keys or shots < 2:
        raise ModelError(f"a typical spread needs a gesture with at least {max(shots, 2)} takes")
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        g, c = keys[int(rng.integers(len(keys)))]
        idx = rng.choice(np.flatnonzero((groups == g) & (labels == c)), shots, replace=False)
        values.append(shot_spread(emb[idx]))
    return max(1, int(np.median(np.asarray(values, np.float64))))


@dataclass(frozen=True)
class Threshold:
    value: int
    limited_by: str  # "spread", "negatives" or "other class": the bound that set it
    spread_bound: int
    negatives_bound: int | None  # None without a bank
    other_bound: int | None  # None when no other class is enrolled
    bank_accepted: int  # bank entries within the threshold (at most bank_share(margin) of the bank)
    bank_size: int
    margin: float

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def warning(self, label: str) -> str:
        """A sentence for the user when the class cannot be told from everyday motion or another class."""
        if (
            self.limited_by == "negatives"
            and self.negatives_bound is not None
            and self.negatives_bound < (self.spread_bound / (SPREAD_FACTOR * margin_factor(self.margin)))
        ):
            return (
                f"'{label}' looks like everyday motion: expect misses; choose a more distinctive gesture "
                "or raise its margin"
            )
        if (
            self.limited_by == "other class"
            and self.other_bound is not None
            and self.other_bound < (self.spread_bound / (SPREAD_FACTOR * margin_factor(self.margin)))
        ):
            return f"'{label}' lies close to another gesture: some of its takes will be answered 'none'"
        return ""


def class_threshold(
    refs: np.ndarray,
    *,
    spread: int | None,
    count: int,
    typical: int,
    others: np.ndarray | None = None,
    bank: np.ndarray | None = None,
    margin: float = DEFAULT_MARGIN,
) -> Threshold:
    """The rule of this module's docstring for one class. ``spread``/``count``: measured spread and how
    many positives it rests on (None/1 for a single shot: the model's ``typical`` spread is used)."""
    refs = np.asarray(refs, np.int8)
    m = check_margin(margin)
    if spread is None or count < 2:
        s = float(typical)
    else:
        w = count / (count + SHRINK_COUNT)
        s = math.exp(w * math.log(max(1, spread)) + (1 - w) * math.log(max(1, typical)))
    spread_bound = max(1, int(round(SPREAD_FACTOR * margin_factor(m) * s)))
    bounds = {"spread": spread_bound}
    negatives_bound = other_bound = None
    if bank is not None and len(bank):
        d = np.sort(sq_distances(np.asarray(bank, np.int8), refs).min(axis=1))
        k = int(math.floor(bank_share(m) * len(d)))
        negatives_bound = int(d[k]) - 1 if k < len(d) else int(d[-1])
        bounds["negatives"] = negatives_bound
    if others is not None and len(others):
        other_bound = int(sq_distances(refs, np.asarray(others, np.int8)).min())
        bounds["other class"] = other_bound
    limited_by = min(bounds, key=lambda name: bounds[name])  # ties: spread, then negatives
    value = max(1, bounds[limited_by])
    accepted = 0
    if bank is not None and len(bank):
        accepted = int((sq_distances(np.asarray(bank, np.int8), refs).min(axis=1) <= value).sum())
    return Threshold(
        value, limited_by, spread_bound, negatives_bound, other_bound, accepted, 0 if bank is None else len(bank), m
    )
