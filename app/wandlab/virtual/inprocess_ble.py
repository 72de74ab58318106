"""``virtual:?link=ble``: the virtual wand as a BLE peripheral on this process's in-process radio, reached
through a ``BleLink`` on the bleak-on-Bumble backend - the app's own BLE code path, scan to bond.

Bumble's radio delivers packets on the event loop that is running, so the wand serves on the caller's
loop (not in a thread, as the pty wand does). Options, besides the ``virtual:`` ones (rate, person,
seed, axes, state): ``air`` (which in-process radio), ``keys`` (folder for the app's bonds; default:
memory - the app re-pairs, invisibly, after a restart) and ``speed`` (tests: the board's clock runs this
many times faster than real time).
"""

from __future__ import annotations

import asyncio
import contextlib

from wandlab.errors import LinkError
from wandlab.link import bumble_radio
from wandlab.link.base import Link
from wandlab.link.ble_backend import bumble_backend
from wandlab.link.ble_link import BleLink
from wandlab.protocol.framing import DecoderStats, Packet
from wandlab.virtual.ble_server import BleWandServer
from wandlab.virtual.board import VirtualBoard
from wandlab.virtual.inprocess import config_from_options


class VirtualBleWandLink(Link):
    def __init__(self, options: dict[str, str] | None = None) -> None:
        options = options or {}
        self.board = VirtualBoard(config_from_options(options))
        self.air = options.get("air") or bumble_radio.DEFAULT_AIR
        try:
            self.speed = float(options.get("speed", 1.0))
        except ValueError:
            raise LinkError(f"bad virtual wand option speed={options['speed']!r}: a number") from None
        keys = options.get("keys") or None
        backend = bumble_backend(self.air, keys_dir=keys, memory_keys=keys is None)
        self.server: BleWandServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self.ble = BleLink(bumble_radio.static_address(f"wandlab-wand:{self.board.uid}"), backend,
                           scan_timeout_s=3.0)
        self.spec = "virtual:?link=ble"

    @property
    def description(self) -> str:
        return "virtual wand over BLE"

    @property
    def is_open(self) -> bool:
        return self.ble.is_open

    @property
    def framing(self) -> DecoderStats:
        return self.ble.framing

    async def start_wand(self) -> BleWandServer:
        """Power the wand on (if it is not) and return its server."""
        if self.server is None or self._serving is None or self._serving.done():
            self.server = BleWandServer(self.board, air=self.air, time_scale=self.speed)
            await self.server.start()
            self._serving = asyncio.ensure_future(self.server.serve())
        return self.server

    async def open(self) -> None:
        await self.start_wand()
        await self.ble.open()

    async def close(self) -> None:
        self.board.audio.set_source(None)  # let go of the PC's microphone (the app picks it again on connect)
        await self.ble.close()
        serving, self._serving = self._serving, None
        if self.server is not None and serving is not None:
            self.server.stop()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(serving, 5.0)

    async def read_packets(self) -> list[Packet]:
        return await self.ble.read_packets()

    async def send_packet(self, packet: Packet) -> None:
        await self.ble.send_packet(packet)

    async def resync(self) -> None:
        await self.ble.resync()
