"""Left-hand device panel: pick a port, a Bluetooth wand or the virtual wand, connect, see the board's facts.

A view over DeviceSession: it writes user intent to the session (connect/disconnect) and redraws
from the session's state callbacks. When no serial board is plugged in it says so and offers the
virtual wand - over USB or over Bluetooth - as one big button each, so a first run never ends on an
empty screen. Wands advertising over Bluetooth are listed below (``BluetoothBox``); while a Bluetooth
link pairs, the panel says so ("Pairing with … – accept on the computer if asked"). A USB board that
does not answer the handshake may run its own sketch: the panel then offers to read it as a text (CSV)
board (``TextBoardOffer``), and lists it so afterwards.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.client import ConnectionState
from wandlab.errors import BoardError, LinkError
from wandlab.link import parse_spec
from wandlab.link.serial_link import list_serial_ports
from wandlab.protocol import Info, Message, SensorKind
from wandlab.protocol.model import TransferResult
from wandlab.ui.bluetooth_box import BluetoothBox
from wandlab.ui.csv_board import TextBoardOffer
from wandlab.ui.elided_label import ElidedLabel
from wandlab.ui.meter_bars import kbytes
from wandlab.ui.notify import TaskRunner
from wandlab.ui.session import VIRTUAL_BLE_SPEC, VIRTUAL_SPEC, DeviceSession
from wandlab.ui.wand_scan import WandScanner, scan_wands

PortLister = Callable[[], list[tuple[str, str]]]
VIRTUAL_ENTRIES = [(VIRTUAL_SPEC, "Virtual wand (simulated, USB)"),
                   (VIRTUAL_BLE_SPEC, "Virtual wand (simulated, Bluetooth)")]
NATIVE_SPEC = "virtual:?firmware=native"  # the C++ firmware as a Linux program, on the same simulated sensors


@functools.cache
def virtual_entries() -> list[tuple[str, str]]:
    """The virtual wands on offer: the C++ firmware's too where it can be built (a source tree, g++, make,
    TFLM's sources); its first connection builds it, minutes the first time."""
    from wandlab.virtual.native_board import missing_tools

    native = [] if missing_tools() else [(NATIVE_SPEC, "Virtual wand (C++ firmware, USB)")]
    return VIRTUAL_ENTRIES + native

PORTS_TIP = "Boards on USB serial ports, and the built-in virtual wand (over USB or Bluetooth)"
RESCAN_MS = 2000  # USB boards come and go; re-listing ports is a cheap sysfs read

_STATE_TEXT = {
    ConnectionState.DISCONNECTED: ("Not connected", "#888888"),
    ConnectionState.CONNECTING: ("Connecting…", "#c28a00"),
    ConnectionState.CONNECTED: ("Connected", "#2e8b3a"),
    ConnectionState.RECONNECTING: ("Disconnected – reconnecting…", "#c0392b"),
    ConnectionState.CLOSED: ("Not connected", "#888888"),
}


def state_text(state: ConnectionState, detail: str = "") -> tuple[str, str]:
    return _STATE_TEXT.get(state, (state.value, "#888888"))


def _kind_name(kind: int) -> str:
    # Short names: "gyroscope 100 Hz ±2000 °/s" wrapped onto two lines in the panel's column.
    try:
        return {"ACCEL": "accel", "GYRO": "gyro"}.get(SensorKind(kind).name, "mic")
    except ValueError:
        return f"sensor {kind}"


def _text_board_label(port: str) -> str:
    return f"Text (CSV) board ({port})"


def describe_info(info: Info) -> list[tuple[str, str]]:
    """The board facts a user cares about, as (label, value) rows."""
    sensors = []
    for s in info.sensors:
        rate = f"{s.rate_hz / 1000:g} kHz" if s.rate_hz >= 1000 else f"{s.rate_hz:g} Hz"
        unit = {"dps": "°/s", "pcm16": ""}.get(s.units, s.units)
        span = f" ±{s.range:g} {unit}" if unit else ""
        sensors.append(f"{_kind_name(s.kind)} {rate}{span}")
    battery = "USB power" if info.battery_percent == 255 else f"{info.battery_percent} %"
    return [
        ("Board", info.board_name),
        ("Firmware", info.firmware_version),
        ("Protocol", f"v{info.protocol_version}"),
        ("Sensors", "\n".join(sensors)),
        ("Model slots", f"{info.model_slots} × up to {kbytes(info.max_model_bytes)}" if info.model_slots
         else "none (runs its own sketch)"),
        ("Tensor arena", kbytes(info.arena_bytes)),
        ("Free RAM", kbytes(info.free_ram_bytes)),
        ("Active model", info.active_model_id or "none"),
        ("Battery", battery),
        ("ID", info.board_uid),
    ]


class DevicePanel(QWidget):
    def __init__(self, session: DeviceSession, runner: TaskRunner, list_ports: PortLister = list_serial_ports,
                 scanner: WandScanner = scan_wands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner, self._list_ports = session, runner, list_ports
        self._serial_found = False
        self._text_boards: dict[str, str] = {}  # port -> the csv: spec it was last connected with
        self.ports = QComboBox()
        self.ports.setToolTip(PORTS_TIP)
        # A narrow panel cuts long entries ("Virtual wand (C++ firmware, USB)"): the tip names the whole one.
        self.ports.currentIndexChanged.connect(self._name_current_port)
        self.ports.setMinimumContentsLength(14)
        rescan = QToolButton()
        rescan.setText("⟳")
        rescan.setToolTip("Look for boards again")
        rescan.clicked.connect(self.refresh_ports)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setToolTip("Connect to the selected board and start streaming (Ctrl+K)")
        self.connect_button.clicked.connect(self.toggle_connection)
        self.state_label = QLabel()
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.detail_label = QLabel(wordWrap=True)
        self.detail_label.setStyleSheet("color: #666;")

        # The first-run offer: shown only while no serial board is plugged in and nothing is connected.
        self.no_board = QGroupBox("No board found")
        hint = QLabel("Plug in a wand over USB or switch one on nearby (Bluetooth, below), or try everything with "
                      "the built-in virtual wand:", wordWrap=True)
        self.virtual_button = QPushButton("Virtual wand over USB")
        self.virtual_button.setToolTip("Start a simulated wand on a virtual serial port (USB) and connect to it")
        self.virtual_ble_button = QPushButton("Virtual wand over Bluetooth")
        self.virtual_ble_button.setToolTip("Start a simulated wand on a simulated Bluetooth radio and connect to it "
                                           "as to a real one (scan, pair, fragments); a simulated computer can "
                                           "pair with it and receive its key presses")
        for button, spec in ((self.virtual_button, VIRTUAL_SPEC), (self.virtual_ble_button, VIRTUAL_BLE_SPEC)):
            button.setMinimumHeight(34)
            button.setStyleSheet("font-weight: bold;")
            button.clicked.connect(lambda _=False, s=spec: self.connect_to(s))
        box = QVBoxLayout(self.no_board)
        box.addWidget(hint)
        box.addWidget(self.virtual_button)
        box.addWidget(self.virtual_ble_button)
        self.text_board = TextBoardOffer(runner)
        self.text_board.connect_requested.connect(self.connect_to)
        self.bluetooth = BluetoothBox(session, runner, scanner)
        self.bluetooth.connect_requested.connect(self.connect_to)

        self.info_box = QGroupBox("Board")
        self.info_form = QFormLayout(self.info_box)
        self.info_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)

        row = QHBoxLayout()
        row.addWidget(self.ports, 1)
        row.addWidget(rescan)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.state_label)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.text_board)
        layout.addWidget(self.no_board)
        layout.addWidget(self.info_box)
        layout.addWidget(self.bluetooth)

        self._rescan = QTimer(self, interval=RESCAN_MS)
        self._rescan.timeout.connect(self.refresh_ports)
        self._rescan.start()
        session.on_state(self._on_state)
        session.on_event(self._on_board_event)
        session.on_pairing(lambda _text: self._on_state(session.state, session.detail))
        self.refresh_ports()
        self._on_state(session.state, session.detail)

    # -- ports ----------------------------------------------------------------------------------
    def refresh_ports(self) -> None:
        if self.session.active:
            return  # the list cannot change what we are connected to; avoid surprising the user
        try:
            found = self._list_ports()
        except Exception:  # a flaky OS port list must not break the panel; offer the virtual wand
            found = []
        self._serial_found = bool(found)
        entries = []
        for spec, description in found:
            port = spec.split(":", 1)[1]
            entries.append((spec, f"{description} ({port})"))
            if port in self._text_boards:
                entries.append((self._text_boards[port], _text_board_label(port)))
        entries += virtual_entries()
        current = self.ports.currentData()
        if [self.ports.itemData(i) for i in range(self.ports.count())] != [s for s, _ in entries]:
            self.ports.clear()
            for spec, label in entries:
                self.ports.addItem(label, spec)
                self.ports.setItemData(self.ports.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
            index = self.ports.findData(current)
            self.ports.setCurrentIndex(index if index >= 0 else 0)
        self.no_board.setVisible(not found and not self.session.active)

    def _name_current_port(self) -> None:
        label = self.ports.currentText()
        self.ports.setToolTip(f"{label}\n\n{PORTS_TIP}" if label else PORTS_TIP)

    def selected_spec(self) -> str:
        return str(self.ports.currentData() or VIRTUAL_SPEC)

    # -- actions --------------------------------------------------------------------------------
    def toggle_connection(self) -> None:
        if self.session.active:
            self.runner.run(self.session.disconnect(), "Disconnect")
        else:
            self.connect_to(self.selected_spec())

    def connect_to(self, spec: str) -> None:
        index = self.ports.findData(spec)
        if index >= 0:
            self.ports.setCurrentIndex(index)
        self.text_board.hide()
        task = self.runner.run(self.session.connect(spec), f"Connecting to {spec}")
        task.add_done_callback(lambda t: self._connect_finished(spec, t))

    def _connect_finished(self, spec: str, task: asyncio.Task[object]) -> None:
        if task.cancelled():
            return
        try:
            scheme, port, _ = parse_spec(spec)
        except LinkError:
            return  # the runner has said what is wrong with it
        failure = task.exception()
        if failure is None and scheme == "csv":
            client = self.session.client  # its link's spec names what detection found, if it ran
            self._list_text_board(port, client.link.spec if client is not None else spec)
        # The port opened but nothing answered the handshake ("no Pong from the board within 2.0 s"): maybe
        # a sketch of its own, printing text. A board that answers with another protocol version is not.
        elif isinstance(failure, BoardError) and scheme == "serial" and "from the board within" in str(failure):
            self.text_board.offer(port)

    def _list_text_board(self, port: str, spec: str) -> None:
        """Keep a confirmed text board in the list, after its port's entry: reconnecting needs no detection."""
        self._text_boards[port] = spec
        if self.ports.findData(spec) < 0:
            self.ports.insertItem(self.ports.findData(f"serial:{port}") + 1, _text_board_label(port), spec)
        self.ports.setCurrentIndex(self.ports.findData(spec))

    # -- session -> view ------------------------------------------------------------------------
    def _on_state(self, state: ConnectionState, detail: str) -> None:
        text, colour = state_text(state, detail)
        if self.session.pairing:
            text, colour = "Pairing…", "#c28a00"
        elif state is ConnectionState.CONNECTED and self.session.is_ble:
            text = "Connected over Bluetooth"
        self.state_label.setText(f"<span style='color:{colour}; font-size:14pt;'>●</span> <b>{text}</b>")
        # While pairing, the one thing to say is that the computer may ask the user to accept it.
        self.detail_label.setText(self.session.pairing or (detail if state is not ConnectionState.CONNECTED else ""))
        self.detail_label.setVisible(bool(self.detail_label.text()))
        active = self.session.active
        self.connect_button.setText("Disconnect" if active else "Connect")
        self.ports.setEnabled(not active)
        self.virtual_button.setEnabled(not active)
        self.virtual_ble_button.setEnabled(not active)
        self.no_board.setVisible(not active and not self._serial_found)
        if state is ConnectionState.CONNECTED and self.session.info is not None:
            self._show_info(self.session.info)
        elif not active:
            self._show_info(None)

    def _on_board_event(self, message: Message) -> None:
        if isinstance(message, TransferResult) and message.ok:
            self._show_info(self.session.info)  # a new model is active

    def _show_info(self, info: Info | None) -> None:
        while self.info_form.rowCount():
            self.info_form.removeRow(0)
        self.info_box.setVisible(info is not None)
        if info is None:
            return
        for label, value in describe_info(info):
            # Values come from the board (a model id, a board name) and may be long: one line, "…" and
            # a tooltip rather than a panel wider than its column, which would cut off the buttons.
            field: QWidget
            if "\n" in value:
                field = QLabel(value, wordWrap=True)
            else:
                field = ElidedLabel(value, mode=Qt.TextElideMode.ElideMiddle)
            self.info_form.addRow(label, field)
