"""Writing float32 data as text that reads back bit-for-bit.

Exports are text (CSV, JSON) but the project stores float32. Values are written with 7 significant
digits, which reproduces every value that was itself read from a short decimal (most datasets);
rows where that is not exact are rewritten with 8, then 9 digits, which always suffice for float32.
So a value recorded as ``-0.067627`` is written as ``-0.067627``, not ``-0.06762699782848358``, and
export -> import returns the identical float32 array.
"""

from __future__ import annotations

import numpy as np


def float32_lines(data: np.ndarray) -> list[str]:
    """One comma-separated line per row of a 2-D float32 array; parsing them gives ``data`` exactly."""
    values = np.asarray(data, dtype=np.float32)
    rows = values.astype(np.float64).tolist()
    width = values.shape[1]
    lines: list[str] = []
    pending = list(range(len(rows)))
    for digits in (7, 8, 9):
        fmt = ",".join([f"%.{digits}g"] * width)
        text = [fmt % tuple(rows[i]) for i in pending]
        if digits == 7:
            lines = text
        else:
            for i, line in zip(pending, text, strict=True):
                lines[i] = line
        if digits == 9:
            break
        back = np.fromstring(",".join(text), dtype=np.float64, sep=",").astype(np.float32)
        wrong = np.any(back.reshape(-1, width) != values[pending], axis=1)
        pending = [i for i, bad in zip(pending, wrong.tolist(), strict=True) if bad]
        if not pending:
            break
    negative_zero = np.flatnonzero(np.any((values == 0) & np.signbit(values), axis=1))
    for i in negative_zero.tolist():  # JSON reads "-0" as the integer 0 and would lose the sign bit
        lines[i] = ",".join("-0.0" if v == "-0" else v for v in lines[i].split(","))
    return lines


def rate_text(rate_hz: float) -> str:
    """100.0 -> '100', 119.5 -> '119.5'; repr keeps any other rate exact."""
    return str(int(rate_hz)) if float(rate_hz).is_integer() else repr(float(rate_hz))
