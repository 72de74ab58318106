from __future__ import annotations

import argparse
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dataset.helpers import FullDisk, make_folder, refusing
from wandlab.commands import dataset as commands
from wandlab.dataset import export, lock, sources
from wandlab.errors import WandlabError


def main(argv: list[str]) -> int:
    """``wandlab.cli.main`` restricted to the dataset commands: the full parser cannot be built twice
    in one process while other areas' register() functions are not idempotent."""
    parser = argparse.ArgumentParser(prog="wandlab")
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except WandlabError as exc:
        print(f"wandlab: {exc}", file=sys.stderr)
        return 1


def test_import_ls_stats_check_export_from_the_command_line(tmp_path, capsys):
    src = make_folder(tmp_path / "src")
    proj = str(tmp_path / "proj")
    assert main(["dataset", "import", "--project", proj, str(src)]) == 0
    out, err = capsys.readouterr()
    assert "Imported 9 sample(s)" in out and "[100%]" in err

    assert main(["dataset", "stats", "--project", proj, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["samples"] == 9 and stats["labels"] == {"flick": 3, "wave": 3, "yes": 3}

    assert main(["dataset", "ls", "--project", proj, "--label", "yes"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[-1] == "3 sample(s)" and all(" yes " in line for line in listing[1:-1])

    assert main(["dataset", "check", "--project", proj, "--json"]) == 0
    problems = json.loads(capsys.readouterr().out)
    assert {p["kind"] for p in problems} >= {"too_few"}

    out_dir = tmp_path / "ei"
    assert main(["dataset", "export", "--project", proj, str(out_dir), "--format", "edge-impulse"]) == 0
    assert (out_dir / "info.labels").exists() and "Exported 9" in capsys.readouterr().out


def test_errors_are_one_line_and_exit_1(tmp_path, capsys):
    assert main(["dataset", "stats", "--project", str(tmp_path / "nope")]) == 1
    assert "not a Wandlab project" in capsys.readouterr().err
    src = make_folder(tmp_path / "src", takes=1)
    (src / "samples" / "flick_0.csv").write_text("ax,ay\n1,2\n")
    assert main(["dataset", "import", "--project", str(tmp_path / "p"), str(src)]) == 1
    assert "flick_0.csv: header" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()  # no empty project left behind by a failed first import


def test_cli_format_choices_match_the_core():
    assert commands.IMPORT_FORMATS == sources.FORMATS
    assert commands.EXPORT_FORMATS == export.EXPORT_FORMATS


def test_the_installed_entry_point_runs_dataset_commands(tmp_path):
    proj = tmp_path / "proj"
    assert main(["dataset", "import", "--project", str(proj), str(make_folder(tmp_path / "src", takes=1))]) == 0
    code = "import sys; from wandlab.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "dataset", "stats", "--project", str(proj), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labels"] == {"flick": 1, "wave": 1, "yes": 1}


# -- a failing disk or a hostile source: one line naming the file, exit status 1, never a traceback -------


def test_a_full_disk_during_import_is_one_sentence(tmp_path, capsys, monkeypatch):
    src, proj = make_folder(tmp_path / "src", takes=1), str(tmp_path / "proj")
    assert main(["dataset", "import", "--project", proj, str(src), "--label", "first"]) == 0
    capsys.readouterr()
    FullDisk(monkeypatch).samples = True
    assert main(["dataset", "import", "--project", proj, str(src)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("wandlab: ") and ".npy: could not write the file: the disk is full; free some space" in err


def test_a_full_disk_during_export_is_one_sentence(tmp_path, capsys, monkeypatch):
    proj = str(tmp_path / "proj")
    assert main(["dataset", "import", "--project", proj, str(make_folder(tmp_path / "src", takes=1))]) == 0
    monkeypatch.setattr(Path, "write_text", refusing())
    assert main(["dataset", "export", "--project", proj, str(tmp_path / "out")]) == 1
    assert "out: could not write the export: the disk is full" in capsys.readouterr().err


def test_a_read_only_project_is_one_sentence(tmp_path, capsys, monkeypatch):
    proj = str(tmp_path / "proj")
    assert main(["dataset", "import", "--project", proj, str(make_folder(tmp_path / "src", takes=1))]) == 0
    capsys.readouterr()
    monkeypatch.setattr(lock, "open", refusing(errno.EROFS), raising=False)  # a read-only mount
    assert main(["dataset", "import", "--project", proj, str(tmp_path / "src")]) == 1
    assert "project.lock: could not lock the project for writing: the disk is read-only" in capsys.readouterr().err
    assert main(["dataset", "stats", "--project", proj]) == 0  # reading needs no lock


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_an_edge_impulse_folder_is_refused_not_read(tmp_path, capsys):
    (tmp_path / "ei").mkdir()
    os.mkfifo(tmp_path / "ei" / "circle.1.json")
    assert main(["dataset", "import", "--project", str(tmp_path / "proj"), str(tmp_path / "ei")]) == 1
    assert "circle.1.json: is a named pipe, not a regular file" in capsys.readouterr().err


def test_a_disk_failure_the_core_did_not_foresee_is_still_a_sentence(tmp_path, capsys, monkeypatch):
    proj = str(tmp_path / "proj")
    assert main(["dataset", "import", "--project", proj, str(make_folder(tmp_path / "src", takes=1))]) == 0
    capsys.readouterr()

    def failing(project):
        raise OSError(errno.EIO, os.strerror(errno.EIO), f"{proj}/samples/ab/x.npy")

    monkeypatch.setattr("wandlab.dataset.problems.find_problems", failing)
    assert main(["dataset", "check", "--project", proj]) == 1
    err = capsys.readouterr().err
    assert "samples/ab/x.npy: could not read or write it: the disk reported an input/output error" in err
