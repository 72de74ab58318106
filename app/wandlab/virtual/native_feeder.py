"""The native board's senses: the Python virtual wand's motion and speech, fed to the C++ board's sensors.

``virtual:?firmware=native`` runs the C++ board (``firmware_sketches/native_board``) with two pipes to a
NativeFeeder thread in this process. The feeder reads the same ``SimSensors`` the Python board streams
from (``sim_sensors.py``: MotionSynth, AudioSynth) and writes the IMU counts and microphone samples
ahead of the board's sensors; the board plays them on its own clock. The simulation requests only the
virtual wand can act out (SimPerform, SimSay, SimPerson) come from the board over the second pipe, and
the feeder answers each with what board.py answers: Ack, or the same Error.

Records (``firmware_sketches/native_board/feed_records.h``, README "The feed"): a header ``<BBH`` (kind,
0, payload length) and the payload, little-endian.

* board -> feeder: SENSE (epoch, IMU rate, axes, scales, audio rate, lead ms) at start and on every new
  IMU rate; CONSUMED (IMU frames, audio samples taken since the last one); REQUEST (type, seq, payload).
* feeder -> board: IMU (epoch, int16 counts), AUDIO (int16 samples), REPLY (seq, code, text).

Flow control is by credit: the feeder keeps ``lead`` ms of samples outstanding (written, not yet
consumed) and writes more only as the board reports consuming them, so the synthesis is pulled at the
board's pace and the sensors read what board.py would stream: the same seed gives the same samples.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import struct
import threading

import numpy as np

from wandlab.errors import ProtocolError
from wandlab.protocol import ErrorCode, Packet, decode_message
from wandlab.virtual.image_check import fit_text
from wandlab.virtual.sim_sensors import SimSensors

log = logging.getLogger(__name__)

HEADER = struct.Struct("<BBH")
IMU, AUDIO, REPLY = 0x01, 0x02, 0x03
SENSE, CONSUMED, REQUEST = 0x81, 0x82, 0x83
SENSE_RECORD = struct.Struct("<HHBxffHH")
CONSUMED_RECORD = struct.Struct("<II")
REQUEST_HEADER = struct.Struct("<BxH")
REPLY_HEADER = struct.Struct("<HH")
IMU_HEADER = struct.Struct("<H")
MAX_PAYLOAD = REQUEST_HEADER.size + 4096  # a forwarded request with the protocol's largest payload
ACK = 0
_WAKE_S = 0.25  # how often an idle feeder looks whether it was asked to stop


def record(kind: int, payload: bytes) -> bytes:
    """One record, header and payload."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"feed record of {len(payload)} bytes; the limit is {MAX_PAYLOAD}")
    return HEADER.pack(kind, 0, len(payload)) + payload


def imu_records(epoch: int, counts: np.ndarray) -> bytes:
    """IMU records for (n, axes) int16 counts, split to fit the record limit."""
    axes = counts.shape[1]
    per_record = (MAX_PAYLOAD - IMU_HEADER.size) // (2 * axes)
    data = counts.astype("<i2")
    return b"".join(record(IMU, IMU_HEADER.pack(epoch) + data[i : i + per_record].tobytes())
                    for i in range(0, len(data), per_record))


def audio_records(samples: np.ndarray) -> bytes:
    per_record = MAX_PAYLOAD // 2
    data = samples.astype("<i2")
    return b"".join(record(AUDIO, data[i : i + per_record].tobytes()) for i in range(0, len(data), per_record))


def reply_record(seq: int, code: int, text: str = "") -> bytes:
    return record(REPLY, REPLY_HEADER.pack(seq, code) + fit_text(text).encode())


class RecordReader:
    """Bytes from a pipe in, whole (kind, payload) records out."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buffer += data
        out: list[tuple[int, bytes]] = []
        at = 0
        while len(self._buffer) - at >= HEADER.size:
            kind, _, size = HEADER.unpack_from(self._buffer, at)
            if size > MAX_PAYLOAD:
                raise ValueError(f"feed record of {size} bytes; the limit is {MAX_PAYLOAD}")
            if len(self._buffer) - at < HEADER.size + size:
                break
            out.append((kind, bytes(self._buffer[at + HEADER.size : at + HEADER.size + size])))
            at += HEADER.size + size
        del self._buffer[:at]
        return out


class NativeFeeder:
    """Feeds one native board from a thread: runs until the board closes its end of the pipes."""

    def __init__(self, feed_fd: int, request_fd: int, senses: SimSensors) -> None:
        self.senses = senses
        self._feed_fd = feed_fd  # ours to write
        self._request_fd = request_fd  # ours to read
        self._reader = RecordReader()
        self._epoch: int | None = None  # no SENSE yet: nothing to feed
        self._imu_lead = self._audio_lead = 0
        self._imu_outstanding = self._audio_outstanding = 0
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="native-feeder", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop writing samples (requests are still answered): the board's FIFOs run dry. For tests."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Wait for the thread to end (it ends when the board exits); make it end if the board did not."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._request_fd], [], [], _WAKE_S)
                out = bytearray()
                if ready:
                    data = os.read(self._request_fd, 65536)
                    if not data:
                        return  # the board has gone
                    for kind, payload in self._reader.feed(data):
                        out += self._handle(kind, payload)
                out += self._top_up()
                self._write(out)
        except (BrokenPipeError, ConnectionResetError):
            return  # the board has gone
        except Exception as exc:  # a bug: the board notices the closed pipe and says so to the host
            self.error = exc
            log.exception("the native board's feeder stopped")
        finally:
            for fd in (self._feed_fd, self._request_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _write(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._feed_fd, view) :]

    def _handle(self, kind: int, payload: bytes) -> bytes:
        if kind == SENSE:
            epoch, rate_hz, axes, accel_scale, gyro_scale, audio_rate_hz, lead_ms = SENSE_RECORD.unpack(payload)
            self.senses.set_imu_format(axes, accel_scale, gyro_scale)
            self.senses.set_imu_rate(rate_hz)
            if self._epoch is None:  # the first: the microphone's lead too
                self._audio_lead = audio_rate_hz * lead_ms // 1000
            self._epoch = epoch
            self._imu_lead = max(1, rate_hz * lead_ms // 1000)
            self._imu_outstanding = 0  # the board dropped what it held at the old rate
            return b""
        if kind == CONSUMED:
            imu, audio = CONSUMED_RECORD.unpack(payload)
            self._imu_outstanding = max(0, self._imu_outstanding - imu)
            self._audio_outstanding = max(0, self._audio_outstanding - audio)
            return b""
        if kind == REQUEST:
            type_, seq = REQUEST_HEADER.unpack_from(payload)
            return self._act(type_, seq, payload[REQUEST_HEADER.size :])
        raise ValueError(f"the native board sent a feed record of unknown kind 0x{kind:02x}")

    def _act(self, type_: int, seq: int, payload: bytes) -> bytes:
        """A forwarded simulation request, answered as board.py answers it."""
        try:
            message = decode_message(Packet(type_, seq, payload))
        except ProtocolError as exc:
            return reply_record(seq, ErrorCode.BAD_ARGUMENT, str(exc))
        try:
            if not self.senses.script(message):
                return reply_record(seq, ErrorCode.UNKNOWN_MESSAGE, f"{type(message).__name__} is not handled")
        except ValueError as exc:
            return reply_record(seq, ErrorCode.BAD_ARGUMENT, str(exc))
        except Exception as exc:  # e.g. espeak-ng missing: the host hears why instead of a timeout
            return reply_record(seq, ErrorCode.INTERNAL, f"{type(message).__name__} failed: {exc}")
        return reply_record(seq, ACK)

    def _top_up(self) -> bytes:
        """Samples up to the lead: what the board consumed since the last top-up, or the first fill."""
        if self._epoch is None or not self._running.is_set():
            return b""
        out = b""
        if self._imu_outstanding < self._imu_lead:
            n = self._imu_lead - self._imu_outstanding
            out += imu_records(self._epoch, self.senses.read_imu(n))
            self._imu_outstanding += n
        if self._audio_outstanding < self._audio_lead:
            n = self._audio_lead - self._audio_outstanding
            out += audio_records(self.senses.read_audio(n))
            self._audio_outstanding += n
        return out
