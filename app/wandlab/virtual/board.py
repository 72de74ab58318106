"""The board's side of the protocol, in Python: what firmware does, minus the hardware.

Pure logic driven by two calls - ``handle()`` for each message from the host and ``poll(now)`` for
time passing - so the same board runs behind a pseudo-terminal, a BLE peripheral or a test loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wandlab import __version__
from wandlab.protocol import (
    PROTOCOL_VERSION,
    Ack,
    AudioBlock,
    ButtonEvent,
    Error,
    ErrorCode,
    Hello,
    ImuBlock,
    Info,
    Log,
    LogLevel,
    Message,
    Ping,
    Pong,
    SensorInfo,
    SensorKind,
    Sensors,
    SimButton,
    SimUnplug,
    StreamStart,
    StreamStats,
    StreamStop,
)
from wandlab.protocol.controller import ForgetHosts
from wandlab.protocol.model import (
    ModelAbort,
    ModelActivate,
    ModelBegin,
    ModelChunk,
    ModelFinish,
    ModelQuery,
)
from wandlab.synth.motion import ACCEL_RANGE_G, GYRO_RANGE_DPS, MotionSynth
from wandlab.virtual.audio import AudioSynth
from wandlab.virtual.bonds import forget_bonds
from wandlab.virtual.image_check import check_image, fit_text
from wandlab.virtual.mic_source import open_microphone
from wandlab.virtual.model_store import ModelStore
from wandlab.virtual.recognizer import BoardRecognizer
from wandlab.virtual.sim_sensors import ACCEL_SCALE, AUDIO_RATE_HZ, GYRO_SCALE, SimSensors
from wandlab.virtual.word_detector import BoardWords

AUDIO_BLOCK = 256  # 16 ms: small enough for a live level meter, big enough to keep framing cheap
IMU_RATES_HZ = (25, 50, 100, 200, 400)
ARENA_BYTES = 64 * 1024


@dataclass
class VirtualWandConfig:
    imu_rate_hz: int = 100
    axes: int = 6
    person: int = 0
    seed: int = 0
    name: str = "Virtual wand"
    state_dir: str | None = None  # where slots persist across power cycles (None: in memory)
    max_model_bytes: int = 256 * 1024
    arena_bytes: int = ARENA_BYTES  # TFLM tensor arena: a model whose tensors do not fit is refused
    microphone: str | None = None  # the PC's microphone as the board's ("": default input; see mic_source)


class _Stream:
    """Per-sensor stream clock: how many samples are due by now, and block numbering."""

    def __init__(self, rate_hz: int, block: int, start: float) -> None:
        self.rate_hz, self.block, self.start = rate_hz, block, start
        self.emitted = 0
        self.seq = 0
        self.dropped = 0

    def due_blocks(self, now: float) -> int:
        return max(0, int((now - self.start) * self.rate_hz) - self.emitted) // self.block


class VirtualBoard:
    def __init__(self, config: VirtualWandConfig | None = None) -> None:
        self.config = config or VirtualWandConfig()
        uid = hashlib.sha1(f"{self.config.name}/{self.config.seed}".encode()).hexdigest()[:12]
        self.uid = uid
        # The hand and the room (shared with the native board's feeder, native_feeder.py).
        self.senses = SimSensors(self.config.imu_rate_hz, self.config.axes, self.config.person, self.config.seed)
        if self.config.microphone is not None:
            self.audio.set_source(open_microphone(self.config.microphone))
        self.imu: _Stream | None = None
        self.mic: _Stream | None = None
        self._last_stats = 0.0
        self.unplug_requested_ms = 0
        # A pushed model becomes active only once the board has checked it can run it (image_check).
        self.models = ModelStore(self.config.max_model_bytes, self.config.state_dir, self._check_image)
        # The recogniser samples the IMU on its own clock when the host streams nothing (a controller
        # board recognises without a PC); None while nobody needs samples.
        self.brain = BoardRecognizer(self.config.state_dir, self.config.arena_bytes, self.config.axes)
        self._sense: _Stream | None = None
        # Wake words: the board hears its microphone on its own clock while it holds words and the host
        # streams no audio (None while nobody needs it), as it samples the IMU for gestures.
        self.words = BoardWords(self.config.state_dir, self.brain)
        self._hear: _Stream | None = None
        self.brain.outbox += [Log(int(LogLevel.WARNING), fit_text(note)) for note in self.words.notes]
        self._model_key = ""
        self.brain.outbox += [Log(int(LogLevel.WARNING), fit_text(note)) for note in self.models.notes]
        self.brain.outbox += self._sync_model()
        # Called after ForgetHosts emptied the bond file: a BLE server drops the links those bonds protected.
        self.bonds_forgotten: list[Callable[[], None]] = []

    @property
    def motion(self) -> MotionSynth:
        return self.senses.motion

    @property
    def audio(self) -> AudioSynth:
        return self.senses.audio

    def _check_image(self, blob: bytes) -> str:
        return check_image(blob, self.config.arena_bytes)

    # -- host requests ------------------------------------------------------------------------
    def info(self) -> Info:
        rate = self.imu.rate_hz if self.imu else self.config.imu_rate_hz
        sensors = [SensorInfo(SensorKind.ACCEL, rate, ACCEL_RANGE_G, ACCEL_SCALE, "g")]
        if self.config.axes == 6:
            sensors.append(SensorInfo(SensorKind.GYRO, rate, GYRO_RANGE_DPS, GYRO_SCALE, "dps"))
        sensors.append(SensorInfo(SensorKind.MICROPHONE, AUDIO_RATE_HZ, 1.0, 1 / 32768, "pcm16"))
        return Info(
            board_name=self.config.name,
            firmware_version=f"virtual-{__version__}",
            protocol_version=PROTOCOL_VERSION,
            board_uid=self.uid,
            sensors=tuple(sensors),
            model_slots=2,
            max_model_bytes=self.config.max_model_bytes,
            arena_bytes=self.config.arena_bytes,
            free_ram_bytes=180 * 1024,
            active_model_id=self.models.active_model_id,
            enrolled_labels=self.brain.labels,
            battery_percent=255,
        )

    def handle(self, seq: int, message: Message, now: float) -> list[Message]:
        if isinstance(message, Hello):
            self.stop_streams()
            return [self.info()]
        if isinstance(message, Ping):
            return [Pong(message.token)]
        if isinstance(message, StreamStart):
            return self._start(seq, message, now)
        if isinstance(message, StreamStop):
            # Final counters first, so the host can compare what was sent with what arrived.
            final = self.stats()
            if message.sensors & Sensors.IMU:
                self.imu = None
            if message.sensors & Sensors.AUDIO:
                self.mic = None
            return [final, Ack(seq)]
        if message.FAMILY == "model":
            return self._model(seq, message) + self._sync_model()
        if isinstance(message, ForgetHosts):
            forget_bonds(self.config.state_dir)
            for hook in self.bonds_forgotten:
                hook()
            return [Ack(seq)]
        if message.FAMILY in ("enroll", "controller"):
            return self.brain.handle(seq, message, now)
        if message.FAMILY == "word":
            return self.words.handle(seq, message)
        return self._simulate(seq, message)

    def _sync_model(self) -> list[Message]:
        """Hand a newly active model (upload, rollback, boot) to the recogniser; Log notes for the host."""
        active = self.models.active_model()
        key = active[1].sha256 if active else ""
        if key == self._model_key:
            return []
        self._model_key = key
        return self.brain.set_model(active[0] if active else None, key)

    def _model(self, seq: int, message: Message) -> list[Message]:
        store = self.models
        if isinstance(message, ModelBegin):
            status = store.begin(message)
            return [Error(seq, ErrorCode.BAD_ARGUMENT, status)] if isinstance(status, str) else [status]
        if isinstance(message, ModelChunk):
            return [store.chunk(message)]
        if isinstance(message, ModelFinish):
            return [store.finish(message.transfer_id)]
        if isinstance(message, ModelAbort):
            store.abort(message.transfer_id)
            return [Ack(seq)]
        if isinstance(message, ModelQuery):
            return [store.query()]
        if isinstance(message, ModelActivate):
            problem = store.activate(message.slot)
            return [Error(seq, ErrorCode.BAD_ARGUMENT, problem) if problem else Ack(seq)]
        return [Error(seq, ErrorCode.UNKNOWN_MESSAGE, f"{type(message).__name__} is not handled")]

    def _start(self, seq: int, message: StreamStart, now: float) -> list[Message]:
        rate = message.imu_rate_hz or self.config.imu_rate_hz
        if message.sensors & Sensors.IMU:
            if rate not in IMU_RATES_HZ:
                rates = ", ".join(map(str, IMU_RATES_HZ))
                return [Error(seq, ErrorCode.BAD_ARGUMENT, f"IMU rate {rate} Hz not supported ({rates})")]
            self.senses.set_imu_rate(rate)
            # ~25 blocks per second whatever the rate keeps latency and framing overhead balanced.
            self.imu = _Stream(rate, max(1, rate // 25), now)
        if message.sensors & Sensors.AUDIO:
            self.mic = _Stream(AUDIO_RATE_HZ, AUDIO_BLOCK, now)
        self._last_stats = now
        return [Ack(seq)]

    def _simulate(self, seq: int, message: Message) -> list[Message]:
        try:
            if self.senses.script(message):  # SimPerform, SimSay, SimPerson
                self.config.person = self.senses.person
            elif isinstance(message, SimButton):
                return [Ack(seq), ButtonEvent(message.button, 1), ButtonEvent(message.button, 0)]
            elif isinstance(message, SimUnplug):
                self.unplug_requested_ms = message.millis
            else:
                return [Error(seq, ErrorCode.UNKNOWN_MESSAGE, f"{type(message).__name__} is not handled")]
        except ValueError as exc:
            return [Error(seq, ErrorCode.BAD_ARGUMENT, str(exc))]
        return [Ack(seq)]

    def stop_streams(self) -> None:
        self.imu = self.mic = None
        self.brain.stop_session()

    # -- time passing -------------------------------------------------------------------------
    def poll(self, now: float) -> list[Message]:
        """Sample blocks (and once a second, counters) that are due by ``now``."""
        out: list[Message] = []
        imu, mic = self.imu, self.mic
        if imu is not None:
            self._sense = None
            for _ in range(imu.due_blocks(now)):
                block, decisions = self._imu_block(imu, now)
                out += [block, *decisions]  # a decision follows the samples it was made on
        elif self.brain.wants_imu:
            if self._sense is None or self._sense.rate_hz != self.motion.rate_hz:
                rate = int(self.motion.rate_hz)
                self._sense = _Stream(rate, max(1, rate // 25), now)
            sense = self._sense
            for _ in range(sense.due_blocks(now)):
                counts = self._read_imu(sense.block)
                out += self.brain.feed(counts * self._scale(), sense.rate_hz, sense.emitted, now)
                sense.emitted += sense.block
        else:
            self._sense = None
        if mic is not None:
            self._hear = None
            for _ in range(mic.due_blocks(now)):
                samples = self.audio.next(mic.block)
                out.append(AudioBlock(mic.seq, mic.emitted & 0xFFFFFFFF, AUDIO_RATE_HZ, samples))
                out += self.words.feed(samples, mic.emitted)  # the detector hears what the host gets
                mic.seq += 1
                mic.emitted += mic.block
        elif self.words.listening:
            if self._hear is None:
                self._hear = _Stream(AUDIO_RATE_HZ, AUDIO_BLOCK, now)
            for _ in range(self._hear.due_blocks(now)):
                # Numbered by the microphone's own sample count (AudioSynth.position) without a host stream.
                first = self.audio.position
                out += self.words.feed(self.audio.next(self._hear.block), first)
                self._hear.emitted += self._hear.block
        else:
            self._hear = None
        if (imu or mic) and now - self._last_stats >= 1.0:
            self._last_stats = now
            out.append(self.stats())
        return out + self.brain.tick(now)

    def _scale(self) -> np.ndarray:
        return self.senses.scale

    def _read_imu(self, n: int) -> np.ndarray:
        """The next ``n`` samples as the IMU's int16 counts (what firmware reads, and all it sees)."""
        return self.senses.read_imu(n)

    def _imu_block(self, imu: _Stream, now: float) -> tuple[ImuBlock, list[Message]]:
        counts = self._read_imu(imu.block)
        block = ImuBlock(imu.seq, imu.emitted & 0xFFFFFFFF, imu.rate_hz, self.config.axes,
                         ACCEL_SCALE, GYRO_SCALE, counts.reshape(-1))
        # The recogniser sees the very samples the host gets.
        decisions = self.brain.feed(counts * self._scale(), imu.rate_hz, imu.emitted, now)
        imu.seq += 1
        imu.emitted += imu.block
        return block, decisions

    def dropped(self, message: Message) -> None:
        """The transport could not send ``message`` (host not reading): count it as the board would."""
        if isinstance(message, ImuBlock) and self.imu is not None:
            self.imu.dropped += 1
        elif isinstance(message, AudioBlock) and self.mic is not None:
            self.mic.dropped += 1

    def stats(self) -> StreamStats:
        imu, mic = self.imu, self.mic
        return StreamStats(imu.seq if imu else 0, mic.seq if mic else 0,
                           imu.dropped if imu else 0, mic.dropped if mic else 0)
