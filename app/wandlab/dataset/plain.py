"""Plain files without a manifest: IMU CSV and WAV, labeled by their folder or file name.

An IMU CSV has the header ``ax,ay,az[,gx,gy,gz]`` (g, deg/s), optionally after a ``timestamp`` column
in milliseconds (Edge Impulse's CSV layout), from which the rate is taken. Without one the caller must
give the rate, since guessing it would silently stretch every gesture.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from wandlab.dataset.audio_files import read_audio
from wandlab.dataset.folder import parse_imu_csv, read_text
from wandlab.dataset.input_rules import MAX_SAMPLE_SECONDS, check_rate
from wandlab.errors import DatasetError

TIME_COLUMN = "timestamp"


def read_plain_csv(path: Path, name: str, rate_hz: float | None) -> tuple[np.ndarray, float]:
    """-> ((frames, 3|6) float32, rate). A timestamp column, if any, must be regular.

    ``path`` must have passed ``input_rules.check_file`` (the importer's readers do that).
    """
    text = read_text(path, name)
    if not text.lstrip("\ufeff").lower().startswith(TIME_COLUMN + ","):
        if rate_hz is None:
            raise DatasetError(f"{name}: no timestamp column, so the sample rate is unknown; give the rate")
        rate = check_rate("imu", rate_hz, name)
        return parse_imu_csv(text.lstrip("\ufeff"), rate, name), rate
    lines = text.splitlines()
    table = parse_imu_csv("\n".join(line.partition(",")[2] for line in lines), 1e9, name)
    times = _timestamps(lines, name, len(table))
    steps = np.diff(times)
    if len(steps) == 0 or np.any(steps <= 0):
        raise DatasetError(f"{name}: timestamps must increase")
    step = float(np.median(steps))
    if np.any(np.abs(steps - step) > 0.5 * step):
        raise DatasetError(f"{name}: timestamps are irregular (steps {steps.min():g} to {steps.max():g} ms)")
    rate = check_rate("imu", rate_hz if rate_hz is not None else round(1000.0 / step, 3), name)
    if len(table) > rate * MAX_SAMPLE_SECONDS:
        raise DatasetError(f"{name}: {len(table)} rows is longer than {MAX_SAMPLE_SECONDS} s")
    return table, rate


def read_plain_audio(path: Path, name: str) -> tuple[np.ndarray, float]:
    data, rate = read_audio(path, name)
    return data, float(rate)


def _timestamps(lines: list[str], name: str, rows: int) -> np.ndarray:
    body = "\n".join(line.partition(",")[0] for line in lines[1:] if line.strip())
    try:
        times = np.loadtxt(io.StringIO(body), dtype=np.float64, ndmin=1, comments=None)
    except ValueError:
        raise DatasetError(f"{name}: a timestamp is not a number") from None
    if len(times) != rows:
        raise DatasetError(f"{name}: {len(times)} timestamps for {rows} rows")
    return times
