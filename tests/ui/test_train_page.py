"""The Train page: one button runs train-and-flash; progress, stages, curves, report, failure, cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from wandlab.dataset.folder import IMU_COLUMNS
from wandlab.dataset.jobs import run_job
from wandlab.dataset.project import Draft
from wandlab.flows.train_flash import STAGE_NAMES, StageEvent, TrainFlashOptions
from wandlab.ml.synthetic import virtual_takes
from wandlab.ui.main_window import MainWindow
from wandlab.ui.train_page import CANCELLED, DONE, FAILED

from .conftest import connect_virtual

LABELS = ["circle", "flick_left", "shake"]


def add_takes(win: MainWindow, labels: list[str], per_label: int, seed: int = 1) -> None:
    project = win.projects.project
    assert project is not None
    takes = virtual_takes(labels, per_label, [1, 2, 3], seed=seed)
    run_job(project.add_samples([Draft(t.label, "imu", IMU_COLUMNS, t.rate_hz, t.data, subject=t.subject)
                                 for t in takes]))


def report_data() -> dict[str, Any]:
    return {
        "labels": LABELS,
        "per_class_accuracy": {"circle": 1.0, "flick_left": 0.5, "shake": 1.0},
        "confusion": [[2, 0, 0, 0], [0, 1, 0, 1], [0, 0, 2, 0]],
        "predicted_labels": [*LABELS, "none"],
        "open_set_accuracy": 5 / 6, "float_accuracy": 0.9, "int8_accuracy": 0.88,
        "model_bytes": 14888, "image_bytes": 17000, "arena_bytes": 4320, "validation_takes": 6,
        "budget": {"model_flash_bytes": 16384, "arena_bytes": 8192, "latency_ms": 20.0,
                   "board_max_model_bytes": 256 * 1024, "board_arena_bytes": 64 * 1024},
        "board": "Virtual wand",
        "latency_ms": {"Cortex-M4F": 1.9, "ESP32-S3": 0.3},
        "stage_seconds": {"train": 3.5},
        "warnings": ["the test figures rest on 6 held-out takes: record more takes per gesture for figures "
                     "you can trust"],
    }


def evaluation() -> dict[str, Any]:
    return {"version": 1, "labels": LABELS,
            "confusion": {"rows": LABELS, "cols": [*LABELS, "none"],
                          "matrix": [[2, 0, 0, 0], [1, 1, 0, 0], [0, 0, 2, 0]]}}


def fake_pipeline(fail_at: str = "", hang_at: str = "", verify_carries_evaluation: bool = False) -> Any:
    """StageEvents as train_and_flash yields them, quickly; optionally failing or hanging at a stage.
    The training's evaluation comes with the train stage's done, or (as the real pipeline does it) with
    the verify stage's."""
    evaluated_at = "verify" if verify_carries_evaluation else "train"

    async def pipeline(client: Any, project: Any) -> AsyncIterator[StageEvent]:
        share = 1 / len(STAGE_NAMES)
        for i, stage in enumerate(STAGE_NAMES):
            yield StageEvent(stage, "start", i * share, f"{stage} starting")
            await asyncio.sleep(0.01)
            if stage == fail_at:
                yield StageEvent(stage, "failed", i * share, "the model needs a 9000 byte arena, the board has 8192")
                raise RuntimeError("stopped")
            if stage == hang_at:
                await asyncio.sleep(60)
            if stage == "train":
                for epoch in range(1, 4):
                    yield StageEvent(stage, "progress", (i + epoch / 3) * share, f"epoch {epoch}/3",
                                     {"epoch": epoch, "epochs": 3, "loss": 3.0 / epoch, "accuracy": 0.3 * epoch,
                                      "val_accuracy": 0.3 * epoch})
            data = report_data() if stage == "report" else {}
            if stage == evaluated_at:
                data = {"evaluation": evaluation()}
            yield StageEvent(stage, "done", (i + 1) * share, f"{stage} done", {**data, "seconds": 0.25})

    return pipeline


def _ready(qtbot: QtBot, win: MainWindow, tmp_path: Path, takes: int = 4) -> None:
    page = win.train_page
    assert not page.train_button.isEnabled() and "project first" in page.train_button.toolTip()
    assert win.projects.open(tmp_path / "proj")
    connect_virtual(qtbot, win)
    assert not page.train_button.isEnabled() and "two gestures" in page.train_button.toolTip()
    add_takes(win, LABELS, takes)
    qtbot.waitUntil(page.train_button.isEnabled, timeout=2000)
    win.pages.setCurrentWidget(page)


def test_progress_stages_curves_and_report(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = window.train_page
    page.pipeline = fake_pipeline()
    _ready(qtbot, window, tmp_path)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert page.running or page.outcome  # Ctrl+T started it
    qtbot.waitUntil(lambda: page.outcome == DONE and not page.running, timeout=5000)
    assert page.progress.value() == 1000
    assert all(page.stages.states[s] == DONE for s in STAGE_NAMES)
    assert page.stages.rows["train"].text(2) == "3.5 s"  # from the report's stage seconds
    assert page.stages.rows["upload"].text(2) == "0.2 s" or page.stages.rows["upload"].text(2) == "0.3 s"
    assert page.curves.epochs == [1.0, 2.0, 3.0] and page.curves.val[-1][1] == pytest.approx(0.9)
    assert page.tabs.currentWidget() is page.report and not page.try_button.isHidden()
    fig = page.report.figures
    assert fig is not None and fig.confusion.shape == (3, 4) and fig.predicted_labels[-1] == "none"
    assert page.report.confusion.texts == ["2", "1", "1", "2"]
    assert "83% recognised" in page.report.summary.text() and "flick_left" in page.report.summary.text()
    assert "rest on 6 held-out takes" in page.report.summary.text()  # few takes: said beside the figure
    assert [m.name for m in page.report.budget_bars.meters] == ["Model (flash)", "Tensor arena (RAM)", "Latency"]
    assert "14.5 KB of 16 KB" in page.report.budget_bars.meters[0].text
    assert page.train_button.isEnabled() and not page.cancel_button.isEnabled()
    from wandlab.ml.report_html import SECTIONS

    # The full evaluation (same SVG figures as `wandlab evaluate` writes) has a picture per section.
    assert len(page.evaluation.figures) == len(SECTIONS) and page.evaluation.empty.isHidden()
    page.evaluation.show_evaluation({"version": 1, "error": "no validation takes"})
    assert not page.evaluation.figures and "no validation takes" in page.evaluation.empty.text()
    page.try_button.click()
    assert window.pages.currentWidget() is window.live_test_page


def test_a_failed_stage_says_why_and_stops(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = window.train_page
    page.pipeline = fake_pipeline(fail_at="verify")
    _ready(qtbot, window, tmp_path)
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == FAILED and not page.running, timeout=5000)
    assert page.stages.states["verify"] == FAILED and page.stages.states["fit"] == ""
    assert not page.failure.isHidden() and "9000 byte arena" in page.failure.text()
    assert "Verify" in page.failure.text() and window.banner.level == "error"
    assert page.train_button.isEnabled() and page.try_button.isHidden()


def test_cancel_stops_the_run(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = window.train_page
    page.pipeline = fake_pipeline(hang_at="upload")
    _ready(qtbot, window, tmp_path)
    page.train_button.click()
    qtbot.waitUntil(lambda: page.stages.states["upload"] == "running", timeout=5000)
    assert page.cancel_button.isEnabled() and not page.train_button.isEnabled()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.outcome == CANCELLED and not page.running, timeout=3000)
    assert page.stages.states["upload"] == CANCELLED and page.stages.states["activate"] == ""
    assert "keeps the model" in page.headline.text() and page.train_button.isEnabled()


@pytest.mark.slow
def test_real_train_and_flash_on_the_virtual_wand(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    """The real pipeline (training in a child process) from the button to a model running on the board."""
    page = window.train_page
    page.options = TrainFlashOptions(epochs=2)
    _ready(qtbot, window, tmp_path, takes=4)
    page.train_button.click()
    qtbot.waitUntil(lambda: bool(page.outcome), timeout=40000)
    assert page.outcome == DONE, page.failure.text()
    assert page.curves.epochs == [1.0, 2.0]
    fig = page.report.figures
    assert fig is not None and fig.labels == LABELS and fig.model_bytes > 0 and fig.arena_bytes > 0
    assert page.evaluation.figures and page.evaluation.empty.isHidden()  # the training's own evaluation
    assert window.session.info is not None


def test_the_acceptance_choice_sets_the_margin_of_the_next_run(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """"Answer gestures: Strict / Balanced / Lenient" is `--margin 0.2 / 0.5 / 0.8` of train-and-flash; a
    gesture's own margin (`--class-margin`) stays."""
    import wandlab.flows.train_flash as flow

    page = window.train_page
    assert page.margin_choice.currentText() == "Balanced" and page.run_options().margins == {"*": 0.5}
    seen: list[TrainFlashOptions] = []

    def capture(client: Any, project: Any, options: TrainFlashOptions) -> AsyncIterator[StageEvent]:
        seen.append(options)
        return fake_pipeline()(client, project)

    monkeypatch.setattr(flow, "train_and_flash", capture)
    page.options = TrainFlashOptions(margins={"tap": 1.0})
    _ready(qtbot, window, tmp_path)
    qtbot.keyClicks(page.margin_choice, "Strict")
    assert page.margin_choice.margin() == pytest.approx(0.2)
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == DONE and not page.running, timeout=5000)
    assert seen and seen[0].margins == {"tap": 1.0, "*": 0.2}
    assert page.options.margins == {"tap": 1.0}  # the page's own options are not changed by the choice


def test_the_acceptance_choice_is_the_projects_and_comes_back_when_it_is_opened_again(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    """Strict in one project stays with that project: another project shows its own (Balanced when it
    never chose), and reopening the first shows Strict again - as a later app session would."""
    page = window.train_page
    assert window.projects.open(tmp_path / "first")
    qtbot.keyClicks(page.margin_choice, "Strict")
    assert window.projects.project is not None
    assert window.projects.project.setting("train.acceptance") == "Strict"
    assert window.projects.open(tmp_path / "second")
    assert page.margin_choice.currentText() == "Balanced" and page.run_options().margins == {"*": 0.5}
    page.margin_choice.setCurrentText("Lenient")  # as picking it from the list does
    window.projects.close()
    assert window.projects.open(tmp_path / "first")
    assert page.margin_choice.currentText() == "Strict" and page.run_options().margins == {"*": 0.2}
    assert window.projects.open(tmp_path / "second")
    assert page.margin_choice.currentText() == "Lenient"


def test_a_project_setting_survives_closing_and_an_unknown_one_shows_the_default(tmp_path: Path) -> None:
    from wandlab.dataset.project import Project
    from wandlab.ui.margin_choice import MarginChoice

    with Project.open(tmp_path / "p", create=True) as project:
        assert project.setting("train.acceptance", "Balanced") == "Balanced"
        project.set_setting("train.acceptance", "Extreme")  # as a newer Wandlab might have saved
    with Project.open(tmp_path / "p") as project:
        assert project.setting("train.acceptance") == "Extreme"
        choice = MarginChoice()
        choice.choose(project.setting("train.acceptance"))
        assert choice.currentText() == "Balanced"
