"""Model family: push a model bundle to the board in numbered chunks; the board verifies, writes the
inactive slot (A/B) and activates it. An interrupted or corrupt transfer leaves the old model running.

    host                                  board
    ModelBegin(id, size, crc, sha256) ->  <- TransferStatus(next_chunk)   (resume: same id + sha256)
    ModelChunk(id, i, crc, data) ...  ->  <- ChunkAck(id, i, next_chunk, status)
    ModelFinish(id)                   ->  <- TransferResult(ok, slot, message)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from wandlab.protocol.codec import Struct, wire
from wandlab.protocol.registry import Message, register


class TransferState(IntEnum):
    IDLE = 0
    RECEIVING = 1
    COMPLETE = 2  # all chunks in, waiting for ModelFinish
    FAILED = 3


class ChunkStatus(IntEnum):
    OK = 0
    CRC_MISMATCH = 1
    OUT_OF_ORDER = 2  # not the chunk the board expects next; next_chunk says which
    UNKNOWN_TRANSFER = 3
    TOO_LARGE = 4


@register
@dataclass(frozen=True)
class ModelBegin(Message):
    TYPE = 0x20
    FAMILY = "model"
    transfer_id: int = wire("u32")
    size: int = wire("u32")
    crc32: int = wire("u32")
    sha256: bytes = wire("bytes")  # 32 bytes
    chunk_size: int = wire("u16")
    model_id: str = wire("str")
    metadata: bytes = wire("bytes")  # UTF-8 JSON: labels, feature config, hashes (the bundle manifest)


@register
@dataclass(frozen=True)
class TransferStatus(Message):
    """Board -> host, answer to ModelBegin: where to (re)start."""

    TYPE = 0x21
    FAMILY = "model"
    transfer_id: int = wire("u32")
    state: int = wire("u8")
    received_bytes: int = wire("u32")
    next_chunk: int = wire("u32")
    message: str = wire("str")


@register
@dataclass(frozen=True)
class ModelChunk(Message):
    TYPE = 0x22
    FAMILY = "model"
    transfer_id: int = wire("u32")
    index: int = wire("u32")
    crc32: int = wire("u32")  # of data: lets the board name the bad chunk, not just drop a frame
    data: bytes = wire("bytes")


@register
@dataclass(frozen=True)
class ChunkAck(Message):
    TYPE = 0x23
    FAMILY = "model"
    transfer_id: int = wire("u32")
    index: int = wire("u32")
    next_chunk: int = wire("u32")
    status: int = wire("u8")


@register
@dataclass(frozen=True)
class ModelFinish(Message):
    TYPE = 0x24
    FAMILY = "model"
    transfer_id: int = wire("u32")


@register
@dataclass(frozen=True)
class TransferResult(Message):
    """Board -> host after ModelFinish: verified and active, or why not (old model still active)."""

    TYPE = 0x25
    FAMILY = "model"
    transfer_id: int = wire("u32")
    ok: int = wire("u8")
    slot: int = wire("u8")
    model_id: str = wire("str")
    message: str = wire("str")


@register
@dataclass(frozen=True)
class ModelAbort(Message):
    TYPE = 0x26
    FAMILY = "model"
    transfer_id: int = wire("u32")


@dataclass(frozen=True)
class SlotInfo(Struct):
    slot: int = wire("u8")
    valid: int = wire("u8")
    size: int = wire("u32")
    sha256: bytes = wire("bytes")
    model_id: str = wire("str")


@register
@dataclass(frozen=True)
class ModelQuery(Message):
    TYPE = 0x27
    FAMILY = "model"


@register
@dataclass(frozen=True)
class ModelSlots(Message):
    TYPE = 0x28
    FAMILY = "model"
    active_slot: int = wire("u8")  # 255: none
    slots: tuple[SlotInfo, ...] = wire("list:SlotInfo")
    transfer_id: int = wire("u32")  # 0: no transfer in progress
    transfer_received: int = wire("u32")


@register
@dataclass(frozen=True)
class ModelActivate(Message):
    """Make a stored slot the active one (rollback to the previous model)."""

    TYPE = 0x29
    FAMILY = "model"
    slot: int = wire("u8")
