"""Find out what a text-printing board prints: columns, sample rate and units, from a second or two of lines.

``probe(port)`` listens (``listen``) and ``detect`` works on what arrived; the result is a guess for the
user to confirm (the app's dialog, ``wandlab csv-probe``), written as a ``csv:`` spec that skips
detection next time.

- Columns: lines that are not all numbers (a sketch's banner, "IMU ready") are skipped; the column count
  is the one most lines have. A first column that never decreases is a timestamp (millis()).
- Rate: from when lines arrive, fitted over the whole window (USB hands lines over in bursts, so single
  gaps say little); a timestamp column refines it when it agrees. Rounded to a rate IMUs run at when
  within 3 %, since "98.7 Hz" is a sketch meaning 100 Hz with some jitter.
- Units: the board is (mostly) at rest while it is probed, so the acceleration's magnitude is gravity:
  ~1 means g, ~9.8 m/s^2, ~1000 mg, ~16384 raw counts. Gyro units cannot be read off a resting board
  as surely: a rate > 0.1 at rest is deg/s noise; smaller ones are taken as rad/s only for SI sketches.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wandlab.errors import LinkError
from wandlab.link.csv_format import (
    ACCEL,
    DEFAULT_BAUD,
    GYRO,
    IGNORED,
    TIMESTAMP,
    CsvFormat,
    LineSplitter,
    parse_line,
    separator_name,
    unit_words,
)
from wandlab.link.serial_link import SerialLink

FIRST_LINE_S = 3.0
LISTEN_S = 1.5
ENOUGH_LINES = 20  # below this, listen up to three times longer (a slow sketch)
MIN_LINES = 8
SNAP = 0.03
PLAUSIBLE_HZ = (1, 2, 5, 10, 12, 15, 20, 25, 30, 40, 50, 60, 62, 75, 80, 100, 104, 119, 120, 125, 150, 200,
                208, 238, 250, 400, 416, 476, 500, 800, 833, 1000, 1600, 1666, 2000, 3200, 3333)  # fmt: skip
# A timestamp column's unit, tried in turn: its rate must agree with the arrival rate.
CLOCKS = (("millis()", 1e-3), ("micros()", 1e-6), ("seconds", 1.0))
CLOCK_NAMES = tuple(name for name, _ in CLOCKS)
RAW_COUNTS_PER_G = (2048, 4096, 8192, 16384)

TimedLine = tuple[float, str]


@dataclass(frozen=True)
class Detection:
    format: CsvFormat
    separator: str  # "comma", "tab", ...
    measured_hz: float
    timestamp: str  # "millis()", "micros()", "seconds", "counter", or "" when there is none
    lines: int  # sample lines seen
    skipped: tuple[str, ...]  # lines that were not samples (banner), the first few
    notes: tuple[str, ...]  # guesses the user should check

    def spec(self, port: str, baud: int = DEFAULT_BAUD) -> str:
        speed = f"baud={baud}&" if baud != DEFAULT_BAUD else ""
        return f"csv:{port}?{speed}{self.format.query()}"

    def summary(self) -> str:
        f = self.format
        units = unit_words(f.accel, "g") + (f" and {unit_words(f.gyro, 'deg/s')}" if f.axes == 6 else "")
        clock = f" (the first is a {self.timestamp} timestamp)" if self.timestamp in CLOCK_NAMES else ""
        found = f"Found {len(f.columns)} {self.separator}-separated columns at {f.rate_hz} Hz{clock}"
        return f"{found}; values look like {units}."


def detect(lines: Sequence[TimedLine], where: str = "the port") -> Detection:
    """Columns, rate and units of ``(arrival time, text)`` lines; LinkError saying what is wrong if none fit."""
    parsed = [(t, text, parse_line(text)) for t, text in lines]
    numeric = [(t, values) for t, _, values in parsed if values is not None]
    if not numeric:
        first = next((text.strip() for _, text in lines if text.strip()), "")
        raise LinkError(
            f"{len(lines)} lines arrived on {where} but none was a row of numbers (first: {first[:60]!r}): "
            "does the sketch print its values separated by commas or tabs?"
        )
    widths = Counter(len(values) for _, values in numeric)
    width, hits = widths.most_common(1)[0]
    if hits < 0.8 * len(numeric):
        seen = ", ".join(str(w) for w in sorted(widths))
        raise LinkError(
            f"the lines on {where} have varying numbers of values ({seen}): print the same values on every line"
        )
    if width < 3:
        raise LinkError(f"the lines on {where} have {width} value(s); Wandlab needs at least three (ax, ay, az)")
    rows = [(t, values) for t, values in numeric if len(values) == width]
    if len(rows) < MIN_LINES:
        raise LinkError(f"only {len(rows)} sample lines arrived on {where}: is the sketch printing continuously?")
    times = np.array([t for t, _ in rows])
    values = np.array([v for _, v in rows])
    arrival_hz = _arrival_rate(times, where)
    timestamp, clock_hz = _timestamp(values[:, 0], times, arrival_hz) if width >= 4 else ("", None)
    measured = clock_hz or arrival_hz
    sensors = width - (1 if timestamp else 0)
    names = list(ACCEL + GYRO)[: 6 if sensors >= 6 else 3]
    columns = ([TIMESTAMP] if timestamp else []) + names + [IGNORED] * (sensors - len(names))
    notes = []
    if sensors > len(names):
        notes.append(f"{sensors - len(names)} column(s) after {names[-1]} are ignored (a magnetometer?)")
    first_sensor = 1 if timestamp else 0
    accel, note = _accel_unit(_magnitude(values[:, first_sensor : first_sensor + 3]))
    notes += [note] if note else []
    gyro = "dps"
    if len(names) == 6:
        gyro, note = _gyro_unit(_magnitude(values[:, first_sensor + 3 : first_sensor + 6]), accel)
        notes += [note] if note else []
    # A short first row of numbers is a sample cut in half by opening the port: not worth telling.
    cut = 1 if parsed[0][2] is not None else 0
    skipped = tuple(text.strip() for _, text, v in parsed[cut:] if (v is None or len(v) != width) and text.strip())
    fmt = CsvFormat(tuple(columns), snap_rate(measured), accel, gyro)
    sample_line = next(text for _, text, v in parsed if v is not None and len(v) == width)
    return Detection(fmt, separator_name(sample_line), measured, timestamp, len(rows), skipped[:5], tuple(notes))


def snap_rate(hz: float) -> int:
    nearest = min(PLAUSIBLE_HZ, key=lambda p: abs(math.log(hz / p)))
    return nearest if abs(hz / nearest - 1) <= SNAP else max(1, round(hz))


def _arrival_rate(times: np.ndarray, where: str) -> float:
    # Lines come in bursts that share one arrival time; the last line of each burst had just arrived,
    # so fit (time, index of the burst's last line).
    last = np.flatnonzero(np.append(np.diff(times) > 0, True))
    if len(last) < 3 or times[last[-1]] - times[last[0]] <= 0:
        raise LinkError(
            f"the lines on {where} arrived all at once: cannot tell the sample rate; pass rate= in the csv: spec"
        )
    slope = float(np.polyfit(times[last], last.astype(float), 1)[0])
    if not slope > 0:
        raise LinkError(f"cannot tell the sample rate of {where}: pass rate= in the csv: spec")
    return slope


def _timestamp(first: np.ndarray, times: np.ndarray, arrival_hz: float) -> tuple[str, float | None]:
    steps = np.diff(first)
    if len(steps) == 0 or np.any(steps < 0) or np.mean(steps > 0) < 0.5:
        return "", None
    typical = float(np.median(steps[steps > 0]))
    # Missing lines (a dropped or garbled one) show as a double step: count them as the samples they were.
    intervals = float(np.sum(np.maximum(1, np.round(steps / typical))))
    span = float(first[-1] - first[0])
    for name, seconds in CLOCKS:
        hz = intervals / (span * seconds)
        if abs(hz / arrival_hz - 1) < 0.2:
            return name, hz
    return "counter", None  # increasing but not a clock (a sample counter): the arrival rate stands


def _magnitude(columns: np.ndarray) -> float:
    return float(np.median(np.linalg.norm(columns, axis=1)))


def _accel_unit(magnitude: float) -> tuple[str, str]:
    if 0.3 <= magnitude < 3:
        return "g", ""
    if 3 <= magnitude < 30:
        return "ms2", ""
    if 300 <= magnitude < 1500:
        return "mg", ""
    if 1500 <= magnitude < 40000:
        counts = min(RAW_COUNTS_PER_G, key=lambda c: abs(math.log(magnitude / c)))
        note = f"the values look like raw sensor counts: guessed {counts} per g (a ±{32768 // counts} g range)"
        return str(counts), note
    note = f"|a| is about {magnitude:.3g} at rest, neither 1 g nor 9.8 m/s^2: which columns are the accelerometer's?"
    return "g", note


def _gyro_unit(magnitude: float, accel: str) -> tuple[str, str]:
    if accel.isdigit() and magnitude >= 20:
        return "131", "guessed raw gyro counts, 131 per deg/s (a ±250 deg/s range)"
    if magnitude > 0.1 or accel != "ms2":
        return "dps", ""
    return "rads", "the gyro values are tiny at rest: guessed rad/s, as the accelerometer prints SI units"


async def listen(
    source: SerialLink, where: str, baud: int, listen_s: float = LISTEN_S, first_line_s: float = FIRST_LINE_S
) -> list[TimedLine]:
    """Whole lines arriving on an open port, with their arrival times, for ``listen_s`` after the first."""
    loop = asyncio.get_running_loop()
    splitter, lines = LineSplitter(), []
    start, received, first_at = loop.time(), 0, None
    while True:
        if first_at is None:
            deadline = start + first_line_s
        else:
            deadline = first_at + (listen_s if len(lines) >= ENOUGH_LINES else 3 * listen_s)
        try:
            data = await asyncio.wait_for(source.read_bytes(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            break
        now = loop.time()
        received += len(data)
        for text in splitter.feed(data):
            lines.append((now, text))
            if first_at is None:
                first_at = now
    if not lines:
        if not received:
            raise LinkError(
                f"no lines arrived on {where} in {first_line_s:g} s: is the sketch printing at {baud} baud?"
            )
        raise LinkError(
            f"{received} bytes but no whole lines arrived on {where} in {first_line_s:g} s: is the baud "
            f"rate ({baud}) right, and does the sketch end each line (Serial.println)?"
        )
    return lines


async def probe(port: str, baud: int = DEFAULT_BAUD, listen_s: float = LISTEN_S) -> Detection:
    """Open ``port``, listen to the sketch and detect its format; the port is closed again."""
    link = SerialLink(port, baud)
    await link.open()
    try:
        lines = await listen(link, port, baud, listen_s)
    finally:
        await link.close()
    return detect(lines, port)
