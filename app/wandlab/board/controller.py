"""The board as a controller: its HID map, HID on/off, and watching it recognise (the live test).

``Recognition`` is an async context manager and iterator over the board's InferenceEvent and
HidReport messages: entering starts recognition with events, leaving stops it::

    async with Recognition(client) as live:
        async for message in live:
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable

from wandlab.board.client import BoardClient
from wandlab.errors import BoardError, LinkError
from wandlab.protocol import Message
from wandlab.protocol.controller import (
    NO_CLASS,
    HidAction,
    HidEnable,
    HidMap,
    HidMapGet,
    HidMapSet,
    HidReport,
    InferenceEvent,
    RecognizeStart,
    RecognizeStop,
)
from wandlab.protocol.words import WORD_CLASS_BASE

Decision = InferenceEvent | HidReport


def vetoed_by_bank(event: InferenceEvent) -> bool:
    """Within the nearest class's threshold (margin >= 0), yet "none": the board's negatives bank found the
    take as near everyday motion as that class (docs/ml.md "The bank at decision time")."""
    return event.class_id == NO_CLASS and bool(event.label) and event.margin >= 0


async def set_hid_map(client: BoardClient, actions: Iterable[HidAction]) -> None:
    """Replace the board's whole map (it persists it); a map it cannot send is refused whole."""
    await client.request(HidMapSet(tuple(actions)))


async def get_hid_map(client: BoardClient) -> HidMap:
    return await client.ask(HidMapGet(), HidMap)


async def set_gesture_keys(client: BoardClient, actions: Iterable[HidAction]) -> list[HidAction]:
    """Replace the gestures' keys (class ids below WORD_CLASS_BASE) and keep every wake word's key: a
    preset or a new model's map is about gestures, and must not drop what the user gave a word."""
    words = [a for a in (await get_hid_map(client)).actions if a.class_id >= WORD_CLASS_BASE]
    merged = sorted([a for a in actions if a.class_id < WORD_CLASS_BASE] + words, key=lambda a: a.class_id)
    await set_hid_map(client, merged)
    return merged


async def enable_hid(client: BoardClient, enabled: bool = True) -> None:
    """With HID on, the board recognises and presses keys on its own, with or without a PC attached."""
    await client.request(HidEnable(int(enabled)))


async def start_recognition(client: BoardClient, events: bool = True) -> None:
    await client.request(RecognizeStart(int(events)))


async def stop_recognition(client: BoardClient) -> None:
    await client.request(RecognizeStop())


class Recognition:
    """Collects the board's decisions from the moment it is entered; iterate or ``await next()``."""

    def __init__(self, client: BoardClient, maxsize: int = 1000) -> None:
        self.client = client
        self.queue: asyncio.Queue[Decision] = asyncio.Queue(maxsize)
        self.dropped = 0

    def _listener(self, message: Message) -> None:
        if isinstance(message, (InferenceEvent, HidReport)):
            if self.queue.full():
                self.dropped += 1  # a consumer that stopped reading must not grow memory forever
            else:
                self.queue.put_nowait(message)

    async def __aenter__(self) -> Recognition:
        self.client.on_event(self._listener)
        try:
            await start_recognition(self.client, events=True)
        except BaseException:
            self.client.off_event(self._listener)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.client.off_event(self._listener)
        with contextlib.suppress(BoardError, LinkError):
            await stop_recognition(self.client)

    async def next(self, timeout_s: float | None = None) -> Decision | None:
        """The next decision, or None if none came within ``timeout_s``."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return None

    def drain(self) -> list[Decision]:
        out = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out

    async def __aiter__(self) -> AsyncIterator[Decision]:
        while True:
            yield await self.queue.get()
