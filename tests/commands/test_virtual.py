"""``wandlab virtual-takes``: the folder the README's few-shot benchmark runs on."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from wandlab.cli import main


def test_virtual_takes_writes_a_labeled_folder_of_trimmed_takes(tmp_path: Path) -> None:
    out = tmp_path / "virtual"
    assert main(["virtual-takes", str(out), "--classes", "3", "--takes", "4", "--people", "21-22"]) == 0
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    assert len(rows) == 12 and {r["subject"] for r in rows} == {"virtual-21", "virtual-22"}
    untrimmed = tmp_path / "untrimmed"
    assert main(["virtual-takes", str(untrimmed), "--classes", "3", "--takes", "4", "--people", "21-22",
                 "--untrimmed"]) == 0
    first = (out / rows[0]["file"]).read_text().count("\n")
    assert first < (untrimmed / rows[0]["file"]).read_text().count("\n")  # rest before/after was cut


@pytest.mark.parametrize("args, message", [(["--people", "a-b"], "write numbers"), (["--classes", "99"], "gestures")])
def test_bad_options_get_a_sentence(tmp_path: Path, args: list[str], message: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["virtual-takes", str(tmp_path / "x"), *args]) == 1
    assert message in capsys.readouterr().err
