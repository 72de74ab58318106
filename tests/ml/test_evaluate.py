"""The evaluation report: figures computed the board's way, the HTML pictures, the CLI."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wandlab.cli import main
from wandlab.ml.bundle import load_bundle, save_bundle
from wandlab.ml.evaluate import EVALUATION_VERSION, evaluate, idle_windows, is_idle_label
from wandlab.ml.report_html import SECTIONS, figures, write_report
from wandlab.ml.synthetic import Take, gesture_names, virtual_takes, write_folder
from wandlab.ml.train import SYNTHETIC_IDLE_TAKES
from wandlab.ml.verify import int8_embeddings
from wandlab.onboard.budgets import LATENCY_TARGETS
from wandlab.onboard.hybrid_rank import board_predict, take_codes
from wandlab.onboard.imu_features import FeatureConfig


def _check_consistent(ev: dict[str, Any], n_takes: int) -> None:
    json.dumps(ev, allow_nan=False)  # plain JSON, no numpy types
    assert ev["version"] == EVALUATION_VERSION and "error" not in ev
    labels = ev["labels"]
    m = np.array(ev["confusion"]["matrix"])
    assert m.shape == (len(labels) + 1, len(labels) + 1)
    assert ev["confusion"]["rows"] == ev["confusion"]["columns"] == labels + ["none"]
    assert m.sum() == ev["accuracy"]["takes"] == n_takes
    assert m[:-1].sum() == ev["accuracy"]["known_takes"]
    assert ev["accuracy"]["open_set"] == pytest.approx(np.trace(m) / m.sum())
    for row in ev["per_class"]:
        i = (labels + ["none"]).index(row["label"])
        assert row["support"] == m[i].sum() and row["predicted"] == m[:, i].sum() and row["correct"] == m[i, i]
        for key in ("precision", "recall", "f1"):
            assert row[key] is None or 0.0 <= row[key] <= 1.0
    emap = ev["embedding_map"]
    assert len(emap["points"]) == len(emap["labels"]) == len(emap["kinds"]) == len(emap["predicted"])
    assert all(len(p) == 2 for p in emap["points"]) and len(emap["explained_variance"]) == 2
    assert emap["kinds"].count("validation") == n_takes
    idle = ev["idle"]
    if idle["windows"]:
        assert idle["false_accepts"] + idle["answered_none"] + idle["answered_idle_class"] == idle["windows"]
        assert idle["false_accepts_per_minute"] == pytest.approx(idle["false_accepts"] / idle["minutes"])
        assert sum(idle["accepted_as"].values()) == idle["false_accepts"]
        assert emap["kinds"].count("idle") == idle["windows"]
    names = [item["name"] for item in ev["budget"]["items"]]
    assert names[:2] == ["model (flash)", "tensor arena (RAM)"] and any("latency" in n for n in names)


def test_training_reports_its_evaluation(tiny_training: dict[str, Any]) -> None:
    done = tiny_training["by_name"]["done"]
    ev, val = done["evaluation"], tiny_training["val"]
    _check_consistent(ev, len(val.labels))
    # Virtual-wand data without idle takes: the virtual wand's own idle motion is the idle stream.
    assert ev["idle"]["windows"] == SYNTHETIC_IDLE_TAKES and "virtual wand idle" in ev["idle"]["source"]
    assert 1.0 < ev["idle"]["minutes"] < 3.0
    # Float vs int8 with the training's own protocol: the same numbers as the done event's metrics.
    fi = ev["float_vs_int8"]
    assert fi["float_accuracy"] == pytest.approx(done["float_accuracy"])
    assert fi["int8_accuracy"] == pytest.approx(done["int8_accuracy"])
    # Quantisation error per embedding value: a few LSB of 1/128 (training is not bit-reproducible).
    assert fi["mean_cosine"] > 0.99 and fi["max_abs_lsb"] <= 8
    shots = {r["shots"]: r for r in ev["kshot"]["results"]}
    assert set(shots) == {1, 3} and ev["kshot"]["skipped"][0]["shots"] == 5  # 4 validation takes per class
    assert all(0.0 <= r["accuracy"] <= 1.0 and r["ways"] == 4 for r in shots.values())
    assert ev["budget"]["fits"] and ev["budget"]["bit_exact"] is True
    # Latency: the model's estimate plus the board's ranking by embedding + DTW over the references.
    refs, frames, channels = done["bundle"].recognizer.shapes.shape
    m4 = next(i for i in ev["budget"]["items"] if i["name"] == f"latency {LATENCY_TARGETS[0].name}")
    model_ms = done["bundle"].report["latency_ms"][LATENCY_TARGETS[0].name]
    assert m4["value"] == pytest.approx(model_ms + refs * frames ** 2 * (4 + 2 * channels) / 64e3)
    # The bundle carries it too, next to the VerifyReport keys other code reads.
    report = done["bundle"].report
    assert report["arena_bytes"] > 0 and report["evaluation"] is ev


def test_unknown_labels_and_idle_false_accepts(tiny_training: dict[str, Any]) -> None:
    bundle, val = tiny_training["by_name"]["done"]["bundle"], tiny_training["val"]
    first = bundle.labels[0]
    # A class renamed "nomotion": its answers to idle windows are not false accepts.
    rec = dataclasses.replace(bundle.recognizer, labels=["nomotion", *bundle.labels[1:]])
    renamed = dataclasses.replace(bundle, recognizer=rec, labels=list(rec.labels))
    labels = np.where(val.labels == first, "nomotion", val.labels)
    labels[:2] = "never_trained"  # takes of a label the model does not know must be answered "none"
    idle_x = val.x  # gesture windows as the "idle stream": plenty of accepts to count
    ev = evaluate(renamed, val.x, labels, idle_x=idle_x, idle_minutes=2.0)
    _check_consistent(ev, len(labels))
    assert ev["accuracy"]["unknown_takes"] == 2 and sum(ev["confusion"]["matrix"][-1]) == 2
    assert any(r["label"] == "none" and r["support"] == 2 for r in ev["per_class"])
    # As the board decides: ranked by embedding + DTW (the trained recogniser carries its references' codes).
    assert rec.shapes is not None
    pred = board_predict(rec, int8_embeddings(bundle.tflite, idle_x), take_codes(idle_x))
    expected_false = sum(p is not None and p != "nomotion" for p in pred)
    idle = ev["idle"]
    assert idle["ignored_classes"] == ["nomotion"] and idle["minutes"] == 2.0
    assert idle["false_accepts"] == expected_false > 0
    assert idle["answered_idle_class"] == sum(p == "nomotion" for p in pred)
    assert idle["false_accepts_per_minute"] == pytest.approx(expected_false / 2.0)
    assert ev["float_vs_int8"] is None  # no float embeddings given
    assert is_idle_label("NoMotion") and is_idle_label(" idle ") and not is_idle_label("circle")


def test_idle_windows_cut_long_streams() -> None:
    features = FeatureConfig(channels=6)
    rng = np.random.default_rng(0)
    x, minutes = idle_windows([(rng.normal(size=(500, 6)), 100.0), (rng.normal(size=(100, 6)), 100.0)], features)
    assert x.shape == (3 + 1, *features.shape)  # 5 s -> 3 windows of 1.28 s; 1 s -> one (centred, padded)
    assert minutes == pytest.approx(6.0 / 60.0)
    empty, none = idle_windows([], features)
    assert empty.shape == (0, *features.shape) and none == 0.0


def test_html_has_a_picture_per_section_and_escapes_labels(tiny_training: dict[str, Any], tmp_path: Path) -> None:
    bundle, val = tiny_training["by_name"]["done"]["bundle"], tiny_training["val"]
    evil = "<script>alert('x')</script>"
    names = [evil if lab == bundle.labels[0] else lab for lab in bundle.labels]
    rec = dataclasses.replace(bundle.recognizer, labels=names)
    renamed = dataclasses.replace(bundle, recognizer=rec, labels=names)
    labels = np.where(val.labels == bundle.labels[0], evil, val.labels)
    ev = evaluate(renamed, val.x, labels, idle_x=val.x[:5])
    page = write_report(ev, tmp_path / "report")
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "&lt;script&gt;" in text
    assert json.loads((tmp_path / "report" / "report.json").read_text()) == json.loads(json.dumps(ev))
    sections = re.findall(r"<section id=\"(\w+)\">(.*?)</section>", text, re.S)
    assert [s[0] for s in sections] == [key for key, _, _ in SECTIONS]
    for key, body in sections:
        svgs = re.findall(r"<svg .*?</svg>", body, re.S)
        assert len(svgs) == 1, key
        ET.fromstring(svgs[0])  # well-formed XML: escaped text cannot break out of the picture
        assert (tmp_path / "report" / "figures" / f"{key}.svg").is_file()
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # no external assets
    # Counts appear in the heat map; an evaluation that failed still renders every section.
    assert ">" + str(ev["confusion"]["matrix"][0][0]) + "</text>" in figures(ev)["confusion"]
    broken = write_report({"version": EVALUATION_VERSION, "error": "boom <b>"}, tmp_path / "broken").read_text()
    assert broken.count("<svg") == len(SECTIONS) and "boom &lt;b&gt;" in broken


def test_cli_evaluate_and_train_report(
    tiny_training: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tiny_training["by_name"]["done"]["bundle"]
    path = save_bundle(bundle, tmp_path / "bundle")
    data = write_folder(tmp_path / "data", virtual_takes(gesture_names(4), 3, [9], seed=3))
    still = virtual_takes(["idle"], 4, [9], seed=4)
    stream = Take(np.concatenate([t.data for t in still]), still[0].rate_hz, "idle", "virtual-9")
    idle = write_folder(tmp_path / "idle", [*still, stream])
    out = tmp_path / "eval"
    assert (
        main(
            [
                "evaluate",
                "--bundle",
                str(path),
                "--data",
                str(data),
                "--idle",
                str(idle),
                "--out",
                str(out),
                "--episodes",
                "2",
                "--json",
            ]
        )
        == 0
    )
    ev = json.loads(capsys.readouterr().out)
    _check_consistent(ev, 12)
    assert ev["idle"]["windows"] > 5 and "recordings in" in ev["idle"]["source"]
    assert ev["float_vs_int8"] is not None and "leave-one-out" in ev["float_vs_int8"]["protocol"]
    assert (out / "report.html").is_file() and json.loads((out / "report.json").read_text())["labels"] == ev["labels"]

    train_data = write_folder(tmp_path / "train", virtual_takes(gesture_names(3), 6, [1, 2], seed=8))
    assert (
        main(
            [
                "train",
                "--data",
                str(train_data),
                "--out",
                str(tmp_path / "m.zip"),
                "--epochs",
                "1",
                "--report",
                str(tmp_path / "rep"),
            ]
        )
        == 0
    )
    assert "report: " in capsys.readouterr().out
    assert (tmp_path / "rep" / "report.html").is_file()
    assert "evaluation" in (load_bundle(tmp_path / "m.zip").report or {})


def test_evaluation_modules_do_not_import_tensorflow() -> None:
    code = (
        "import sys\nimport wandlab.ml.evaluate, wandlab.ml.report_html\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
