"""What a board running its own sketch prints: one sample per text line, numbers separated by commas or tabs.

This is the Edge Impulse data forwarder's format (``0.12,-0.03,9.79`` or ``1234\t0.01\t0.00\t1.00``).
``CsvFormat`` says which column is which and in which units, and converts parsed lines to the g and
deg/s every Wandlab sample is in. It is written into ``csv:`` specs as query options, so a detected
format can be confirmed, edited and passed back by hand:

    csv:/dev/ttyACM0?rate=100&columns=t,ax,ay,az,gx,gy,gz&accel=ms2&gyro=dps

Column names: ``ax ay az`` (required), ``gx gy gz`` (all or none), ``t`` (a timestamp such as millis(),
used only to measure the rate) and ``-`` (ignored, e.g. a magnetometer). Units: accel ``g``, ``ms2``
(m/s^2) or ``mg``; gyro ``dps`` (deg/s) or ``rads`` (rad/s); either may be a number instead, meaning raw
sensor counts per g or per deg/s (``accel=16384`` for an MPU-6050 printing its registers).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from wandlab.errors import LinkError

ACCEL = ("ax", "ay", "az")
GYRO = ("gx", "gy", "gz")
TIMESTAMP = "t"
IGNORED = "-"
KNOWN_COLUMNS = (*ACCEL, *GYRO, TIMESTAMP, IGNORED)
STANDARD_GRAVITY = 9.80665
# Multiply by these to get g and deg/s.
ACCEL_UNITS = {"g": 1.0, "ms2": 1 / STANDARD_GRAVITY, "mg": 1e-3}
GYRO_UNITS = {"dps": 1.0, "rads": 180 / math.pi}
UNIT_WORDS = {"g": "g", "ms2": "m/s^2", "mg": "mg", "dps": "deg/s", "rads": "rad/s"}
DEFAULT_BAUD = 115200
MAX_RATE_HZ = 4000  # faster than any IMU a sketch can print at 115200 baud; also the u16 on the wire

# Separators between numbers: one of ,;\t with optional blanks around, or blanks alone.
_SPLIT = re.compile(r"\s*[,;\t]\s*|\s+")


def parse_line(text: str) -> list[float] | None:
    """The numbers on one printed line, or None if it is not all numbers (a banner, a half line)."""
    text = text.strip().strip(",;")
    if not text:
        return None
    values = []
    for token in _SPLIT.split(text):
        try:
            value = float(token)
        except ValueError:
            return None
        # Arduino prints nan/inf/ovf for a failed read: such a line is no sample.
        if not math.isfinite(value):
            return None
        values.append(value)
    return values


def separator_name(text: str) -> str:
    """How a numeric line separates its values, in words (for the detection summary)."""
    for char, name in (("\t", "tab"), (",", "comma"), (";", "semicolon")):
        if char in text:
            return name
    return "space"


class LineSplitter:
    """Bytes from the port in, whole text lines out (``\\n``, ``\\r\\n`` or ``\\r`` ends a line).

    A port at the wrong baud rate produces garbage that may never contain a newline; past MAX_LINE
    bytes the half line is dropped, so memory stays bounded whatever arrives.
    """

    MAX_LINE = 1024

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        chunks = (self._pending + data).replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        self._pending = chunks.pop()
        if len(self._pending) > self.MAX_LINE:
            self._pending = b""
        return [chunk.decode("utf-8", "replace") for chunk in chunks]


def _unit_factor(unit: str, names: dict[str, float], what: str) -> float:
    if unit in names:
        return names[unit]
    try:
        counts = float(unit)
    except ValueError:
        counts = 0.0
    if not math.isfinite(counts) or counts <= 0:
        raise LinkError(f"csv: {what}={unit} is not a unit: use {', '.join(names)} or counts per unit (e.g. 16384)")
    return 1.0 / counts


def unit_words(unit: str, per: str) -> str:
    return UNIT_WORDS.get(unit) or f"raw counts ({unit} per {per})"


@dataclass(frozen=True)
class CsvFormat:
    columns: tuple[str, ...]
    rate_hz: int
    accel: str = "g"
    gyro: str = "dps"

    def __post_init__(self) -> None:
        unknown = [c for c in self.columns if c not in KNOWN_COLUMNS]
        if unknown:
            raise LinkError(f"csv: unknown column {unknown[0]!r}: name columns {', '.join(KNOWN_COLUMNS)}")
        for name in (*ACCEL, *GYRO, TIMESTAMP):
            if self.columns.count(name) > 1:
                raise LinkError(f"csv: column {name} is named twice in {','.join(self.columns)}")
        if not all(name in self.columns for name in ACCEL):
            raise LinkError(f"csv: columns={','.join(self.columns)} must name ax, ay and az")
        if any(name in self.columns for name in GYRO) and not all(name in self.columns for name in GYRO):
            raise LinkError(f"csv: columns={','.join(self.columns)} must name all of gx, gy, gz or none")
        if not 1 <= self.rate_hz <= MAX_RATE_HZ:
            raise LinkError(f"csv: rate={self.rate_hz} Hz is not a sample rate (1-{MAX_RATE_HZ})")
        _unit_factor(self.accel, ACCEL_UNITS, "accel")
        _unit_factor(self.gyro, GYRO_UNITS, "gyro")

    @classmethod
    def from_options(cls, options: dict[str, str], fallback: CsvFormat | None = None) -> CsvFormat:
        """The format a spec's options give, the missing ones taken from ``fallback`` (a detection)."""
        try:
            columns = tuple(c.strip() for c in options["columns"].split(",")) if "columns" in options else None
            rate = int(float(options["rate"])) if "rate" in options else None
        except ValueError:
            raise LinkError(f"csv: rate={options.get('rate')} is not a number of Hz") from None
        if fallback is None and (columns is None or rate is None):
            raise LinkError("csv: needs both rate= and columns= to skip detection")
        return cls(
            columns=columns if columns is not None else fallback.columns,  # type: ignore[union-attr]
            rate_hz=rate if rate is not None else fallback.rate_hz,  # type: ignore[union-attr]
            accel=options.get("accel") or (fallback.accel if fallback else "g"),
            gyro=options.get("gyro") or (fallback.gyro if fallback else "dps"),
        )

    @property
    def axes(self) -> int:
        return 6 if GYRO[0] in self.columns else 3

    def query(self) -> str:
        return f"rate={self.rate_hz}&columns={','.join(self.columns)}&accel={self.accel}&gyro={self.gyro}"

    def to_physical(self, rows: np.ndarray) -> np.ndarray:
        """(n, len(columns)) printed values -> (n, axes) float32 in g and deg/s."""
        picks = [self.columns.index(name) for name in (ACCEL + GYRO)[: self.axes]]
        scale = [_unit_factor(self.accel, ACCEL_UNITS, "accel")] * 3
        scale += [_unit_factor(self.gyro, GYRO_UNITS, "gyro")] * (self.axes - 3)
        return (rows[:, picks] * np.array(scale)).astype(np.float32)

    def describe(self) -> str:
        parts = [f"{','.join(self.columns)} at {self.rate_hz} Hz", unit_words(self.accel, "g")]
        if self.axes == 6:
            parts.append(unit_words(self.gyro, "deg/s"))
        return ", ".join(parts)
