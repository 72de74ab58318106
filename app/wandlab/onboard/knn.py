"""Open-set k-NN over int8 embeddings, computed exactly as the firmware computes it (numpy only).

The model's int8 output is an L2-normalised vector with scale 1/128, zero point 0 (fixed by TFLite's
L2_NORMALIZATION), so entries are in [-128, 127] and the squared norm is ~16384. The board computes,
for a query q and each stored reference r, all in integers:

    D(q, r) = sum_i (q_i - r_i)^2          int32; at most 32 * 255^2 = 2,080,800 for 32-D

then per class c the mean of its ``k`` smallest D (integer division, k <= references of c), picks the
class with the smallest value, and answers that class only if the value <= thresholds[c] and no entry of
the negatives bank lies nearly as near (``bank_vetoes``); otherwise "none". Squared L2 on near-unit
vectors ranks like cosine, needs no division and does not assume the int8 vectors are exactly unit
length. Ties break towards the lower class index (firmware: strict <).

The bank veto: a query whose nearest negatives-bank entry (everyday motion, idle, random strokes) lies
within ``bank_veto_factor(margin)`` times its distance to the chosen class (1 at the default margin 0.5:
a bank entry nearer than the class; 1.5 at the strict end, 0.5 at the lenient end: the class's margin
loosens its veto with its threshold) looks more like no gesture than like that class, whatever the
threshold says. Measured with fold models on held-out sets (docs/ml.md "The bank at decision time").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from wandlab.errors import ModelError

if TYPE_CHECKING:
    from wandlab.onboard.open_set import NegativesBank

KNN_VERSION = 1
EMBEDDING_SCALE = 128  # int8 L2_NORMALIZATION output: value / 128
# For an enrolled class with no held-out data: squared distance between unit vectors at ~60 degrees
# apart is 1.0 * 128^2. Calibrated models replace it with the median calibrated threshold.
UNCALIBRATED_THRESHOLD = 16384


def quantize_embedding(e: np.ndarray) -> np.ndarray:
    """Float unit vectors -> int8 as L2_NORMALIZATION emits them (used for float-model comparisons)."""
    return np.clip(np.round(np.asarray(e) * EMBEDDING_SCALE), -128, 127).astype(np.int8)


def sq_distances(q: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """(n, d) int8, (m, d) int8 -> (n, m) int64 squared L2, exact integers."""
    a, b = np.asarray(q, np.int64), np.asarray(refs, np.int64)
    return (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T


def per_class(d: np.ndarray, ref_class: np.ndarray, classes: int, k: int = 1) -> np.ndarray:
    """(n, m) per-reference distances -> (n, classes) int64: each class's floor mean of its k smallest
    (int64 max for a class without references)."""
    out = np.full((len(d), classes), np.iinfo(np.int64).max, np.int64)
    for c in range(classes):
        cols = d[:, ref_class == c]
        if cols.shape[1]:
            kk = min(k, cols.shape[1])
            out[:, c] = np.sort(cols, axis=1)[:, :kk].sum(1) // kk
    return out


def bank_veto_factor(margin: np.ndarray | float) -> np.ndarray:
    """1.5 - margin: how near, relative to the class, the nearest bank entry may lie before it vetoes."""
    return 1.5 - np.asarray(margin, np.float64)


def bank_vetoes(bank_dist: np.ndarray, class_dist: np.ndarray, margin: np.ndarray | float) -> np.ndarray:
    """Where the nearest bank entry lies within ``bank_veto_factor(margin)`` x the class distance. In
    float64, as the firmware: both distances are exact there and one product and one subtraction round
    the same way in any IEEE double arithmetic. ``bank_dist`` int64 max: no bank, no veto."""
    b = np.asarray(bank_dist, np.int64)
    never = b == np.iinfo(np.int64).max
    return ~never & (b.astype(np.float64) <= np.asarray(class_dist, np.int64).astype(np.float64)
                     * bank_veto_factor(margin))


def k_medoids(emb: np.ndarray, k: int, rng: np.random.Generator, iters: int = 20) -> np.ndarray:
    """Indices of ``k`` medoids (alternating assignment/update on squared int8 distances)."""
    if len(emb) <= k:
        return np.arange(len(emb))
    d = sq_distances(emb, emb)
    med = np.sort(rng.choice(len(emb), size=k, replace=False))
    for _ in range(iters):
        assign = np.argmin(d[:, med], axis=1)
        new = med.copy()
        for j in range(k):
            members = np.flatnonzero(assign == j)
            if len(members):
                new[j] = members[np.argmin(d[np.ix_(members, members)].sum(1))]
        if np.array_equal(np.sort(new), np.sort(med)):
            break
        med = new
    return np.sort(med)


@dataclass
class KnnRecognizer:
    labels: list[str]
    references: np.ndarray  # (m, d) int8
    ref_class: np.ndarray  # (m,) int index into labels
    thresholds: np.ndarray  # (n_classes,) int64
    k: int = 1
    default_threshold: int = UNCALIBRATED_THRESHOLD
    calibration: dict[str, float] = field(default_factory=dict)
    # Open set (``open_set``): each class's margin (0 strict .. 1 lenient; None = all at the default) and
    # the negatives bank its thresholds were computed with. Both travel in the board image (REFS), so a
    # board enrolling a class applies the same rule as the host.
    margins: np.ndarray | None = None  # (n_classes,) float
    bank: NegativesBank | None = None
    # Each reference's take as int8 shape codes (m, frames, channels; ``hybrid_rank.shape_codes``), so a
    # board can rank by embedding + DTW. None when any reference lacks them: then it ranks by embedding.
    shapes: np.ndarray | None = None
    # Whether the bank vetoes decisions (``accepts``); off only to measure what the veto changes
    # (``bench open-set --no-bank-veto``). Not stored: every board vetoes.
    bank_veto: bool = True

    def __post_init__(self) -> None:
        from wandlab.onboard.open_set import DEFAULT_MARGIN

        if self.margins is None or len(self.margins) != len(self.labels):
            self.margins = np.full(len(self.labels), DEFAULT_MARGIN, np.float64)
        self.margins = np.asarray(self.margins, np.float64)
        if self.shapes is not None:
            self.shapes = np.asarray(self.shapes, np.int8)
            if self.shapes.ndim != 3 or len(self.shapes) != len(self.references):
                raise ModelError(f"{len(self.shapes)} shape codes for {len(self.references)} references")

    # ---- building ------------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        emb: np.ndarray,
        labels: list[str] | np.ndarray,
        max_refs_per_class: int = 5,
        k: int = 1,
        seed: int = 0,
        shapes: np.ndarray | None = None,
    ) -> KnnRecognizer:
        """References per class = k-medoids of that class's int8 embeddings (all if fewer); ``shapes``
        (one per embedding) keeps the chosen takes' shape codes with them."""
        emb, labels = np.asarray(emb, np.int8), np.asarray(labels)
        names = sorted({str(v) for v in labels})
        rng = np.random.default_rng(seed)
        chosen, ref_class = [], []
        for c, name in enumerate(names):
            rows = np.flatnonzero(labels == name)
            chosen.append(rows[k_medoids(emb[rows], max_refs_per_class, rng)])
            ref_class += [c] * len(chosen[-1])
        picked = np.concatenate(chosen)
        return cls(
            names,
            emb[picked],
            np.asarray(ref_class, np.int64),
            np.full(len(names), UNCALIBRATED_THRESHOLD, np.int64),
            k,
            shapes=None if shapes is None else np.asarray(shapes, np.int8)[picked],
        )

    def enroll(self, label: str, shots: np.ndarray, shapes: np.ndarray | None = None) -> None:
        """Add a class (or more references to one) from a few int8 embeddings: no training. Without the
        takes' ``shapes`` the recogniser drops every class's (it ranks by embedding alone)."""
        shots = np.asarray(shots, np.int8).reshape(-1, self.references.shape[1])
        if label not in self.labels:
            self.labels.append(label)
            self.thresholds = np.append(self.thresholds, self.default_threshold)
        c = self.labels.index(label)
        if self.shapes is not None and shapes is not None and np.shape(shapes)[1:] == self.shapes.shape[1:]:
            self.shapes = np.concatenate([self.shapes, np.asarray(shapes, np.int8)])
        else:
            self.shapes = None
        self.references = np.concatenate([self.references, shots])
        self.ref_class = np.concatenate([self.ref_class, np.full(len(shots), c, np.int64)])
        assert self.margins is not None
        if len(self.margins) < len(self.labels):
            from wandlab.onboard.open_set import DEFAULT_MARGIN

            self.margins = np.append(self.margins, DEFAULT_MARGIN)

    @property
    def typical_spread(self) -> int:
        """The model's typical 3-shot spread (the bank's); without a bank, what the default threshold implies."""
        from wandlab.onboard.open_set import SPREAD_FACTOR

        if self.bank is not None:
            return self.bank.typical_spread
        return max(1, int(self.default_threshold / SPREAD_FACTOR))

    def calibrate(self, emb: np.ndarray, labels: list[str] | np.ndarray, none_emb: np.ndarray | None = None) -> None:
        """Per-class thresholds from held-out data: for each class, the threshold that maximises
        (accepted true hits) - (accepted false hits) among held-out inputs whose nearest class it is.
        ``none_emb`` (idle / unknown motion) only ever counts as false hits."""
        emb, labels = np.asarray(emb, np.int8), np.asarray(labels)
        if none_emb is not None and len(none_emb):
            emb = np.concatenate([emb, np.asarray(none_emb, np.int8)])
            labels = np.concatenate([labels, np.full(len(none_emb), "\x00none")])
        best, dist = self.nearest(emb)
        truth = np.array([self.labels.index(v) if v in self.labels else -1 for v in labels])
        chosen = []
        for c in range(len(self.labels)):
            mine = best == c
            if not mine.any():
                continue
            d, ok = dist[mine], truth[mine] == c
            cand = np.unique(np.concatenate([d, [0]]))
            score = [(ok & (d <= t)).sum() - (~ok & (d <= t)).sum() for t in cand]
            self.thresholds[c] = int(cand[int(np.argmax(score))])
            chosen.append(self.thresholds[c])
        if chosen:
            self.default_threshold = int(np.median(chosen))
            self.calibration = {"inputs": float(len(emb)), "median_threshold": float(self.default_threshold)}

    # ---- inference (the firmware's arithmetic) --------------------------------------------------

    def class_distances(self, q: np.ndarray) -> np.ndarray:
        """(n, d) int8 -> (n, n_classes) int64: mean of the k smallest D per class (floor division)."""
        d = sq_distances(np.asarray(q, np.int8).reshape(-1, self.references.shape[1]), self.references)
        return per_class(d, self.ref_class, len(self.labels), self.k)

    def nearest(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cd = self.class_distances(q)
        best = np.argmin(cd, axis=1)  # first minimum: lower index wins ties
        return best, cd[np.arange(len(cd)), best]

    def bank_distances(self, q: np.ndarray) -> np.ndarray:
        """(n, d) int8 -> (n,) int64: each query's distance to its nearest negatives-bank entry (int64 max
        without a bank, or with ``bank_veto`` off)."""
        q = np.asarray(q, np.int8).reshape(-1, self.references.shape[1])
        if self.bank is None or not self.bank_veto:
            return np.full(len(q), np.iinfo(np.int64).max, np.int64)
        return sq_distances(q, self.bank.embeddings).min(axis=1)

    def accepts(self, q: np.ndarray, best: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """Whether each query is answered with its chosen class ``best`` (its embedding class distance
        ``dist``): within the class's threshold and not vetoed by the bank (``bank_vetoes``)."""
        best, dist = np.asarray(best), np.asarray(dist, np.int64)
        ok = dist <= np.asarray(self.thresholds, np.int64)[best]
        if ok.any():  # the bank only for takes within their threshold, as the firmware does
            q = np.asarray(q, np.int8).reshape(-1, self.references.shape[1])
            margins = np.asarray(self.margins, np.float64)[best[ok]]
            ok[ok] = ~bank_vetoes(self.bank_distances(q[ok]), dist[ok], margins)
        return ok

    def predict(self, q: np.ndarray, open_set: bool = True) -> list[str | None]:
        """Class names, or None ("none of these") where the nearest class is not accepted (``accepts``)."""
        best, dist = self.nearest(q)
        ok = self.accepts(q, best, dist) if open_set else np.ones(len(best), bool)
        return [self.labels[b] if ok[i] else None for i, b in enumerate(best)]

    # ---- storage --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        from wandlab.onboard.open_set import DEFAULT_MARGIN

        d: dict[str, object] = {
            "version": KNN_VERSION,
            "metric": "sq_l2_int8",
            "dim": int(self.references.shape[1]),
            "k": self.k,
            "labels": list(self.labels),
            "references": self.references.astype(int).tolist(),
            "ref_class": self.ref_class.tolist(),
            "thresholds": [int(t) for t in self.thresholds],
            "default_threshold": int(self.default_threshold),
            "calibration": self.calibration,
        }
        margins = [float(m) for m in (self.margins if self.margins is not None else [])]
        # Optional, so images and bundles made before the open-set rule read and write unchanged.
        if self.bank is not None or any(m != DEFAULT_MARGIN for m in margins):
            d["open_set"] = {"margins": margins, "bank": self.bank.to_dict() if self.bank is not None else None}
        if self.shapes is not None:  # optional too: older readers rank by embedding and ignore it
            d["shapes"] = {"frames": int(self.shapes.shape[1]), "channels": int(self.shapes.shape[2]),
                           "hex": self.shapes.astype(np.int8).tobytes().hex()}
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KnnRecognizer:
        try:
            if d["version"] != KNN_VERSION or d["metric"] != "sq_l2_int8":
                raise ModelError(f"unsupported recogniser version/metric {d['version']}/{d['metric']}")
            refs = np.asarray(d["references"], np.int64)
            if refs.size == 0:  # no classes enrolled yet: keep the embedding width
                refs = refs.reshape(0, int(d.get("dim", 32)))
            labels = [str(v) for v in d["labels"]]
            ref_class = np.asarray(d["ref_class"], np.int64)
            thresholds = np.asarray(d["thresholds"], np.int64)
            if refs.ndim != 2 or refs.min(initial=0) < -128 or refs.max(initial=0) > 127:
                raise ModelError("references must be a 2-D list of int8 values")
            if (
                len(ref_class) != len(refs)
                or len(thresholds) != len(labels)
                or (len(ref_class) and (ref_class.min() < 0 or ref_class.max() >= len(labels)))
            ):
                raise ModelError("references, classes and thresholds do not match")
            margins, bank = _open_set_from(d.get("open_set"), len(labels), refs.shape[1])
            shapes = _shapes_from(d.get("shapes"), len(refs))
            return cls(
                labels,
                refs.astype(np.int8),
                ref_class,
                thresholds,
                int(d["k"]),
                int(d["default_threshold"]),
                dict(d.get("calibration") or {}),
                margins,
                bank,
                shapes,
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"invalid recogniser JSON: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> KnnRecognizer:
        return cls.from_dict(json.loads(text))


MAX_SHAPE_FRAMES = 32  # a board's DTW rows (firmware shape_dtw.h kMaxFrames)
MAX_SHAPE_CHANNELS = 6


def _shapes_from(raw: Any, refs: int) -> np.ndarray | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ModelError("recogniser shapes must be an object")
    frames, channels, text = raw.get("frames"), raw.get("channels"), raw.get("hex")
    if type(frames) is not int or not 1 <= frames <= MAX_SHAPE_FRAMES:
        raise ModelError(f"recogniser shapes need 1-{MAX_SHAPE_FRAMES} frames")
    if type(channels) is not int or not 1 <= channels <= MAX_SHAPE_CHANNELS:
        raise ModelError(f"recogniser shapes need 1-{MAX_SHAPE_CHANNELS} channels")
    if not isinstance(text, str) or len(text) != 2 * refs * frames * channels:
        raise ModelError(f"recogniser shapes must hold {refs} x {frames} x {channels} bytes in hex")
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise ModelError("recogniser shapes are not hex") from None
    return np.frombuffer(data, np.int8).reshape(refs, frames, channels).copy()


def _open_set_from(raw: Any, n_classes: int, dim: int) -> tuple[np.ndarray | None, NegativesBank | None]:
    from wandlab.onboard.open_set import NegativesBank, check_margin

    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise ModelError("recogniser open_set must be an object")
    margins = np.asarray([check_margin(m) for m in raw.get("margins") or []], np.float64)
    if len(margins) != n_classes:
        raise ModelError(f"recogniser has {n_classes} classes but {len(margins)} margins")
    bank = NegativesBank.from_dict(raw["bank"]) if raw.get("bank") is not None else None
    if bank is not None and bank.embeddings.shape[1] != dim and n_classes:
        raise ModelError(f"negatives bank is {bank.embeddings.shape[1]}-D, the references {dim}-D")
    return margins, bank
