"""Thumbnails for sample lists: a min/max envelope of a take at a fixed width, cheap to draw.

Min and max per column (not a plain decimation) so a short spike or a clipped peak stays visible in a
64-pixel thumbnail, the way audio editors draw waveforms.
"""

from __future__ import annotations

import numpy as np


def envelope(data: np.ndarray, width: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """-> (lows, highs), each (width, channels) float32; audio is scaled to -1..1.

    Takes shorter than ``width`` frames give one column per frame.
    """
    values = np.asarray(data)
    if values.dtype == np.int16:
        values = values.astype(np.float32) / 32768.0
    values = values.reshape(len(values), -1).astype(np.float32)
    if len(values) == 0:
        empty = np.zeros((0, values.shape[1]), np.float32)
        return empty, empty
    columns = min(width, len(values))
    edges = np.linspace(0, len(values), columns + 1).astype(int)
    lows = np.minimum.reduceat(values, edges[:-1], axis=0)
    highs = np.maximum.reduceat(values, edges[:-1], axis=0)
    return lows, highs
