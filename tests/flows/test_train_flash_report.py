"""The train-and-flash report is the training child's evaluation, not a second one made afterwards."""

from __future__ import annotations

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
