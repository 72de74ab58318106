"""``virtual:?firmware=native``: the C++ firmware, built as a Linux program (like Zephyr's native_sim)
and reached through a plain SerialLink on its pseudo-terminal.

Where ``virtual:`` runs the Python board (``board.py``), this runs ``wandlab_core``'s ``Board`` and
``Recognizer`` from ``firmware_sketches/native_board`` - the code that runs on the XIAO: model slots (A/B,
resume, the image check), TensorFlow Lite Micro, the motion segmenter, the k-NN class table, enrollment
and the HID map. Its sensors play what the Python virtual wand synthesizes: a NativeFeeder thread in this
process (``native_feeder.py``) writes the same motion and speech ``virtual:`` streams (same ``seed``, same
samples) into a pipe ahead of the board's sensors, and acts out the SimPerform / SimSay / SimPerson
requests the board forwards to it. SimButton and SimUnplug the board does itself (the port vanishes and
comes back under the same name).

Options: ``virtual:?firmware=native&rate=400&axes=6&seed=1&person=0&feed=python&state=DIR``. ``state``
is the board's flash, as for ``virtual:`` (a directory; its files are named ``native-*`` so the Python
board's state can live beside it): a new board on the same directory is the same board after a power
cycle. Without it, the board's flash is a temporary directory the board removes when it exits.
``feed=synth`` drops the feeder and keeps the board's own simple C++ synthesis (a wand lying still; Sim*
requests other than SimButton and SimUnplug are then UNSUPPORTED). Wake words run in the C++ core too
(``BoardWords``): the board is given the shipped speech model (``--speech-model``) and listens to the
microphone while it holds words.

It needs the source tree, g++ + make, and TensorFlow Lite Micro's sources (``../shared/vendor``, or
``WANDLAB_VENDOR``). The first open builds it: TFLM's library (``firmware_sketches/tflm_host``) takes a
few minutes the first time (it is said in the log), the board seconds; later opens find both current.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO

from wandlab.errors import LinkError
from wandlab.link.base import StreamLink
from wandlab.link.serial_link import SerialLink
from wandlab.virtual.native_feeder import NativeFeeder
from wandlab.virtual.sim_sensors import SimSensors
from wandlab.virtual.word_model import shipped_speech_path

SOURCE_DIR = Path(__file__).resolve().parents[3] / "firmware_sketches" / "native_board"
EXECUTABLE = SOURCE_DIR / "build" / "wandlab_native_board"
# A clean build compiles TFLM (~400 files): ~3 min on 2 cores, more on a slow or busy PC.
BUILD_TIMEOUT_S = 1200
START_TIMEOUT_S = 10.0
FEEDS = ("python", "synth")
_ports = itertools.count()
log = logging.getLogger(__name__)


def vendor_dir() -> Path:
    """The Arduino sketchbook with TensorFlow Lite Micro's sources (as tests/firmware/test_tflm.py finds it)."""
    return Path(os.environ.get("WANDLAB_VENDOR", SOURCE_DIR.parents[2] / "shared" / "vendor"))


def missing_tools() -> str | None:
    """Why the native board cannot be built here, or None if it can."""
    if not (SOURCE_DIR / "Makefile").is_file():
        return f"the native board needs the Wandlab source tree ({SOURCE_DIR} is missing)"
    absent = [tool for tool in ("make", "g++") if shutil.which(tool) is None]
    if absent:
        return f"the native board is built with make and g++: install {' and '.join(absent)}"
    tflm = vendor_dir() / "libraries" / "Arduino_TensorFlowLite" / "src"
    if not (tflm / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").is_file():
        return (f"the native board runs TensorFlow Lite Micro, whose sources are not at {tflm} "
                "(set WANDLAB_VENDOR to the Arduino sketchbook that has Arduino_TensorFlowLite)")
    return None


def build() -> Path:
    """Build the native board if it is missing or stale; returns the executable. Compiling TFLM (the first
    time, or after its flags changed) takes minutes: said in the log when it starts, and every 100 files."""
    problem = missing_tools()
    if problem:
        raise LinkError(problem)
    cmd = ["make", "-C", str(SOURCE_DIR), f"-j{os.cpu_count() or 1}", f"VENDOR={vendor_dir()}"]
    tail: collections.deque[str] = collections.deque(maxlen=12)
    tflm_files = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        timer = threading.Timer(BUILD_TIMEOUT_S, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                tail.append(line.rstrip())
                if line.startswith(("CXX ", "CC  ")):  # tflm_host's one line per file
                    tflm_files += 1
                    if tflm_files == 1:
                        log.warning("building the native board: TensorFlow Lite Micro first (~400 files, a few "
                                    "minutes on 2 cores; only when it changed)")
                    elif tflm_files % 100 == 0:
                        log.warning("building the native board: %d TensorFlow Lite Micro files compiled", tflm_files)
            returncode = process.wait()
        finally:
            timer.cancel()
    if returncode == -signal.SIGKILL:
        raise LinkError(f"building the native board took over {BUILD_TIMEOUT_S} s: run {' '.join(cmd)} "
                        "in a terminal, then connect again")
    if returncode != 0:
        said = "\n".join(tail)
        raise LinkError(f"the native board did not build ({' '.join(cmd)}):\n{said}")
    return EXECUTABLE


def command(options: dict[str, str]) -> list[str]:
    """The native board's command line for a spec's options (the feed's pipes and port name come later)."""
    args = [str(EXECUTABLE), "--exit-with-stdin"]
    for option, flag in (("rate", "--rate"), ("axes", "--axes"), ("seed", "--seed")):
        if option in options:
            value = options[option]
            if not value.isdigit():
                raise LinkError(f"virtual:?firmware=native&{option}={value}: give a number")
            args += [flag, value]
    if not options.get("person", "0").isdigit():
        raise LinkError(f"virtual:?firmware=native&person={options['person']}: give a number")
    if options.get("state"):
        args += ["--state-dir", options["state"]]
    speech = shipped_speech_path()
    if speech is not None:
        args += ["--speech-model", str(speech)]
    if options.get("feed", "python") not in FEEDS:
        raise LinkError(f"virtual:?firmware=native&feed={options['feed']}: use python (the virtual wand's "
                        "motion and speech) or synth (the board's own C++ synthesis)")
    return args


def _port_path() -> Path:
    """A stable name for the board's pty (it gets a new /dev/pts/N after a SimUnplug), like pty_server's."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"wandlab-native-board-{os.getpid()}-{next(_ports)}"


class NativeBoardProcess:
    """Builds (if needed) and runs the native board and its feeder; the board exits when this process
    closes its stdin, and the feeder when the board has gone."""

    def __init__(self, options: dict[str, str] | None = None) -> None:
        self.options = dict(options or {})
        self.process: subprocess.Popen[str] | None = None
        self.feeder: NativeFeeder | None = None
        self.spec = ""
        self._stderr: IO[bytes] | None = None
        self._said = ""  # the stderr of a board that has stopped
        self._port_link: Path | None = None

    def start(self) -> str:
        """Start it (once); returns the ``serial:`` spec of its port."""
        if self.process is not None and self.process.poll() is None:
            return self.spec
        self._port_link = _port_path()
        args = command(self.options) + ["--port-path", str(self._port_link)]
        build()
        feeder: NativeFeeder | None = None
        board_fds: tuple[int, ...] = ()
        if self.options.get("feed", "python") == "python":
            feeder, board_fds = self._feeder()
            args += ["--feed-fd", str(board_fds[0]), "--request-fd", str(board_fds[1])]
        # stderr to a file, not a pipe nobody reads once the board runs: a full pipe would stall it.
        self._keep_stderr()
        self._stderr = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                       text=True, pass_fds=board_fds)
        finally:
            for fd in board_fds:
                os.close(fd)  # the board's ends are the board's now
            if feeder is not None:
                feeder.start()  # if the board did not start, the feeder reads end of file and ends
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("serial:"):
            process.kill()
            process.communicate(timeout=5)
            if feeder is not None:
                feeder.stop()
            self._keep_stderr()
            said = (self._said or line).strip()[-300:]
            raise LinkError(f"the native board did not start: {said or 'no output'}")
        self.process, self.feeder, self.spec = process, feeder, line
        return line

    def _feeder(self) -> tuple[NativeFeeder, tuple[int, int]]:
        """The feeder and the board's ends of its two pipes (samples to the board, requests from it)."""
        try:
            senses = SimSensors(int(self.options.get("rate", 100)), int(self.options.get("axes", 6)),
                                int(self.options.get("person", 0)), int(self.options.get("seed", 0)))
        except ValueError as exc:
            raise LinkError(f"bad native board option: {exc}") from None
        samples_read, samples_write = os.pipe()
        requests_read, requests_write = os.pipe()
        return NativeFeeder(samples_write, requests_read, senses), (samples_read, requests_write)

    def stderr_text(self) -> str:
        """What the board has written on stderr so far (its complaints: underruns, a feeder gone)."""
        if self._stderr is None:
            return self._said
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _keep_stderr(self) -> None:
        """Read the last board's stderr and let go of its file."""
        if self._stderr is not None:
            self._said = self.stderr_text()
            self._stderr.close()
            self._stderr = None

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
        if process.stdout is not None:
            process.stdout.close()
        self._keep_stderr()
        if self._port_link is not None and self._port_link.is_symlink():
            self._port_link.unlink(missing_ok=True)  # a board that was killed could not remove its port's name
        if self.feeder is not None:
            self.feeder.stop()  # the board's exit closed the pipes: it ends at once


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
