"""In-memory link pairs: the bytes one end writes (COBS frames), the other reads. For tests and in-process peers."""

from __future__ import annotations

import asyncio

from wandlab.errors import LinkError
from wandlab.link.base import StreamLink


class LoopbackLink(StreamLink):
    def __init__(self, name: str = "loopback") -> None:
        self.spec = f"loopback:{name}"
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.peer: LoopbackLink | None = None
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    async def open(self) -> None:
        if self.peer is None:
            raise LinkError(f"{self.spec} has no peer")
        self._open = True

    async def close(self) -> None:
        if self._open:
            self._open = False
            self._inbox.put_nowait(None)
            if self.peer is not None and self.peer._open:
                self.peer._inbox.put_nowait(None)

    async def read_bytes(self) -> bytes:
        if not self._open:
            raise LinkError(f"{self.spec} is not open")
        data = await self._inbox.get()
        if data is None:
            self._open = False
            raise LinkError(f"{self.spec} disconnected")
        return data

    async def write_bytes(self, data: bytes) -> None:
        if not self._open or self.peer is None:
            raise LinkError(f"{self.spec} is not open")
        self.peer._inbox.put_nowait(bytes(data))


def loopback_pair(name: str = "loopback") -> tuple[LoopbackLink, LoopbackLink]:
    a, b = LoopbackLink(f"{name}/host"), LoopbackLink(f"{name}/board")
    a.peer, b.peer = b, a
    return a, b
