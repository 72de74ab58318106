"""The one small interface every transport implements: whole packets in and out.

The transport owns framing, so the client above never knows which one it talks over: a byte stream
(USB serial, a pty, an in-memory pair) carries COBS frames delimited by 0x00 (``StreamLink``); BLE carries
the same packets in notifications and writes, fragmented to the MTU.
"""

from __future__ import annotations

import abc

from wandlab.protocol.framing import DecoderStats, FrameDecoder, Packet, encode_frame


class Link(abc.ABC):
    """An ordered, reliable packet pipe to one board.

    ``read_packets()`` waits for the next whole, CRC-checked packets (a list, possibly empty when only
    noise arrived) and raises LinkError once the link is gone (cable pulled, peer closed).
    ``open()`` may be called again after a failure to reconnect.
    """

    spec: str = ""

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def read_packets(self) -> list[Packet]: ...

    @abc.abstractmethod
    async def send_packet(self, packet: Packet) -> None: ...

    async def resync(self) -> None:  # noqa: B027 - most transports have nothing to resynchronise
        """Before a handshake: make the board drop whatever half-received packet it may hold."""

    @property
    @abc.abstractmethod
    def framing(self) -> DecoderStats:
        """Bytes received and framing errors (bad COBS, CRC, short or oversize frames) on this link."""

    @property
    @abc.abstractmethod
    def is_open(self) -> bool: ...

    @property
    def description(self) -> str:
        return self.spec


class StreamLink(Link):
    """A byte-stream transport: packets travel as COBS frames delimited by 0x00 (docs/protocol.md).

    Subclasses move bytes (``read_bytes`` returns the next chunk of any size; ``write_bytes`` sends all).
    """

    _deframer: FrameDecoder | None = None

    @abc.abstractmethod
    async def read_bytes(self) -> bytes: ...

    @abc.abstractmethod
    async def write_bytes(self, data: bytes) -> None: ...

    @property
    def deframer(self) -> FrameDecoder:
        if self._deframer is None:
            self._deframer = FrameDecoder()
        return self._deframer

    @property
    def framing(self) -> DecoderStats:
        return self.deframer.stats

    async def read_packets(self) -> list[Packet]:
        return self.deframer.feed(await self.read_bytes())

    async def send_packet(self, packet: Packet) -> None:
        await self.write_bytes(encode_frame(packet))

    async def resync(self) -> None:
        # A lone delimiter ends whatever half frame the board's decoder holds; ours starts afresh too,
        # keeping its counters.
        stats = self.deframer.stats
        self._deframer = FrameDecoder()
        self._deframer.stats = stats
        await self.write_bytes(b"\x00")
