"""Writing float32 data as text that reads back bit-for-bit.

Exports are text (CSV, JSON) but the project stores float32. Each value is written with the fewest
significant digits (7, 8 or 9) that parse back, via float64, to the same float32; 9 always suffices.
So a value recorded as ``-0.067627`` is written as ``-0.067627``, not ``-0.06762699782848358``.
"""

from __future__ import annotations

import numpy as np


def float32_text(data: np.ndarray) -> np.ndarray:
    """Same-shape array of strings; ``float(s)`` rounded to float32 gives back each value exactly."""
    values = np.asarray(data, dtype=np.float32)
    flat = values.ravel()
    wide = flat.astype(np.float64).tolist()
    out = np.array([f"{v:.7g}" for v in wide], dtype=object)
    for digits in (8, 9):
        bad = np.flatnonzero(out.astype(np.float64).astype(np.float32) != flat)
        if len(bad) == 0:
            break
        out[bad] = [f"{wide[i]:.{digits}g}" for i in bad]
    out[out == "-0"] = "-0.0"  # JSON reads "-0" as the integer 0 and would lose the sign bit
    return out.reshape(values.shape)


def rate_text(rate_hz: float) -> str:
    """100.0 -> '100', 119.5 -> '119.5'; repr keeps any other rate exact."""
    return str(int(rate_hz)) if float(rate_hz).is_integer() else repr(float(rate_hz))
