"""Session family: handshake, board description, liveness, acknowledgements, errors, logs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from wandlab.protocol.codec import Constant, CppMax, Struct, wire
from wandlab.protocol.registry import PROTOCOL_VERSION, Message, register

BATTERY_UNKNOWN = Constant(255, "u8")  # Info.battery_percent: on USB power, or no battery gauge
NO_REQUEST = Constant(0xFFFF, "u16")  # Error.ref_seq when the error answers no request


class SensorKind(IntEnum):
    ACCEL = 1
    GYRO = 2
    MICROPHONE = 3


@dataclass(frozen=True)
class SensorInfo(Struct):
    kind: int = wire("u8", enum=SensorKind)
    rate_hz: int = wire("u32")
    range: float = wire("f32")  # full scale: g, deg/s, or 1.0 for PCM
    scale: float = wire("f32")  # physical units per LSB
    units: str = wire("str")


@register
@dataclass(frozen=True)
class Hello(Message):
    """Host -> board: first message of a session. The board answers with Info."""

    TYPE = 0x01
    FAMILY = "session"
    protocol_version: int = wire("u16", cpp_default=PROTOCOL_VERSION)
    host: str = wire("str", default="")


@register
@dataclass(frozen=True)
class Info(Message):
    """Board -> host: everything the host needs to know about the board."""

    TYPE = 0x02
    FAMILY = "session"
    board_name: str = wire("str")
    firmware_version: str = wire("str")
    protocol_version: int = wire("u16", cpp_default=PROTOCOL_VERSION)
    board_uid: str = wire("str")
    sensors: tuple[SensorInfo, ...] = wire("list:SensorInfo", cpp_max=CppMax("kMaxSensors", 8))
    model_slots: int = wire("u8")
    max_model_bytes: int = wire("u32")
    arena_bytes: int = wire("u32")
    free_ram_bytes: int = wire("u32")
    active_model_id: str = wire("str")
    enrolled_labels: tuple[str, ...] = wire("strs", cpp_max=CppMax("kMaxEnrolledLabels", 32))
    battery_percent: int = wire("u8", cpp_default=BATTERY_UNKNOWN)  # 0-100, or BATTERY_UNKNOWN

    def sensor(self, kind: SensorKind) -> SensorInfo | None:
        return next((s for s in self.sensors if s.kind == kind), None)


@register
@dataclass(frozen=True)
class Ping(Message):
    TYPE = 0x03
    FAMILY = "session"
    token: int = wire("u32")


@register
@dataclass(frozen=True)
class Pong(Message):
    """Board -> host: answers Ping with the same token."""

    TYPE = 0x04
    FAMILY = "session"
    token: int = wire("u32")


@register
@dataclass(frozen=True)
class Ack(Message):
    """Board -> host: the request with sequence number ``ref_seq`` was carried out."""

    TYPE = 0x05
    FAMILY = "session"
    ref_seq: int = wire("u16")


class ErrorCode(IntEnum):
    UNKNOWN_MESSAGE = 1
    BAD_ARGUMENT = 2
    UNSUPPORTED = 3  # e.g. the Sim* family on a real board
    BUSY = 4
    INTERNAL = 5


@register
@dataclass(frozen=True)
class Error(Message):
    """Board -> host: the request ``ref_seq`` failed (NO_REQUEST: not tied to a request)."""

    TYPE = 0x0E
    FAMILY = "session"
    ref_seq: int = wire("u16", cpp_default=NO_REQUEST)
    code: int = wire("u16", enum=ErrorCode)
    message: str = wire("str")


class LogLevel(IntEnum):
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40


@register
@dataclass(frozen=True)
class Log(Message):
    TYPE = 0x0F
    FAMILY = "session"
    level: int = wire("u8", enum=LogLevel)
    text: str = wire("str")
