"""Serves a VirtualBoard on a real pseudo-terminal, so the app reaches it through pyserial exactly
as it reaches a USB board.

The board end is the pty master. A stable symlink (like /dev/serial/by-id) names the port, so after
a simulated unplug the host finds the board again under the same name although the kernel hands out
a new /dev/pts/N.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import tempfile
import time
import tty
from pathlib import Path

from wandlab.errors import ProtocolError
from wandlab.protocol import (
    MESSAGES,
    AudioBlock,
    Error,
    ErrorCode,
    FrameDecoder,
    ImuBlock,
    Message,
    SimUnplug,
    decode_message,
    encode_message,
)
from wandlab.virtual.board import VirtualBoard

TICK_S = 0.004
# What a board's USB TX buffer holds. Past it, sample blocks are dropped (and counted); replies never.
TX_LIMIT_BYTES = 32 * 1024


def default_port_path() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"wandlab-virtual-wand-{os.getpid()}"


class PtyWandServer:
    def __init__(self, board: VirtualBoard, port_path: str | Path | None = None) -> None:
        self.board = board
        self.port_path = Path(port_path) if port_path else default_port_path()
        self._master = -1
        self._slave = -1
        self._out = bytearray()
        self._decoder = FrameDecoder()
        self._seq = 0
        self._stopped = asyncio.Event()
        self._plugged = asyncio.Event()
        self.bytes_sent = 0
        self._unplugging = False

    @property
    def spec(self) -> str:
        return f"serial:{self.port_path}"

    def plug_in(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._out.clear()
        self._decoder = FrameDecoder()
        tmp = self.port_path.with_name(self.port_path.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        os.replace(tmp, self.port_path)
        asyncio.get_running_loop().add_reader(master, self._on_readable)
        self._plugged.set()

    def unplug(self) -> None:
        """Cable out: the host sees the port vanish; the board loses power, so streams stop."""
        self._plugged.clear()
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1
        with contextlib.suppress(FileNotFoundError):
            self.port_path.unlink()
        self.board.stop_streams()

    async def serve(self) -> None:
        """Run until stop() is called."""
        self.plug_in()
        try:
            while not self._stopped.is_set():
                await asyncio.sleep(TICK_S)
                if self._master < 0:
                    continue
                for message in self.board.poll(time.monotonic()):
                    self._queue(message, droppable=True)
                self._flush()
        finally:
            self.unplug()

    def stop(self) -> None:
        self._stopped.set()

    async def wait_plugged(self) -> None:
        await self._plugged.wait()

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:
            return  # EIO: nobody has the port open right now; the board just waits.
        now = time.monotonic()
        for packet in self._decoder.feed(data):
            try:
                message = decode_message(packet)
            except ProtocolError as exc:
                # Like firmware: answer, so the host fails fast instead of timing out.
                known = packet.type in MESSAGES
                code = ErrorCode.BAD_ARGUMENT if known else ErrorCode.UNKNOWN_MESSAGE
                self._queue(Error(packet.seq, code, str(exc)), droppable=False)
                continue
            for reply in self.board.handle(packet.seq, message, now):
                self._queue(reply, droppable=False)
            if isinstance(message, SimUnplug) and not self._unplugging:
                self._flush()
                asyncio.get_running_loop().create_task(self._unplug_for(message.millis / 1000))
        self._flush()

    async def _unplug_for(self, seconds: float) -> None:
        self._unplugging = True
        try:
            await asyncio.sleep(0.05)  # let the Ack reach the host first
            self.unplug()
            await asyncio.sleep(seconds)
            if not self._stopped.is_set():
                self.plug_in()
        finally:
            self._unplugging = False

    def _queue(self, message: Message, droppable: bool) -> None:
        if droppable and isinstance(message, (ImuBlock, AudioBlock)) and len(self._out) > TX_LIMIT_BYTES:
            self.board.dropped(message)
            return
        self._seq = (self._seq + 1) & 0xFFFF
        self._out += encode_message(message, self._seq)

    def _flush(self) -> None:
        while self._out and self._master >= 0:
            try:
                written = os.write(self._master, self._out)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in (errno.EIO, errno.EAGAIN):
                    return
                raise
            del self._out[:written]
            self.bytes_sent += written
