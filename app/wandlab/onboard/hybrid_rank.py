"""Embedding + DTW ranking: the embedding rejects, embedding and DTW together rank (numpy only).

Why: on gesture sets the base model never saw (``wandlab bench lodo``), the embedding's 1-NN and DTW 1-NN
on the raw window err on different takes; adding their distances beats both on every held-out set
(docs/ml.md "Embedding + DTW ranking"). Rejection stays the embedding's: the class this ranking picks
is accepted only if its embedding distance is within its open-set threshold, so the calibrated
thresholds, the negatives bank and ``bench open-set``'s rule keep their meaning.

The arithmetic is integer, as a board would run it:

- a take's *shape codes*: the feature window (64 x C, ``imu_features.take_features``), each channel
  z-normalised over the take, every second point kept (32 x C), times ``SHAPE_SCALE`` rounded to int8
  (a z-normalised 64-point channel lies within +-sqrt(63) = 7.94 standard deviations: 16 x 7.94 < 127.5);
- DTW between two takes' codes: full window, squared difference summed over channels per cell (the
  cheapest path is at most the 32-cell diagonal: <= 32 x C x 254^2, int32 for C <= 6);
- fused distance per reference: ``E + D * DTW_WEIGHT // (SHAPE_SCALE^2 * C)``, E the k-NN's squared
  int8 embedding distance (int64); per class the floor mean of its k smallest fused distances, the
  smallest class wins, lower index on ties.

``DTW_WEIGHT`` puts both terms on one scale: the median embedding distance between enrolled takes is
~200 times the median DTW cost per channel triple on all three real sets (18,000-24,000 vs 93-110 at 3
channels; twice the DTW cost at 6), and the accuracy is flat from half to twice that weight.

Cost per query and reference: 32 x 32 cells x C multiply-adds (3,072 at C = 3) plus a 3-way minimum per
cell; on a 64 MHz Cortex-M4F about 10 cycles a cell, 0.16 ms per reference: 6 ms for 13 classes x 3
takes. Both boards rank this way when every class they hold has its takes' codes
(``KnnRecognizer.shapes``); a class without them (enrolled or uploaded before codes existed) makes the
board rank by embedding alone.
"""

from __future__ import annotations

import numpy as np

from wandlab.onboard.dtw import dtw_distances, znorm
from wandlab.onboard.knn import MAX_SHAPE_CHANNELS, MAX_SHAPE_FRAMES, KnnRecognizer, per_class, sq_distances

SHAPE_SCALE = 16
SHAPE_STEP = 2  # 64 feature points -> 32 DTW frames
DTW_WEIGHT = 600


def shape_codes(windows: np.ndarray) -> np.ndarray:
    """(n, 64, C) feature windows -> (n, 32, C) int8 shape codes. In float64, as the C++ twin computes
    (a float32 z-normalisation would land on the other side of a rounding edge in ~0.3 % of values)."""
    z = znorm(np.asarray(windows, np.float64), dtype=np.float64)[:, ::SHAPE_STEP]
    return np.clip(np.round(z * SHAPE_SCALE), -127, 127).astype(np.int8)


def codes_fit(window: int, channels: int) -> bool:
    """Whether a board computes shape codes for feature windows of this size (its DTW rows are fixed)."""
    return window % SHAPE_STEP == 0 and window // SHAPE_STEP <= MAX_SHAPE_FRAMES and channels <= MAX_SHAPE_CHANNELS


def take_codes(windows: np.ndarray) -> np.ndarray | None:
    """``shape_codes`` of (n, window, C) feature windows, or None where a board would not compute them."""
    windows = np.asarray(windows)
    return shape_codes(windows) if codes_fit(windows.shape[1], windows.shape[2]) else None


def dtw_costs(queries: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """(n, t, C), (m, t, C) int8 shape codes -> (n, m) int64 DTW costs, exact."""
    return dtw_distances(np.asarray(queries, np.int8), np.asarray(refs, np.int8), dtype=np.float64).astype(np.int64)


def fused_distances(emb_d: np.ndarray, dtw_d: np.ndarray, channels: int) -> np.ndarray:
    """(n, m) embedding distances and DTW costs -> (n, m) int64 fused distances."""
    return np.asarray(emb_d, np.int64) + np.asarray(dtw_d, np.int64) * DTW_WEIGHT // (SHAPE_SCALE ** 2 * channels)


def fused_class_distances(knn: KnnRecognizer, ref_codes: np.ndarray, q_emb: np.ndarray,
                          q_codes: np.ndarray) -> np.ndarray:
    """(n, classes) fused class distances of queries (embeddings and shape codes) to ``knn``'s classes;
    ``ref_codes`` are the shape codes of ``knn.references`` in the same order."""
    ref_codes, q_codes = np.asarray(ref_codes, np.int8), np.asarray(q_codes, np.int8)
    if len(ref_codes) != len(knn.references):
        raise ValueError(f"{len(ref_codes)} shape codes for {len(knn.references)} references")
    q_emb = np.asarray(q_emb, np.int8).reshape(-1, knn.references.shape[1])
    fused = fused_distances(sq_distances(q_emb, knn.references), dtw_costs(q_codes, ref_codes), q_codes.shape[2])
    return per_class(fused, knn.ref_class, len(knn.labels), knn.k)


def verdict(knn: KnnRecognizer, fused_class: np.ndarray, q_emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class index, accepted) per query from its fused class distances: the nearest class (lower index
    on ties), accepted by the query's *embedding* distance to it (``KnnRecognizer.accepts``: within its
    threshold, not vetoed by the negatives bank)."""
    best = np.argmin(fused_class, axis=1)
    emb_class = knn.class_distances(q_emb)[np.arange(len(best)), best]
    return best, knn.accepts(q_emb, best, emb_class)


def hybrid_decide(knn: KnnRecognizer, ref_codes: np.ndarray, q_emb: np.ndarray,
                  q_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``verdict`` of the queries' fused class distances."""
    return verdict(knn, fused_class_distances(knn, ref_codes, q_emb, q_codes), q_emb)


def hybrid_predict(knn: KnnRecognizer, ref_codes: np.ndarray, q_emb: np.ndarray, q_codes: np.ndarray,
                   open_set: bool = True) -> list[str | None]:
    """``knn.predict`` with the class chosen by the fused distance (``hybrid_decide``)."""
    best, accepted = hybrid_decide(knn, ref_codes, q_emb, q_codes)
    return [knn.labels[b] if accepted[i] or not open_set else None for i, b in enumerate(best)]


def ranks_by_shape(knn: KnnRecognizer, q_codes: np.ndarray | None) -> bool:
    """Whether a board ranks these (n, frames, channels) query codes by embedding + DTW: ``knn`` holds its
    references' shape codes and the queries' are of the same size."""
    return knn.shapes is not None and q_codes is not None and np.shape(q_codes)[1:] == knn.shapes.shape[1:]


def board_predict(knn: KnnRecognizer, q_emb: np.ndarray, q_codes: np.ndarray | None,
                  open_set: bool = True) -> list[str | None]:
    """What a board answers: ranked by embedding + DTW where ``ranks_by_shape``, else by embedding
    (``knn.predict``)."""
    if not ranks_by_shape(knn, q_codes):
        return knn.predict(q_emb, open_set)
    assert knn.shapes is not None and q_codes is not None
    return hybrid_predict(knn, knn.shapes, q_emb, q_codes, open_set)
