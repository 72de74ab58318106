"""HID map editor and enroll wizard against the virtual wand: presets round-trip to the board; a gesture
enrolled from three takes in the wizard is then recognised and pressing its key."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.virtual.gesture_models import image
from wandlab.board.controller import get_hid_map
from wandlab.board.enroll import list_refs
from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.ui.enroll_wizard import TRY, EnrollWizard
from wandlab.ui.main_window import MainWindow

from .conftest import connect_virtual
from .test_live_test_page import push_model, run_on_loop


def test_hid_preset_round_trips_to_the_board(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    connect_virtual(qtbot, window)
    push_model(qtbot, window, image())
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    editor = page.hid_editor
    qtbot.waitUntil(lambda: editor.table.rowCount() == 10, timeout=4000)
    editor.apply_preset("presentation clicker")
    assert "flick_right → Next slide" in editor.state.text()
    editor.editors[0].set_action(HidAction(0, int(ActionKind.KEY), 0x05, int(Modifier.CTRL | Modifier.SHIFT)))
    wanted = editor.mapped()
    editor.send_button.click()
    qtbot.waitUntil(lambda: "Sent" in editor.state.text(), timeout=3000)
    client = window.session.client
    on_board = run_on_loop(qtbot, window, get_hid_map(client))  # type: ignore[arg-type]
    assert set(on_board.actions) == set(wanted) and len(wanted) == 6  # type: ignore[attr-defined]
    by_label = dict(editor.classes)
    assert {by_label[a.class_id] for a in wanted} >= {"flick_right", "flick_left", "circle"}

    # A fresh read shows the board's map: the Ctrl+Shift+B on class 0 came back.
    editor.set_rows(editor.classes, [])
    run_on_loop(qtbot, window, editor.load_from_board())
    assert set(editor.mapped()) == set(wanted)
    assert editor.editors[0].mods[Modifier.CTRL].isChecked() and editor.editors[0].key.currentText() == "B"

    editor.hid_on.click()  # HID on/off goes to the board
    qtbot.waitUntil(lambda: "HID on" in editor.state.text() or "HID off" in editor.state.text(), timeout=3000)
    enabled = run_on_loop(qtbot, window, get_hid_map(client)).enabled  # type: ignore[arg-type, attr-defined]
    assert bool(enabled) == editor.hid_on.isChecked()


def test_enroll_wizard_teaches_the_board_a_new_gesture(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "proj")
    connect_virtual(qtbot, window)
    push_model(qtbot, window, image(drop=("w",)))  # the board has never seen a "w"
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.recognising, timeout=3000)
    page.enroll_button.click()
    wizard = page.wizard
    assert isinstance(wizard, EnrollWizard) and wizard.isVisible()
    assert "enroll wizard" in page.status.text()  # not "Starting recognition…" while the wizard has the board
    assert wizard.virtual_row.isVisibleTo(wizard)  # the virtual wand offers to perform it
    wizard.name.setText("w")
    assert wizard.virtual_gesture.currentData() == "w"  # a library gesture's name picks it
    wizard.shots.setValue(3)
    wizard.start_button.click()
    qtbot.waitUntil(lambda: wizard.pages.currentIndex() == TRY, timeout=14000)
    states = [p.state for p in wizard.progress_log]
    assert states == [0, 1] * 3 + [2], [p.message for p in wizard.progress_log]
    assert "is stored on the board" in wizard.stored.text()
    refs = run_on_loop(qtbot, window, list_refs(window.session.client))  # type: ignore[arg-type]
    new = [c for c in refs.classes if c.label == "w"]  # type: ignore[attr-defined]
    assert new and new[0].count == 3 and new[0].class_id == wizard.class_id
    project = window.projects.project
    assert project is not None and project.label_counts(kind="imu") == {"w": 3}  # next training includes it

    # Try it: perform it and the board says "w".
    qtbot.waitUntil(lambda: wizard.trying, timeout=2000)
    wizard.try_perform.click()
    qtbot.waitUntil(lambda: bool(wizard.tries), timeout=5000)
    assert wizard.tries[-1].class_id == wizard.class_id and wizard.try_label.text().startswith("✓")

    # Map it to a key.
    wizard.action.set_action(HidAction(0, int(ActionKind.CONSUMER), 0xCD, 0))
    run_on_loop(qtbot, window, wizard.save_action())
    hid = run_on_loop(qtbot, window, get_hid_map(window.session.client))  # type: ignore[arg-type]
    assert HidAction(wizard.class_id, int(ActionKind.CONSUMER), 0xCD, 0) in hid.actions  # type: ignore[attr-defined]
    assert "Play/Pause" in wizard.key_state.text()
    wizard.close_button.click()
    qtbot.waitUntil(lambda: page.recognising, timeout=3000)  # the live test resumes
    qtbot.waitUntil(lambda: not page.hid_editor.busy and page.hid_editor.table.rowCount() == 10, timeout=3000)
