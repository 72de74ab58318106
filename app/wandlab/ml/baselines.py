"""Simple gesture baselines the embedding model must beat (numpy only).

Both work on the same fixed windows as the model (``imu_features.take_features``: since feature version
2 the whole take stretched onto 64 points), each channel z-normalised per take (mean 0, std 1: removes
offset and amplitude, the classic pre-processing for time-series 1-NN):

- raw 1-NN: Euclidean distance between the flattened windows;
- DTW 1-NN: dynamic time warping (full window, no band) with squared Euclidean frame distance.
"""

from __future__ import annotations

import numpy as np

from wandlab.onboard.dtw import dtw_distances, znorm

__all__ = ["dtw_1nn", "dtw_distances", "raw_1nn", "znorm"]


def raw_1nn(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray) -> np.ndarray:
    a = znorm(train_x).reshape(len(train_x), -1)
    b = znorm(test_x).reshape(len(test_x), -1)
    d = (b * b).sum(1)[:, None] + (a * a).sum(1)[None, :] - 2 * b @ a.T
    return np.asarray(train_y)[np.argmin(d, axis=1)]


def dtw_1nn(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, step: int = 2) -> np.ndarray:
    """DTW 1-NN; ``step`` subsamples the windows in time (64 -> 32 frames) to keep it tractable."""
    d = dtw_distances(znorm(test_x)[:, ::step], znorm(train_x)[:, ::step])
    return np.asarray(train_y)[np.argmin(d, axis=1)]
