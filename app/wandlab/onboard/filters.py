"""The two filters the board's motion maths uses, in plain numpy as the firmware computes them.

``moving_average``: a centred box filter with the edges repeated (scipy's ``uniform_filter1d`` with
mode="nearest": for an even size the window reaches one sample further back than forward).
``one_pole``: y[n] = a x[n] + (1 - a) y[n - 1], resumable across blocks, the state being (1 - a) y[n - 1]
(scipy's ``lfilter([a], [1, a - 1], x, zi=state)``). A sample loop, as on the board: blocks are short.
"""

from __future__ import annotations

import numpy as np


def moving_average(x: np.ndarray, size: int) -> np.ndarray:
    """Mean of ``size`` samples around each sample along axis 0; float64."""
    x = np.asarray(x, dtype=np.float64)
    if size <= 1 or len(x) == 0:
        return x.copy()
    before, after = size // 2, size - 1 - size // 2
    padded = np.concatenate([np.repeat(x[:1], before, axis=0), x, np.repeat(x[-1:], after, axis=0)])
    sums = np.cumsum(padded, axis=0)
    sums = np.concatenate([np.zeros_like(sums[:1]), sums])
    return (sums[size:] - sums[:-size]) / size


def one_pole(x: np.ndarray, a: float, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Low-pass ``x`` (n,) or (n, k) along axis 0; returns (y, new state) with state shaped like x[0]."""
    x = np.asarray(x, dtype=np.float64)
    y = np.empty_like(x)
    keep = 1.0 - a
    s = np.array(state, dtype=np.float64)
    for n in range(len(x)):
        y[n] = a * x[n] + s
        s = keep * y[n]
    return y, s
