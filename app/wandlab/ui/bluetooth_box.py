"""The device panel's Bluetooth part: the wands advertising nearby, each one click from connected.

A view over ``WandScan``. It scans by itself every few seconds while it is shown and nothing is
connected (a scan would slow a real radio's connection), once more right after a Bluetooth connection
is made and after it paired (so the list shows the connected wand's signal and bond), and whenever
*Scan* is pressed. A
computer without usable Bluetooth gets one grey line - the whole message, with what to do, is in its
tooltip - never a dialog: USB and the virtual wand still work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.client import ConnectionState
from wandlab.flows.connect import parse_spec
from wandlab.ui.elided_label import ElidedLabel
from wandlab.ui.notify import TaskRunner
from wandlab.ui.session import DeviceSession
from wandlab.ui.wand_scan import FoundWand, WandScan, WandScanner, scan_wands

RESCAN_MS = 6000  # while nothing is connected: wands switched on show within seconds
RESCAN_UNAVAILABLE_MS = 20000  # no Bluetooth: look now and then in case an adapter is plugged in
HINT = "color: #777; font-size: 9pt;"


def signal_text(wand: FoundWand, connected: bool) -> str:
    """'−52 dBm · paired' – the second line of a wand's row."""
    parts = [f"{wand.rssi} dBm".replace("-", "−"), "paired" if wand.bonded else "not paired"]
    if connected:
        parts.insert(0, "connected")
    if wand.inprocess:
        parts.append("simulated radio")
    return " · ".join(parts)


class WandRow(QFrame):
    """One wand: its name and Connect button, and under both its signal and bond (the side column is narrow)."""

    def __init__(self, wand: FoundWand, connected: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wand = wand
        self.setFrameShape(QFrame.Shape.StyledPanel)
        name = ElidedLabel(wand.name)
        font = name.font()
        font.setBold(True)
        name.setFont(font)
        self.detail = QLabel(signal_text(wand, connected), wordWrap=True)
        self.detail.setStyleSheet(HINT)
        self.detail.setToolTip(f"{wand.spec}: the wand's advertised name, address and signal strength; "
                               "'paired' means this computer holds a bond with it (no pairing on connect)")
        self.connect_button = QPushButton("Connected" if connected else "Connect")
        self.connect_button.setEnabled(not connected)
        self.connect_button.setToolTip(f"Connect to {wand.name} over Bluetooth (it pairs on the first use)")
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 3, 4, 3)
        layout.setVerticalSpacing(0)
        layout.addWidget(name, 0, 0)
        layout.addWidget(self.connect_button, 0, 1)
        layout.addWidget(self.detail, 1, 0, 1, 2)
        layout.setColumnStretch(0, 1)


class BluetoothBox(QGroupBox):
    connect_requested = Signal(str)  # a spec

    def __init__(self, session: DeviceSession, runner: TaskRunner, scanner: WandScanner = scan_wands,
                 parent: QWidget | None = None) -> None:
        super().__init__("Bluetooth", parent)
        self.session, self.runner = session, runner
        self.model = WandScan(scanner)
        self.rows: list[WandRow] = []
        self.status = QLabel(wordWrap=True)
        self.status.setStyleSheet(HINT)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.scan_button = QToolButton()
        self.scan_button.setText("Scan")
        self.scan_button.setToolTip("Look for wands advertising over Bluetooth")
        self.scan_button.clicked.connect(self.scan)
        header = QHBoxLayout()
        header.addWidget(self.status, 1)
        header.addWidget(self.scan_button, 0, Qt.AlignmentFlag.AlignTop)
        self.list_layout = QVBoxLayout()
        self.list_layout.setSpacing(3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addLayout(self.list_layout)

        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._auto_scan)
        self._was_connected = False
        self._again = False  # asked to scan while a scan ran: what it found may be out of date
        session.on_state(self._on_state)
        session.on_pairing(self._on_pairing)
        self._show()
        self._schedule()  # and a first scan as soon as the box is shown (showEvent)

    # -- scanning ------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self.model.scans and not self.session.active:
            self.scan()

    def scan(self) -> None:
        if self.model.scanning:
            self._again = True
            return
        self.runner.run(self._scan(), "Scanning for Bluetooth wands")
        self._show()

    async def _scan(self) -> None:
        try:
            await self.model.scan(self.session.inprocess_backend())
            while self._again:
                self._again = False
                await self.model.scan(self.session.inprocess_backend())
        finally:
            self._show()
            self._schedule()

    def _auto_scan(self) -> None:
        if self.isVisible() and not self.session.active:
            self.scan()
        else:
            self._schedule()

    def _schedule(self) -> None:
        self._timer.start(RESCAN_UNAVAILABLE_MS if self.model.problem else RESCAN_MS)

    def _on_state(self, state: ConnectionState, _detail: str) -> None:
        connected = state is ConnectionState.CONNECTED
        if connected and not self._was_connected and self.session.is_ble:
            self.scan()  # list the wand just connected, with its signal and its bond
        self._was_connected = connected
        self._show()

    def _on_pairing(self, text: str) -> None:
        if not text and self.session.connected and self.session.is_ble:
            self.scan()  # the wand is bonded now: list it as paired

    # -- model -> view -------------------------------------------------------------------------------
    def is_current(self, wand: FoundWand) -> bool:
        """Whether the session is connected (or connecting) to this wand."""
        session = self.session
        if not (session.active and session.is_ble):
            return False
        virtual = session.virtual_ble()
        if virtual is not None:
            return virtual.server is not None and virtual.server.address.lower() == wand.address.lower()
        _, target, _ = parse_spec(session.spec)
        return target.lower() in (wand.address.lower(), wand.name.lower())

    def _show(self) -> None:
        model = self.model
        wands = len(model.found)
        if model.scanning and not model.scans:
            text = "Looking for wands…"
        elif not model.scans:
            text = "Press Scan to look for wands"
        elif model.problem and not wands:
            text = f"Bluetooth unavailable: {model.problem} (hover for what to do)"
        elif wands:
            text = f"{wands} wand{'s' * (wands != 1)} advertising" + (" – scanning…" if model.scanning else "")
        else:
            text = "No wand advertising" + (" – scanning…" if model.scanning else ": switch one on, or press Scan")
        self.status.setText(text)
        self.status.setToolTip(model.problem_detail or "Wands advertising the Wandlab service over Bluetooth LE")
        self.scan_button.setEnabled(not model.scanning)
        shown = [(row.wand, row.connect_button.text()) for row in self.rows]
        wanted = [(w, "Connected" if self.is_current(w) else "Connect") for w in model.found]
        if shown != wanted:
            self._rebuild(wanted)

    def _rebuild(self, wanted: list[tuple[FoundWand, str]]) -> None:
        for row in self.rows:
            self.list_layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for wand, button in wanted:
            row = WandRow(wand, connected=button == "Connected")
            row.connect_button.clicked.connect(lambda _=False, spec=wand.spec: self.connect_requested.emit(spec))
            self.list_layout.addWidget(row)
            self.rows.append(row)
