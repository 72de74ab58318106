"""``virtual:?firmware=native``: the C++ firmware's board logic, built as a Linux program (like Zephyr's
native_sim) and reached through a plain SerialLink on its pseudo-terminal.

Where ``virtual:`` runs the Python board (``board.py``), this runs ``wandlab_core``'s ``Board`` from
``firmware_sketches/native_board`` - the code that runs on the XIAO - with synthetic sensors. It needs
the source tree and g++ + make: the first open builds it (``make``, seconds; later opens find it
current). Options: ``virtual:?firmware=native&rate=400&axes=6&seed=1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from pathlib import Path

from wandlab.errors import LinkError
from wandlab.link.base import StreamLink
from wandlab.link.serial_link import SerialLink

SOURCE_DIR = Path(__file__).resolve().parents[3] / "firmware_sketches" / "native_board"
EXECUTABLE = SOURCE_DIR / "build" / "wandlab_native_board"
BUILD_TIMEOUT_S = 300
START_TIMEOUT_S = 10.0


def missing_tools() -> str | None:
    """Why the native board cannot be built here, or None if it can."""
    if not (SOURCE_DIR / "Makefile").is_file():
        return f"the native board needs the Wandlab source tree ({SOURCE_DIR} is missing)"
    absent = [tool for tool in ("make", "g++") if shutil.which(tool) is None]
    if absent:
        return f"the native board is built with make and g++: install {' and '.join(absent)}"
    return None


def build() -> Path:
    """Build the native board if it is missing or stale; returns the executable."""
    problem = missing_tools()
    if problem:
        raise LinkError(problem)
    try:
        result = subprocess.run(["make", "-C", str(SOURCE_DIR)], capture_output=True, text=True,
                                timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise LinkError(f"building the native board took over {BUILD_TIMEOUT_S} s: run make -C {SOURCE_DIR}") from None
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-12:])
        raise LinkError(f"the native board did not build (make -C {SOURCE_DIR}):\n{tail}")
    return EXECUTABLE


def command(options: dict[str, str]) -> list[str]:
    """The native board's command line for a spec's options."""
    args = [str(EXECUTABLE), "--exit-with-stdin"]
    for option, flag in (("rate", "--rate"), ("axes", "--axes"), ("seed", "--seed")):
        if option in options:
            value = options[option]
            if not value.isdigit():
                raise LinkError(f"virtual:?firmware=native&{option}={value}: give a number")
            args += [flag, value]
    return args


class NativeBoardProcess:
    """Builds (if needed) and runs the native board; it exits when this process closes its stdin."""

    def __init__(self, options: dict[str, str] | None = None) -> None:
        self.options = dict(options or {})
        self.process: subprocess.Popen[str] | None = None
        self.spec = ""

    def start(self) -> str:
        """Start it (once); returns the ``serial:`` spec of its port."""
        if self.process is not None and self.process.poll() is None:
            return self.spec
        args = command(self.options)
        build()
        process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("serial:"):
            process.kill()
            _, err = process.communicate(timeout=5)
            raise LinkError(f"the native board did not start: {(err or line).strip()[-300:] or 'no output'}")
        self.process, self.spec = process, line
        return line

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


class NativeBoardLink(StreamLink):
    def __init__(self, options: dict[str, str] | None = None) -> None:
        self.board = NativeBoardProcess(options)
        command(self.board.options)  # refuse bad options now, not at open()
        self.spec = "virtual:?firmware=native"
        self._serial: SerialLink | None = None

    @property
    def description(self) -> str:
        return f"native board ({self._serial.port})" if self._serial else "native board"

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._serial.is_open

    async def open(self) -> None:
        spec = await asyncio.wait_for(asyncio.to_thread(self.board.start), BUILD_TIMEOUT_S + START_TIMEOUT_S)
        port = spec.split(":", 1)[1]
        if self._serial is None or self._serial.port != port:
            self._serial = SerialLink(port)
        await self._serial.open()

    async def close(self) -> None:
        if self._serial is not None:
            await self._serial.close()
        await asyncio.to_thread(self.board.stop)

    async def read_bytes(self) -> bytes:
        if self._serial is None:
            raise LinkError("native board link is not open")
        return await self._serial.read_bytes()

    async def write_bytes(self, data: bytes) -> None:
        if self._serial is None:
            raise LinkError("native board link is not open")
        await self._serial.write_bytes(data)
