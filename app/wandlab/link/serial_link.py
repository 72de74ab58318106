"""USB serial (CDC ACM) boards and the virtual wand's pseudo-terminal, through pyserial.

Reads are event driven: the port's file descriptor is registered with the asyncio loop (works with
qasync too), so no thread polls the port and a quiet board costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import serial

from wandlab.errors import LinkError
from wandlab.link.base import StreamLink

# USB CDC ignores the baud rate; real UART bridges need a fast one for 16 kHz audio.
DEFAULT_BAUD = 1_000_000
WRITE_TIMEOUT_S = 2.0


class SerialLink(StreamLink):
    def __init__(self, port: str, baudrate: int = DEFAULT_BAUD) -> None:
        self.port = port
        self.baudrate = baudrate
        self.spec = f"serial:{port}"
        self._serial: serial.Serial | None = None
        self._queue: asyncio.Queue[bytes | BaseException] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    async def open(self) -> None:
        if self._serial is not None:
            return
        try:
            port = serial.Serial(self.port, self.baudrate, timeout=0, write_timeout=WRITE_TIMEOUT_S)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"cannot open {self.port}: {_reason(exc)}") from None
        port.reset_input_buffer()
        self._serial = port
        self._queue = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(port.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        port = self._serial
        if port is None:
            return
        try:
            data = port.read(max(port.in_waiting, 1))
        except (serial.SerialException, OSError) as exc:
            self._fail(LinkError(f"{self.port} disconnected: {_reason(exc)}"))
            return
        if data:
            self._queue.put_nowait(data)

    def _fail(self, exc: BaseException) -> None:
        self._release()
        self._queue.put_nowait(exc)

    def _release(self) -> None:
        port, self._serial = self._serial, None
        if port is None:
            return
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(port.fileno())
        with contextlib.suppress(Exception):
            port.close()

    async def close(self) -> None:
        if self._serial is not None:
            self._release()
            self._queue.put_nowait(LinkError(f"{self.port} closed"))

    async def read_bytes(self) -> bytes:
        item = await self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def write_bytes(self, data: bytes) -> None:
        port = self._serial
        if port is None:
            raise LinkError(f"{self.port} is not open")
        view = memoryview(data)
        deadline = time.monotonic() + WRITE_TIMEOUT_S
        try:
            # Non-blocking port: write what fits, yield to the loop while the board drains the rest.
            while view:
                written = port.write(view) or 0
                view = view[written:]
                if view:
                    if time.monotonic() > deadline:
                        raise LinkError(f"write to {self.port} timed out: the board is not reading")
                    await asyncio.sleep(0.001)
        except (serial.SerialException, OSError) as exc:
            self._fail(LinkError(f"{self.port} disconnected: {_reason(exc)}"))
            raise LinkError(f"{self.port} disconnected while writing") from None


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text.split(": ", 1)[-1] if "[Errno" in text else text or type(exc).__name__


def list_serial_ports(include_legacy: bool = False) -> list[tuple[str, str]]:
    """(spec, human description) for the serial ports a board could be on.

    Boards reach a PC over USB (CDC ACM or a USB-UART bridge), so ports without a USB vendor id - the
    motherboard's legacy /dev/ttyS* UARTs that every Linux PC lists - are left out unless asked for;
    such a port can still be opened by name (``--port serial:/dev/ttyS0``).
    """
    from serial.tools import list_ports

    ports = []
    for info in sorted(list_ports.comports(), key=lambda p: p.device):
        if info.vid is None and not include_legacy:
            continue
        desc = info.description if info.description and info.description != "n/a" else info.device
        ports.append((f"serial:{info.device}", desc))
    return ports
