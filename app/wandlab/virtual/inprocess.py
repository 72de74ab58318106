"""``virtual:`` links: a virtual wand on a pseudo-terminal in a background thread of this process.

The host side is a plain SerialLink, so everything above the link is exercised exactly as with a
USB board. Options in the spec: ``virtual:?rate=400&person=3&axes=6&seed=1&state=DIR`` (``state``: a
folder where the board keeps its model slots across power cycles, like flash; ``mic``: the PC's microphone
as the wand's, ``default``, a device number or part of its name).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from wandlab.errors import LinkError
from wandlab.link.base import StreamLink
from wandlab.link.serial_link import SerialLink
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig
from wandlab.virtual.pty_server import PtyWandServer


class VirtualWandThread:
    """Runs a PtyWandServer on its own event loop in a daemon thread."""

    def __init__(self, config: VirtualWandConfig | None = None, port_path: str | Path | None = None) -> None:
        self.board = VirtualBoard(config)
        self._port_path = port_path
        self.server: PtyWandServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self, timeout_s: float = 5.0) -> str:
        """Start serving; returns the link spec to open."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="virtual-wand", daemon=True)
            self._thread.start()
        if not self._ready.wait(timeout_s) or self.server is None:
            raise LinkError("the virtual wand did not start")
        return self.server.spec

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self.server = PtyWandServer(self.board, self._port_path)

        async def main() -> None:
            assert self.server is not None
            task = asyncio.create_task(self.server.serve())
            await self.server.wait_plugged()
            self._ready.set()
            await task

        try:
            self._loop.run_until_complete(main())
        finally:
            self._loop.close()

    def call(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        """Run ``fn(*args)`` on the wand's own loop (thread-safe scripting from tests)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        self.board.audio.set_source(None)  # let go of the PC's microphone (the app picks it again on connect)
        if self._loop is not None and self.server is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self.server.stop)
            self._thread.join(timeout=5)
        self._thread = None
        self._ready.clear()


def config_from_options(options: dict[str, str]) -> VirtualWandConfig:
    """The wand a ``virtual:?rate=..&person=..`` spec describes."""
    try:
        config = VirtualWandConfig(
            imu_rate_hz=int(options.get("rate", 100)),
            axes=int(options.get("axes", 6)),
            person=int(options.get("person", 0)),
            seed=int(options.get("seed", 0)),
            state_dir=options.get("state") or None,
            microphone=options.get("mic"),  # virtual:?mic=default, ?mic=2, ?mic=USB: the PC's microphone
        )
    except ValueError as exc:
        raise LinkError(f"bad virtual wand option: {exc}") from None
    if config.axes not in (3, 6):
        raise LinkError("virtual wand axes must be 3 or 6")
    return config


class VirtualWandLink(StreamLink):
    def __init__(self, options: dict[str, str] | None = None) -> None:
        self.config = config_from_options(options or {})
        self.spec = "virtual:"
        self.wand = VirtualWandThread(self.config)
        self._serial: SerialLink | None = None

    @property
    def description(self) -> str:
        return f"virtual wand ({self._serial.port})" if self._serial else "virtual wand"

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._serial.is_open

    async def open(self) -> None:
        spec = self.wand.start()
        if self._serial is None:
            self._serial = SerialLink(spec.split(":", 1)[1])
        await self._serial.open()

    async def close(self) -> None:
        if self._serial is not None:
            await self._serial.close()
        self.wand.stop()

    async def read_bytes(self) -> bytes:
        if self._serial is None:
            raise LinkError("virtual wand link is not open")
        return await self._serial.read_bytes()

    async def write_bytes(self, data: bytes) -> None:
        if self._serial is None:
            raise LinkError("virtual wand link is not open")
        await self._serial.write_bytes(data)
