"""BleLink: the app's BLE transport, bleak's public API on the bleak-on-Bumble backend, against the
virtual wand on the in-process radio."""

from __future__ import annotations

import asyncio
import os

import pytest
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakDBusError

from tests.link.ble_helpers import memory_backend, run, wand_on_air
from wandlab.board.client import BoardClient, ConnectionState
from wandlab.board.transfer import model_slots
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link
from wandlab.link.ble_errors import BluetoothUnavailable, adapter_problem
from wandlab.link.ble_link import BleAccessRefused, BleLink
from wandlab.link.ble_scan import scan_wands
from wandlab.protocol import Ping, Pong, SimPerform, SimUnplug, gatt
from wandlab.protocol.controller import ActionKind, HidAction, HidMapSet
from wandlab.protocol.model import ModelBegin, TransferStatus
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig


def test_a_board_client_talks_over_ble_and_pairs_on_the_first_protected_packet():
    async def main():
        async with wand_on_air() as server:
            link = BleLink("Virtual wand", memory_backend())
            async with BoardClient(link, reconnect=False) as client:
                paired_before = server.pairings  # Hello and Ping need no bond
                rtt = await client.ping()
                await client.start_stream(imu=True, audio=True, imu_rate_hz=400)
                await asyncio.sleep(1.0)
                await client.stop_stream()
                stats = client.stats()
            return client.info, paired_before, server.pairings, link, stats, rtt

    info, paired_before, pairings, link, stats, rtt = run(main())
    assert info.board_name == "Virtual wand" and link.att_mtu == 247
    assert (paired_before, pairings, link.pairings) == (0, 1, 1)
    assert stats["blocks_lost"] == 0 and stats["decode_errors"] == 0
    assert stats["audio_blocks"] >= 55 and stats["imu_blocks"] >= 20  # 62.5 and 25 per second
    assert rtt < 0.1


def test_packets_up_to_the_largest_are_fragmented_and_reassembled_at_both_mtus():
    """A 4 KB ModelBegin (metadata) host -> board and the replies back, at MTU 247 and at MTU 23."""

    async def main(mtu):
        async with wand_on_air():
            link = BleLink("Virtual wand", memory_backend(mtu=mtu))
            async with BoardClient(link, reconnect=False) as client:
                begin = ModelBegin(7, 1000, 0, bytes(32), 512, "big", b"{" + b" " * 4000 + b"}")
                status = await client.ask(begin, TransferStatus)
                slots = await model_slots(client)  # ModelSlots back: ~100 bytes
                return link.att_mtu, link.framing.errors, status.transfer_id, slots.transfer_id

    for mtu in (247, 23):
        att_mtu, errors, status_id, slots_id = run(main(mtu))
        assert att_mtu == mtu and errors == 0
        assert status_id == slots_id == 7  # the board decoded the 4 KB packet and began that transfer


def test_unbonded_protected_writes_are_refused_with_att_0x05_and_change_nothing():
    async def main():
        board = VirtualBoard(VirtualWandConfig())
        async with wand_on_air(board) as server:
            link = BleLink("Virtual wand", memory_backend(), pair_when_refused=False)
            async with BoardClient(link, reconnect=False) as client:
                await client.ping()  # the session family is open
                refusals = []
                for message in (HidMapSet((HidAction(0, ActionKind.KEY, 0x04, 0),)), SimPerform("circle"),
                                ModelBegin(9, 100, 0, bytes(32), 64, "x", b"")):
                    with pytest.raises(BleAccessRefused) as refused:
                        await client.request(message)
                    refusals.append(refused.value.att_error)
                pong = await client.ping()  # the link still works, counters in step
            state = (board.brain.hid.actions, board.motion.busy, board.models.query().transfer_id)
            return refusals, server.refused, state, pong, link.framing.errors

    refusals, refused, state, pong, errors = run(main())
    assert refusals == [0x05, 0x05, 0x05] and refused == 3
    assert state == ({}, False, 0)  # no map, no gesture, no transfer
    assert pong > 0 and errors == 0


def test_a_board_that_refuses_with_error_busy_gets_paired_and_the_packets_sent_again():
    """The ESP32-S3 sketch's NimBLE takes every write, so an unbonded protected packet is dropped and answered
    Error BUSY "not bonded" instead of ATT 0x05: the link pairs once and sends each refused packet again
    (three sent at once here, before the pairing), and the client sees only the answers."""

    async def main():
        board = VirtualBoard(VirtualWandConfig())
        async with wand_on_air(board, refuse_with_error=True) as server:
            link = BleLink("Virtual wand", memory_backend())
            async with BoardClient(link, reconnect=False) as client:
                await client.ping()
                replies = await asyncio.gather(
                    client.request(HidMapSet((HidAction(0, ActionKind.KEY, 0x04, 0),))),
                    client.ask(ModelBegin(9, 100, 0, bytes(32), 64, "x", b""), TransferStatus),
                    client.request(HidMapSet((HidAction(1, ActionKind.KEY, 0x05, 0),))),
                )
                after = await client.request(HidMapSet((HidAction(2, ActionKind.KEY, 0x06, 0),)))
            state = (sorted(board.brain.hid.actions), board.models.query().transfer_id)
            return replies, after, server.refused, server.pairings, link.pairings, state, link.framing.errors

    replies, after, refused, pairings, asked, state, errors = run(main())
    assert len(replies) == 3 and replies[1].transfer_id == 9 and after is not None
    assert refused == 3 and pairings == 1 and asked == 1  # three refused, one pairing, all three sent again
    assert state == ([2], 9)  # each map replaced the last: the three went through, then the fourth
    assert errors == 0


def test_error_busy_not_bonded_reaches_the_client_when_the_link_may_not_pair():
    async def main():
        board = VirtualBoard(VirtualWandConfig())
        async with wand_on_air(board, refuse_with_error=True) as server:
            link = BleLink("Virtual wand", memory_backend(), pair_when_refused=False)
            async with BoardClient(link, reconnect=False) as client:
                with pytest.raises(BoardError) as refused:
                    await client.request(HidMapSet((HidAction(0, ActionKind.KEY, 0x04, 0),)))
                pong = await client.ping()
            return str(refused.value), server.refused, server.pairings, board.brain.hid.actions, pong

    text, refused, pairings, actions, pong = run(main())
    assert gatt.NOT_BONDED_ERROR in text and refused == 1 and pairings == 0
    assert actions == {} and pong > 0  # nothing changed, the link still works


def test_disconnect_is_a_link_error_and_the_client_reconnects_without_pairing_again():
    async def main():
        async with wand_on_air() as server:
            link = BleLink("Virtual wand", memory_backend())
            client = BoardClient(link, reconnect_interval_s=0.05)
            states = []
            client.on_state(lambda state, _detail: states.append(state))
            await client.connect()
            await client.start_stream(imu=True)
            await client.request(SimUnplug(300))  # the wand switches off for 0.3 s
            for _ in range(100):
                await asyncio.sleep(0.05)
                if client.reconnects:
                    break
            await asyncio.sleep(0.3)
            stats = client.stats()
            pong = await client.ask(Ping(5), Pong)
            await client.close()
            return states, client.reconnects, server.pairings, link.pairings, stats, pong

    states, reconnects, pairings, asked, stats, pong = run(main())
    assert ConnectionState.RECONNECTING in states and reconnects == 1
    assert pairings == 1 and asked == 2  # after the power cut: re-encrypted with the bond, not paired again
    assert stats["imu_blocks"] > 0  # the stream resumed
    assert pong.token == 5


def test_scan_lists_wands_with_name_signal_and_bond():
    async def main():
        async with wand_on_air():
            backend = memory_backend()
            before = await scan_wands(0.3, backend)
            async with BoardClient(BleLink("Virtual wand", backend), reconnect=False) as client:
                await client.request(SimPerform("tap"))  # pairs
            after = await scan_wands(0.3, backend)
            return before, after

    before, after = run(main())
    assert [(w.name, w.rssi < 0, w.bonded) for w in before] == [("Virtual wand", True, False)]
    assert [(w.name, w.bonded) for w in after] == [("Virtual wand", True)]


def test_a_wand_that_is_not_there_is_a_clear_link_error():
    async def main():
        link = BleLink("No such wand", memory_backend(), scan_timeout_s=0.2, attempts=2)
        with pytest.raises(LinkError, match="no wand called 'No such wand'"):
            await link.open()

    run(main())


@pytest.mark.parametrize(
    ("exc", "platform", "words"),
    [
        (BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.NO_BLUETOOTH), "linux",
         ["no Bluetooth adapter", "systemctl start bluetooth", "bluetoothctl power on", "bluetooth group"]),
        (BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.POWERED_OFF), "win32",
         ["switched off", "Settings > Bluetooth & devices"]),
        (BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.DENIED_BY_USER), "darwin",
         ["not allowed", "Privacy & Security > Bluetooth"]),
        (BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []), "linux", ["BlueZ", "is not running"]),
        (BleakDBusError("org.freedesktop.DBus.Error.AccessDenied", []), "linux", ["not allowed", "usermod"]),
        (FileNotFoundError(2, "No such file or directory"), "linux", ["D-Bus", "systemctl"]),
    ],
)
def test_no_adapter_or_no_permission_says_what_to_do_on_each_system(exc, platform, words):
    problem = adapter_problem(exc, platform)
    assert isinstance(problem, BluetoothUnavailable)
    for word in words:
        assert word.replace("bluetooth group", "-aG bluetooth") in str(problem)


@pytest.mark.skipif(os.path.exists("/run/dbus/system_bus_socket") or os.path.exists("/var/run/dbus/system_bus_socket"),
                    reason="this machine has a D-Bus system bus (maybe BlueZ): the no-Bluetooth path cannot be shown")
def test_on_a_machine_without_bluetooth_the_system_backend_says_so():
    async def main():
        link = open_link("ble:Virtual wand")
        with pytest.raises(BluetoothUnavailable, match="Bluetooth is not available") as failed:
            await link.open()
        return str(failed.value)

    text = asyncio.run(main())
    assert "bluetoothctl power on" in text and "serial:" in text


def test_ble_specs_open_ble_links():
    link = open_link("ble:AA:BB:CC:DD:EE:FF")
    assert isinstance(link, BleLink) and link.target == "AA:BB:CC:DD:EE:FF" and link.backend.is_system
    inprocess = open_link("ble:Virtual wand?radio=inprocess&air=lab")
    assert isinstance(inprocess, BleLink) and inprocess.backend.options["bumble"]["air"] == "lab"
    with pytest.raises(LinkError, match="radio"):
        open_link("ble:x?radio=carrier-pigeon")
