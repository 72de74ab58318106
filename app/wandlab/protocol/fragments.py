"""BLE framing: whole packets cut into MTU-sized fragments and put back together. Pure, no I/O.

A GATT notification or write carries at most ATT_MTU - 3 bytes. Each fragment starts with one header
byte::

    bit 7      START: this fragment begins a packet; a u16 little-endian packet length follows
    bits 0-6   fragment counter: 0 for the first fragment sent in this direction on a connection, then +1
               (mod 128) for every fragment

then packet bytes (the packet as on serial before COBS: header, payload, CRC-32). The counter makes a
lost or repeated fragment visible: the reassembler drops the packet it was building, counts the error and
waits for the next START, exactly as the serial deframer resynchronises at the next 0x00. It never
raises on input.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from wandlab.errors import ProtocolError
from wandlab.protocol.framing import MAX_PACKET, MIN_PACKET, DecoderStats, Packet, pack_packet, unpack_packet

START = 0x80
COUNTER_MASK = 0x7F
LENGTH = struct.Struct("<H")
DEFAULT_ATT_MTU = 23  # before the MTU exchange; the app asks for 247
MAX_ATT_MTU = 247  # with data length extension: one fragment per link-layer packet


def payload_size(att_mtu: int) -> int:
    """Bytes of one notification / write-without-response at this ATT MTU."""
    if att_mtu < DEFAULT_ATT_MTU:
        raise ProtocolError(f"ATT MTU {att_mtu} is below the minimum of {DEFAULT_ATT_MTU}")
    return att_mtu - 3


class Fragmenter:
    """Cuts packets into fragments of at most ``payload_size(att_mtu)`` bytes; keeps the counter."""

    def __init__(self, att_mtu: int = DEFAULT_ATT_MTU) -> None:
        self.counter = 0
        self.att_mtu = att_mtu

    @property
    def att_mtu(self) -> int:
        return self._att_mtu

    @att_mtu.setter
    def att_mtu(self, value: int) -> None:
        self._size = payload_size(value)
        self._att_mtu = value

    def fragments(self, packet: Packet | bytes) -> Iterator[bytes]:
        raw = pack_packet(packet) if isinstance(packet, Packet) else bytes(packet)
        if not MIN_PACKET <= len(raw) <= MAX_PACKET:
            raise ProtocolError(f"a packet of {len(raw)} bytes cannot be sent")
        first = True
        offset = 0
        while first or offset < len(raw):
            if first:
                head = bytes([START | self.counter]) + LENGTH.pack(len(raw))
            else:
                head = bytes([self.counter])
            take = self._size - len(head)
            yield head + raw[offset : offset + take]
            offset += take
            self.counter = (self.counter + 1) & COUNTER_MASK
            first = False


@dataclass
class ReassemblyStats(DecoderStats):
    """DecoderStats (bytes, frames, crc/short/oversize errors) plus the BLE-only failures."""

    lost_fragments: int = 0  # counter gaps: fragments lost or repeated (a packet being built is dropped)
    orphan_fragments: int = 0  # a continuation with no packet started

    @property
    def errors(self) -> int:
        return super().errors + self.lost_fragments + self.orphan_fragments


class Reassembler:
    """Fragments in (any order of arrival problems included), whole CRC-checked packets out."""

    def __init__(self) -> None:
        self.stats = ReassemblyStats()
        self._expect = 0  # next counter value: both directions count from 0 on every connection
        self._buffer = bytearray()
        self._length = 0  # of the packet being built; 0: none

    def feed(self, fragment: bytes) -> list[Packet]:
        self.stats.bytes += len(fragment)
        if not fragment:
            self.stats.short_frames += 1
            return []
        head = fragment[0]
        counter = head & COUNTER_MASK
        in_order = counter == self._expect
        self._expect = (counter + 1) & COUNTER_MASK
        if not in_order:  # something went missing (or came twice): whatever was being built is incomplete
            self.stats.lost_fragments += 1
            self._drop()
        if head & START:
            if self._length:  # a new packet before the last one ended: the rest of it was lost
                self.stats.lost_fragments += 1
            self._drop()
            if len(fragment) < 3:
                self.stats.short_frames += 1
                return []
            (length,) = LENGTH.unpack_from(fragment, 1)
            if not MIN_PACKET <= length <= MAX_PACKET:
                self.stats.oversize_frames += 1
                return []
            self._length = length
            body = fragment[3:]
        elif not self._length:
            self.stats.orphan_fragments += 1
            return []
        else:
            body = fragment[1:]
        self._buffer += body
        if len(self._buffer) < self._length:
            return []
        if len(self._buffer) > self._length:
            self.stats.oversize_frames += 1
            self._drop()
            return []
        raw = bytes(self._buffer)
        self._drop()
        try:
            packet = unpack_packet(raw)
        except ProtocolError:
            self.stats.crc_errors += 1
            return []
        self.stats.frames += 1
        return [packet]

    def _drop(self) -> None:
        self._buffer.clear()
        self._length = 0
