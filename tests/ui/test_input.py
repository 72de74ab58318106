"""Keys and dialogs as a user meets them: Space, Enter and Delete do the obvious thing, corrections do
not suggest the mistake, a new project is a name, and the board's refusals read as plain sentences."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from tests.dataset.helpers import add, gesture, imu_draft
from tests.virtual.gesture_models import image
from wandlab.dataset.folder import IMU_COLUMNS
from wandlab.dataset.project import Draft
from wandlab.ui.main_window import MainWindow

from .conftest import connect_virtual
from .test_live_test_page import perform, push_model
from .test_record_page import _ready, _samples

JARGON = ("RecognizeStart", "EnrollStart", "refused by the board", "wandlab flash", "bad argument", "(wandlab")


def _active(qtbot: QtBot, win: MainWindow) -> None:
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=2000)


def test_space_records_unless_a_text_field_has_focus(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, seconds=0.6)
    page = window.record_page
    _active(qtbot, window)
    label_edit = page.picker.combo.lineEdit()
    assert label_edit is not None
    label_edit.setFocus()
    label_edit.setCursorPosition(len(label_edit.text()))
    qtbot.keyClick(label_edit, Qt.Key.Key_Space)  # the label field: a space, no take
    assert label_edit.text() == "flick_left " and page.capture is None
    word = window.virtual_panel.word  # any text field in the window
    word.setFocus()
    qtbot.keyClicks(word, "hey wand")
    assert word.text() == "hey wand" and page.capture is None
    page.picker.set_label("flick_left")
    page.takes.setFocus()  # just set the number of takes: Space records (it did nothing here)
    qtbot.waitUntil(page.takes.hasFocus, timeout=1000)
    qtbot.keyClick(page.takes, Qt.Key.Key_Space)
    assert page.capture is not None and page.capture.running
    qtbot.waitUntil(lambda: len(_samples(window)) == 1 and not page.capture.running, timeout=4000)  # type: ignore[union-attr]
    page.record_button.setFocus()  # a focused button: Space records once, it does not press the button too
    qtbot.keyClick(page.record_button, Qt.Key.Key_Space)
    assert page.capture.running  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: len(_samples(window)) == 2, timeout=4000)


def test_enter_in_the_label_field_starts_the_series(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, seconds=0.6)
    page = window.record_page
    _active(qtbot, window)
    label_edit = page.picker.combo.lineEdit()
    assert label_edit is not None
    label_edit.setFocus()
    label_edit.selectAll()
    qtbot.keyClicks(label_edit, "circle")
    qtbot.keyClick(label_edit, Qt.Key.Key_Return)
    assert page.capture is not None and page.capture.running and page.capture.settings.label == "circle"
    qtbot.waitUntil(lambda: len(_samples(window)) == 1, timeout=4000)


def test_delete_key_deletes_the_selected_takes_with_undo(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "proj")
    project = window.projects.project
    assert project is not None
    add(project, *[imu_draft("flick", seed=i) for i in range(3)])
    page = window.dataset_page
    window.pages.setCurrentWidget(page)
    _active(qtbot, window)
    ids = [s.id for s in project.samples()][:2]
    page.select(ids)
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=1000)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert [project.state_of(i) for i in ids] == ["deleted", "deleted"] and page.model.rowCount() == 1
    assert "Ctrl+Z" in window.banner.label.text()
    window.menu_actions["undo"].trigger()
    assert [project.state_of(i) for i in ids] == ["ok", "ok"] and page.model.rowCount() == 3


def _modal(qtbot: QtBot) -> QWidget:
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=3000)
    widget = QApplication.activeModalWidget()
    assert widget is not None
    return widget


def test_that_was_wrong_suggests_no_label_and_offers_not_a_gesture(qtbot: QtBot, window: MainWindow,
                                                                     tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "proj")
    add(window.projects.project, imu_draft("circle", seed=1), imu_draft("w", seed=2))  # type: ignore[arg-type]
    connect_virtual(qtbot, window)
    push_model(qtbot, window, image())
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.recognising, timeout=4000)
    perform(qtbot, window, "circle")
    qtbot.waitUntil(lambda: bool(page.history) and page.history[0].event.label == "circle", timeout=6000)
    seen: dict[str, object] = {}

    def answer(pick_not_a_gesture: bool) -> None:
        dialog = _modal(qtbot)
        combo = dialog.findChild(QComboBox)
        buttons = dialog.findChild(QDialogButtonBox)
        assert combo is not None and buttons is not None
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        seen.update(current=combo.currentText(), items=[combo.itemText(i) for i in range(combo.count())],
                    ok=ok.isEnabled())
        combo.setEditText("circle")  # typing what the board said must not be accepted either
        seen["ok_for_mistake"] = ok.isEnabled()
        if pick_not_a_gesture:
            combo.setCurrentIndex(next(i for i in range(combo.count()) if "Not a gesture" in combo.itemText(i)))
            ok.click()
        else:
            dialog.reject()

    QTimer.singleShot(0, lambda: answer(False))
    page.that_was_wrong()
    assert seen["current"] == "" and not seen["ok"]  # nothing chosen: OK cannot save a guess
    assert "circle" not in seen["items"] and not seen["ok_for_mistake"]  # type: ignore[operator]
    assert any("Not a gesture" in item for item in seen["items"])  # type: ignore[union-attr]

    QTimer.singleShot(0, lambda: answer(True))
    page.that_was_wrong()
    project = window.projects.project
    assert project is not None
    assert project.label_counts() == {"circle": 1, "idle": 1, "w": 1}  # the motion saved as "not a gesture"


def test_new_project_by_typing_its_name(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "first")
    seen: dict[str, object] = {}

    def type_a_name() -> None:
        dialog = _modal(qtbot)
        seen["dialog"] = type(dialog).__name__
        edits = [e for e in dialog.findChildren(QLineEdit) if e.isVisible()]
        name = next((e for e in edits if "e.g." in e.placeholderText()), None)
        if name is None:  # a folder picker: it cannot make a folder from a name
            dialog.close()
            return
        name.setText("my-gestures")
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        create = next(b for b in buttons.buttons() if b.text() == "Create")
        seen["preview"] = str(tmp_path / "my-gestures")
        create.click()

    QTimer.singleShot(0, type_a_name)
    window.menu_actions["new"].trigger()
    qtbot.waitUntil(lambda: "dialog" in seen, timeout=3000)
    assert "preview" in seen, f"File > New project opened a {seen['dialog']} with nowhere to type a name"
    project = window.projects.project
    assert project is not None and project.root == tmp_path / "my-gestures" and project.root.is_dir()


def test_board_refusals_read_as_plain_sentences(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: "no model" in page.status.text(), timeout=3000)
    text = unescape(page.status.text())
    assert "Train & Flash" in text and not [j for j in JARGON if j in text], text


def test_enroll_start_is_disabled_on_a_board_without_a_model(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    page.enroll_button.click()
    wizard = page.wizard
    assert wizard is not None
    wizard.name.setText("wave")  # type: ignore[attr-defined]
    start = wizard.start_button  # type: ignore[attr-defined]
    assert not start.isEnabled() and "no model" in start.toolTip()
    wizard.close()
    push_model(qtbot, window, image())
    page.enroll_button.click()
    wizard = page.wizard
    wizard.name.setText("wave")  # type: ignore[union-attr]
    assert wizard.start_button.isEnabled()  # type: ignore[union-attr]
    wizard.close()  # type: ignore[union-attr]


def test_motion_and_rotation_plots_use_the_same_time_unit(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "proj")
    project = window.projects.project
    assert project is not None
    short = gesture(rest_s=0.15, move_s=0.5)  # under a second: pyqtgraph called that "ms" below, "s" above
    add(project, Draft("flick", "imu", IMU_COLUMNS, 100.0, short))
    take = project.samples()[0]
    assert take.duration_s < 1
    page = window.dataset_page
    window.pages.setCurrentWidget(page)
    page.select([take.id])
    qtbot.wait(50)
    axes = [page.editor.top.getAxis("bottom"), page.editor.bottom.getAxis("bottom")]
    assert [axis.autoSIPrefixScale for axis in axes] == [1.0, 1.0]  # seconds on both, not s above and ms below
    assert axes[1].labelString().endswith("(s)</span>"), axes[1].labelString()
    top, bottom = (plot.vb.sceneBoundingRect() for plot in (page.editor.top, page.editor.bottom))
    assert abs(top.left() - bottom.left()) <= 1 and abs(top.right() - bottom.right()) <= 1  # one instant, one x
