"""Model upload: begin -> numbered chunks (a window in flight) -> finish -> the board verifies and
activates. Resumes from the board's last acknowledged chunk; errors say which chunk failed and why.

``upload_model`` is an async generator of ``UploadProgress`` so the GUI can show a progress bar and
the CLI can print the same numbers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from wandlab.board.client import BoardClient
from wandlab.errors import BoardError
from wandlab.protocol import Message
from wandlab.protocol.model import (
    ChunkAck,
    ChunkStatus,
    ModelAbort,
    ModelActivate,
    ModelBegin,
    ModelChunk,
    ModelFinish,
    ModelQuery,
    ModelSlots,
    TransferResult,
    TransferStatus,
)

CHUNK_BYTES = 2048
WINDOW = 8  # chunks in flight: hides the round trip without overrunning a board's receive buffer
# Timeouts scale with size: a floor for the round trips plus the time at a pessimistic rate.
MIN_RATE_BYTES_PER_S = 5_000
BASE_TIMEOUT_S = 3.0
MAX_RETRIES_PER_CHUNK = 5


@dataclass(frozen=True)
class UploadProgress:
    stage: str  # "begin", "sending", "verifying", "done"
    acked_bytes: int
    total_bytes: int
    elapsed_s: float
    resumed_from: int = 0
    slot: int = -1

    @property
    def fraction(self) -> float:
        return self.acked_bytes / self.total_bytes if self.total_bytes else 0.0

    @property
    def kbytes_per_s(self) -> float:
        return self.acked_bytes / 1000 / self.elapsed_s if self.elapsed_s > 0 else 0.0


def transfer_id_for(blob: bytes) -> int:
    """Same model, same id: a retried upload resumes instead of starting over."""
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "little") or 1


def upload_timeout_s(size: int) -> float:
    return BASE_TIMEOUT_S + size / MIN_RATE_BYTES_PER_S


async def upload_model(client: BoardClient, blob: bytes, model_id: str, metadata: dict[str, Any] | None = None,
                       chunk_bytes: int = CHUNK_BYTES, window: int = WINDOW) -> AsyncIterator[UploadProgress]:
    start = time.monotonic()
    size = len(blob)
    tid = transfer_id_for(blob)
    meta = json.dumps(metadata or {}, separators=(",", ":")).encode()
    begin = ModelBegin(tid, size, zlib.crc32(blob), hashlib.sha256(blob).digest(), chunk_bytes, model_id, meta)
    status = await client.ask(begin, TransferStatus)
    resumed = status.received_bytes
    yield UploadProgress("begin", resumed, size, time.monotonic() - start, resumed)

    chunks = (size + chunk_bytes - 1) // chunk_bytes
    acks: asyncio.Queue[ChunkAck] = asyncio.Queue()

    def on_event(message: Message) -> None:
        if isinstance(message, ChunkAck) and message.transfer_id == tid:
            acks.put_nowait(message)

    client.on_event(on_event)
    deadline = start + upload_timeout_s(size)
    try:
        next_to_send = acked = status.next_chunk
        retries: dict[int, int] = {}
        last_report = 0.0
        while acked < chunks:
            while next_to_send < min(chunks, acked + window):
                data = blob[next_to_send * chunk_bytes : (next_to_send + 1) * chunk_bytes]
                await client.send(ModelChunk(tid, next_to_send, zlib.crc32(data), data))
                next_to_send += 1
            remaining = deadline - time.monotonic()
            try:
                ack = await asyncio.wait_for(acks.get(), max(0.05, min(remaining, 2.0)))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise BoardError(f"model upload timed out at chunk {acked + 1} of {chunks} "
                                     f"({upload_timeout_s(size):.0f} s allowed for {size} bytes)") from None
                next_to_send = acked  # a frame was lost on the way: send again from the board's position
                continue
            acked = max(acked, ack.next_chunk)  # the board holds every chunk before next_chunk
            if ack.status == ChunkStatus.OK:
                pass
            elif ack.status in (ChunkStatus.CRC_MISMATCH, ChunkStatus.OUT_OF_ORDER):
                if ack.status == ChunkStatus.CRC_MISMATCH:
                    retries[ack.index] = retries.get(ack.index, 0) + 1
                    if retries[ack.index] > MAX_RETRIES_PER_CHUNK:
                        raise BoardError(f"failed to write model chunk {ack.index + 1} of {chunks}: CRC mismatch "
                                         f"{MAX_RETRIES_PER_CHUNK} times; check the cable or connection")
                if ack.next_chunk < next_to_send:
                    # Drop the acks of the chunks already in flight: they will all be out of order.
                    _drain(acks)
                    next_to_send = ack.next_chunk
            else:
                raise BoardError(f"failed to write model chunk {ack.index + 1} of {chunks}: "
                                 f"{ChunkStatus(ack.status).name.lower().replace('_', ' ')}")
            now = time.monotonic()
            if now - last_report > 0.05 or acked == chunks:
                last_report = now
                yield UploadProgress("sending", min(size, acked * chunk_bytes), size, now - start, resumed)
    finally:
        client.off_event(on_event)
    yield UploadProgress("verifying", size, size, time.monotonic() - start, resumed)
    result = await client.ask(ModelFinish(tid), TransferResult, timeout_s=BASE_TIMEOUT_S + size / 200_000)
    if not result.ok:
        raise BoardError(f"the board refused the model: {result.message}")
    yield UploadProgress("done", size, size, time.monotonic() - start, resumed, result.slot)


def _drain(queue: asyncio.Queue[ChunkAck]) -> None:
    while not queue.empty():
        queue.get_nowait()


async def abort_upload(client: BoardClient, blob: bytes) -> None:
    await client.request(ModelAbort(transfer_id_for(blob)))


async def model_slots(client: BoardClient) -> ModelSlots:
    return await client.ask(ModelQuery(), ModelSlots)


async def rollback(client: BoardClient) -> int:
    """Activate the other stored slot (the previous model); returns the slot now active."""
    slots = await model_slots(client)
    others = [s.slot for s in slots.slots if s.valid and s.slot != slots.active_slot]
    if not others:
        raise BoardError("no previous model is stored on the board to roll back to")
    await client.request(ModelActivate(others[0]))
    return others[0]
