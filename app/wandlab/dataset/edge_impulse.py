"""Edge Impulse data acquisition format (JSON), read and written.

One sample per file::

    {"protected": {"ver": "v1", "alg": "none", "iat": 1700000000},
     "signature": "0000...",
     "payload": {"device_name": "...", "device_type": "...", "interval_ms": 10,
                 "sensors": [{"name": "accX", "units": "g"}, ...],
                 "values": [[ax, ay, az, gx, gy, gz], ...]}}

Audio is one sensor (``units: "wav"``) with a flat list of int16 values. Edge Impulse takes the label
from the file name (``<label>.<anything>.json``); its dataset exports add an ``info.labels`` index with
the category (training/testing) and free-form string metadata, which we use to carry subject, session,
split and trim so that an export reads back unchanged. We write IMU units as g and deg/s (Edge
Impulse accepts any unit string) so values need no conversion; m/s2 and rad/s are converted on import.
We do not sign files ("alg": "none"): signing needs the user's HMAC key, and Studio accepts unsigned.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.dataset.folder import IMU_COLUMNS
from wandlab.dataset.input_rules import check_file, check_rate, unreadable
from wandlab.dataset.model import AUDIO_AXES
from wandlab.dataset.numtext import float32_lines
from wandlab.errors import DatasetError

INFO_LABELS = "info.labels"
STANDARD_GRAVITY = 9.80665
_AXIS_NAMES = {  # Edge Impulse's usual sensor names, and ours
    "accx": "ax",
    "accy": "ay",
    "accz": "az",
    "gyrx": "gx",
    "gyry": "gy",
    "gyrz": "gz",
    "ax": "ax",
    "ay": "ay",
    "az": "az",
    "gx": "gx",
    "gy": "gy",
    "gz": "gz",
}
_EXPORT_NAMES = {"ax": "accX", "ay": "accY", "az": "accZ", "gx": "gyrX", "gy": "gyrY", "gz": "gyrZ"}
_UNIT_SCALE = {
    "g": 1.0,
    "m/s2": 1 / STANDARD_GRAVITY,
    "m/s^2": 1 / STANDARD_GRAVITY,
    "ms2": 1 / STANDARD_GRAVITY,
    "deg/s": 1.0,
    "dps": 1.0,
    "rad/s": 180 / math.pi,
}


def read_ei_json(path: Path, name: str) -> tuple[str, float, tuple[str, ...], np.ndarray, dict[str, Any]]:
    """Parse one file -> (kind, rate_hz, axes, data, payload). Errors name the file and the field.

    ``path`` must have passed ``input_rules.check_file`` (the importer's readers do that).
    """
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except ValueError as exc:  # bad UTF-8, bad JSON, or an integer longer than Python converts
        raise DatasetError(f"{name}: not valid JSON ({exc})") from None
    except RecursionError:
        raise DatasetError(f"{name}: JSON is nested too deeply") from None
    except OSError as exc:
        raise unreadable(name, exc) from None
    payload = doc.get("payload") if isinstance(doc, dict) else None
    if not isinstance(payload, dict):
        raise DatasetError(f"{name}: no 'payload' object; not an Edge Impulse data acquisition file")
    interval = payload.get("interval_ms")
    if not isinstance(interval, int | float) or isinstance(interval, bool) or not interval > 0:
        raise DatasetError(f"{name}: payload.interval_ms must be a positive number, found {interval!r}")
    sensors = payload.get("sensors")
    values = payload.get("values")
    if not isinstance(sensors, list) or not sensors or not all(isinstance(s, dict) for s in sensors):
        raise DatasetError(f"{name}: payload.sensors must be a list of {{name, units}} objects")
    if not isinstance(values, list) or not values:
        raise DatasetError(f"{name}: payload.values is missing or empty")
    try:
        rate = 1000.0 / float(interval)
    except OverflowError:  # an integer too large for a float
        rate = 0.0
    if not 0 < rate < math.inf:  # refused here: rounding an infinite rate would raise
        raise DatasetError(f"{name}: payload.interval_ms {str(interval)[:20]} gives no usable sample rate")
    if abs(rate - round(rate)) < 1e-9 * rate:  # 1000 / (1000 / 119) is 119.00000000000001
        rate = float(round(rate))
    if len(sensors) == 1 and str(sensors[0].get("units", "")).lower() == "wav":
        check_rate("audio", rate, name)
        if not rate.is_integer():
            raise DatasetError(f"{name}: audio interval_ms {interval} is not a whole number of Hz")
        return "audio", rate, AUDIO_AXES, _audio_values(values, name), payload
    check_rate("imu", rate, name)
    axes, scale = _imu_sensors(sensors, name)
    try:
        data = np.array(values, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):  # OverflowError: an integer beyond any float
        raise DatasetError(f"{name}: payload.values must be rows of {len(axes)} finite numbers") from None
    if data.ndim != 2 or data.shape[1] != len(axes):
        raise DatasetError(f"{name}: payload.values must be rows of {len(axes)} numbers, found {data.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # overflow becomes inf, refused just below
        data = (data * scale).astype(np.float32)
    if not np.all(np.isfinite(data)):
        raise DatasetError(f"{name}: values contain NaN or infinite numbers")
    return "imu", rate, axes, data, payload


def _imu_sensors(sensors: list[dict[str, Any]], name: str) -> tuple[tuple[str, ...], np.ndarray]:
    axes, scale = [], []
    for sensor in sensors:
        axis = _AXIS_NAMES.get(str(sensor.get("name", "")).lower())
        units = str(sensor.get("units", "")).lower()
        if axis is None:
            raise DatasetError(f"{name}: sensor {sensor.get('name')!r} is not an IMU axis (accX..gyrZ)")
        accel = axis.startswith("a")
        if units not in _UNIT_SCALE or (units in ("g", "m/s2", "m/s^2", "ms2")) != accel:
            raise DatasetError(f"{name}: sensor {sensor.get('name')!r} has unsupported units {units!r}")
        axes.append(axis)
        scale.append(_UNIT_SCALE[units])
    if tuple(axes) not in (IMU_COLUMNS[:3], IMU_COLUMNS):
        raise DatasetError(f"{name}: sensors must be accX,accY,accZ[,gyrX,gyrY,gyrZ], found {axes}")
    return tuple(axes), np.array(scale)


def _audio_values(values: list[Any], name: str) -> np.ndarray:
    flat = [v[0] if isinstance(v, list) and len(v) == 1 else v for v in values]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in flat):
        raise DatasetError(f"{name}: audio values must be whole numbers")
    if min(flat) < -32768 or max(flat) > 32767:  # checked as Python ints: 10**30 would overflow numpy
        raise DatasetError(f"{name}: audio values are outside the 16-bit range (-32768 to 32767)")
    return np.array(flat, dtype=np.int16)


def ei_document(
    kind: str,
    rate_hz: float,
    axes: tuple[str, ...],
    data: np.ndarray,
    device_name: str,
    device_type: str,
    created_unix: int,
) -> str:
    """One sample as Edge Impulse JSON text; IMU values written so that they read back exactly."""
    if kind == "audio":
        sensors = [{"name": "audio", "units": "wav"}]
        values = "[" + ",".join(map(str, data.tolist())) + "]"
    else:
        sensors = [{"name": _EXPORT_NAMES[a], "units": "g" if a.startswith("a") else "deg/s"} for a in axes]
        values = "[[" + "],[".join(float32_lines(data)) + "]]"
    head = {
        "protected": {"ver": "v1", "alg": "none", "iat": created_unix},
        "signature": "0" * 64,
        "payload": {
            "device_name": device_name,
            "device_type": device_type,
            "interval_ms": 1000.0 / rate_hz,
            "sensors": sensors,
            "values": "@VALUES@",
        },
    }
    return json.dumps(head).replace('"@VALUES@"', values)


def read_info_labels(root: Path) -> dict[str, dict[str, Any]]:
    """``root/info.labels`` -> {relative path: entry}. A malformed index is an error, not silently skipped."""
    path = check_file(root, INFO_LABELS)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = doc["files"]
        if not isinstance(entries, list):
            raise TypeError
        return {str(e["path"]): e for e in entries if isinstance(e, dict)}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise DatasetError(f"{INFO_LABELS}: not a valid Edge Impulse labels index") from None


def label_from_name(file_name: str) -> str:
    """Edge Impulse's rule: the label is the file name up to its first dot."""
    return file_name.split(".", 1)[0]
