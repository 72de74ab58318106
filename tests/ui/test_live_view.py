"""The live view as a user meets it: open, connect the virtual wand, see data, wave, unplug."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from wandlab.board.client import ConnectionState
from wandlab.ui.main_window import MainWindow
from wandlab.ui.notify import ERROR

from .conftest import connect_virtual


def _curve_points(curve: object) -> int:
    x, _ = curve.getData()  # type: ignore[attr-defined]
    return 0 if x is None else len(x)


def test_window_opens_and_offers_the_virtual_wand(window: MainWindow) -> None:
    assert window.pages.tabText(0) == "Live"
    assert window.device_panel.no_board.isVisible()  # no serial ports: one-click virtual wand
    assert window.device_panel.connect_button.text() == "Connect"
    assert window.live_page.hint.isVisible()
    assert "Not connected" in window.status.fields["state"].text()
    assert not window.virtual_panel.isVisible()


def test_add_page_is_one_line(window: MainWindow) -> None:
    before = window.pages.count()
    index = window.add_page("Extra", QLabel("samples"), "An extra page")
    assert window.pages.tabText(index) == "Extra" and window.pages.count() == before + 1


def test_connecting_shows_board_info_and_live_data(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    panel = window.device_panel
    assert panel.info_box.isVisible()
    facts = {panel.info_form.itemAt(i, panel.info_form.ItemRole.LabelRole).widget().text():
             panel.info_form.itemAt(i, panel.info_form.ItemRole.FieldRole).widget().text()
             for i in range(panel.info_form.rowCount())}
    assert facts["Board"] == "Virtual wand" and "gyro 100 Hz" in facts["Sensors"]
    assert panel.connect_button.text() == "Disconnect" and not panel.no_board.isVisible()
    assert window.virtual_panel.isVisible()

    version = window.session.buffer.version
    page = window.live_page
    qtbot.waitUntil(lambda: window.session.buffer.version > version + 20 and page.frames_drawn > 3
                    and _curve_points(page.accel_curves[2]) > 20 and _curve_points(page.audio_curve) > 100,
                    timeout=4000)
    assert not page.hint.isVisible()
    _, az = page.accel_curves[2].getData()
    assert 0.5 < float(np.nanmedian(az)) < 1.2  # gravity is mostly on z for a raised wand
    # Rates need half a second of stream before they are measured.
    qtbot.waitUntil(lambda: "Hz" in window.status.fields["imu"].text()
                    and "kHz" in window.status.fields["audio"].text(), timeout=3000)
    assert window.status.fields["lost"].text() == "0 lost"
    assert window.status.fields["board"].text() == "Virtual wand"


def test_gesture_button_moves_the_wand(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    buffer = window.session.buffer
    qtbot.wait(300)
    at_rest = buffer.gyro_peak_dps(0.3)
    assert at_rest < 30
    window.virtual_panel.gesture_buttons["flick_left"].click()
    qtbot.waitUntil(lambda: buffer.gyro_peak_dps(0.5) > max(100.0, 5 * at_rest), timeout=3000)


def test_number_key_performs_a_gesture(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.wait(300)
    buffer = window.session.buffer
    assert buffer.gyro_peak_dps(0.3) < 30
    qtbot.keyClick(window.live_page, Qt.Key.Key_1)  # 1 = circle
    qtbot.waitUntil(lambda: buffer.gyro_peak_dps(0.5) > 100.0, timeout=3000)


def test_unplug_shows_disconnect_then_reconnects(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    states: list[ConnectionState] = []
    window.session.on_state(lambda state, detail: states.append(state))
    window.virtual_panel.unplug_button.click()

    qtbot.waitUntil(lambda: ConnectionState.RECONNECTING in states, timeout=3000)
    assert "reconnecting" in window.device_panel.state_label.text()
    assert "reconnecting" in window.status.fields["state"].text()
    assert window.banner.isVisible() and "reconnecting" in window.banner.label.text()
    assert not window.virtual_panel.gesture_buttons["circle"].isEnabled()  # cannot script a gone board

    qtbot.waitUntil(lambda: window.session.connected, timeout=5000)
    assert states[0] is ConnectionState.DISCONNECTED
    assert "Connected" in window.device_panel.state_label.text()
    assert "Reconnected" in window.banner.label.text()
    imu_total = window.session.buffer.imu.total
    qtbot.waitUntil(lambda: window.session.buffer.imu.total > imu_total + 20, timeout=3000)  # streaming again


def test_disconnect_with_ctrl_k(qtbot: QtBot, window: MainWindow) -> None:
    connect_virtual(qtbot, window)
    window.device_panel.toggle_connection()  # what Ctrl+K and the Disconnect button call
    qtbot.waitUntil(lambda: not window.session.active, timeout=5000)
    assert window.device_panel.connect_button.text() == "Connect"
    assert not window.device_panel.info_box.isVisible()
    assert "Not connected" in window.status.fields["state"].text()


def test_connection_error_is_a_banner_not_a_traceback(qtbot: QtBot, window: MainWindow) -> None:
    window.connect_to("serial:/dev/no-such-wand")
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)
    assert window.banner.level == ERROR
    assert "no-such-wand" in window.banner.label.text()
    assert "no-such-wand" in window.status.currentMessage()
    assert not window.session.active and window.device_panel.connect_button.text() == "Connect"
