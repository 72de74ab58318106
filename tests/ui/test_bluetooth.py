"""Bluetooth in the window: the virtual wand over Bluetooth from the device panel (pairing, MTU and
throughput in the status bar, listed by a scan of the in-process radio), a computer without Bluetooth
told in one grey line, and the paired computer receiving the keys the wand presses - through power
cycles, without pairing again - and forgetting on both sides."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from tests.virtual.gesture_models import image
from wandlab.board.client import ConnectionState
from wandlab.link.ble_backend import BleBackend
from wandlab.link.ble_scan import WandAdvert, scan_wands
from wandlab.protocol import SimPerform
from wandlab.ui.computer_pairing import CONNECTED, NOT_PAIRED
from wandlab.ui.live_test_page import why_not_sent
from wandlab.ui.main_window import MainWindow
from wandlab.ui.session import VIRTUAL_BLE_SPEC, DeviceSession
from wandlab.ui.wand_scan import WandScanner
from wandlab.virtual.bonds import bond_path

from .test_live_test_page import push_model, run_on_loop

WindowMaker = Callable[[WandScanner], MainWindow]
GESTURE_MS = 7000  # a real-time gesture (~2.8 s), the stillness that ends it, recognition, the key's trip


def kbytes_per_s(text: str) -> float:
    """The rate in 'Bluetooth · MTU 247 · 38.2 kB/s'."""
    return float(text.split("·")[-1].split()[0])


def connect_over_bluetooth(qtbot: QtBot, win: MainWindow) -> None:
    """The way a user does it: the virtual wand's Bluetooth button in the device panel."""
    button = win.device_panel.virtual_ble_button
    assert button.isVisible() and button.isEnabled()
    button.click()
    qtbot.waitUntil(lambda: win.session.connected and win.session.buffer.imu.total > 0, timeout=8000)


def test_the_virtual_wand_over_bluetooth_pairs_and_shows_its_link(qtbot: QtBot, window: MainWindow) -> None:
    said: list[str] = []
    window.session.on_pairing(said.append)
    connect_over_bluetooth(qtbot, window)
    session, panel = window.session, window.device_panel
    assert session.is_ble and session.virtual_ble() is not None
    # Streaming is protected: the app paired on the wand's ATT 0x05, and said so while it did.
    assert said == ["Pairing with Virtual wand – accept on the computer if asked", ""]
    assert "Connected over Bluetooth" in panel.state_label.text()
    link = window.status.fields["link"]
    assert link.isVisible() and "MTU 247" in link.text()
    # 16 kHz audio (32 kB/s) and the IMU, in fragments: tens of kB/s once both stream.
    qtbot.waitUntil(lambda: link.text().endswith("kB/s") and 30 < kbytes_per_s(link.text()) < 100, timeout=4000)
    # A scan of the in-process radio lists it: name, signal, bond, and that it is the one connected.
    box = panel.bluetooth
    qtbot.waitUntil(lambda: any(r.wand.name == "Virtual wand" for r in box.rows), timeout=3000)
    row = next(r for r in box.rows if r.wand.name == "Virtual wand")
    assert "dBm" in row.detail.text() and "paired" in row.detail.text() and "not paired" not in row.detail.text()
    assert row.connect_button.text() == "Connected" and not row.connect_button.isEnabled()
    assert window.computer_panel.isVisible() and window.virtual_panel.isVisible()

    panel.connect_button.click()  # Disconnect: no Bluetooth field for a link that is gone
    qtbot.waitUntil(lambda: not session.active, timeout=5000)
    assert not link.isVisible() and not window.computer_panel.isVisible()


class NoAdapterScanner(BaseBleakScanner):
    """bleak's scanner on a computer without a Bluetooth adapter."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(None, None)

    async def start(self) -> None:
        raise BleakBluetoothNotAvailableError("No Bluetooth adapters found.",
                                              BleakBluetoothNotAvailableReason.NO_BLUETOOTH)

    async def stop(self) -> None:
        pass


async def no_adapter(seconds: float, backend: BleBackend | None) -> list[WandAdvert]:
    """scan_wands with the OS backend swapped for one that has no adapter."""
    return await scan_wands(seconds, backend or BleBackend(scanner=NoAdapterScanner))


async def one_wand(seconds: float, backend: BleBackend | None) -> list[WandAdvert]:
    """A computer's radio that hears one wand it has never paired with."""
    return [WandAdvert("Kitchen wand", "AA:BB:CC:DD:EE:01", -61, False)] if backend is None else []


@pytest.fixture
def make_window(qtbot: QtBot, aio_loop: qasync.QEventLoop) -> Iterator[Callable[[WandScanner], MainWindow]]:
    """A window whose Bluetooth scans go to ``scanner``."""
    made: list[MainWindow] = []

    def make(scanner: WandScanner) -> MainWindow:
        win = MainWindow(DeviceSession(), list_ports=lambda: [], scanner=scanner)
        win.show()
        qtbot.waitExposed(win)
        made.append(win)
        return win

    yield make
    for win in made:
        closed: list[bool] = []
        win.closed.connect(lambda done=closed: done.append(True))
        win.close()
        qtbot.waitUntil(lambda done=closed: bool(done), timeout=6000)


def test_no_bluetooth_adapter_is_a_grey_line_not_a_dialog(qtbot: QtBot, make_window: WindowMaker) -> None:
    win = make_window(no_adapter)
    box = win.device_panel.bluetooth
    qtbot.waitUntil(lambda: box.model.scans > 0, timeout=3000)
    assert box.status.isVisible()
    assert "Bluetooth unavailable: this computer has no Bluetooth adapter" in box.status.text()
    assert "color: #777" in box.status.styleSheet()  # grey, unobtrusive
    assert "usermod" in box.status.toolTip() or "Settings" in box.status.toolTip()  # what to do, in the tooltip
    assert "Traceback" not in box.status.toolTip() and box.rows == []
    assert QApplication.activeModalWidget() is None
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, (QDialog, QMessageBox)) and w.isVisible()]
    assert win.banner.level != "error"  # nothing went wrong that the user must act on
    assert win.device_panel.virtual_ble_button.isEnabled()  # the virtual wand over Bluetooth still works
    box.scan_button.click()  # scanning again says the same, quietly
    qtbot.waitUntil(lambda: box.model.scans > 1, timeout=3000)
    assert "no Bluetooth adapter" in box.status.text() and win.banner.level != "error"


def test_a_listed_wand_connects_in_one_click(qtbot: QtBot, make_window: WindowMaker) -> None:
    box = make_window(one_wand).device_panel.bluetooth
    box.connect_requested.disconnect()  # the click's spec is what matters; no radio to connect to here
    qtbot.waitUntil(lambda: len(box.rows) == 1, timeout=3000)
    row = box.rows[0]
    assert row.detail.text() == "−61 dBm · not paired"
    with qtbot.waitSignal(box.connect_requested) as clicked:
        row.connect_button.click()
    assert clicked.args == ["ble:AA:BB:CC:DD:EE:01"]


def test_not_sent_says_why_and_how_to_pair() -> None:
    session = DeviceSession()
    assert why_not_sent(False, session)[0] == "HID is off"
    session.spec = VIRTUAL_BLE_SPEC
    why, todo = why_not_sent(True, session)
    assert why == "no computer is paired and connected" and "Pair this computer" in todo
    session.spec = "virtual:"
    assert "over USB has no Bluetooth" in why_not_sent(True, session)[0]
    session.spec = "ble:My wand"
    assert "Bluetooth settings" in why_not_sent(True, session)[1]


def perform(qtbot: QtBot, win: MainWindow, gesture: str) -> None:
    run_on_loop(qtbot, win, win.session.simulate(SimPerform(gesture)))


def keys_seen(win: MainWindow) -> list[str]:
    panel = win.computer_panel
    return [panel.keys.item(i).text().split(maxsplit=1)[1] for i in range(panel.keys.count())]


def test_the_paired_computer_receives_keys_through_power_cycles(qtbot: QtBot, window: MainWindow) -> None:
    connect_over_bluetooth(qtbot, window)
    push_model(qtbot, window, image())
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    editor = page.hid_editor
    qtbot.waitUntil(lambda: page.recognising and editor.table.rowCount() == 10 and not editor.busy, timeout=4000)
    editor.apply_preset("media remote")  # circle -> Play/Pause
    run_on_loop(qtbot, window, editor.send_to_board())
    editor.hid_on.click()
    qtbot.waitUntil(lambda: "HID on" in editor.state.text(), timeout=3000)

    # HID on, nobody paired yet: the Live test page says so, and how to pair.
    perform(qtbot, window, "circle")
    qtbot.waitUntil(lambda: bool(page.history) and bool(page.history[0].key), timeout=GESTURE_MS)
    assert not page.history[0].sent and "no computer is paired and connected" in page.key.text()
    assert "Pair this computer" in page.key.text()

    panel = window.computer_panel
    assert panel.isVisible() and "Not paired" in panel.state_label.text() and panel.pair_button.isEnabled()
    panel.pair_button.click()
    qtbot.waitUntil(lambda: panel.model.state == CONNECTED and panel.model.bonded, timeout=5000)
    assert "Connected" in panel.state_label.text() and "bonded" in panel.state_label.text()
    assert not panel.pair_button.isEnabled() and panel.forget_button.isEnabled()

    perform(qtbot, window, "circle")
    qtbot.waitUntil(lambda: keys_seen(window) == ["Play/Pause"], timeout=GESTURE_MS)
    qtbot.waitUntil(lambda: page.history[0].sent, timeout=2000)
    assert "(sent)" in page.key.text()
    computer = panel.model.computer
    assert computer is not None and computer.stats.pairings == 1

    # Power cycle 1: Unplug 2 s. The wand goes silent; the app and the computer come back by themselves.
    window.virtual_panel.unplug_button.click()
    qtbot.waitUntil(lambda: panel.model.state != CONNECTED, timeout=3000)
    qtbot.waitUntil(lambda: panel.model.state == CONNECTED and window.session.connected, timeout=8000)
    perform(qtbot, window, "flick_right")  # -> Next track
    qtbot.waitUntil(lambda: keys_seen(window)[:1] == ["Next track"], timeout=GESTURE_MS)

    # Power cycle 2: Disconnect switches the virtual wand off; Connect starts it from the same flash.
    window.device_panel.connect_button.click()
    qtbot.waitUntil(lambda: not window.session.active, timeout=5000)
    connect_over_bluetooth(qtbot, window)
    qtbot.waitUntil(lambda: panel.isVisible() and panel.model.state == CONNECTED, timeout=8000)
    perform(qtbot, window, "circle")
    qtbot.waitUntil(lambda: keys_seen(window)[:1] == ["Play/Pause"] and len(keys_seen(window)) == 3,
                    timeout=GESTURE_MS)
    assert computer.stats.pairings == 1 and computer.stats.encryptions == 2  # never paired again
    virtual = window.session.virtual_ble()
    assert virtual is not None and virtual.server is not None and virtual.server.pairings == 0

    # Forget: both sides drop the bond; the app pairs again by itself and streams on.
    state = window.session.virtual_folder() / "wand"
    assert bonds(state) == 2  # the app and the computer
    panel.forget_button.click()
    qtbot.waitUntil(lambda: panel.model.state == NOT_PAIRED and not panel.model.bonded, timeout=3000)
    assert not Path(panel.model.keys_dir).exists()
    qtbot.waitUntil(lambda: window.session.state is ConnectionState.CONNECTED and bonds(state) == 1, timeout=8000)
    streamed = window.session.buffer.imu.total
    qtbot.waitUntil(lambda: window.session.buffer.imu.total > streamed, timeout=3000)  # streaming again
    assert panel.pair_button.isEnabled() and not panel.forget_button.isEnabled()
    assert keys_seen(window)[:1] == ["Play/Pause"]  # what the computer received stays listed


def bonds(state: Path) -> int:
    try:
        return len(json.loads(bond_path(state).read_text()).get("wand", {}))
    except (OSError, ValueError):
        return -1
