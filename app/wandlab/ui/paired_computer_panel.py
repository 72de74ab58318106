"""The paired computer panel: a simulated laptop pairs with the virtual wand and shows the keys it types.

Shown beside the virtual wand's controls while the virtual wand runs over Bluetooth. *Pair this
computer* bonds a ``PairedComputer`` with the wand (``ComputerPairing``); from then on every key the
wand presses over HID appears here, newest first, as the computer understood it ("Ctrl+S",
"Play/Pause", "move +10 -5"). The computer stays paired through power cycles (Unplug, Disconnect and
Connect): it reconnects by itself without pairing again. *Forget* unpairs both sides.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from wandlab.board.client import ConnectionState
from wandlab.ui.computer_pairing import (
    CONNECTED,
    KEYS_MAX,
    NOT_PAIRED,
    PAIRING,
    WAITING,
    ComputerPairing,
    ReceivedKey,
)
from wandlab.ui.notify import TaskRunner
from wandlab.ui.session import DeviceSession

POLL_MS = 300  # the computer's link follows the wand's power; a third of a second is quick enough to see
KEY_ROWS = 6
_STATES = {
    NOT_PAIRED: ("Not paired", "#888888"),
    PAIRING: ("Pairing…", "#c28a00"),
    CONNECTED: ("Connected", "#2e8b3a"),
    WAITING: ("Waiting for the wand – reconnects by itself", "#c28a00"),
}
NO_KEYS = "No keys yet: map keys and turn HID on (Live test page), then perform a gesture."


class PairedComputerPanel(QGroupBox):
    wants_view = Signal()  # pairing started or done: the side column should scroll this panel into view

    def __init__(self, session: DeviceSession, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Paired computer", parent)
        self.session, self.runner = session, runner
        self.model = ComputerPairing(session)
        hint = QLabel("A simulated laptop that pairs with the virtual wand as a Bluetooth keyboard: the keys "
                      "the wand presses appear below.", wordWrap=True)
        hint.setStyleSheet("color: #666;")
        self.state_label = QLabel()
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.state_label.setWordWrap(True)
        self.pair_button = QPushButton("Pair this computer")
        self.pair_button.setToolTip("Pair and bond with the virtual wand, as a laptop pairs with a Bluetooth "
                                    "keyboard, and receive the keys it presses")
        self.pair_button.clicked.connect(self.pair)
        self.forget_button = QPushButton("Forget")
        self.forget_button.setToolTip("Unpair both sides: the computer deletes its keys and the wand forgets "
                                      "every paired computer (as 'wandlab board forget-hosts'); the app pairs "
                                      "again by itself")
        self.forget_button.clicked.connect(self.forget)
        self.keys = QListWidget()
        self.keys.setToolTip("Keys the computer received from the wand, newest first")
        self.keys.setFixedHeight(self.keys.fontMetrics().height() * KEY_ROWS + 8)
        self.keys_hint = QLabel(NO_KEYS, wordWrap=True)
        self.keys_hint.setStyleSheet("color: #777; font-size: 9pt;")

        buttons = QHBoxLayout()
        buttons.addWidget(self.pair_button, 1)
        buttons.addWidget(self.forget_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.state_label)
        layout.addLayout(buttons)
        layout.addWidget(self.keys)
        layout.addWidget(self.keys_hint)

        self.model.on_change(self._show_state)
        self.model.on_key(self._add_key)
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self.model.refresh)
        session.on_state(self._on_state)
        self._on_state(session.state, session.detail)

    @property
    def wanted(self) -> bool:
        """Shown while the virtual wand runs over Bluetooth."""
        session = self.session
        return session.active and session.is_virtual and session.is_ble

    # -- actions -------------------------------------------------------------------------------------
    def pair(self) -> None:
        self.wants_view.emit()
        self.runner.run(self._pair(), "Pairing the computer with the virtual wand")

    async def _pair(self) -> None:
        await self.model.pair()
        self.wants_view.emit()  # its state and key list changed size
        self.runner.notifier.info("The computer is paired with the virtual wand: the keys it presses show under "
                                  "Paired computer")

    def forget(self) -> None:
        self.runner.run(self.model.forget(), "Forgetting the pairing")

    async def shutdown(self) -> None:
        """The window closes: switch the computer off while the event loop still runs (Bumble needs it)."""
        self._poll.stop()
        await self.model.close()

    # -- model -> view -------------------------------------------------------------------------------
    def _on_state(self, _state: ConnectionState, _detail: str) -> None:
        self.setVisible(self.wanted)
        if self.wanted or self.model.computer is not None:
            self._poll.start()
        else:
            self._poll.stop()
        self._show_state()

    def _show_state(self) -> None:
        model = self.model
        text, colour = _STATES[model.state]
        bond = " · bonded" if model.bonded else ""
        self.state_label.setText(f"<span style='color:{colour}; font-size:12pt;'>●</span> <b>{text}</b>{bond}")
        connected = self.session.connected
        self.pair_button.setEnabled(connected and model.state == NOT_PAIRED)
        self.forget_button.setEnabled(connected and model.state != PAIRING and
                                      (model.computer is not None or model.bonded))

    def _add_key(self, key: ReceivedKey) -> None:
        self.keys.insertItem(0, f"{time.strftime('%H:%M:%S', time.localtime(key.at))}   {key.text}")
        while self.keys.count() > KEYS_MAX:
            self.keys.takeItem(self.keys.count() - 1)
        if not self.keys_hint.isHidden():
            self.keys_hint.hide()
            self.wants_view.emit()  # the panel got shorter: keep the keys in view
