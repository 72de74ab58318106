"""Detecting what a board running its own sketch prints: from given lines, and from a sketch on a real pty."""

from __future__ import annotations

import asyncio
import os
import re

import numpy as np
import pytest

from tests.link.csv_sketch import PrintingSketch
from wandlab.errors import LinkError
from wandlab.link.csv_detect import detect, listen, probe, snap_rate
from wandlab.link.csv_format import CsvFormat, LineSplitter, parse_line
from wandlab.link.serial_link import SerialLink


def timed(lines: list[str], rate_hz: float = 100.0, burst: int = 4) -> list[tuple[float, str]]:
    """Lines as USB delivers them: in bursts of ``burst`` sharing one arrival time."""
    return [(10.0 + (i // burst + 1) * burst / rate_hz, text) for i, text in enumerate(lines)]


def sketch_lines(n: int = 150, **kwargs: object) -> list[str]:
    sketch = PrintingSketch(**kwargs)  # type: ignore[arg-type]
    try:
        return [sketch.banner] + [sketch.line(i, 1000 + i * 10) for i in range(n)]
    finally:
        sketch.__exit__()


def test_parse_line_takes_commas_tabs_blanks_and_refuses_anything_else() -> None:
    assert parse_line("0.1,-2,3e-3") == [0.1, -2.0, 0.003]
    assert parse_line("1\t2\t3\r") == [1.0, 2.0, 3.0]
    assert parse_line("1, 2, 3,") == [1.0, 2.0, 3.0]
    assert parse_line("1 2  3") == [1.0, 2.0, 3.0]
    for junk in ("", "IMU ready", "ax,ay,az", "1,2,nan", "1,,3", "1,ovf,3", "x:1,y:2"):
        assert parse_line(junk) is None, junk


def test_line_splitter_joins_chunks_and_bounds_a_line_that_never_ends() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"1,2,") == []
    assert splitter.feed(b"3\r\n4,5,6\r7,8") == ["1,2,3", "4,5,6"]
    assert splitter.feed(b"\xff" * 5000) == []  # wrong baud rate: garbage, no newline
    assert splitter.feed(b"\n9,9,9\n") == ["", "9,9,9"]  # the garbage was dropped, not kept


@pytest.mark.parametrize(
    ("kwargs", "columns", "accel", "gyro"),
    [
        ({}, "ax,ay,az,gx,gy,gz", "g", "dps"),
        ({"sep": "\t", "timestamp": True, "accel": "ms2"}, "t,ax,ay,az,gx,gy,gz", "ms2", "dps"),
        ({"gyro": False, "accel": "mg"}, "ax,ay,az", "mg", "dps"),
        ({"timestamp": True, "extra": 3}, "t,ax,ay,az,gx,gy,gz,-,-,-", "g", "dps"),
    ],
)
def test_detect_finds_columns_units_and_skips_the_banner(
    kwargs: dict[str, object], columns: str, accel: str, gyro: str
) -> None:
    found = detect(timed(sketch_lines(**kwargs)))
    assert ",".join(found.format.columns) == columns
    assert (found.format.accel, found.format.gyro) == (accel, gyro)
    assert found.format.rate_hz == 100
    assert found.skipped == ("LSM6DS3 ready",)
    assert found.timestamp == ("millis()" if kwargs.get("timestamp") else "")


def test_raw_counts_and_rad_per_second_are_guessed_and_flagged() -> None:
    rows = [f"{int(300 + i % 7)},{-120},{16384 + i % 5},{-210},{35},{12}" for i in range(60)]
    found = detect(timed(rows))
    assert (found.format.accel, found.format.gyro) == ("16384", "131")
    assert any("raw sensor counts" in n for n in found.notes)
    si = [f"0.1,0.2,9.8,{0.01 * (i % 3)},0.002,-0.004" for i in range(60)]
    found = detect(timed(si))
    assert (found.format.accel, found.format.gyro) == ("ms2", "rads")
    assert "rad/s" in found.summary() and any("guessed rad/s" in n for n in found.notes)


def test_a_millis_column_gives_the_rate_even_when_lines_arrive_unevenly() -> None:
    rng = np.random.default_rng(1)
    # 119 Hz (an LSM9DS1 rate): millis() steps of 8 and 9 ms; USB bursts of 1-12 lines.
    lines, t, i = [], 0.0, 0
    while i < 240:
        burst = int(rng.integers(1, 12))
        t = max(t, (i + burst) / 119) + float(rng.uniform(0, 0.004))
        for _ in range(burst):
            lines.append((t, f"{int(i * 1000 / 119)},0.0,0.0,1.0"))
            i += 1
    found = detect(lines)
    assert found.timestamp == "millis()" and found.format.rate_hz == 119
    assert abs(found.measured_hz - 119) < 1


def test_bad_input_is_a_sentence() -> None:
    with pytest.raises(LinkError, match="none was a row of numbers .*first: 'Hello'"):
        detect(timed(["Hello", "world"] * 10))
    mixed = [("1,2,3" if i % 2 else "1,2,3,4,5,6") for i in range(40)]
    with pytest.raises(LinkError, match=r"varying numbers of values \(3, 6\)"):
        detect(timed(mixed))
    with pytest.raises(LinkError, match="at least three"):
        detect(timed(["1,2"] * 40))
    with pytest.raises(LinkError, match="all at once"):
        detect([(1.0, "0,0,1")] * 40)


def test_snap_rate_rounds_to_rates_imus_run_at() -> None:
    assert [snap_rate(hz) for hz in (98.7, 101.9, 118.2, 208.9, 73.6, 33.3)] == [100, 100, 119, 208, 75, 33]


def test_format_options_are_checked_with_what_to_do() -> None:
    fmt = CsvFormat.from_options({"rate": "100", "columns": "t,ax,ay,az", "accel": "ms2"})
    assert fmt.axes == 3 and fmt.query() == "rate=100&columns=t,ax,ay,az&accel=ms2&gyro=dps"
    rows = np.array([[5.0, 0.0, 0.0, 9.80665]])
    assert np.allclose(fmt.to_physical(rows), [[0, 0, 1]])
    bad = [
        ({"rate": "100", "columns": "ax,ay"}, "must name ax, ay and az"),
        ({"rate": "100", "columns": "ax,ay,az,gx"}, "all of gx, gy, gz or none"),
        ({"rate": "100", "columns": "ax,ay,az,mx"}, "unknown column 'mx'"),
        ({"rate": "fast", "columns": "ax,ay,az"}, "not a number of Hz"),
        ({"rate": "100", "columns": "ax,ay,az", "accel": "furlongs"}, "accel=furlongs is not a unit"),
    ]
    for options, message in bad:
        with pytest.raises(LinkError, match=message):
            CsvFormat.from_options(options)


@pytest.mark.parametrize(
    "kwargs",
    [{"rate_hz": 100.0}, {"rate_hz": 50.0, "sep": "\t", "timestamp": True, "accel": "ms2"}, {"rate_hz": 208.0}],
)
def test_probe_a_printing_sketch_on_a_real_pty(kwargs: dict[str, object]) -> None:
    rate = float(kwargs["rate_hz"])  # type: ignore[arg-type]
    with PrintingSketch(**kwargs) as sketch:  # type: ignore[arg-type]
        found = asyncio.run(probe(sketch.port))
    assert abs(found.measured_hz / rate - 1) < 0.05
    assert abs(found.format.rate_hz / rate - 1) < 0.05
    assert found.format.columns[-6:] == ("ax", "ay", "az", "gx", "gy", "gz")
    assert found.format.accel == kwargs.get("accel", "g")
    spec = found.spec(sketch.port)
    assert spec.startswith(f"csv:{sketch.port}?rate=") and "columns=" in spec
    assert "Found" in found.summary()


def test_a_silent_port_and_one_without_line_ends_say_what_to_check() -> None:
    with PrintingSketch(start_delay_s=60) as silent:

        async def main(garbage: bytes) -> None:
            link = SerialLink(silent.port)
            await link.open()
            os.write(silent.master, garbage)
            try:
                await listen(link, silent.port, 115200, first_line_s=0.3)
            finally:
                await link.close()

        expected = f"no lines arrived on {silent.port} in 0.3 s: is the sketch printing at 115200 baud?"
        with pytest.raises(LinkError, match=re.escape(expected)):
            asyncio.run(main(b""))
        with pytest.raises(LinkError, match="27 bytes but no whole lines arrived .* is the baud rate"):
            asyncio.run(main(b"\x93\xa5garbage at the wrong baud"))
