"""Packets and serial framing.

Packet (before framing)::

    u8 type | u8 flags | u16 seq | payload ... | u32 CRC-32 of everything before it

All little-endian. On serial each packet is COBS-encoded and followed by one 0x00 delimiter.
On BLE the same packet bytes are fragmented to the MTU (see docs/protocol.md).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from wandlab.errors import ProtocolError
from wandlab.protocol.cobs import cobs_decode, cobs_encode

HEADER = struct.Struct("<BBH")
CRC = struct.Struct("<I")
MIN_PACKET = HEADER.size + CRC.size
# Largest payload either side may send. Keeps a garbage stream from growing buffers without bound.
MAX_PAYLOAD = 4096
MAX_PACKET = MIN_PACKET + MAX_PAYLOAD
# COBS adds at most one byte per 254, plus the leading code byte.
MAX_ENCODED_FRAME = MAX_PACKET + MAX_PACKET // 254 + 2


@dataclass(frozen=True, slots=True)
class Packet:
    type: int
    seq: int
    payload: bytes
    flags: int = 0


def pack_packet(packet: Packet) -> bytes:
    if len(packet.payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(packet.payload)} bytes exceeds the {MAX_PAYLOAD}-byte limit")
    body = HEADER.pack(packet.type, packet.flags, packet.seq & 0xFFFF) + packet.payload
    return body + CRC.pack(zlib.crc32(body))


def unpack_packet(raw: bytes) -> Packet:
    if len(raw) < MIN_PACKET:
        raise ProtocolError(f"packet of {len(raw)} bytes is shorter than the {MIN_PACKET}-byte minimum")
    body, (crc,) = raw[:-4], CRC.unpack(raw[-4:])
    if zlib.crc32(body) != crc:
        raise ProtocolError("CRC mismatch")
    ptype, flags, seq = HEADER.unpack(body[:4])
    return Packet(ptype, seq, bytes(body[4:]), flags)


def encode_frame(packet: Packet) -> bytes:
    """Serial frame: COBS(packet) + 0x00."""
    return cobs_encode(pack_packet(packet)) + b"\x00"


@dataclass
class DecoderStats:
    frames: int = 0
    bytes: int = 0
    crc_errors: int = 0
    cobs_errors: int = 0
    short_frames: int = 0
    oversize_frames: int = 0

    @property
    def errors(self) -> int:
        return self.crc_errors + self.cobs_errors + self.short_frames + self.oversize_frames


class FrameDecoder:
    """Incremental serial deframer: feed any byte chunks, get whole, CRC-checked packets.

    Never raises on input. Garbage is counted and skipped; decoding resumes at the next 0x00.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._discarding = False
        self.stats = DecoderStats()

    def feed(self, data: bytes) -> list[Packet]:
        self.stats.bytes += len(data)
        if b"\x00" not in data:
            self._pending += data
            if len(self._pending) > MAX_ENCODED_FRAME:
                if not self._discarding:
                    self.stats.oversize_frames += 1
                self._discarding = True
                self._pending.clear()
            return []
        self._pending += data
        *frames, rest = self._pending.split(b"\x00")
        self._pending = bytearray(rest)
        discard_rest = len(rest) > MAX_ENCODED_FRAME
        if discard_rest:
            self._pending.clear()
        packets = []
        for frame in frames:
            if self._discarding:
                self._discarding = False
                continue
            if not frame:
                continue
            packet = self._decode(frame)
            if packet is not None:
                packets.append(packet)
        if discard_rest:
            self.stats.oversize_frames += 1
            self._discarding = True
        return packets

    def _decode(self, frame: bytes) -> Packet | None:
        if len(frame) > MAX_ENCODED_FRAME:
            self.stats.oversize_frames += 1
            return None
        try:
            raw = cobs_decode(frame)
        except ProtocolError:
            self.stats.cobs_errors += 1
            return None
        if len(raw) < MIN_PACKET:
            self.stats.short_frames += 1
            return None
        try:
            packet = unpack_packet(raw)
        except ProtocolError:
            self.stats.crc_errors += 1
            return None
        self.stats.frames += 1
        return packet
