"""Shared by the BLE tests: a virtual wand on the in-process radio, and bleak-on-Bumble backends that keep
their bonds in memory or in a test folder (never in the user's config folder)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from wandlab.link.ble_backend import BleBackend, bumble_backend
from wandlab.link.bleak_bumble import close_adapters
from wandlab.virtual.ble_server import BleWandServer
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig


def run(coro, timeout_s: float = 30.0):
    async def main():
        try:
            return await asyncio.wait_for(coro, timeout_s)
        finally:
            await close_adapters()

    return asyncio.run(main())


def memory_backend(**kwargs) -> BleBackend:
    return bumble_backend(memory_keys=True, **kwargs)


@contextlib.asynccontextmanager
async def wand_on_air(board: VirtualBoard | None = None, **kwargs) -> AsyncIterator[BleWandServer]:
    """A virtual wand advertising on the default air of the running loop until the block ends."""
    server = BleWandServer(board or VirtualBoard(VirtualWandConfig()), **kwargs)
    await server.start()
    serving = asyncio.ensure_future(server.serve())
    try:
        yield server
    finally:
        server.stop()
        await serving
