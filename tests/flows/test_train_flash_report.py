"""The train-and-flash report is the training child's evaluation, not a second one made afterwards."""

from __future__ import annotations

import dataclasses
import json

import pytest

from wandlab.flows.train_flash_events import FEW_TEST_TAKES, StageEvent
from wandlab.flows.train_flash_results import Activated, Fitted, HidResult, Prepared, Trained, build_report

LABELS = ["circle", "flick", "v"]


def _trained(matrix: list[list[int]], **evaluation: object) -> Trained:
    rows = LABELS + ["none"]
    return Trained(bundle_path="/tmp/b", epochs=5, float_accuracy=0.9, int8_accuracy=0.88, model_bytes=14000,
                   arena_bytes=4000, bit_exact=True, verified={"latency_ms": {"M4F": 3.5}, "macs": 123456},
                   calibration={"inputs": 600},
                   evaluation={"labels": LABELS, "confusion": {"rows": rows, "columns": rows, "matrix": matrix},
                               **evaluation})


def _report(trained: Trained):
    prepared = Prepared(takes=60, labels={k: 20 for k in LABELS}, channels=6, base=None, epochs=5, note="",
                        data_dir="/tmp/d")
    fitted = Fitted(image_bytes=15000, model_bytes=14000, max_model_bytes=65536, arena_bytes=4000,
                    board_arena_bytes=8192, board="virtual wand")
    activated = Activated(slot=1, model_id="m-1", classes={0: "circle", 1: "flick", 2: "v"})
    hid = HidResult("preset", {"circle": "Play/Pause"}, True)
    return build_report(prepared, trained, fitted, activated, hid, {"train": 1.0}, 12.0)


def test_report_confusion_and_accuracy_come_from_the_training_evaluation() -> None:
    matrix = [[9, 1, 0, 0], [0, 10, 0, 0], [0, 0, 8, 2], [0, 1, 0, 5]]  # last row: idle/unknown takes
    report = _report(_trained(matrix))
    assert report.confusion == matrix[:3] and report.predicted_labels == LABELS + ["none"]
    assert report.validation_takes == 30 and report.open_set_accuracy == 27 / 30
    assert report.per_class_accuracy == {"circle": 0.9, "flick": 1.0, "v": 0.8}
    assert report.accuracy_loss_points == 2.0 and report.latency_within_budget == {"M4F": True}
    assert not report.warnings
    json.dumps(StageEvent("report", "done", 1.0, "", report.to_dict(), 1.0, report).to_dict())  # JSON-able


def test_few_held_out_takes_are_named_in_a_warning() -> None:
    report = _report(_trained([[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]]))
    assert report.validation_takes == 5 < FEW_TEST_TAKES
    assert any("rest on 5 held-out takes" in w for w in report.warnings)


def test_the_command_line_summary_prints_the_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    from wandlab.commands.train_flash import print_summary

    report = _report(_trained([[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]]))
    print_summary(report.to_dict())
    out = capsys.readouterr().out
    assert "held-out takes: 5" in out and "warning: the test figures rest on 5 held-out takes" in out


def test_a_failed_evaluation_still_gives_a_report_that_says_so() -> None:
    trained = _trained([])
    trained = Trained(**{**trained.to_dict(), "evaluation": {"version": 1, "error": "ValueError: boom"}})
    report = _report(trained)
    assert report.open_set_accuracy is None and report.per_class_accuracy == {}
    assert any("evaluation failed" in w for w in report.warnings)


def test_the_latency_estimate_adds_the_boards_ranking_by_embedding_and_dtw(tmp_path) -> None:
    from tests.virtual.gesture_models import gesture_bundle
    from wandlab.ml.bundle import save_bundle
    from wandlab.onboard.budgets import LATENCY_TARGETS

    bundle = gesture_bundle()
    assert bundle.recognizer.shapes is not None  # the shipped model's references carry their codes
    save_bundle(bundle, tmp_path / "b")
    target = LATENCY_TARGETS[0]
    matrix = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    trained = dataclasses.replace(_trained(matrix), bundle_path=str(tmp_path / "b"),
                                  verified={"latency_ms": {target.name: 1.9}})
    refs, frames, channels = bundle.recognizer.shapes.shape
    # 50 references x 32 x 32 cells x (4 + 2 x 3) cycles at 64 MHz: 8 ms on top of the model's 1.9 ms.
    assert report_latency(trained) == pytest.approx(1.9 + refs * frames * frames * (4 + 2 * channels) / 64e3)
    assert 9.5 < report_latency(trained) < 20.0
    unread = dataclasses.replace(trained, bundle_path=str(tmp_path / "missing"))
    assert report_latency(unread) == 1.9  # no bundle to read: the model's figure alone


def report_latency(trained: Trained) -> float:
    return next(iter(_report(trained).latency_ms.values()))
