"""Text that stays true: what the window says changes when what it describes changes (the label typed,
the board back, a key saved, a take deleted, another project, a finished or failed run)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.dataset.helpers import add, imu_draft
from tests.virtual.gesture_models import image
from wandlab.ui import evaluation_view, label_picker, report_view
from wandlab.ui.main_window import MainWindow
from wandlab.ui.train_page import DONE, FAILED

from .conftest import connect_virtual
from .test_live_test_page import perform, push_model, run_on_loop
from .test_record_page import _ready, _samples
from .test_train_page import _ready as _ready_to_train
from .test_train_page import fake_pipeline

NEED_LABEL = "Type a label for the takes first, e.g. circle"


def test_type_a_label_first_goes_when_the_series_starts(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, seconds=0.6)
    page = window.record_page
    page.picker.set_label("")
    page.record_button.click()
    assert window.banner.isVisible() and window.banner.label.text() == NEED_LABEL
    page.picker.set_label("flick_left")
    assert not window.banner.isVisible()  # the label is there: the message is gone, before the first take
    page.record_button.click()
    assert page.capture is not None and page.capture.running
    assert NEED_LABEL not in window.status.currentMessage()
    qtbot.waitUntil(lambda: len(_samples(window)) == 1, timeout=4000)
    assert window.banner.label.text() != NEED_LABEL or not window.banner.isVisible()


def test_record_prompt_follows_the_board_back(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, seconds=0.6)
    page = window.record_page
    page.record_button.click()
    qtbot.waitUntil(lambda: len(_samples(window)) == 1 and not page.capture.running, timeout=4000)  # type: ignore[union-attr]
    window.virtual_panel.unplug_button.click()
    qtbot.waitUntil(lambda: "Connect a board" in page.prompt.text(), timeout=3000)
    qtbot.waitUntil(lambda: window.session.connected, timeout=6000)
    assert "Connect a board" not in page.prompt.text() and "Ready" in page.prompt.text()
    assert page.record_button.isEnabled()


def test_recent_takes_follow_deletes_and_crops(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, takes=2, seconds=0.6)
    page = window.record_page
    page.record_button.click()
    qtbot.waitUntil(lambda: page.recent.count() == 2 and not page.capture.running, timeout=6000)  # type: ignore[union-attr]
    project = window.projects.project
    assert project is not None
    newest, oldest = (page.recent.item(i).data(Qt.ItemDataRole.UserRole) for i in range(2))
    project.editor.set_trim(oldest, 0, 30)  # cropped in the Dataset page
    qtbot.waitUntil(lambda: page.recent.item(1).text().endswith("0.30 s"), timeout=2000)
    project.editor.delete([newest])
    qtbot.waitUntil(lambda: page.recent.count() == 1, timeout=2000)
    assert page.recent.item(0).data(Qt.ItemDataRole.UserRole) == oldest
    project.editor.undo()  # the delete is undone: the take is back in the list
    qtbot.waitUntil(lambda: page.recent.count() == 2, timeout=2000)


def test_label_swatch_is_the_colour_of_the_label_shown(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "proj")
    project = window.projects.project
    assert project is not None
    add(project, imu_draft("flick", seed=1), imu_draft("wave", seed=2))
    picker = window.record_page.picker
    picker.set_colour("flick", "#112233")
    picker.set_colour("wave", "#445566")

    def shown_colours() -> set[str]:
        """Every colour drawn next to the label: the combo's own icon (if any) and the swatch button."""
        colours = {picker.colour_button.icon().pixmap(14, 14).toImage().pixelColor(5, 5).name()}
        icon = picker.combo.itemIcon(picker.combo.currentIndex())
        if not icon.isNull():
            colours.add(icon.pixmap(12, 12).toImage().pixelColor(5, 5).name())
        return colours

    for label, colour in (("wave", "#445566"), ("flick", "#112233"), ("wave", "#445566")):
        picker.set_label(label)
        assert shown_colours() == {colour}, label
    picker.set_label("brand_new")
    picker.remember()  # a take of it starts: it becomes a label, and keeps its own colour
    assert shown_colours() == {picker.store.colour("brand_new")}
    # The list still shows every label in its colour.
    row = picker.combo.findText("wave")
    assert picker.combo.itemData(row, label_picker.COLOUR_ROLE) == "#445566"


def test_live_test_never_says_recognition_is_off_while_shown(qtbot: QtBot, window: MainWindow) -> None:
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    seen: list[str] = []
    original = page.status.setText

    def record(text: str) -> None:
        if page.isVisible():
            seen.append(text)
        original(text)

    page.status.setText = record  # type: ignore[method-assign]
    connect_virtual(qtbot, window)
    push_model(qtbot, window, image())  # a model arrives while the page is shown: it starts by itself
    qtbot.waitUntil(lambda: page.recognising and "recognising" in page.status.text(), timeout=10000)
    assert seen and not [t for t in seen if "Recognition is off" in t], seen


def test_a_key_saved_replaces_no_key_mapped(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    connect_virtual(qtbot, window)
    push_model(qtbot, window, image())
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    editor = page.hid_editor
    qtbot.waitUntil(lambda: page.recognising and editor.table.rowCount() == 10 and not editor.busy, timeout=10000)
    run_on_loop(qtbot, window, _clear_keys(editor))
    perform(qtbot, window, "circle")
    qtbot.waitUntil(lambda: bool(page.history) and page.history[0].accepted, timeout=6000)
    qtbot.wait(300)  # any HidReport would have come by now
    assert page.key.text() == "no key mapped for this gesture"
    editor.apply_preset("media remote")  # circle -> Play/Pause
    editor.send_button.click()
    qtbot.waitUntil(lambda: "Sent" in editor.state.text(), timeout=3000)
    assert "no key mapped" not in page.key.text() and "Play/Pause" in page.key.text()
    editor.hid_on.click()  # HID on, but no computer paired with the virtual wand: the key is not sent
    qtbot.waitUntil(lambda: "HID on" in editor.state.text(), timeout=3000)
    seen = len(page.history)
    perform(qtbot, window, "circle")
    qtbot.waitUntil(lambda: len(page.history) > seen and bool(page.history[0].key), timeout=6000)
    assert not page.history[0].sent and "HID is off" not in page.key.text(), page.key.text()


async def _clear_keys(editor: object) -> None:
    from wandlab.board.controller import set_hid_map

    client = editor.session.client  # type: ignore[attr-defined]
    await set_hid_map(client, [])
    await editor.load_from_board()  # type: ignore[attr-defined]


def test_train_page_forgets_the_previous_project(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = window.train_page
    page.pipeline = fake_pipeline()
    _ready_to_train(qtbot, window, tmp_path)
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == DONE and not page.running, timeout=5000)
    assert page.report.figures is not None and page.evaluation.figures
    assert window.projects.open(tmp_path / "other")  # File > Open project
    assert page.report.figures is None and not page.evaluation.figures
    assert page.report.summary.text() == report_view.BEFORE
    assert page.evaluation.empty.text() == evaluation_view.BEFORE
    assert page.curves.epochs == [] and page.details.text() == "" and page.try_button.isHidden()
    assert all(state == "" for state in page.stages.states.values())
    assert "two gestures" in page.headline.text()  # what this project needs, not "The new model runs…"


def test_evaluation_tab_says_what_is_true(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = window.train_page
    assert "appears here" in page.evaluation.empty.text()  # before any training
    page.pipeline = fake_pipeline(verify_carries_evaluation=True)  # as the real pipeline: on verify's done
    _ready_to_train(qtbot, window, tmp_path)
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == DONE and not page.running, timeout=5000)
    assert page.evaluation.figures and page.evaluation.empty.isHidden()

    page.pipeline = fake_pipeline(fail_at="train")  # a run that stops before a model is evaluated
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == FAILED and not page.running, timeout=5000)
    assert not page.evaluation.figures  # the previous run's figures are not this run's
    assert "stopped at “Train” before the model was verified" in page.evaluation.empty.text()
    assert "No report" in page.report.summary.text() and page.report.figures is None

    page.pipeline = fake_pipeline(fail_at="upload", verify_carries_evaluation=True)  # verified, then the cable
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == FAILED and not page.running, timeout=5000)
    assert page.evaluation.figures  # the model was trained and evaluated: that stays true

    assert window.projects.open(tmp_path / "other")
    assert not page.evaluation.figures and page.evaluation.empty.text() == evaluation_view.BEFORE


def test_report_names_both_budgets_as_the_board_panel_does(qtbot: QtBot, window: MainWindow,
                                                            tmp_path: Path) -> None:
    page = window.train_page
    page.pipeline = fake_pipeline()
    _ready_to_train(qtbot, window, tmp_path)
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == DONE and not page.running, timeout=5000)
    report = page.report
    meter = report.budget_bars.meters[0]
    assert meter.text.startswith("14.5 KB of 16 KB")  # the gesture-model budget: the dashed line
    limits = report.board_limits
    assert limits.isVisible() and "Virtual wand" in limits.text()
    panel = window.device_panel
    facts = {panel.info_form.itemAt(i, panel.info_form.ItemRole.LabelRole).widget().text():
             panel.info_form.itemAt(i, panel.info_form.ItemRole.FieldRole).widget().text()
             for i in range(panel.info_form.rowCount())}
    # The board's own limits, in the same words and units as the device panel.
    assert "256 KB" in facts["Model slots"] and "models up to 256 KB" in limits.text()
    assert facts["Tensor arena"] == "64 KB" and "64 KB tensor arena" in limits.text()
    assert "16 KB model, 8 KB arena" in report.budget_bars.toolTip()
