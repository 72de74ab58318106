"""Help > About lists the app, protocol, formats and firmware versions, as `wandlab --version` does."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from wandlab.ui.main_window import MainWindow
from wandlab.versions import version_table


def test_help_about_shows_every_version(qtbot: QtBot, window: MainWindow) -> None:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    (about,) = help_menu.actions()
    about.trigger()
    qtbot.waitUntil(window.about.isVisible, timeout=2000)
    for name, value in version_table():
        assert name in window.about.text.text() and value.split(" ")[0] in window.about.text.text()
    window.about.close()
