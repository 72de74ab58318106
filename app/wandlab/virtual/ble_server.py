"""Serves a VirtualBoard as a Bumble BLE peripheral on the in-process radio, as ``pty_server`` serves it
on a pseudo-terminal: the same board, reached through bleak exactly as a real wand is.

- GATT layout of docs/protocol.md "BLE" (``ble_gatt``); advertises its name (scan response), the
  Wandlab service UUID and the HID keyboard appearance, at 20 ms so scan + connect is quick.
- Packets: fragments in on packet-in (one ``Reassembler`` per connection), fragments out as
  notifications on packet-out (one ``Fragmenter`` per connection, cut to that connection's MTU).
- Security: LE Secure Connections "Just Works" pairing with bonding; bonds in the state folder
  (``bonds.py``). A START fragment of a packet outside the session family, on a connection that is not
  encrypted with a bonded key, is refused with ATT error 0x05 and never reaches the board. With
  ``refuse_with_error`` it behaves like a board whose BLE stack accepts every write (NimBLE-Arduino: the
  ESP32-S3 sketch): such a packet is dropped whole and answered ``Error BUSY`` ``gatt.NOT_BONDED_ERROR``.
- HID: when the board presses (``BoardRecognizer.press``), the action's input reports are notified to
  every encrypted, bonded connection subscribed to them; ``HidReport.sent`` is 1 exactly then.
- SimUnplug: the wand "switches off" for that long: links drop, advertising stops, streams stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from bumble import att
from bumble.core import AdvertisingData
from bumble.device import Connection, Device
from bumble.hci import HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR

from wandlab import __version__
from wandlab.errors import ProtocolError
from wandlab.link import bumble_radio
from wandlab.protocol import (
    MESSAGES,
    PROTOCOL_VERSION,
    AudioBlock,
    Error,
    ErrorCode,
    ImuBlock,
    Message,
    Packet,
    SimUnplug,
    decode_message,
    gatt,
    pack_packet,
    to_packet,
)
from wandlab.protocol.controller import HidAction
from wandlab.protocol.fragments import START, Fragmenter, Reassembler
from wandlab.protocol.framing import MAX_PACKET
from wandlab.virtual import ble_gatt
from wandlab.virtual.board import VirtualBoard
from wandlab.virtual.bonds import keystore_for

log = logging.getLogger(__name__)

TICK_S = 0.004
# Sample blocks are dropped (and counted) while this many link-layer packets wait to go out: what a
# board's BLE stack can queue (~24 KB). Replies are never dropped.
TX_LIMIT_PACKETS = 96
MAX_CONNECTIONS = 3  # the app, a paired computer and one more: keep advertising until this many
# Flags: LE General Discoverable, BR/EDR not supported.
ADVERTISING_FLAGS = 0x06


@dataclass(eq=False)
class _Peer:
    connection: Connection
    fragmenter: Fragmenter
    reassembler: Reassembler = field(default_factory=Reassembler)
    secure: bool = False  # encrypted with a key this wand has bonded


class BleWandServer:
    def __init__(self, board: VirtualBoard, *, air: str = bumble_radio.DEFAULT_AIR, address: str | None = None,
                 advertising_interval_ms: float = bumble_radio.FAST_ADVERTISING_MS, battery_percent: int = 100,
                 time_scale: float = 1.0, refuse_with_error: bool = False) -> None:
        """``time_scale``: for tests, the board's clock runs this many times faster than real time (its
        sensors produce that many seconds of samples per real second); the radio side is unchanged.
        ``refuse_with_error``: refuse unbonded protected packets as the ESP32-S3 firmware does (module
        docstring) instead of with ATT 0x05."""
        self.board = board
        self.time_scale = time_scale
        self.refuse_with_error = refuse_with_error
        self._t0 = time.monotonic()
        self.air = air
        self.address = address or bumble_radio.static_address(f"wandlab-wand:{board.uid}")
        self.name = board.config.name
        self.advertising_interval_ms = advertising_interval_ms
        self.battery_percent = battery_percent
        self.pairings = 0  # full pairings completed (a bonded host re-encrypting is not one)
        self.refused = 0  # protected packets refused (ATT 0x05, or Error BUSY with refuse_with_error)
        self.reports_sent = 0  # HID input reports notified
        self.press_times: list[float] = []  # time.monotonic() of every press that went to a host
        self.device: Device | None = None
        self._gatt: ble_gatt.WandGatt | None = None
        self._peers: dict[int, _Peer] = {}
        self._seq = 0
        self._stopped = asyncio.Event()
        self._ready = asyncio.Event()
        self._asleep = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._hid_queue: list[tuple[Connection, att.Attribute[bytes], bytes]] = []

    def clock(self) -> float:
        """The board's time: time.monotonic(), sped up by ``time_scale``."""
        now = time.monotonic()
        return now if self.time_scale == 1.0 else self._t0 + (now - self._t0) * self.time_scale

    @property
    def spec(self) -> str:
        return f"ble:{self.address}"

    # -- life cycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Power on and advertise (idempotent)."""
        if self.device is not None:
            return
        device = bumble_radio.new_device(self.name, self.address, air_name=self.air,
                                         keystore=keystore_for(self.board.config.state_dir))
        info = gatt.info_value(PROTOCOL_VERSION, MAX_PACKET, self.name)
        self._gatt = ble_gatt.build(device, info=info, board_name=self.name, firmware=f"virtual-{__version__}",
                                    on_packet_in=self._on_packet_in, battery=lambda _c: bytes([self.battery_percent]))
        device.pairing_config_factory = lambda _c: bumble_radio.pairing_config()
        device.advertising_data = bytes(AdvertisingData([
            (AdvertisingData.FLAGS, bytes([ADVERTISING_FLAGS])),
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
             bumble_uuid_bytes(gatt.WANDLAB_SERVICE)),
            (AdvertisingData.APPEARANCE, gatt.APPEARANCE_HID_KEYBOARD.to_bytes(2, "little")),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
        ]))
        # A real wand puts its name in the scan response: flags + 128-bit UUID + appearance take 25 of the
        # 31 bytes of a legacy advertisement. Bumble's simulated link layer sends no scan responses (it
        # repeats the advertising data instead) and takes longer advertising data, so the virtual wand
        # also carries its name above; the scan response is set for when Bumble learns to send it.
        device.scan_response_data = bytes(AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode())]))
        device.on(Device.EVENT_CONNECTION, self._on_connection)
        await device.power_on()
        self.device = device
        self.board.brain.press = self._press
        self.board.bonds_forgotten.append(self._forget_hosts)
        await self._advertise()
        self._ready.set()

    async def serve(self) -> None:
        """Run until stop() is called: the board's clock, its output, HID reports."""
        await self.start()
        try:
            while not self._stopped.is_set():
                await asyncio.sleep(TICK_S)
                if self._asleep:
                    continue
                for message in self.board.poll(self.clock()):
                    self._broadcast(message)
                await self._flush_hid()
        finally:
            await self.shutdown()

    def stop(self) -> None:
        self._stopped.set()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def shutdown(self) -> None:
        """Power off: links drop, the radio goes quiet; bonds stay in the state folder."""
        self._ready.clear()
        if self.board.brain.press == self._press:
            self.board.brain.press = None
        with contextlib.suppress(ValueError):
            self.board.bonds_forgotten.remove(self._forget_hosts)
        # Let short jobs (advertising, bond look-ups) finish: Bumble's HCI commands are not
        # cancellation-safe. Only what still waits after that (a power cut's sleep) is cancelled.
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=0.5)
            for task in pending:
                task.cancel()
        device, self.device = self.device, None
        if device is not None:
            await bumble_radio.release(device)
        self._peers.clear()
        self.board.stop_streams()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def set_battery(self, percent: int) -> None:
        """A new battery level: readable at once, notified to the hosts that subscribed to it."""
        self.battery_percent = max(0, min(100, int(percent)))
        if self.device is not None and self._gatt is not None:
            await self.device.notify_subscribers(self._gatt.battery_level, bytes([self.battery_percent]))

    async def _advertise(self) -> None:
        device = self.device
        if device is None or self._asleep or device.is_advertising or len(self._peers) >= MAX_CONNECTIONS:
            return
        await device.start_advertising(advertising_interval_min=self.advertising_interval_ms,
                                       advertising_interval_max=self.advertising_interval_ms)

    # -- connections and security --------------------------------------------------------------------
    def _on_connection(self, connection: Connection) -> None:
        peer = _Peer(connection, Fragmenter(connection.att_mtu))
        self._peers[connection.handle] = peer

        def on_mtu() -> None:
            peer.fragmenter.att_mtu = connection.att_mtu

        def on_encryption() -> None:
            self._spawn(self._check_bond(peer))

        def on_pairing(_keys: object) -> None:
            self.pairings += 1
            self._spawn(self._check_bond(peer))

        def on_disconnection(_reason: int) -> None:
            self._peers.pop(connection.handle, None)
            self._spawn(self._advertise())

        connection.on(Connection.EVENT_CONNECTION_ATT_MTU_UPDATE, on_mtu)
        connection.on(Connection.EVENT_CONNECTION_ENCRYPTION_CHANGE, on_encryption)
        connection.on(Connection.EVENT_PAIRING, on_pairing)
        connection.on(Connection.EVENT_DISCONNECTION, on_disconnection)
        self._spawn(self._advertise())  # the controller stopped advertising for this connection

    async def _check_bond(self, peer: _Peer) -> bool:
        """Whether the connection is encrypted with a key this wand has stored (a bond)."""
        connection, device = peer.connection, self.device
        keystore = device.keystore if device is not None else None
        bonded = keystore is not None and await keystore.get(str(connection.peer_address)) is not None
        peer.secure = bool(connection.is_encrypted and bonded)
        return peer.secure

    def _on_packet_in(self, connection: Connection, value: bytes) -> Coroutine[Any, Any, None] | None:
        """A write to packet-in. Synchronous whenever the answer is known, so that fragments reach the
        board in the order they arrived; a coroutine only when a just-encrypted link's bond must be
        looked up (the host waits for that write's response before it sends anything else)."""
        peer = self._peers.get(connection.handle)
        if peer is None:
            return None
        fragment = bytes(value)
        if self.refuse_with_error:  # every write is taken; whole packets are judged in _handle
            self._accept(peer, fragment)
            return None
        protected = bool(fragment) and fragment[0] & START and (len(fragment) < 4 or
                                                              fragment[3] not in gatt.OPEN_FAMILY_TYPES)
        if not protected or peer.secure:
            self._accept(peer, fragment)
            return None
        if connection.is_encrypted:
            return self._accept_if_bonded(peer, fragment)
        self._refuse(fragment)
        return None

    async def _accept_if_bonded(self, peer: _Peer, fragment: bytes) -> None:
        if await self._check_bond(peer):
            self._accept(peer, fragment)
        else:
            self._refuse(fragment)

    def _refuse(self, fragment: bytes) -> None:
        self.refused += 1
        kind = f"0x{fragment[3]:02X}" if len(fragment) >= 4 else "unknown"
        log.info("refused a packet of type %s: the link is not encrypted with a bonded key", kind)
        raise att.ATT_Error(gatt.ATT_INSUFFICIENT_AUTHENTICATION, message="pair (bond) with the wand first")

    def _forget_hosts(self) -> None:
        """ForgetHosts: the bonds are gone (the board emptied the file); links they protected end, after
        the Ack has had time to leave."""
        self._spawn(self._forget_and_disconnect())

    async def _forget_and_disconnect(self) -> None:
        device = self.device
        if device is not None and device.keystore is not None:
            for address, _ in await device.keystore.get_all():
                await device.keystore.delete(address)
        await asyncio.sleep(0.05)
        for peer in list(self._peers.values()):
            peer.secure = False
            with contextlib.suppress(Exception):
                await peer.connection.disconnect(HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR)

    # -- packets ---------------------------------------------------------------------------------------
    def _accept(self, peer: _Peer, fragment: bytes) -> None:
        for packet in peer.reassembler.feed(fragment):
            self._handle(peer, packet)

    def _handle(self, peer: _Peer, packet: Packet) -> None:
        if self.refuse_with_error and packet.type not in gatt.OPEN_FAMILY_TYPES and not peer.secure:
            if peer.connection.is_encrypted:  # just encrypted: is it with a bond?
                self._spawn(self._handle_if_bonded(peer, packet))
            else:
                self._refuse_with_error(peer, packet)
            return
        try:
            message = decode_message(packet)
        except ProtocolError as exc:
            # Like firmware: answer, so the host fails fast instead of timing out.
            code = ErrorCode.BAD_ARGUMENT if packet.type in MESSAGES else ErrorCode.UNKNOWN_MESSAGE
            self._send(peer, Error(packet.seq, code, str(exc)), droppable=False)
            return
        for reply in self.board.handle(packet.seq, message, self.clock()):
            self._send(peer, reply, droppable=False)
        if isinstance(message, SimUnplug) and not self._asleep:
            self._spawn(self.power_cut(message.millis / 1000, after_s=0.05))  # the Ack goes out first

    async def _handle_if_bonded(self, peer: _Peer, packet: Packet) -> None:
        if await self._check_bond(peer):
            self._handle(peer, packet)
        else:
            self._refuse_with_error(peer, packet)

    def _refuse_with_error(self, peer: _Peer, packet: Packet) -> None:
        self.refused += 1
        log.info("refused a packet of type 0x%02X with Error BUSY: the link is not encrypted with a bonded key",
                 packet.type)
        self._send(peer, Error(packet.seq, ErrorCode.BUSY, gatt.NOT_BONDED_ERROR), droppable=False)

    async def power_cut(self, seconds: float, after_s: float = 0.0) -> None:
        """The wand loses power for ``seconds`` (after ``after_s``): every link drops, the radio is silent,
        streams stop; then it advertises again. Flash (slots, bonds) is kept."""
        if self._asleep:
            return
        self._asleep = True
        try:
            await asyncio.sleep(after_s)
            device = self.device
            if device is not None and device.is_advertising:
                await device.stop_advertising()
            for peer in list(self._peers.values()):
                with contextlib.suppress(Exception):
                    await peer.connection.disconnect(HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR)
            self.board.stop_streams()
            await asyncio.sleep(seconds)
        finally:
            self._asleep = False
        await self._advertise()

    def _broadcast(self, message: Message) -> None:
        for peer in list(self._peers.values()):
            if self._subscribed(peer.connection, self._gatt.packet_out if self._gatt else None):
                self._send(peer, message, droppable=True)

    def _send(self, peer: _Peer, message: Message, droppable: bool) -> None:
        device = self.device
        if device is None or self._gatt is None:
            return
        if droppable and isinstance(message, (ImuBlock, AudioBlock)) and self._backlog() > TX_LIMIT_PACKETS:
            self.board.dropped(message)
            return
        self._seq = (self._seq + 1) & 0xFFFF
        raw = pack_packet(to_packet(message, self._seq))
        handle = self._gatt.packet_out.handle
        for fragment in peer.fragmenter.fragments(raw):
            pdu = att.ATT_Handle_Value_Notification(attribute_handle=handle, attribute_value=fragment)
            device.gatt_server.send_gatt_pdu(peer.connection, bytes(pdu))

    def _backlog(self) -> int:
        if self.device is None:
            return 0
        host = self.device.host
        queue = host.le_acl_packet_queue or host.acl_packet_queue  # LE buffers, or shared ones
        return queue.pending if queue is not None else 0

    def _subscribed(self, connection: Connection, characteristic: att.Attribute[bytes] | None) -> bool:
        if self.device is None or characteristic is None:
            return False
        cccd = self.device.gatt_server.subscribers.get(connection, {}).get(characteristic.handle)
        return bool(cccd and cccd[0] & 0x01)

    # -- HID -------------------------------------------------------------------------------------------
    def _press(self, action: HidAction) -> bool:
        """The board pressed ``action``: queue its input reports for every secure, subscribed host;
        True if at least one will get them (they go out at the end of this tick)."""
        if self._gatt is None:
            return False
        reports = gatt.reports_for(action)
        sent = False
        for peer in self._peers.values():
            if not peer.secure:
                continue
            for report in reports:
                characteristic = self._gatt.input_reports[report.report_id]
                if self._subscribed(peer.connection, characteristic):
                    self._hid_queue.append((peer.connection, characteristic, report.value))
                    sent = True
        if sent:
            self.press_times.append(time.monotonic())
        return sent

    async def _flush_hid(self) -> None:
        queue, self._hid_queue = self._hid_queue, []
        device = self.device
        for connection, characteristic, value in queue:
            if device is not None and connection.handle in self._peers:
                await device.notify_subscriber(connection, characteristic, value)
                self.reports_sent += 1


def bumble_uuid_bytes(uuid_text: str) -> bytes:
    """A 128-bit UUID as advertising data carries it (little-endian)."""
    from bumble.core import UUID

    return UUID(uuid_text).to_bytes(force_128=True)
