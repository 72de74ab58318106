"""Wandlab wire protocol: framing, CRC and message dataclasses. Pure: no I/O, no Qt.

Typical use on a byte stream::

    decoder = MessageDecoder()
    for seq, message in decoder.feed(chunk):
        ...
    port.write(encode_message(StreamStart(Sensors.IMU), seq=7))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from wandlab.errors import ProtocolError
from wandlab.protocol import controller as _controller_family  # noqa: F401  (registers the family)
from wandlab.protocol import enroll as _enroll_family  # noqa: F401
from wandlab.protocol import model as _model_family  # noqa: F401
from wandlab.protocol import words as _word_family  # noqa: F401
from wandlab.protocol.framing import (
    MAX_PAYLOAD,
    DecoderStats,
    FrameDecoder,
    Packet,
    encode_frame,
    pack_packet,
    unpack_packet,
)
from wandlab.protocol.registry import FAMILIES, MESSAGES, PROTOCOL_VERSION, Message, decode_message, to_packet
from wandlab.protocol.session import (
    Ack,
    Error,
    ErrorCode,
    Hello,
    Info,
    Log,
    LogLevel,
    Ping,
    Pong,
    SensorInfo,
    SensorKind,
)
from wandlab.protocol.simulation import SimButton, SimPerform, SimPerson, SimSay, SimUnplug
from wandlab.protocol.stream import AudioBlock, ButtonEvent, ImuBlock, Sensors, StreamStart, StreamStats, StreamStop

__all__ = [
    "FAMILIES", "MAX_PAYLOAD", "MESSAGES", "PROTOCOL_VERSION",
    "Ack", "AudioBlock", "ButtonEvent", "DecoderStats", "Error", "ErrorCode", "FrameDecoder", "Hello",
    "ImuBlock", "Info", "Log", "LogLevel", "Message", "MessageDecoder", "Packet", "Ping", "Pong",
    "ProtocolError", "Received", "SensorInfo", "SensorKind", "Sensors", "SimButton", "SimPerform",
    "SimPerson", "SimSay", "SimUnplug", "StreamStart", "StreamStats", "StreamStop",
    "decode_message", "encode_frame", "encode_message", "pack_packet", "to_packet", "unpack_packet",
]


def encode_message(message: Message, seq: int) -> bytes:
    """One serial frame carrying ``message``."""
    return encode_frame(to_packet(message, seq))


class Received(NamedTuple):
    seq: int
    message: Message


@dataclass
class MessageStats:
    unknown_type: int = 0
    malformed: int = 0


class MessageDecoder:
    """Serial bytes in, decoded messages out. Never raises on input; every failure is counted."""

    def __init__(self) -> None:
        self.frames = FrameDecoder()
        self.messages = MessageStats()
        self.last_error = ""

    @property
    def stats(self) -> DecoderStats:
        return self.frames.stats

    @property
    def errors(self) -> int:
        return self.frames.stats.errors + self.message_errors

    @property
    def message_errors(self) -> int:
        """Whole packets that were not a valid message (unknown type, malformed payload)."""
        return self.messages.unknown_type + self.messages.malformed

    def feed(self, data: bytes) -> list[Received]:
        """Serial bytes (COBS frames) in; the messages of the whole frames among them out."""
        return self.decode_packets(self.frames.feed(data))

    def decode_packets(self, packets: list[Packet]) -> list[Received]:
        """Whole packets (from any transport) in, messages out; bad ones are counted and skipped."""
        out = []
        for packet in packets:
            if packet.type not in MESSAGES:
                self.messages.unknown_type += 1
                self.last_error = f"unknown message type 0x{packet.type:02x}"
                continue
            try:
                out.append(Received(packet.seq, decode_message(packet)))
            except (ProtocolError, ValueError) as exc:
                self.messages.malformed += 1
                self.last_error = str(exc)
        return out
