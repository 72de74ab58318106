"""The one small interface every byte transport implements."""

from __future__ import annotations

import abc


class Link(abc.ABC):
    """An ordered, reliable byte pipe to one board.

    ``read()`` returns the next chunk of bytes (any size) and raises LinkError once the link is gone
    (cable pulled, peer closed). ``open()`` may be called again after a failure to reconnect.
    """

    spec: str = ""

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def read(self) -> bytes: ...

    @abc.abstractmethod
    async def write(self, data: bytes) -> None: ...

    @property
    @abc.abstractmethod
    def is_open(self) -> bool: ...

    @property
    def description(self) -> str:
        return self.spec
