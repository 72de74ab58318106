"""A wand over Bluetooth LE, written against bleak's public API (``BleakScanner``, ``BleakClient``).

The backend is injectable (``ble_backend.BleBackend``): bleak's platform backend by default, bleak on
Bumble for the virtual wand and the tests - the code below is the same for both.

Packets travel as in docs/protocol.md "BLE": the board notifies fragments on packet-out (fed to a
``Reassembler``), the host writes fragments to packet-in (cut by a ``Fragmenter`` to the MTU).

Writes and security. A board refuses any packet outside the session family on a link that is not
encrypted with a bonded key, with ATT error 0x05 - and only a *write request* can carry an ATT error
back; a refused *write command* (without response) would vanish without a trace. So until the board has
accepted one protected packet on this connection, the first fragment of each protected packet is a write
with response: a refusal comes back as ``BleakGATTProtocolError(0x05)``, the link pairs (bonds) once -
a bonded wand is only re-encrypted with its stored key, no new pairing - and sends the packet again,
reusing the refused fragment's counter (the board never took it). Once a protected packet went through,
the link is encrypted and bonded for the rest of the connection, and every fragment is a write without
response: no round trip per packet, which is what makes model pushes fast. Session packets (Hello, Ping)
are always accepted and always go without response.

A board whose BLE stack cannot refuse a write (NimBLE-Arduino on the ESP32-S3 accepts every write before
the sketch sees it) drops such a packet whole and answers it ``Error BUSY`` with ``gatt.NOT_BONDED_ERROR``
instead. The link knows the protected packets it sent on this connection, so on that answer it pairs once
and sends the packet again, and the client never sees the refusal - the same outcome as after ATT 0x05.
A packet refused that way a second time, or when pairing fails, reaches the client as the board's Error.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError, BleakGATTProtocolError

from wandlab.errors import LinkError, ProtocolError
from wandlab.link.base import Link
from wandlab.link.ble_backend import SYSTEM, BleBackend
from wandlab.link.ble_errors import BluetoothUnavailable, adapter_problem
from wandlab.link.ble_scan import find_wand
from wandlab.protocol import Error, ErrorCode, decode_message, gatt
from wandlab.protocol.fragments import DEFAULT_ATT_MTU, MAX_ATT_MTU, Fragmenter, Reassembler, ReassemblyStats
from wandlab.protocol.framing import DecoderStats, Packet, pack_packet

log = logging.getLogger(__name__)

SCAN_TIMEOUT_S = 8.0
CONNECT_TIMEOUT_S = 15.0
ATTEMPTS = 3  # per open(): scan/connect failures are often passing (radio noise, the wand restarting)
BACKOFF_S = 0.25  # before the 2nd attempt; doubles for each further one
# Protected packets remembered per connection for a resend after Error BUSY "not bonded" (the replies to
# older ones came long ago).
REMEMBERED_PACKETS = 64


class BleAccessRefused(LinkError):
    """The wand refused a protected packet (ATT error ``att_error``) and pairing did not or may not help."""

    def __init__(self, message: str, att_error: int) -> None:
        super().__init__(message)
        self.att_error = att_error


class BleLink(Link):
    def __init__(self, target: str, backend: BleBackend | None = None, *, pair_when_refused: bool = True,
                 scan_timeout_s: float = SCAN_TIMEOUT_S, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 attempts: int = ATTEMPTS) -> None:
        if not target:
            raise LinkError("ble: needs a wand's name or address, e.g. ble:Wand or ble:AA:BB:CC:DD:EE:FF")
        self.target = target
        self.backend = backend or SYSTEM
        self.pair_when_refused = pair_when_refused
        self.scan_timeout_s, self.connect_timeout_s, self.attempts = scan_timeout_s, connect_timeout_s, attempts
        self.spec = f"ble:{target}"
        self.board_name = ""
        self.att_mtu = DEFAULT_ATT_MTU
        self.pairings = 0  # times this link asked the OS to pair (or re-encrypt) after a refusal
        # Told True when pairing starts (the OS may ask the user to accept it) and False when it is over,
        # so an app can say what is going on instead of seeming to hang.
        self.pairing_listeners: list[Callable[[bool], None]] = []
        self.received: list[bytes] | None = None  # set to a list to keep every fragment received (benchmarks)
        self._stats = ReassemblyStats()
        self._reassembler = Reassembler()
        self._fragmenter = Fragmenter()
        self._device: BLEDevice | None = None
        self._client: BleakClient | None = None
        self._packet_in: BleakGATTCharacteristic | None = None
        self._secured = False
        self._queue: asyncio.Queue[list[Packet] | LinkError] = asyncio.Queue()
        self._write_lock = asyncio.Lock()
        # For boards that refuse with Error BUSY (module docstring), this connection's:
        self._sent_protected: OrderedDict[int, Packet] = OrderedDict()  # seq -> packet
        self._resent: set[int] = set()
        self._pairing: asyncio.Future[None] | None = None  # the one pairing such refusals ask for
        self._resends: set[asyncio.Future[None]] = set()

    # -- Link ---------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._client is not None

    @property
    def framing(self) -> DecoderStats:
        return self._stats

    @property
    def description(self) -> str:
        name = self.board_name or self.target
        address = self._device.address if self._device is not None else ""
        return f"{name} over BLE ({address})" if address and address != name else f"{name} over BLE"

    async def open(self) -> None:
        """Find and connect to the wand; retries with backoff. Bonds survive: a bonded wand is only
        re-encrypted on the first protected packet, never paired again."""
        if self._client is not None:
            return
        last: LinkError | None = None
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(BACKOFF_S * 2 ** (attempt - 1))
            try:
                await self._connect()
                return
            except BluetoothUnavailable:
                raise  # waiting does not switch Bluetooth on
            except LinkError as exc:
                last = exc
                self._device = None  # scan again next time: the wand may have a new address or be elsewhere
        assert last is not None
        raise last

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.disconnect()
            except (BleakError, OSError) as exc:
                log.debug("disconnecting %s: %s", self.description, exc)
            self._queue.put_nowait(LinkError(f"{self.description} closed"))

    async def read_packets(self) -> list[Packet]:
        item = await self._queue.get()
        if isinstance(item, LinkError):
            raise item
        return item

    async def send_packet(self, packet: Packet) -> None:
        raw = pack_packet(packet)
        protected = packet.type not in gatt.OPEN_FAMILY_TYPES
        async with self._write_lock:  # the fragments of one packet must not interleave with another's
            if protected:  # before the write: the board may answer before the write's response comes back
                self._remember(packet)
            for retry in (False, True):
                counter = self._fragmenter.counter
                fragments = list(self._fragmenter.fragments(raw))
                try:
                    await self._write(fragments[0], response=protected and not self._secured)
                except BleakGATTProtocolError as exc:
                    self._fragmenter.counter = counter  # the board did not take it: its counter is free again
                    if exc.code != gatt.ATT_INSUFFICIENT_AUTHENTICATION or retry or not self.pair_when_refused:
                        raise self._refused(packet, int(exc.code), retry) from None
                    await self._pair()
                    continue
                if protected:
                    self._secured = True
                for fragment in fragments[1:]:
                    await self._write(fragment, response=False)
                return

    # -- internals -----------------------------------------------------------------------------------
    async def _connect(self) -> None:
        if self._device is None:
            self._device = await find_wand(self.target, self.backend, self.scan_timeout_s)
        client = BleakClient(self._device, disconnected_callback=self._on_disconnect, timeout=self.connect_timeout_s,
                             backend=self.backend.client, **dict(self.backend.options))
        try:
            await client.connect()
            packet_in = client.services.get_characteristic(gatt.PACKET_IN)
            if packet_in is None or client.services.get_characteristic(gatt.PACKET_OUT) is None:
                raise LinkError(f"{self._device.address} has no Wandlab service: is it a wand with current firmware?")
            _, _, self.board_name = gatt.parse_info(bytes(await client.read_gatt_char(gatt.INFO)))
            # Counters restart on every connection; the error counts go on (the user's "decode errors").
            self._reassembler = Reassembler()
            self._reassembler.stats = self._stats
            # max_write_without_response_size is the portable way to learn the MTU (BlueZ reports 23 in mtu_size).
            self.att_mtu = max(DEFAULT_ATT_MTU, min(MAX_ATT_MTU, packet_in.max_write_without_response_size + 3))
            self._fragmenter = Fragmenter(self.att_mtu)
            self._secured = False
            self._sent_protected.clear()
            self._resent.clear()
            self._pairing = None
            self._drain_queue()
            await client.start_notify(gatt.PACKET_OUT, self._on_fragment)
        except (TimeoutError, BleakError, OSError) as exc:
            await _quietly_disconnect(client)
            raise adapter_problem(exc) or LinkError(f"cannot connect to {self.description}: {exc}") from None
        except BaseException:
            await _quietly_disconnect(client)
            raise
        self._client, self._packet_in = client, packet_in

    def _on_fragment(self, _sender: BleakGATTCharacteristic, data: bytearray) -> None:
        fragment = bytes(data)
        if self.received is not None:
            self.received.append(fragment)
        packets = [p for p in self._reassembler.feed(fragment) if not self._resend_if_not_bonded(p)]
        if packets:
            self._queue.put_nowait(packets)

    def _on_disconnect(self, client: BleakClient) -> None:
        if client is self._client:
            self._client = None
            self._queue.put_nowait(LinkError(f"{self.description} disconnected (out of range, switched off, "
                                             f"or connected elsewhere)"))

    def _drain_queue(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def _write(self, fragment: bytes, response: bool) -> None:
        client, packet_in = self._client, self._packet_in
        if client is None or packet_in is None:
            raise LinkError(f"{self.description} is not connected")
        try:
            await client.write_gatt_char(packet_in, fragment, response=response)
        except BleakGATTProtocolError:
            raise
        except (BleakError, OSError) as exc:
            raise LinkError(f"writing to {self.description} failed: {exc}") from None

    def _remember(self, packet: Packet) -> None:
        self._sent_protected[packet.seq] = packet
        self._sent_protected.move_to_end(packet.seq)
        while len(self._sent_protected) > REMEMBERED_PACKETS:
            self._sent_protected.popitem(last=False)

    def _resend_if_not_bonded(self, packet: Packet) -> bool:
        """True if ``packet`` is a board's Error BUSY "not bonded" for a packet this link sent and has not
        sent again yet: it is swallowed, and the link pairs and sends the refused packet again."""
        if not self.pair_when_refused or packet.type != Error.TYPE:
            return False
        try:
            error = decode_message(packet)
        except ProtocolError:
            return False
        if not (isinstance(error, Error) and error.code == ErrorCode.BUSY and error.message == gatt.NOT_BONDED_ERROR):
            return False
        refused = self._sent_protected.get(error.ref_seq)
        if refused is None or error.ref_seq in self._resent:
            return False
        self._resent.add(error.ref_seq)
        task = asyncio.ensure_future(self._pair_then_resend(refused, packet))
        self._resends.add(task)
        task.add_done_callback(self._resends.discard)
        return True

    async def _pair_then_resend(self, refused: Packet, error: Packet) -> None:
        try:
            if self._pairing is None:  # one pairing for every packet refused before it is done
                self._pairing = asyncio.ensure_future(self._pair())
            await asyncio.shield(self._pairing)
            await self.send_packet(refused)
        except LinkError as exc:
            log.warning("%s", exc)
            self._queue.put_nowait([error])  # the client sees the board's refusal

    async def _pair(self) -> None:
        client = self._client
        if client is None:
            raise LinkError(f"{self.description} is not connected")
        self.pairings += 1
        self._tell_pairing(True)
        try:
            await client.pair()
        except (BleakError, OSError) as exc:
            raise LinkError(f"pairing with {self.description} failed: {exc}. Accept the pairing if the computer "
                            f"asks; if the wand was paired before, remove it from the Bluetooth settings and "
                            f"connect again") from None
        finally:
            self._tell_pairing(False)

    def _tell_pairing(self, pairing: bool) -> None:
        for listener in tuple(self.pairing_listeners):
            try:
                listener(pairing)
            except Exception:  # a listener's bug must not break the link
                log.exception("pairing listener failed")

    def _refused(self, packet: Packet, code: int, after_pairing: bool) -> BleAccessRefused:
        what = f"{self.description} refused packet type 0x{packet.type:02X} (ATT error 0x{code:02X}"
        if code != gatt.ATT_INSUFFICIENT_AUTHENTICATION:
            return BleAccessRefused(f"{what})", code)
        if after_pairing:
            return BleAccessRefused(f"{what}, insufficient authentication) even after pairing: remove the wand from "
                                    f"this computer's Bluetooth settings, or clear its bonds over USB (wandlab board "
                                    f"forget-hosts), and connect again", code)
        return BleAccessRefused(f"{what}, insufficient authentication): it needs a bonded, encrypted link; pair "
                                f"with it first", code)


async def _quietly_disconnect(client: BleakClient) -> None:
    try:
        await client.disconnect()
    except (BleakError, OSError):
        pass
