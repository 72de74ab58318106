"""Registered wire messages: one type byte per message class, grouped in families by range."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from wandlab.errors import ProtocolError
from wandlab.protocol.codec import Constant, Struct
from wandlab.protocol.framing import Packet

PROTOCOL_VERSION = Constant(2, "u16")  # 2: RefUpload and RefData carry shape codes

# Type-byte ranges per family. Later families (model, enroll, controller) fill their reserved ranges.
FAMILIES: dict[str, range] = {
    "session": range(0x00, 0x10),
    "stream": range(0x10, 0x20),
    "model": range(0x20, 0x30),
    "enroll": range(0x30, 0x40),
    "controller": range(0x40, 0x50),
    "word": range(0x50, 0x60),
    "simulation": range(0x70, 0x80),
}


class Message(Struct):
    TYPE: ClassVar[int]
    FAMILY: ClassVar[str]


MESSAGES: dict[int, type[Message]] = {}

M = TypeVar("M", bound=type[Message])


def register(cls: M) -> M:
    family = FAMILIES[cls.FAMILY]
    if cls.TYPE not in family:
        raise ValueError(f"{cls.__name__}: type 0x{cls.TYPE:02x} is outside the {cls.FAMILY} range")
    if cls.TYPE in MESSAGES:
        raise ValueError(f"{cls.__name__}: type 0x{cls.TYPE:02x} already used by {MESSAGES[cls.TYPE].__name__}")
    MESSAGES[cls.TYPE] = cls
    return cls


def to_packet(message: Message, seq: int) -> Packet:
    return Packet(message.TYPE, seq & 0xFFFF, message.encode())


def decode_message(packet: Packet) -> Message:
    cls = MESSAGES.get(packet.type)
    if cls is None:
        raise ProtocolError(f"unknown message type 0x{packet.type:02x}")
    return cls.decode(packet.payload)
