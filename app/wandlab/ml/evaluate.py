"""Evaluation report of a gesture model bundle, computed the way the board computes it (numpy only).

Every figure comes from the int8 model's embeddings (LiteRT reference kernels = TFLM, bit-exact; see
``verify``) and the bundle's own ``KnnRecognizer`` (integer squared distances, per-class thresholds,
"none" as an answer) - the float model only appears in the float-vs-int8 comparison, and only when the
caller hands in float embeddings (TensorFlow runs in the training subprocess or the CLI, never here).

``evaluate(bundle, val_x, val_labels, ...)`` returns a plain JSON-serialisable dict (``version`` field):

- ``accuracy``: open-set (takes of unknown labels must be answered "none") and closed-set (nearest class);
- ``confusion``: rows = true label, columns = answer, both ``labels + ["none"]``;
- ``per_class``: precision / recall / F1 / support from the open-set confusion (None where undefined);
- ``idle``: idle / no-motion windows answered with a gesture (false accepts), per minute of idle motion;
- ``float_vs_int8``: the same k-NN protocol on float and int8 embeddings;
- ``kshot``: K-shot enrollment episodes on the validation takes (references = the K shots, as enrolled on
  the board), closed set and open set at the bundle's default (median calibrated) threshold;
- ``embedding_map``: 2-D PCA (numpy SVD) of the int8 embeddings, points with labels;
- ``budget``: size / arena / MACs / latency against the board budget, from the bundle's VerifyReport.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from wandlab.onboard.budgets import LATENCY_BUDGET_MS
from wandlab.onboard.hybrid_rank import board_predict, take_codes
from wandlab.onboard.knn import EMBEDDING_SCALE, KnnRecognizer, quantize_embedding

EVALUATION_VERSION = 1
# Labels that mean "no gesture": their takes are the idle stream for the false-accept figures, and a
# class of that name (cyberry's "nomotion") answering an idle window is not a false accept.
IDLE_LABELS = ("idle", "none", "nomotion", "no_motion", "no-motion", "rest", "still")
SHOTS = (1, 3, 5)
KSHOT_EPISODES = 10
FLOAT_INT8_TARGET_POINTS = 1.0  # DESIGN.md: float-to-int8 accuracy loss <= 1 point
IDLE_TARGET_PER_MIN = 1.0  # bench train-flash: < 1 false trigger per minute of idle motion
MAX_MAP_POINTS = 600
NONE = "none"


def is_idle_label(label: str) -> bool:
    return str(label).strip().lower() in IDLE_LABELS


def idle_windows(takes: Sequence[tuple[np.ndarray, float]], features: Any) -> tuple[np.ndarray, float]:
    """Idle recordings -> (feature windows, minutes of motion). A take up to two windows long is one
    window (one segment = one decision, as a recorded take); longer streams are cut into consecutive
    non-overlapping windows, i.e. one decision per window of motion (an upper bound for the board,
    whose motion segmenter decides at most once per segment)."""
    from wandlab.onboard.imu_features import batch_features

    pieces: list[tuple[np.ndarray, float]] = []
    seconds = 0.0
    win_s = features.window / features.rate_hz
    for data, rate in takes:
        data = np.asarray(data, np.float32)
        seconds += len(data) / float(rate)
        n = int(round(win_s * rate))
        if len(data) <= 2 * n:
            pieces.append((data, rate))
        else:
            pieces += [(data[i : i + n], rate) for i in range(0, len(data) - n + 1, n)]
    if not pieces:
        return np.zeros((0, *features.shape), np.float32), 0.0
    return batch_features(pieces, features), seconds / 60.0


def evaluate(
    bundle: Any,
    val_x: np.ndarray,
    val_labels: Sequence[str] | np.ndarray,
    idle_x: np.ndarray | None = None,
    idle_minutes: float | None = None,
    float_embeddings: np.ndarray | None = None,
    *,
    val_emb: np.ndarray | None = None,
    idle_emb: np.ndarray | None = None,
    float_references: tuple[np.ndarray, Sequence[str] | np.ndarray] | None = None,
    int8_references: tuple[np.ndarray, Sequence[str] | np.ndarray] | None = None,
    idle_source: str | None = None,
    shots: Sequence[int] = SHOTS,
    episodes: int = KSHOT_EPISODES,
    seed: int = 0,
    latency_budget_ms: float = LATENCY_BUDGET_MS,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The evaluation report of ``bundle`` on validation windows (and idle windows), as a plain dict.

    ``val_emb`` / ``idle_emb``: the int8 embeddings when the caller already has them (else computed with
    the bundle's flatbuffer). ``float_embeddings``: the float model's (unit) embeddings of ``val_x``.
    ``float_references`` / ``int8_references``: (embeddings, labels) of the training takes; with both, float
    and int8 are compared as training does (k-medoid references from training takes, closed set),
    otherwise by leave-one-out 1-NN within the validation takes.
    """
    t0 = time.perf_counter()
    knn: KnnRecognizer = bundle.recognizer
    labels = [str(v) for v in knn.labels]
    truth = np.asarray([str(v) for v in val_labels], dtype=object)
    val_x = np.asarray(val_x, np.float32)
    if val_emb is None:
        val_emb = _int8(bundle, val_x)
    val_emb = np.asarray(val_emb, np.int8)
    if idle_x is not None and idle_emb is None:
        idle_emb = _int8(bundle, np.asarray(idle_x, np.float32))
    idle_emb = None if idle_emb is None else np.asarray(idle_emb, np.int8)

    # As the board decides: ranked by embedding + DTW when the recogniser holds its references' shape codes.
    val_codes = take_codes(val_x) if len(val_x) else None
    open_pred = _names(board_predict(knn, val_emb, val_codes, True)) if len(val_emb) else np.zeros(0, object)
    closed_pred = _names(board_predict(knn, val_emb, val_codes, False)) if len(val_emb) else np.zeros(0, object)
    known = np.isin(truth, labels)
    open_truth = truth.copy()
    open_truth[~known] = None

    confusion = confusion_matrix(open_truth, open_pred, labels)
    result: dict[str, Any] = {
        "version": EVALUATION_VERSION,
        "kind": "gesture",
        "labels": labels,
        "model": {
            "model_bytes": len(bundle.tflite),
            "channels": int(bundle.features.channels),
            "embedding_dim": int(knn.references.shape[1]),
            "references": int(len(knn.references)),
            "k": int(knn.k),
            "thresholds": {lab: int(t) for lab, t in zip(labels, knn.thresholds, strict=True)},
            "default_threshold": int(knn.default_threshold),
        },
        "protocol": (
            "int8 model (LiteRT reference kernels, bit-exact with TFLM) + the bundle's integer k-NN "
            "with its per-class thresholds; a take of a label the model does not know counts as 'none'"
        ),
        "notes": list(notes),
        "accuracy": _accuracy(open_truth, open_pred, truth, closed_pred, known),
        "confusion": {"rows": labels + [NONE], "columns": labels + [NONE], "matrix": confusion.tolist()},
    }
    result["per_class"], result["macro"] = per_class_metrics(confusion, labels + [NONE])
    idle_codes = take_codes(np.asarray(idle_x, np.float32)) if idle_x is not None and len(idle_x) else None
    result["idle"] = _idle(knn, labels, idle_emb, idle_codes, idle_minutes, bundle.features, idle_source)
    result["float_vs_int8"] = _float_vs_int8(
        knn, val_emb, truth, known, float_embeddings, float_references, int8_references, seed
    )
    result["kshot"] = kshot_accuracy(val_emb, truth, val_x, knn.default_threshold, shots, episodes, seed, knn.bank)
    result["embedding_map"] = embedding_map(val_emb, truth, open_pred, idle_emb, knn, seed)
    shapes = knn.shapes.shape if knn.shapes is not None else None
    result["budget"] = budget_section(bundle.report, len(bundle.tflite), latency_budget_ms, shapes)
    result["seconds"] = round(time.perf_counter() - t0, 3)
    return result


# ---- pieces ------------------------------------------------------------------------------------------


def _int8(bundle: Any, x: np.ndarray) -> np.ndarray:
    if not len(x):
        return np.zeros((0, int(bundle.recognizer.references.shape[1])), np.int8)
    from wandlab.ml.verify import int8_embeddings  # LiteRT, not TensorFlow

    return int8_embeddings(bundle.tflite, x)


def _names(pred: Sequence[str | None]) -> np.ndarray:
    """Answers as an object array; None = "none of these" (kept apart from a class that is named "none")."""
    out = np.empty(len(pred), dtype=object)
    out[:] = [None if p is None else str(p) for p in pred]
    return out


def _rejected(pred: np.ndarray) -> np.ndarray:
    return np.array([p is None for p in pred], bool)


def _ratio(a: float, b: float) -> float | None:
    return float(a / b) if b else None


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, labels: list[str]) -> np.ndarray:
    """Counts, rows = true, columns = answer, over ``labels + ["none"]``; None (or a label the model does
    not know) is the last row/column."""
    index = {lab: i for i, lab in enumerate(labels)}
    n = len(labels) + 1
    m = np.zeros((n, n), np.int64)
    for t, p in zip(truth, pred, strict=True):
        m[n - 1 if t is None else index.get(t, n - 1), n - 1 if p is None else index.get(p, n - 1)] += 1
    return m


def per_class_metrics(confusion: np.ndarray, names: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Precision / recall / F1 per row of the confusion matrix; None where the denominator is zero.
    The "none" row is listed only when some takes truly were "none" (unknown labels)."""
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        support, predicted, tp = int(confusion[i].sum()), int(confusion[:, i].sum()), int(confusion[i, i])
        if i == len(names) - 1 and support == 0:
            continue
        p, r = _ratio(tp, predicted), _ratio(tp, support)
        f1 = (2 * p * r / (p + r) if p + r else 0.0) if p is not None and r is not None else None
        rows.append(
            {
                "label": name,
                "precision": p,
                "recall": r,
                "f1": f1,
                "support": support,
                "predicted": predicted,
                "correct": tp,
                "is_none": i == len(names) - 1,
            }
        )
    macro = {}
    for key in ("precision", "recall", "f1"):
        vals = [row[key] for row in rows if row[key] is not None and not row["is_none"]]
        macro[key] = float(np.mean(vals)) if vals else None
    return rows, macro


def _accuracy(
    open_truth: np.ndarray, open_pred: np.ndarray, truth: np.ndarray, closed_pred: np.ndarray, known: np.ndarray
) -> dict[str, Any]:
    k = int(known.sum())
    rej = _rejected(open_pred)
    rejected = int(np.sum(known & rej))
    wrong = int(np.sum(known & ~rej & (open_pred != truth)))
    return {
        "takes": int(len(truth)),
        "known_takes": k,
        "unknown_takes": int(len(truth) - k),
        "open_set": _ratio(float(np.sum(open_pred == open_truth)), len(truth)),
        "closed_set": _ratio(float(np.sum(closed_pred[known] == truth[known])), k),
        "rejected": _ratio(rejected, k),  # a known gesture answered "none"
        "wrong_class": _ratio(wrong, k),  # a known gesture answered with another gesture
        "unknown_accepted": _ratio(float(np.sum(~known & ~rej)), len(truth) - k),
    }


def _idle(
    knn: KnnRecognizer,
    labels: list[str],
    idle_emb: np.ndarray | None,
    idle_codes: np.ndarray | None,
    minutes: float | None,
    features: Any,
    source: str | None,
) -> dict[str, Any]:
    ignored = [lab for lab in labels if is_idle_label(lab)]
    out: dict[str, Any] = {
        "windows": 0,
        "minutes": 0.0,
        "false_accepts": 0,
        "false_accepts_per_minute": None,
        "accepted_as": {},
        "answered_none": 0,
        "answered_idle_class": 0,
        "source": source,
        "ignored_classes": ignored,
        "target_per_minute": IDLE_TARGET_PER_MIN,
        "protocol": "each idle window is one decision of the board's k-NN; an answer other than 'none' or a "
        "no-motion class is a false accept",
    }
    if idle_emb is None or not len(idle_emb):
        return out
    pred = _names(board_predict(knn, idle_emb, idle_codes, True))
    if minutes is None or minutes <= 0:
        minutes = len(idle_emb) * features.window / features.rate_hz / 60.0
    rej = _rejected(pred)
    false = np.array([p is not None and p not in ignored for p in pred], bool)
    accepted: dict[str, int] = {}
    for p in pred[false]:
        accepted[str(p)] = accepted.get(str(p), 0) + 1
    out.update(
        {
            "windows": int(len(idle_emb)),
            "minutes": float(minutes),
            "false_accepts": int(false.sum()),
            "false_accepts_per_minute": float(false.sum() / minutes),
            "false_accept_rate": float(false.mean()),
            "accepted_as": dict(sorted(accepted.items())),
            "answered_none": int(rej.sum()),
            "answered_idle_class": int(sum(p in ignored for p in pred)),
        }
    )
    out["within_target"] = out["false_accepts_per_minute"] < IDLE_TARGET_PER_MIN
    return out


def _float_vs_int8(
    knn: KnnRecognizer,
    val_emb: np.ndarray,
    truth: np.ndarray,
    known: np.ndarray,
    float_emb: np.ndarray | None,
    float_refs: Any,
    int8_refs: Any,
    seed: int = 0,
) -> dict[str, Any] | None:
    if float_emb is None or not known.any():
        return None
    f = np.asarray(float_emb, np.float32)[known]
    e8 = val_emb[known]
    t = truth[known].astype(str)
    fq = quantize_embedding(f)
    deq = e8.astype(np.float32) / EMBEDDING_SCALE
    cos = np.sum(f * deq, 1) / np.maximum(np.linalg.norm(f, axis=1) * np.linalg.norm(deq, axis=1), 1e-9)
    out: dict[str, Any] = {
        "takes": int(len(t)),
        "mean_cosine": float(np.mean(cos)),
        "min_cosine": float(np.min(cos)),
        "max_abs_lsb": int(np.max(np.abs(fq.astype(np.int16) - e8.astype(np.int16)))),
        "target_loss_points": FLOAT_INT8_TARGET_POINTS,
    }
    if float_refs is not None and int8_refs is not None:
        fr, fl = float_refs
        ir, il = int8_refs
        n_refs = int(np.bincount(knn.ref_class).max()) if len(knn.ref_class) else 5
        knn_f = KnnRecognizer.fit(quantize_embedding(np.asarray(fr)), np.asarray(fl).astype(str), n_refs, seed=seed)
        knn_8 = KnnRecognizer.fit(np.asarray(ir, np.int8), np.asarray(il).astype(str), n_refs, seed=seed)
        pf, p8 = _names(knn_f.predict(fq, False)), _names(knn_8.predict(e8, False))
        out["protocol"] = f"closed-set k-NN, up to {n_refs} k-medoid references per class from the training takes"
    else:
        pf = _loo_neighbours(fq, t)
        p8 = _loo_neighbours(e8, t)
        out["protocol"] = "leave-one-out 1-NN within the validation takes (integer squared distance)"
    out["float_accuracy"] = float(np.mean(pf == t))
    out["int8_accuracy"] = float(np.mean(p8 == t))
    out["agreement"] = float(np.mean(pf == p8))
    out["loss_points"] = round(100 * (out["float_accuracy"] - out["int8_accuracy"]), 3)
    out["within_target"] = out["loss_points"] <= FLOAT_INT8_TARGET_POINTS
    return out


def _loo_neighbours(emb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    from wandlab.onboard.knn import sq_distances

    if len(emb) < 2:
        return labels.copy()
    d = sq_distances(emb, emb)
    np.fill_diagonal(d, np.iinfo(np.int64).max)
    return labels[np.argmin(d, axis=1)]


def kshot_accuracy(
    emb: np.ndarray,
    labels: np.ndarray,
    x: np.ndarray | None,
    threshold: int,
    shots: Sequence[int] = SHOTS,
    episodes: int = KSHOT_EPISODES,
    seed: int = 0,
    bank: Any = None,
) -> dict[str, Any]:
    """K-shot enrollment on the validation takes: each episode enrolls K random takes per class (classes
    with more than K takes) as the only references - what enrolling on the board does - and classifies
    the rest with the board's k-NN; closed set, and open set with the thresholds enrollment on the board
    sets (``onboard.open_set``'s rule with the model's negatives ``bank``; without one, every class at
    ``threshold``). Raw 1-NN (z-normalised windows) on the same episodes as the baseline."""
    from wandlab.ml.baselines import raw_1nn
    from wandlab.ml.open_set import apply_rule

    labels = np.asarray(labels).astype(str)
    rng = np.random.default_rng(seed + 11)
    results, skipped = [], []
    for k in shots:
        classes = [c for c in np.unique(labels) if (labels == c).sum() > k and not is_idle_label(c)]
        if len(classes) < 2:
            skipped.append({"shots": int(k), "why": f"fewer than 2 classes with more than {k} validation takes"})
            continue
        acc, acc_open, raw = [], [], []
        for _ in range(episodes):
            enroll, test = [], []
            for c in classes:
                idx = rng.permutation(np.flatnonzero(labels == c))
                enroll += idx[:k].tolist()
                test += idx[k:].tolist()
            e, t = np.asarray(enroll), np.asarray(test)
            knn = KnnRecognizer.fit(emb[e], labels[e], max_refs_per_class=k)
            knn.thresholds[:] = threshold
            if bank is not None:
                knn.bank, knn.default_threshold = bank, threshold
                apply_rule(knn)
            acc.append(float(np.mean(_names(knn.predict(emb[t], False)) == labels[t])))
            acc_open.append(float(np.mean(_names(knn.predict(emb[t], True)) == labels[t])))
            if x is not None:
                raw.append(float(np.mean(raw_1nn(x[e], labels[e], x[t]) == labels[t])))
        results.append(
            {
                "shots": int(k),
                "ways": len(classes),
                "episodes": episodes,
                "accuracy": float(np.mean(acc)),
                "accuracy_std": float(np.std(acc)),
                "open_set_accuracy": float(np.mean(acc_open)),
                "baseline_raw_1nn": float(np.mean(raw)) if raw else None,
            }
        )
    return {
        "protocol": "episodes on the validation takes: K random takes per class enrolled as the only k-NN "
        "references (no training), the other takes classified; open set with "
        + ("the thresholds enrollment on the board sets (open-set rule with the model's negatives bank)"
           if bank is not None else "the model's default threshold for every enrolled class"),
        "threshold": int(threshold),
        "results": results,
        "skipped": skipped,
    }


def embedding_map(
    val_emb: np.ndarray,
    truth: np.ndarray,
    pred: np.ndarray,
    idle_emb: np.ndarray | None,
    knn: KnnRecognizer,
    seed: int = 0,
    max_points: int = MAX_MAP_POINTS,
) -> dict[str, Any]:
    """2-D PCA of the int8 embeddings (validation takes, idle windows, k-NN references) via numpy SVD.
    Axes are fitted on the validation takes + references; coordinates in units of the embedding (value/128)."""
    rng = np.random.default_rng(seed + 7)
    idle_emb = np.zeros((0, val_emb.shape[1]), np.int8) if idle_emb is None else idle_emb
    vi = np.arange(len(val_emb))
    ii = np.arange(len(idle_emb))
    budget = max_points - len(knn.references)
    if len(vi) + len(ii) > budget > 0:  # keep the share of validation vs idle points
        nv = min(len(vi), max(1, int(round(budget * len(vi) / (len(vi) + len(ii))))))
        vi = np.sort(rng.choice(vi, nv, replace=False))
        ii = np.sort(rng.choice(ii, min(len(ii), budget - nv), replace=False))
    fit = np.concatenate([val_emb[vi], idle_emb[ii]]).astype(np.float64) / EMBEDDING_SCALE
    refs = knn.references.astype(np.float64) / EMBEDDING_SCALE
    base = np.concatenate([fit[: len(vi)], refs])  # the gestures span the axes; idle is projected onto them
    out: dict[str, Any] = {
        "method": "PCA (numpy SVD) of the int8 embeddings / 128, axes fitted on validation takes + references",
        "explained_variance": [],
        "points": [],
        "labels": [],
        "predicted": [],
        "kinds": [],
    }
    if len(base) < 2:
        return out
    mean = base.mean(0)
    _, s, vt = np.linalg.svd(base - mean, full_matrices=False)
    var = s**2
    axes = vt[:2] if len(vt) >= 2 else np.vstack([vt, np.zeros_like(vt)])
    out["explained_variance"] = [float(v) for v in (var[:2] / var.sum() if var.sum() else np.zeros(2))]
    pts = np.concatenate([fit, refs]) - mean
    xy = pts @ axes.T
    ref_labels = [knn.labels[c] for c in knn.ref_class]
    out["points"] = [[round(float(a), 4), round(float(b), 4)] for a, b in xy]
    out["labels"] = [str(v) for v in truth[vi]] + ["idle"] * len(ii) + ref_labels
    out["predicted"] = [None if v is None else str(v) for v in pred[vi]] + [None] * len(ii) + ref_labels
    out["kinds"] = ["validation"] * len(vi) + ["idle"] * len(ii) + ["reference"] * len(refs)
    return out


def budget_section(
    report: dict[str, Any] | None, model_bytes: int, latency_budget_ms: float = LATENCY_BUDGET_MS,
    shapes: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """Size / arena / MACs / latency against the budget, from a VerifyReport dict (None: size only).
    ``shapes``: (references, frames, channels) of the recogniser's shape codes, whose ranking by embedding
    + DTW a board adds to the model's latency."""
    from wandlab.onboard.budgets import GESTURE_BUDGET, ranking_ms

    report = report or {}
    budget: dict[str, Any] = report.get("budget") or GESTURE_BUDGET.to_dict()
    items: list[dict[str, Any]] = [
        {
            "name": "model (flash)",
            "value": int(report.get("model_bytes", model_bytes)),
            "budget": int(budget["model_flash_bytes"]),
            "unit": "bytes",
        }
    ]
    if "arena_bytes" in report:
        items.append(
            {
                "name": "tensor arena (RAM)",
                "value": int(report["arena_bytes"]),
                "budget": int(budget["arena_bytes"]),
                "unit": "bytes",
            }
        )
    for target, ms in (report.get("latency_ms") or {}).items():
        ms = float(ms) + ranking_ms(target, shapes)
        items.append(
            {
                "name": f"latency {target}",
                "value": float(ms),
                "budget": float(latency_budget_ms),
                "unit": "ms",
                "estimate": True,
            }
        )
    for item in items:
        item["fraction"] = float(item["value"] / item["budget"]) if item["budget"] else None
        item["within"] = bool(item["value"] <= item["budget"])
    return {
        "budget_name": budget.get("name"),
        "items": items,
        "macs": report.get("macs"),
        "ops": report.get("ops"),
        "bit_exact": report.get("bit_exact"),
        "fits": bool(report.get("fits", all(i["within"] for i in items[:2]))),
        "latency_is_estimate": True,
        "verified": bool(report),
    }
