from __future__ import annotations

import argparse
import json
import subprocess
import sys

from tests.dataset.helpers import make_folder
from wandlab.commands import dataset as commands
from wandlab.dataset import export, sources
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
