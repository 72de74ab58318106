"""A "paired computer": the HID host side of a wand, as an operating system plays it, on the in-process
radio. It finds a wand by its Wandlab service, connects, pairs and bonds (keys kept in the folder it is
given), reads the report map, subscribes to the input reports and turns each into the key a user would
see (``gatt.describe_report``). Like an OS, it reconnects to its bonded wand by itself whenever the link
drops - re-encrypting with the stored key, never pairing again - so a wand that is switched off and on
types into the same computer without anyone touching it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bumble import hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.keys import JsonKeyStore, KeyStore, MemoryKeyStore

from wandlab.errors import LinkError
from wandlab.link import bumble_radio
from wandlab.protocol import gatt
from wandlab.protocol.fragments import MAX_ATT_MTU
from wandlab.protocol.hid_descriptor import ReportInfo, parse_report_map

log = logging.getLogger(__name__)

KEYS_FILE = "hid_host_keys.json"
RECONNECT_INTERVAL_S = 0.2


@dataclass
class KeyEvent:
    time: float  # time.monotonic() when the input report arrived
    text: str  # "Ctrl+S", "Play/Pause", "Left click", "move +10 -5"
    report_id: int


@dataclass
class HostStats:
    pairings: int = 0  # full pairings (a new bond)
    encryptions: int = 0  # reconnections encrypted with the stored bond
    connections: int = 0


@dataclass(eq=False)
class PairedComputer:
    keys_dir: str | Path | None = None  # None: bonds in memory
    air: str = bumble_radio.DEFAULT_AIR
    name: str = "Paired computer"
    keys: list[KeyEvent] = field(default_factory=list)
    stats: HostStats = field(default_factory=HostStats)
    reports: list[ReportInfo] = field(default_factory=list)  # from the wand's report map
    auto_reconnect: bool = True

    def __post_init__(self) -> None:
        self.device: Device | None = None
        self.wand_address: hci.Address | None = None
        self._connection: Connection | None = None
        self._listeners: list[Callable[[KeyEvent], None]] = []
        self._new_key = asyncio.Event()
        self._connected = asyncio.Event()
        self._reconnector: asyncio.Task[None] | None = None
        self._closing = False
        self._stop = asyncio.Event()

    # -- life cycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.device is not None:
            return
        keystore: KeyStore = MemoryKeyStore()
        seed = f"wandlab-hid-host:{self.name}"
        if self.keys_dir is not None:
            Path(self.keys_dir).mkdir(parents=True, exist_ok=True)
            keystore = JsonKeyStore("computer", str(Path(self.keys_dir) / KEYS_FILE))
            seed += f":{Path(self.keys_dir).resolve()}"
        device = bumble_radio.new_device(self.name, bumble_radio.static_address(seed), air_name=self.air,
                                         keystore=keystore)
        device.pairing_config_factory = lambda _c: bumble_radio.pairing_config()
        await device.power_on()
        self.device = device

    async def close(self) -> None:
        self._closing = True
        self._stop.set()
        if self._reconnector is not None:
            with contextlib.suppress(Exception):
                await self._reconnector
        if self.device is not None:
            await bumble_radio.release(self.device)
        self.device = None

    @property
    def connected(self) -> bool:
        return self._connection is not None

    async def wait_connected(self, timeout_s: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout_s)

    # -- finding, pairing, subscribing --------------------------------------------------------------
    async def pair_with(self, target: str | None = None, timeout_s: float = 5.0) -> None:
        """Scan for a wand (any, or the one whose name or address is ``target``), connect, bond and
        subscribe; afterwards the computer keeps reconnecting to it on its own."""
        await self.start()
        self.wand_address = await self._find(target, timeout_s)
        await self._connect(timeout_s)

    async def _find(self, target: str | None, timeout_s: float) -> hci.Address:
        device = self.device
        assert device is not None
        wanted = UUID(gatt.WANDLAB_SERVICE)
        found: asyncio.Future[hci.Address] = asyncio.get_running_loop().create_future()

        def on_advertisement(adv: Advertisement) -> None:
            uuids = [u for group in adv.data.get_all(AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
                     for u in group]  # type: ignore[union-attr]
            name = adv.data.get(AdvertisingData.COMPLETE_LOCAL_NAME)
            named = target is None or target.lower() in (str(adv.address).lower(), str(name or "").lower())
            if wanted in uuids and named and not found.done():
                found.set_result(adv.address)

        device.on(Device.EVENT_ADVERTISEMENT, on_advertisement)
        await device.start_scanning(filter_duplicates=False)
        # Wait without being cancelled inside a Bumble call (its HCI commands are not cancellation-safe):
        # close() ends the wait through the stop event instead.
        stopping: asyncio.Future[object] = asyncio.ensure_future(self._stop.wait())
        waiting: set[asyncio.Future[object]] = {found, stopping}  # type: ignore[arg-type]
        try:
            await asyncio.wait(waiting, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            device.remove_listener(Device.EVENT_ADVERTISEMENT, on_advertisement)
            await device.stop_scanning()
        if not found.done():
            found.cancel()
            raise LinkError(f"the paired computer found no wand{f' called {target!r}' if target else ''}")
        return found.result()

    async def _connect(self, timeout_s: float) -> None:
        device, address = self.device, self.wand_address
        assert device is not None and address is not None
        # Only ever connect to a wand just heard advertising: Bumble's simulated controller never ends a
        # connection attempt to a silent device (see bleak_bumble.adapter.wait_for_advertisement).
        await self._find(str(address), timeout_s)
        connection = await asyncio.wait_for(device.connect(address, timeout=None), timeout_s)
        connection.on(Connection.EVENT_DISCONNECTION, lambda _reason: self._on_disconnection(connection))
        try:
            # The wand may drop us at once (the app's request reached it first): then try again.
            await bumble_radio.while_up(connection, self._set_up(connection))
        except BaseException:
            if bumble_radio.is_up(connection):
                with contextlib.suppress(Exception):
                    await connection.disconnect()
            raise
        self._connection = connection
        self.stats.connections += 1
        self._connected.set()

    async def _set_up(self, connection: Connection) -> None:
        await self._secure(connection)
        peer = Peer(connection)
        await peer.request_mtu(MAX_ATT_MTU)
        await self._subscribe(peer)

    async def _secure(self, connection: Connection) -> None:
        """Encrypt with the stored bond, or pair and bond when there is none (or the wand lost it)."""
        device = self.device
        assert device is not None and device.keystore is not None
        if await device.keystore.get(str(connection.peer_address)) is not None:
            try:
                await connection.encrypt()
                self.stats.encryptions += 1
                return
            except hci.HCI_Error:
                log.info("the wand no longer knows this computer: pairing again")
                await device.keystore.delete(str(connection.peer_address))
        await connection.pair()
        self.stats.pairings += 1

    async def _subscribe(self, peer: Peer) -> None:
        hid = await peer.discover_service(UUID.from_16_bits(gatt.HID_SERVICE))
        if not hid:
            raise LinkError("the wand has no HID service")
        chars = await peer.discover_characteristics(service=hid[0])
        report_map = next((c for c in chars if c.uuid == UUID.from_16_bits(gatt.REPORT_MAP)), None)
        if report_map is None:
            raise LinkError("the wand's HID service has no report map")
        self.reports = parse_report_map(await report_map.read_value())
        inputs = {r.report_id for r in self.reports if r.kind == "input"}
        for char in chars:
            if char.uuid != UUID.from_16_bits(gatt.REPORT):
                continue
            await char.discover_descriptors()
            ref = next((d for d in char.descriptors if d.type == UUID.from_16_bits(gatt.REPORT_REFERENCE)), None)
            if ref is None:
                continue
            report_id, kind = bytes(await ref.read_value())[:2]
            if kind == gatt.INPUT and report_id in inputs:
                await char.subscribe(self._subscriber(report_id))

    def _subscriber(self, report_id: int) -> Callable[[bytes], None]:
        def on_report(value: bytes) -> None:
            text = gatt.describe_report(report_id, bytes(value))
            if text is None:
                return  # a release
            event = KeyEvent(time.monotonic(), text, report_id)
            self.keys.append(event)
            self._new_key.set()
            for listener in tuple(self._listeners):
                listener(event)

        return on_report

    def _on_disconnection(self, connection: Connection) -> None:
        if connection is not self._connection:
            return
        self._connection = None
        self._connected.clear()
        if self.auto_reconnect and not self._closing:
            self._reconnector = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        """What an OS does for a bonded keyboard: wait for it to advertise again, connect, encrypt."""
        while not self._closing and self._connection is None:
            try:
                await self._connect(timeout_s=1.0)
            except Exception as exc:  # any failure: the wand is not back yet; an OS keeps trying too
                log.debug("reconnecting to the wand: %s", exc)
                await asyncio.sleep(RECONNECT_INTERVAL_S)

    # -- keys ----------------------------------------------------------------------------------------
    def on_key(self, listener: Callable[[KeyEvent], None]) -> None:
        self._listeners.append(listener)

    async def next_keys(self) -> AsyncIterator[KeyEvent]:
        """New keys as they arrive (from now on)."""
        seen = len(self.keys)
        while True:
            while seen < len(self.keys):
                seen += 1
                yield self.keys[seen - 1]
            self._new_key.clear()
            await self._new_key.wait()

    async def wait_keys(self, count: int, timeout_s: float) -> list[KeyEvent]:
        """Until ``count`` keys have arrived in all (or the timeout); returns them all."""
        deadline = time.monotonic() + timeout_s
        while len(self.keys) < count and time.monotonic() < deadline:
            self._new_key.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._new_key.wait(), max(0.0, deadline - time.monotonic()))
        return list(self.keys)
