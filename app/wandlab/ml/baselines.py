"""Simple gesture baselines the embedding model must beat (numpy only).

Both work on the same fixed windows as the model (``imu_features.take_features``: since feature version
2 the whole take stretched onto 64 points), each channel z-normalised per take (mean 0, std 1: removes
offset and amplitude, the classic pre-processing for time-series 1-NN):

- raw 1-NN: Euclidean distance between the flattened windows;
- DTW 1-NN: dynamic time warping (full window, no band) with squared Euclidean frame distance.
"""

from __future__ import annotations

import numpy as np


def znorm(x: np.ndarray) -> np.ndarray:
    """(n, t, c) -> per take and channel mean 0 / std 1 (a flat channel stays 0)."""
    mu = x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, keepdims=True)
    return ((x - mu) / np.where(sd > 1e-8, sd, 1.0)).astype(np.float32)


def raw_1nn(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray) -> np.ndarray:
    a = znorm(train_x).reshape(len(train_x), -1)
    b = znorm(test_x).reshape(len(test_x), -1)
    d = (b * b).sum(1)[:, None] + (a * a).sum(1)[None, :] - 2 * b @ a.T
    return np.asarray(train_y)[np.argmin(d, axis=1)]


def dtw_distances(queries: np.ndarray, refs: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """(n, t, c), (m, t2, c) -> (n, m) DTW costs. Vectorised over all pairs, one DP row at a time."""
    n, m = len(queries), len(refs)
    qi, ri = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    out = np.empty(n * m, np.float32)
    for s in range(0, n * m, chunk):
        a, b = queries[qi[s : s + chunk]], refs[ri[s : s + chunk]]  # (p, t, c), (p, t2, c)
        p, t, t2 = len(a), a.shape[1], b.shape[1]
        prev = np.full((p, t2), np.inf, np.float32)
        for i in range(t):
            cost = ((a[:, i : i + 1, :] - b) ** 2).sum(-1)  # (p, t2)
            cur = np.empty_like(prev)
            cur[:, 0] = cost[:, 0] + (prev[:, 0] if i else 0.0)
            for j in range(1, t2):
                best = np.minimum(prev[:, j], prev[:, j - 1]) if i else np.full(p, np.inf, np.float32)
                cur[:, j] = cost[:, j] + np.minimum(best, cur[:, j - 1])
            prev = cur
        out[s : s + chunk] = prev[:, -1]
    return out.reshape(n, m)


def dtw_1nn(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, step: int = 2) -> np.ndarray:
    """DTW 1-NN; ``step`` subsamples the windows in time (64 -> 32 frames) to keep it tractable."""
    d = dtw_distances(znorm(test_x)[:, ::step], znorm(train_x)[:, ::step])
    return np.asarray(train_y)[np.argmin(d, axis=1)]
