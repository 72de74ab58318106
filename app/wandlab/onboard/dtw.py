"""Dynamic time warping between takes and per-take z-normalisation (numpy only): the DTW 1-NN baseline
(``ml.baselines``) and the embedding + DTW ranking (``onboard.hybrid_rank``) share them.

DTW here: full window (no band), squared Euclidean frame distance, steps (1,0), (0,1), (1,1).
"""

from __future__ import annotations

import numpy as np


def znorm(x: np.ndarray, dtype: type[np.floating] = np.float32) -> np.ndarray:
    """(n, t, c) -> per take and channel mean 0 / std 1 (a flat channel stays 0), as ``dtype``."""
    mu = x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, keepdims=True)
    return ((x - mu) / np.where(sd > 1e-8, sd, 1.0)).astype(dtype)


def dtw_distances(queries: np.ndarray, refs: np.ndarray, chunk: int = 4096,
                  dtype: type[np.floating] = np.float32) -> np.ndarray:
    """(n, t, c), (m, t2, c) -> (n, m) DTW costs. Vectorised over all pairs, one DP row at a time.
    ``dtype`` float64 keeps integer inputs' costs exact (float32 is exact only below 2**24)."""
    n, m = len(queries), len(refs)
    qi, ri = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    queries, refs = np.asarray(queries, dtype), np.asarray(refs, dtype)
    out: np.ndarray = np.empty(n * m, dtype)
    for s in range(0, n * m, chunk):
        a, b = queries[qi[s : s + chunk]], refs[ri[s : s + chunk]]  # (p, t, c), (p, t2, c)
        p, t, t2 = len(a), a.shape[1], b.shape[1]
        prev: np.ndarray = np.full((p, t2), np.inf, dtype)
        for i in range(t):
            cost = ((a[:, i : i + 1, :] - b) ** 2).sum(-1)  # (p, t2)
            cur = np.empty_like(prev)
            cur[:, 0] = cost[:, 0] + (prev[:, 0] if i else 0.0)
            for j in range(1, t2):
                best = np.minimum(prev[:, j], prev[:, j - 1]) if i else np.full(p, np.inf, dtype)
                cur[:, j] = cost[:, j] + np.minimum(best, cur[:, j - 1])
            prev = cur
        out[s : s + chunk] = prev[:, -1]
    return out.reshape(n, m)
