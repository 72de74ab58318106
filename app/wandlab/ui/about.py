"""Help > About Wandlab: the app's version and the protocol, formats and firmware it expects."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMainWindow, QVBoxLayout, QWidget

from wandlab.versions import version_table


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Wandlab")
        rows = "".join(f"<tr><td><b>{escape(name)}</b></td><td>&nbsp;&nbsp;{escape(value)}</td></tr>"
                       for name, value in version_table())
        self.text = QLabel(
            "<h2>Wandlab</h2><p>Record gestures and words from a sensor board, train a tiny model, "
            f"flash it back.</p><table>{rows}</table>"
            "<p>A board is compatible when it speaks the same wire protocol version; "
            "models carry their format versions and are refused, with a reason, when they do not match.</p>"
        )
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)


def install_help_menu(window: QMainWindow) -> AboutDialog:
    """Help > About Wandlab…; returns the (hidden) dialog it shows."""
    dialog = AboutDialog(window)
    about = window.menuBar().addMenu("&Help").addAction("&About Wandlab…")
    about.triggered.connect(dialog.show)
    return dialog
