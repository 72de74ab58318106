"""Board > Install Wandlab firmware…: the same install as ``wandlab firmware install``, with its
instructions on screen (bootloader mode first, then one click)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wandlab.flows.firmware_install import TARGETS, FirmwareError, install
from wandlab.ui.notify import TaskRunner


class FirmwareDialog(QDialog):
    def __init__(self, runner: TaskRunner, parent: QWidget | None = None, roots: list[Path] | None = None) -> None:
        super().__init__(parent)
        self.runner, self.roots = runner, roots  # roots: where to look for the drive (None: the OS's places)
        self.setWindowTitle("Install Wandlab firmware")
        self.board = QComboBox()
        for key, target in TARGETS.items():
            self.board.addItem(target.name, key)
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.install_button = QPushButton("Install")
        self.install_button.setToolTip("Copy the firmware to the board's bootloader drive")
        self.install_button.clicked.connect(self.start)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.install_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.board)
        layout.addWidget(self.steps)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.board.currentIndexChanged.connect(self._show_steps)
        self._show_steps()

    def _show_steps(self) -> None:
        target = TARGETS[str(self.board.currentData())]
        self.steps.setText(f"<b>1.</b> {target.bootloader_help.replace('; then try again', '')}<br>"
                           f"<b>2.</b> Press Install. The board restarts with Wandlab's firmware.")

    def start(self) -> None:
        self.install_button.setEnabled(False)
        self.status.setText("Looking for the board's drive…")
        self.runner.run(self._install(str(self.board.currentData())), "Installing firmware")

    async def _install(self, board: str) -> None:
        try:
            done = await asyncio.to_thread(install, board, self.roots)
        except FirmwareError as exc:
            self.status.setText(f"<span style='color:#9b1c1c'>{exc}</span>")
        else:
            self.status.setText(f"<span style='color:#2e8b57'>✓ Copied {done.bytes // 1000} KB to {done.drive}. "
                                "The board restarts with Wandlab's firmware: connect to its serial port or pair "
                                "it over Bluetooth.</span>")
        finally:
            self.install_button.setEnabled(True)


def install_board_menu(window: QMainWindow, runner: TaskRunner) -> FirmwareDialog:
    dialog = FirmwareDialog(runner, window)
    action = window.menuBar().addMenu("&Board").addAction("Install Wandlab &firmware…")
    action.triggered.connect(dialog.show)
    return dialog
