"""``wandlab record`` end to end: the virtual wand performs each take, the project holds them."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dataset.helpers import FullDisk
from wandlab.commands import record as record_command
from wandlab.dataset import journal
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


def test_a_full_disk_stops_the_recording_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = FullDisk(monkeypatch)
    writes = [0]
    write_all = journal.write_all  # FullDisk's: fails once the disk is full

    def fill_up(fd: int, payload: bytes) -> None:
        writes[0] += 1
        if writes[0] == 20:  # the journal's header, then a few blocks: the disk fills up mid-take
            disk.journal = True
        write_all(fd, payload)

    monkeypatch.setattr(journal, "write_all", fill_up)
    project = tmp_path / "proj"
    argv = ("--port", "virtual:", "--label", "flick_left", "--takes", "2", "--seconds", "3",
            "--countdown", "0", "--perform", "flick_left", "--project", str(project))  # fmt: skip
    assert _record(*argv) == 1
    out, err = capsys.readouterr()
    assert "Recording stopped: " in err and "could not write the recording journal: the disk is full" in err
    assert "Traceback" not in err and "Saved 1 of 2 take(s)" in out
    with Project.open(project, read_only=True) as p:
        [sample] = p.samples()  # what reached the disk, marked for review
        assert sample.interrupted and 0 < sample.n_frames < 300
