"""The window at 1280x720, as a laptop shows it: every page fits, nothing is cut off or overlaps, and
nothing the user does (select a take, a long model name, a notification) makes the window jump."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from tests.dataset.helpers import add, imu_draft
from tests.virtual.gesture_models import image
from wandlab.board.transfer import upload_model
from wandlab.protocol.controller import ActionKind, HidAction, InferenceEvent, Modifier
from wandlab.ui.dataset_table import COLUMNS
from wandlab.ui.live_test_page import Decision
from wandlab.ui.main_window import MainWindow
from wandlab.ui.meter_bars import MeterBars

from .conftest import connect_virtual
from .test_live_test_page import run_on_loop
from .test_train_page import report_data

WIDTH, HEIGHT = 1280, 720
LONG_MODEL_ID = "my-gestures-for-the-living-room-20250114-103200"
SESSION = "2025-01-14 10:32"  # what the Record page writes


def at_1280(qtbot: QtBot, win: MainWindow) -> None:
    win.resize(WIDTH, HEIGHT)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(50)


def push(qtbot: QtBot, win: MainWindow, model_id: str = LONG_MODEL_ID) -> None:
    async def go() -> None:
        client = win.session.client
        assert client is not None
        async for _ in upload_model(client, image(), model_id):
            pass

    run_on_loop(qtbot, win, go())


def with_takes(win: MainWindow, tmp_path: Path) -> None:
    assert win.projects.open(tmp_path / "proj")
    project = win.projects.project
    assert project is not None
    add(project, *[imu_draft(label, seed=i, subject="person 3", session=SESSION)
                   for i, label in enumerate(["flick_right", "flick_left", "circle", "circle"])])


def cut_off(root: QWidget, window: QWidget) -> list[str]:
    """Labels, buttons and combos shown narrower than their text needs, or reaching past the window."""
    found = []
    for w in root.findChildren(QWidget):
        if not w.isVisible() or not isinstance(w, (QLabel, QAbstractButton, QComboBox, MeterBars)):
            continue
        if isinstance(w, QLabel) and (w.wordWrap() or not w.text() or w.pixmap() is not None and
                                      not w.pixmap().isNull()):
            continue
        name = f"{type(w).__name__}({getattr(w, 'text', lambda: '')()!r})"
        if w.width() < w.minimumSizeHint().width() - 1:
            found.append(f"{name} is {w.width()} px wide, needs {w.minimumSizeHint().width()}")
        right = w.mapTo(window, QPoint(w.width(), 0)).x()
        if right > window.width() + 1:
            found.append(f"{name} ends at x={right}, past the window's {window.width()}")
    return found


def test_every_page_fits_1280x720(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    with_takes(window, tmp_path)
    connect_virtual(qtbot, window)
    push(qtbot, window)
    window.train_page.report.show_report(report_data())  # the report's figures, as after a run
    live_test = window.live_test_page  # a decision with the longest texts the page shows
    live_test.hid_editor.hid_on.setChecked(True)  # "(not sent: no computer is paired over Bluetooth)"
    live_test.show_decision(Decision(InferenceEvent(1000, 3, "a_gesture_with_a_rather_long_descriptive_name",
                                                    12139.0, -4213.0, 700), 0.0, "Ctrl+Shift+Page Down"))
    window.train_page.tabs.setCurrentWidget(window.train_page.report)
    at_1280(qtbot, window)
    for index in range(window.pages.count()):
        window.pages.setCurrentIndex(index)
        qtbot.wait(150)
        name = window.pages.tabText(index)
        assert (window.width(), window.height()) == (WIDTH, HEIGHT), f"{name}: the window grew"
        # With room to spare: "3120 of 3120 takes" or a bigger font must not push it over either.
        assert window.minimumSizeHint().width() <= WIDTH - 40, name
        assert cut_off(window.pages.currentWidget(), window) == [], name
    assert cut_off(window.device_panel, window) == [] and cut_off(window.virtual_panel, window) == []


def test_selecting_a_take_keeps_the_window_and_the_filters_readable(qtbot: QtBot, window: MainWindow,
                                                                    tmp_path: Path) -> None:
    with_takes(window, tmp_path)
    project = window.projects.project
    assert project is not None
    add(project, imu_draft("a_gesture_with_a_rather_long_descriptive_name", seed=9, subject="someone with a name",
                           session="the afternoon session in the kitchen"))
    at_1280(qtbot, window)
    page = window.dataset_page
    window.pages.setCurrentWidget(page)
    qtbot.wait(50)
    long_one = project.samples(label="a_gesture_with_a_rather_long_descriptive_name")[0]
    page.select([long_one.id])
    qtbot.wait(100)
    assert page.editor.sample is not None and page.editor.sample.id == long_one.id
    assert window.width() == WIDTH  # it was 1406, and 1500 with this take selected
    assert page.editor.title.text().startswith("a_gesture_with")  # all of it, in the tooltip when cut
    for name, combo in page.filters.items():
        label = next(w for w in page.findChildren(QLabel) if w.buddy() is combo)
        assert label.geometry().right() < combo.geometry().left(), f"the {name} label overlaps its combo"
        assert label.width() >= label.sizeHint().width(), name


def test_dataset_table_shows_session_and_flags_whole(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    with_takes(window, tmp_path)
    at_1280(qtbot, window)
    page = window.dataset_page
    window.pages.setCurrentWidget(page)
    page.model.set_problems({s.id: "far from the rest of its label" for s in page.model.samples})
    qtbot.wait(100)
    table, fm = page.table, page.table.fontMetrics()
    assert table.horizontalScrollBar().maximum() == 0  # every column in view, the Flags column included
    session = COLUMNS.index("Session")
    assert table.columnWidth(session) >= fm.horizontalAdvance(SESSION) + 8
    flags = COLUMNS.index("Flags")
    assert table.columnWidth(flags) >= fm.horizontalAdvance("interrupted, 12 lost, ⚠ check") + 8
    assert "⚠ check" in page.proxy.index(0, flags).data()


def test_a_long_model_name_leaves_the_left_panel_whole(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    push(qtbot, window)
    at_1280(qtbot, window)
    panel = window.device_panel
    qtbot.waitUntil(lambda: window.session.info is not None and window.session.info.active_model_id == LONG_MODEL_ID)
    panel._show_info(window.session.info)
    qtbot.wait(50)
    scroll = panel.parentWidget()
    while not isinstance(scroll, QScrollArea):
        assert scroll is not None
        scroll = scroll.parentWidget()
    viewport = scroll.viewport()
    for button in (panel.connect_button, *window.virtual_panel.gesture_buttons.values()):
        right = button.mapTo(viewport, QPoint(button.width(), 0)).x()
        assert right <= viewport.width(), f"{button.text()} is cut off at {right} > {viewport.width()}"
    model = next(panel.info_form.itemAt(i, panel.info_form.ItemRole.FieldRole).widget()
                 for i in range(panel.info_form.rowCount())
                 if panel.info_form.itemAt(i, panel.info_form.ItemRole.LabelRole).widget().text() == "Active model")
    assert model.text() == LONG_MODEL_ID and model.toolTip() == LONG_MODEL_ID  # shortened on screen, whole here


def test_hid_key_row_shows_key_names_and_modifiers_whole(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    push(qtbot, window)
    at_1280(qtbot, window)
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    editor = page.hid_editor
    qtbot.waitUntil(lambda: editor.table.rowCount() == 10 and not editor.busy, timeout=4000)
    row = editor.editors[0]
    row.set_action(HidAction(0, int(ActionKind.KEY), 0x4F, int(Modifier.CTRL | Modifier.GUI)))  # Right arrow
    qtbot.wait(100)
    assert row.key.currentText() == "Right arrow"
    assert row.key.width() >= row.key.fontMetrics().horizontalAdvance("Right arrow") + 20  # not "Rigl"
    for box in row.mods.values():
        assert box.isVisible() and box.width() >= box.sizeHint().width(), box.text()  # not "Supe"
    viewport = editor.table.viewport()
    for widget in (row.key, *row.mods.values()):
        right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
        assert right <= viewport.width(), f"{widget} ends at {right}, the table shows {viewport.width()}"
        bottom = widget.mapTo(row, QPoint(0, widget.height())).y()
        assert bottom <= row.height(), "the modifiers line is cut off by the table row"


def test_plot_keys_never_cover_the_curves(qtbot: QtBot, window: MainWindow) -> None:
    at_1280(qtbot, window)
    live, curves = window.live_page, window.train_page.curves
    plots = [live.accel_plot, live.gyro_plot, curves.loss_plot.getPlotItem(), curves.acc_plot.getPlotItem()]
    for plot in plots:
        legend = plot.legend
        if legend is not None and legend.isVisible():
            assert not legend.sceneBoundingRect().intersects(plot.vb.sceneBoundingRect()), plot.titleLabel.text
    for plot in (live.accel_plot, live.gyro_plot):
        assert all(f"━ {axis}" in plot.titleLabel.text for axis in "xyz")  # the colour key, in the title
    assert "held-out" in curves.acc_plot.getPlotItem().titleLabel.text
    assert isinstance(curves.acc_plot, pg.PlotWidget)


def test_notifications_do_not_move_the_page(qtbot: QtBot, window: MainWindow) -> None:
    at_1280(qtbot, window)
    top = window.pages.mapTo(window, QPoint(0, 0)).y()
    window.notifier.info("Connected to Virtual wand")
    qtbot.wait(50)
    assert window.banner.isVisible() and window.pages.mapTo(window, QPoint(0, 0)).y() == top
    window.notifier.error("A message far too long for one line " * 12)
    qtbot.wait(50)
    assert window.pages.mapTo(window, QPoint(0, 0)).y() == top
    assert window.banner.label.toolTip().startswith("A message far too long")  # whole, where it is cut
    window.banner.dismiss()
    qtbot.wait(50)
    assert not window.banner.isVisible() and window.pages.mapTo(window, QPoint(0, 0)).y() == top


def test_the_bluetooth_parts_fit_the_side_column(qtbot: QtBot, window: MainWindow) -> None:
    at_1280(qtbot, window)
    panel = window.device_panel
    assert panel.virtual_ble_button.isVisible() and panel.bluetooth.isVisible()
    assert cut_off(panel, window) == []
    panel.virtual_ble_button.click()
    qtbot.waitUntil(lambda: window.session.connected and window.computer_panel.isVisible(), timeout=8000)
    computer = window.computer_panel
    computer.pair_button.click()
    qtbot.waitUntil(lambda: "Connected" in computer.state_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: any(r.wand.name == "Virtual wand" for r in panel.bluetooth.rows), timeout=3000)
    for text in ("Play/Pause", "Ctrl+Shift+Page Down", "move +127 -127"):
        computer.keys.insertItem(0, f"12:34:56   {text}")
    qtbot.wait(100)
    assert (window.width(), window.height()) == (WIDTH, HEIGHT)
    assert window.minimumSizeHint().width() <= WIDTH - 40
    for part in (panel, window.virtual_panel, computer):
        assert cut_off(part, window) == [], type(part).__name__
    viewport = window.side_scroll.viewport()
    for button in (computer.pair_button, computer.forget_button, *[r.connect_button for r in panel.bluetooth.rows]):
        right = button.mapTo(viewport, QPoint(button.width(), 0)).x()
        assert right <= viewport.width(), f"{button.text()} is cut off at {right} > {viewport.width()}"
    assert "MTU" in window.status.fields["link"].text()
