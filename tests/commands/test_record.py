"""``wandlab record`` end to end: the virtual wand performs each take, the project holds them."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from wandlab.commands import record as record_command
from wandlab.dataset.project import Project
from wandlab.errors import DatasetError


def _record(*argv: str) -> int:
    # Only the record command's parser: building wandlab.cli's whole parser twice in one process trips
    # over wandlab.commands.bench's module-level registry (other tests call cli.main too).
    parser = argparse.ArgumentParser(prog="wandlab")
    record_command.register(parser.add_subparsers())
    args = parser.parse_args(["record", *argv])
    return int(args.func(args))


def test_record_two_takes_from_the_virtual_wand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    argv = ("--port", "virtual:", "--label", "flick_left", "--takes", "2", "--seconds", "1.2",
            "--countdown", "0", "--perform", "flick_left", "--project", str(project))  # fmt: skip
    assert _record(*argv) == 0
    out = capsys.readouterr().out
    assert "flick_left 2 of 2" in out and "saved take 2 of 2" in out
    assert "Saved 2 of 2 take(s)" in out

    done = subprocess.run(
        [sys.executable, "-m", "wandlab.cli", "dataset", "stats", "--project", str(project), "--json"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["labels"] == {"flick_left": 2} and stats["kinds"] == {"imu": 2}
    assert stats["recording"] == 0 and stats["interrupted"] == 0

    with Project.open(project, read_only=True) as p:
        for sample in p.samples():
            assert sample.board == "Virtual wand" and sample.source == "recorder"
            assert sample.trim_end - sample.trim_start < sample.n_frames - 20  # cut to the flick


def test_perform_needs_the_virtual_wand(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="virtual"):
        _record("--port", "serial:/dev/null", "--label", "x", "--perform", "circle", "--project", str(tmp_path / "p"))
    with pytest.raises(DatasetError, match="unknown gesture"):
        _record("--label", "x", "--perform", "moonwalk", "--project", str(tmp_path / "p"))
    assert not (tmp_path / "p").exists()  # refused before touching anything
