"""``csv:`` links: a board running its own sketch, printing sensor values as text lines, seen as a Wandlab board.

The link answers the protocol itself, as if the board spoke it: Hello gets an Info built from the
line format, StreamStart an Ack, and while streaming every printed line becomes one sample of an
ImuBlock (in g and deg/s, whatever the sketch prints). So the board client, the Live view, the Record
page and ``wandlab record`` work with such a board unchanged. What needs Wandlab firmware (models,
enrollment, keys) is refused as a board without it would: Error UNSUPPORTED, with what to do.

    csv:/dev/ttyACM0                                      detect the format on open (~1.5 s)
    csv:/dev/ttyACM0?baud=230400&rate=100&columns=ax,ay,az,gx,gy,gz&accel=ms2&gyro=dps

Options are those of ``CsvFormat`` plus ``baud`` (115200). Given both ``rate`` and ``columns``, nothing
is detected; otherwise the missing ones are (``link.detection`` says what was found, ``link.spec``
becomes the full spec).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np

from wandlab.errors import LinkError, ProtocolError
from wandlab.link.base import Link
from wandlab.link.csv_detect import Detection, detect, listen
from wandlab.link.csv_format import ACCEL, DEFAULT_BAUD, CsvFormat, LineSplitter, parse_line
from wandlab.link.serial_link import SerialLink
from wandlab.protocol import (
    MESSAGES,
    PROTOCOL_VERSION,
    Ack,
    DecoderStats,
    Error,
    ErrorCode,
    Hello,
    ImuBlock,
    Info,
    Log,
    LogLevel,
    Message,
    Packet,
    Ping,
    Pong,
    SensorInfo,
    SensorKind,
    Sensors,
    StreamStart,
    StreamStats,
    StreamStop,
    decode_message,
    to_packet,
)

OPTIONS = ("baud", "rate", "columns", "accel", "gyro")
# The int16 samples on the wire: ranges wide enough for any hand-held motion at a resolution finer than
# what sketches print (0.5 mg, 0.06 deg/s).
ACCEL_RANGE_G = 16.0
GYRO_RANGE_DPS = 2000.0
ACCEL_SCALE = ACCEL_RANGE_G / 32768
GYRO_SCALE = GYRO_RANGE_DPS / 32768
BLOCKS_PER_S = 25  # as Wandlab firmware: latency and per-block overhead in balance
REPORT_AGAIN_S = 10.0
WIRE_TEXT_BYTES = 255  # lines that are no samples: said once, then counted at most this often
OWN_SKETCH = "this board runs its own sketch (csv:); install Wandlab firmware"
NEEDS_FIRMWARE = {
    "model": "to flash models to it",
    "enroll": "to enroll gestures on it",
    "controller": "for recognition on the board and its keys (HID)",
}


@dataclass
class LineStats(DecoderStats):
    """``frames`` are the lines that were samples; the others count as errors, as bad frames do."""

    skipped_lines: int = 0

    @property
    def errors(self) -> int:
        return super().errors + self.skipped_lines


@dataclass
class _Stream:
    block: int
    seq: int = 0
    emitted: int = 0
    rows: list[list[float]] = field(default_factory=list)


class CsvLink(Link):
    def __init__(self, port: str, options: dict[str, str] | None = None) -> None:
        options = dict(options or {})
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise LinkError(f"csv: option {unknown[0]!r} is unknown; the options are {', '.join(OPTIONS)}")
        try:
            self.baud = int(options.pop("baud", DEFAULT_BAUD))
        except ValueError:
            raise LinkError("csv: baud= must be a number, e.g. 115200") from None
        self.port = port
        self.options = options
        CsvFormat.from_options(options, CsvFormat(ACCEL, 100))  # a typo fails now, not after detection
        self.format = CsvFormat.from_options(options) if {"rate", "columns"} <= set(options) else None
        self.detection: Detection | None = None
        self.spec = self._spec()
        self._serial = SerialLink(port, self.baud)
        self._inbox: asyncio.Queue[list[Packet] | LinkError] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._lines = LineSplitter()
        self._stats = LineStats()
        self._stream: _Stream | None = None
        self._seq = 0
        self._unreported = 0
        self._reported_at = -math.inf

    def _spec(self) -> str:
        speed = f"baud={self.baud}" if self.baud != DEFAULT_BAUD else ""
        query = "&".join(part for part in (speed, self.format.query() if self.format else "") if part)
        return f"csv:{self.port}" + (f"?{query}" if query else "")

    @property
    def is_open(self) -> bool:
        return self._serial.is_open

    @property
    def framing(self) -> LineStats:
        return self._stats

    async def open(self) -> None:
        if self.is_open:
            return
        await self._serial.open()
        if self.format is None:
            try:
                await self._detect()
            except BaseException:
                await self._serial.close()
                raise
        self._inbox = asyncio.Queue()
        self._lines = LineSplitter()
        self._stream = None
        self._pump = asyncio.create_task(self._read_lines(), name=f"csv-lines {self.port}")

    async def _detect(self) -> None:
        self.detection = detect(await listen(self._serial, self.port, self.baud), self.port)
        fmt = CsvFormat.from_options(self.options, self.detection.format)
        found = len(self.detection.format.columns)
        if len(fmt.columns) != found:
            raise LinkError(
                f"columns={','.join(fmt.columns)} names {len(fmt.columns)} columns but the lines on "
                f"{self.port} have {found} values"
            )
        self.format = fmt
        self.spec = self._spec()

    async def close(self) -> None:
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, LinkError):
                await pump
        if self._serial.is_open:
            await self._serial.close()
            self._inbox.put_nowait(LinkError(f"{self.port} closed"))

    async def read_packets(self) -> list[Packet]:
        item = await self._inbox.get()
        if isinstance(item, LinkError):
            raise item
        return item

    async def send_packet(self, packet: Packet) -> None:
        if not self.is_open:
            raise LinkError(f"{self.port} is not open")
        self._post(self._answer(packet))

    # -- the board's side ---------------------------------------------------------------------
    def _post(self, messages: list[Message]) -> None:
        packets = []
        for message in messages:
            self._seq = (self._seq + 1) & 0xFFFF
            packets.append(to_packet(message, self._seq))
        if packets:
            self._inbox.put_nowait(packets)

    def _answer(self, packet: Packet) -> list[Message]:
        seq = packet.seq
        try:
            message = decode_message(packet)
        except (ProtocolError, ValueError) as exc:
            code = ErrorCode.BAD_ARGUMENT if packet.type in MESSAGES else ErrorCode.UNKNOWN_MESSAGE
            return [Error(seq, code, _fit(str(exc)))]
        if isinstance(message, Hello):
            self._stream = None
            return [self.info()]
        if isinstance(message, Ping):
            return [Pong(message.token)]
        if isinstance(message, StreamStart):
            return [self._start(seq, message)]
        if isinstance(message, StreamStop):
            final = self._counters()
            if message.sensors & Sensors.IMU:
                self._stream = None
            return [final, Ack(seq)]
        if message.FAMILY in ("session", "stream"):
            return [Error(seq, ErrorCode.UNKNOWN_MESSAGE, f"{type(message).__name__} is not handled")]
        if message.FAMILY == "simulation":
            return [Error(seq, ErrorCode.UNSUPPORTED, "only the virtual wand acts out gestures and words")]
        purpose = NEEDS_FIRMWARE.get(message.FAMILY, "for that")
        return [Error(seq, ErrorCode.UNSUPPORTED, f"{OWN_SKETCH} {purpose}")]

    def info(self) -> Info:
        fmt = self._format()
        sensors = [SensorInfo(SensorKind.ACCEL, fmt.rate_hz, ACCEL_RANGE_G, ACCEL_SCALE, "g")]
        if fmt.axes == 6:
            sensors.append(SensorInfo(SensorKind.GYRO, fmt.rate_hz, GYRO_RANGE_DPS, GYRO_SCALE, "dps"))
        return Info(
            board_name="Text (CSV) board",
            # Kept with every recorded take: how the printed values were read.
            firmware_version=_fit(f"own sketch, csv: {fmt.describe()}"),
            protocol_version=int(PROTOCOL_VERSION),
            board_uid=_fit(f"csv:{self.port}"),
            sensors=tuple(sensors),
            model_slots=0,
            max_model_bytes=0,
            arena_bytes=0,
            free_ram_bytes=0,
            active_model_id="",
            enrolled_labels=(),
            battery_percent=255,
        )

    def _start(self, seq: int, message: StreamStart) -> Message:
        fmt = self._format()
        if not message.sensors & Sensors.IMU:
            return Error(seq, ErrorCode.UNSUPPORTED, "a text (csv:) board streams its IMU values only, no audio")
        if message.imu_rate_hz not in (0, fmt.rate_hz):
            return Error(
                seq,
                ErrorCode.BAD_ARGUMENT,
                f"this board's sketch prints at {fmt.rate_hz} Hz; change the rate in the sketch",
            )
        # Audio asked for too: a board without a microphone streams what it has (Info lists no microphone).
        self._stream = _Stream(block=max(1, fmt.rate_hz // BLOCKS_PER_S))
        self._unreported, self._reported_at = 0, -math.inf
        return Ack(seq)

    def _counters(self) -> StreamStats:
        return StreamStats(self._stream.seq if self._stream else 0, 0, 0, 0)

    def _format(self) -> CsvFormat:
        if self.format is None:
            raise LinkError(f"{self.spec} is not open")
        return self.format

    # -- lines in -----------------------------------------------------------------------------
    async def _read_lines(self) -> None:
        try:
            while True:
                data = await self._serial.read_bytes()
                self._stats.bytes += len(data)
                self._post(self._samples(self._lines.feed(data)))
        except LinkError as exc:
            self._inbox.put_nowait(exc)

    def _samples(self, texts: list[str]) -> list[Message]:
        fmt, out = self._format(), []
        stream = self._stream
        for text in texts:
            values = parse_line(text)
            if values is None or len(values) != len(fmt.columns):
                if text.strip():
                    out += self._skipped(text.strip(), len(fmt.columns))
                continue
            self._stats.frames += 1
            if stream is not None:
                stream.rows.append(values)
                if len(stream.rows) >= stream.block:
                    out.append(self._block(stream, fmt))
        return out

    def _block(self, stream: _Stream, fmt: CsvFormat) -> ImuBlock:
        physical = fmt.to_physical(np.array(stream.rows, dtype=np.float64))
        scale = np.array([ACCEL_SCALE] * 3 + [GYRO_SCALE] * (fmt.axes - 3))
        counts = np.clip(np.round(physical / scale), -32768, 32767).astype(np.int16)
        block = ImuBlock(
            stream.seq, stream.emitted & 0xFFFFFFFF, fmt.rate_hz, fmt.axes, ACCEL_SCALE, GYRO_SCALE, counts.reshape(-1)
        )
        stream.seq += 1
        stream.emitted += len(stream.rows)
        stream.rows.clear()
        return block

    def _skipped(self, text: str, width: int) -> list[Message]:
        """A line that is no sample: counted; while streaming, told to the host now and then (a Log)."""
        self._stats.skipped_lines += 1
        self._unreported += 1
        now = time.monotonic()
        if self._stream is None or now - self._reported_at < REPORT_AGAIN_S:
            return []
        count, self._unreported, self._reported_at = self._unreported, 0, now
        what = f"a line that is not {width} numbers" if count == 1 else f"{count} lines that are not {width} numbers"
        return [Log(int(LogLevel.WARNING), _fit(f"skipped {what}, e.g. {text[:60]!r}"))]


def _fit(text: str, limit: int = WIRE_TEXT_BYTES) -> str:
    """Cut to what a wire string holds (bytes of UTF-8), at a character boundary."""
    raw = text.encode()
    return text if len(raw) <= limit else raw[: limit - 3].decode("utf-8", "ignore") + "..."
