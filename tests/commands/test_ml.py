"""The ML commands as a user runs them, and the rule that GUI-facing modules never load TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wandlab.cli import main
from wandlab.ml.bundle import load_bundle
from wandlab.ml.synthetic import gesture_names, virtual_takes, write_folder

GUI_SAFE = (
    "wandlab.onboard.imu_features",
    "wandlab.onboard.knn",
    "wandlab.onboard.budgets",
    "wandlab.ml.bundle",
    "wandlab.ml.runner",
    "wandlab.ml.train",
    "wandlab.ml.augment",
    "wandlab.ml.synthetic",
    "wandlab.ml.fewshot",
    "wandlab.ml.baselines",
    "wandlab.commands.ml",
    "wandlab.flows.train_flash",
)


def test_gui_facing_modules_do_not_import_tensorflow() -> None:
    code = (
        f"import sys\nfor m in {GUI_SAFE!r}: __import__(m)\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_train_then_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_folder(tmp_path / "data", virtual_takes(gesture_names(3), 8, [1, 2], seed=4))
    out = tmp_path / "model.zip"
    assert main(["train", "--data", str(data), "--out", str(out), "--epochs", "2", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    assert events[-1]["bit_exact"] is True and events[-1]["bundle_path"] == str(out)
    bundle = load_bundle(out)
    assert bundle.labels == sorted(gesture_names(3))
    header = tmp_path / "model_data.h"
    assert main(["model-header", str(out), "--out", str(header)]) == 0
    assert f"g_gesture_model_len = {len(bundle.tflite)}" in header.read_text()


def test_bench_train_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "train", "--classes", "3", "--takes", "6", "--epochs", "2", "--test-takes", "28",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # Test figures from other people than the training's, at least the asked number of takes (whole classes).
    assert result["test_takes"] == 30 and result["train_takes"] < 18
    assert "test people 5-8" in result["data"]
    for key in (
        "train_s",
        "convert_s",
        "verify_s",
        "model_bytes",
        "arena_bytes",
        "float_accuracy",
        "int8_accuracy",
        "bit_exact",
    ):
        assert key in result
    assert result["bit_exact"] is True and result["model_bytes"] <= 16 * 1024
