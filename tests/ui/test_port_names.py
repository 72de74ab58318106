"""The port box is narrower than its longest entries: hovering names the whole entry."""

from __future__ import annotations

from PySide6.QtCore import Qt

from wandlab.ui.main_window import MainWindow


def test_every_port_entry_and_the_chosen_one_are_named_in_full_on_hover(window: MainWindow) -> None:
    ports = window.device_panel.ports
    assert ports.count() >= 2
    for i in range(ports.count()):
        assert ports.itemData(i, Qt.ItemDataRole.ToolTipRole) == ports.itemText(i)
    ports.setCurrentIndex(ports.count() - 1)
    assert ports.toolTip().startswith(ports.itemText(ports.count() - 1) + "\n")
    ports.setCurrentIndex(0)
    assert ports.toolTip().startswith(ports.itemText(0) + "\n")
    assert "virtual wand" in ports.toolTip()
