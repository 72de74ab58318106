"""Board > Install Wandlab firmware: instructions first, one click copies the image to the drive."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.flows.test_firmware_install import XIAO_INFO, drive
from wandlab.ui.main_window import MainWindow


def test_install_from_the_board_menu(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Board")
    dialog = window.firmware_dialog
    dialog.roots = [tmp_path]
    menu.actions()[0].trigger()
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert "reset button twice" in dialog.steps.text()
    dialog.install_button.click()
    qtbot.waitUntil(lambda: dialog.install_button.isEnabled() and bool(dialog.status.text()), timeout=5000)
    assert "bootloader mode" in dialog.status.text()  # nothing there yet: says what to do
    d = drive(tmp_path, "XIAO-SENSE", XIAO_INFO)
    dialog.install_button.click()
    qtbot.waitUntil(lambda: "✓" in dialog.status.text(), timeout=5000)
    assert (d / "WANDLAB.UF2").stat().st_size > 100_000
    dialog.close()
