"""The Record page with the virtual wand: take N, Space, the board's button, motion trigger, unplug."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from tests.dataset.helpers import FullDisk
from wandlab.dataset import capture as cap
from wandlab.ui.main_window import MainWindow

from .conftest import connect_virtual


def _ready(qtbot: QtBot, win: MainWindow, tmp_path: Path, label: str = "flick_left", **kw: int | float) -> None:
    assert win.projects.open(tmp_path / "proj")
    connect_virtual(qtbot, win)
    page = win.record_page
    win.pages.setCurrentWidget(page)
    page.picker.set_label(label)
    page.takes.setValue(int(kw.get("takes", 1)))
    page.countdown.setValue(int(kw.get("countdown", 0)))
    page.seconds.setValue(float(kw.get("seconds", 1.2)))
    assert not page.perform.isHidden()  # the virtual wand offers to act out known gestures
    assert page.record_button.isEnabled()


def _samples(win: MainWindow) -> list:
    assert win.projects.project is not None
    return win.projects.project.samples()


def test_take_n_records_trimmed_takes_with_thumbnails(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, takes=3, seconds=1.1)
    page = window.record_page
    prompts: list[str] = []
    page.record_button.click()
    assert page.capture is not None
    page.capture.subscribe(lambda e: prompts.append(e.prompt) if isinstance(e, cap.StateChanged) else None)
    assert "Stop" in page.record_button.text()
    qtbot.waitUntil(lambda: len(_samples(window)) == 3 and not page.capture.running, timeout=9000)  # type: ignore[union-attr]
    assert any(p.startswith("flick_left 3 of 3") for p in prompts)
    assert "Record" in page.record_button.text() and page.recent.count() == 3
    for sample in _samples(window):
        assert sample.label == "flick_left" and sample.n_frames == 110
        assert sample.trim_end - sample.trim_start < sample.n_frames - 20  # cut to the flick
        data = window.projects.project.load(sample, trimmed=True)  # type: ignore[union-attr]
        assert np.abs(data[:, 3:]).max() > 100  # the gesture is inside the crop
    table = window.dataset_page
    assert table.model.rowCount() == 3 and table.counts == {"flick_left": 3}
    icon = table.proxy.data(table.proxy.index(0, 0), Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon, QPixmap) and not icon.isNull()


def test_space_bar_starts_a_take(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, seconds=0.6)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window.record_page, Qt.Key.Key_Space)
    assert window.record_page.capture is not None and window.record_page.capture.running
    qtbot.waitUntil(lambda: len(_samples(window)) == 1, timeout=4000)


def test_board_button_starts_a_take(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, seconds=0.6)
    window.pages.setCurrentWidget(window.live_page)
    window.virtual_panel.press_button.click()  # SimButton -> ButtonEvent pressed=1, then 0
    qtbot.waitUntil(lambda: len(_samples(window)) == 1, timeout=4000)
    assert window.pages.currentWidget() is window.record_page  # the page comes forward


def test_motion_trigger_waits_for_motion_and_keeps_pre_roll(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, label="circle", seconds=4.0)
    page = window.record_page
    page.perform.setChecked(False)  # first: nobody moves
    page.mode.setCurrentIndex(page.mode.findData("motion"))
    page.record_button.click()
    qtbot.wait(1200)
    assert page.capture is not None and page.capture.state == cap.ARMED and not _samples(window)
    page.perform.setChecked(True)
    window.virtual_panel.perform("circle")
    qtbot.waitUntil(lambda: len(_samples(window)) == 1, timeout=5000)
    sample = _samples(window)[0]
    data = window.projects.project.load(sample)  # type: ignore[union-attr]
    gyro = np.linalg.norm(data[:, 3:], axis=1)
    assert gyro[:10].max() < 30 and gyro.max() > 100  # still pre-roll, then the circle
    assert sample.trim_start > 0 and 0.8 < sample.duration_s < 2.5


def test_unplug_mid_take_keeps_the_take(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _ready(qtbot, window, tmp_path, takes=3, seconds=3.0)
    page = window.record_page
    page.record_button.click()
    qtbot.waitUntil(lambda: page.capture is not None and page.capture.frames > 50, timeout=3000)
    window.virtual_panel.unplug_button.click()
    qtbot.waitUntil(lambda: len(_samples(window)) == 1, timeout=3000)
    sample = _samples(window)[0]
    assert sample.interrupted and 50 < sample.n_frames < 300
    assert not page.capture.running  # type: ignore[union-attr]
    assert "disconnected" in window.banner.label.text().lower()
    qtbot.waitUntil(lambda: window.session.connected, timeout=5000)  # let it come back before closing


def test_a_full_disk_stops_recording_with_a_message(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = FullDisk(monkeypatch)
    _ready(qtbot, window, tmp_path, takes=3, seconds=3.0)
    page = window.record_page
    page.record_button.click()
    qtbot.waitUntil(lambda: page.capture is not None and page.capture.frames > 50, timeout=3000)
    disk.journal = True  # the disk fills up mid-take
    qtbot.waitUntil(lambda: not page.capture.running, timeout=3000)  # type: ignore[union-attr]
    banner = window.banner.label.text()
    assert banner.startswith("Recording stopped: ") and "the disk is full; free some space" in banner
    assert "Take 1 was saved" in banner
    [sample] = _samples(window)  # what reached the disk is kept, marked for review
    assert sample.interrupted and 50 < sample.n_frames < 300
    assert "Stop" not in page.record_button.text()
