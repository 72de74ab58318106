"""``wandlab csv-probe`` and ``wandlab record --port csv:...``: a board running its own sketch, from the CLI."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import numpy as np
import pytest

from tests.link.csv_sketch import PrintingSketch
from wandlab.commands import csv_probe, record
from wandlab.dataset.project import Project
from wandlab.errors import LinkError


def _run(module: object, *argv: str) -> int:
    # Only this command's parser (see tests/commands/test_record.py for why not wandlab.cli's).
    parser = argparse.ArgumentParser(prog="wandlab")
    module.register(parser.add_subparsers())  # type: ignore[attr-defined]
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def test_csv_probe_prints_what_it_found_and_the_spec_to_skip_detection(capsys: pytest.CaptureFixture[str]) -> None:
    with PrintingSketch(sep="\t", timestamp=True, accel="ms2") as sketch:
        assert _run(csv_probe, "csv-probe", sketch.port) == 0
        out = capsys.readouterr().out
        spec = f"csv:{sketch.port}?rate=100&columns=t,ax,ay,az,gx,gy,gz&accel=ms2&gyro=dps"
        assert f"Listening to {sketch.port} at 115200 baud" in out
        assert "Found 7 tab-separated columns at 100 Hz (the first is a millis() timestamp); values look like " \
               "m/s^2 and deg/s." in out  # fmt: skip
        assert f"  {spec}\n" in out and f"wandlab record --port {shlex.quote(spec)}" in out

        assert _run(csv_probe, "csv-probe", f"serial:{sketch.port}", "--baud", "230400", "--json") == 0
        found = json.loads(capsys.readouterr().out)
    assert found["spec"] == spec.replace("?", "?baud=230400&")
    assert found["columns"] == ["t", "ax", "ay", "az", "gx", "gy", "gz"] and found["timestamp"] == "millis()"
    assert abs(found["measured_hz"] - 100) < 5


def test_csv_probe_of_a_silent_port_is_one_sentence() -> None:
    with PrintingSketch(start_delay_s=60) as silent, pytest.raises(LinkError) as raised:
        _run(csv_probe, "csv-probe", silent.port)
    assert str(raised.value) == f"no lines arrived on {silent.port} in 3 s: is the sketch printing at 115200 baud?"


def test_record_a_take_from_a_text_board(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    with PrintingSketch(accel="ms2") as sketch:
        # No options: the link detects the format itself before the first take.
        argv = ("record", "--port", f"csv:{sketch.port}", "--label", "swing", "--takes", "1", "--seconds", "2.2",
                "--countdown", "0", "--project", str(project))  # fmt: skip
        assert _run(record, *argv) == 0
    assert "Saved 1 of 1 take(s) of 'swing'" in capsys.readouterr().out
    with Project.open(project, read_only=True) as p:
        (sample,) = list(p.samples())
        assert sample.board == "Text (CSV) board" and sample.rate_hz == 100
        assert "csv: ax,ay,az,gx,gy,gz at 100 Hz, m/s^2, deg/s" in sample.firmware
        assert sample.n_frames >= 180
        data = p.load(sample)
    assert data.shape[1] == 6
    assert float(np.median(np.linalg.norm(data[:, :3], axis=1))) == pytest.approx(1.0, abs=0.05)  # g, not m/s^2
