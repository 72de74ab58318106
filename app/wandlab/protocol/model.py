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

from wandlab.protocol.codec import Constant, CppMax, Struct, wire
from wandlab.protocol.registry import Message, register

SHA256_BYTES = Constant(32, "size")  # ModelBegin.sha256, SlotInfo.sha256
NO_SLOT = Constant(255, "u8")  # ModelSlots.active_slot when no slot holds a model


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
    """Host -> board: a transfer starts, or resumes if the board holds part of the same one."""

    TYPE = 0x20
    FAMILY = "model"
    transfer_id: int = wire("u32")
    size: int = wire("u32")  # bytes of the whole model
    crc32: int = wire("u32")  # of the whole model
    sha256: bytes = wire("bytes")  # SHA256_BYTES, of the whole model
    chunk_size: int = wire("u16")  # every chunk but the last has exactly this many bytes
    model_id: str = wire("str")
    metadata: bytes = wire("bytes")  # UTF-8 JSON: labels, feature config, hashes (the bundle manifest)


@register
@dataclass(frozen=True)
class TransferStatus(Message):
    """Board -> host, answer to ModelBegin: where to (re)start."""

    TYPE = 0x21
    FAMILY = "model"
    transfer_id: int = wire("u32")
    state: int = wire("u8", enum=TransferState)
    received_bytes: int = wire("u32")
    next_chunk: int = wire("u32")
    message: str = wire("str")


@register
@dataclass(frozen=True)
class ModelChunk(Message):
    """Host -> board: chunk ``index`` of the transfer."""

    TYPE = 0x22
    FAMILY = "model"
    transfer_id: int = wire("u32")
    index: int = wire("u32")
    crc32: int = wire("u32")  # of data: lets the board name the bad chunk, not just drop a frame
    data: bytes = wire("bytes")


@register
@dataclass(frozen=True)
class ChunkAck(Message):
    """Board -> host, one per ModelChunk: the board holds every chunk before ``next_chunk``."""

    TYPE = 0x23
    FAMILY = "model"
    transfer_id: int = wire("u32")
    index: int = wire("u32")
    next_chunk: int = wire("u32")
    status: int = wire("u8", enum=ChunkStatus)


@register
@dataclass(frozen=True)
class ModelFinish(Message):
    """Host -> board: all chunks sent; verify and activate. The board answers TransferResult."""

    TYPE = 0x24
    FAMILY = "model"
    transfer_id: int = wire("u32")


@register
@dataclass(frozen=True)
class TransferResult(Message):
    """Board -> host after ModelFinish: verified and active, or why not (the old model stays active)."""

    TYPE = 0x25
    FAMILY = "model"
    transfer_id: int = wire("u32")
    ok: int = wire("u8")
    slot: int = wire("u8")  # the slot now active
    model_id: str = wire("str")
    message: str = wire("str")


@register
@dataclass(frozen=True)
class ModelAbort(Message):
    """Host -> board: drop the transfer (the board answers Ack)."""

    TYPE = 0x26
    FAMILY = "model"
    transfer_id: int = wire("u32")


@dataclass(frozen=True)
class SlotInfo(Struct):
    slot: int = wire("u8")
    valid: int = wire("u8")  # 1: holds a verified model
    size: int = wire("u32")
    sha256: bytes = wire("bytes")  # SHA256_BYTES, or empty for an empty slot
    model_id: str = wire("str")


@register
@dataclass(frozen=True)
class ModelQuery(Message):
    """Host -> board: which models are stored? The board answers ModelSlots. No fields."""

    TYPE = 0x27
    FAMILY = "model"


@register
@dataclass(frozen=True)
class ModelSlots(Message):
    TYPE = 0x28
    FAMILY = "model"
    active_slot: int = wire("u8", cpp_default=NO_SLOT)  # NO_SLOT: none
    slots: tuple[SlotInfo, ...] = wire("list:SlotInfo", cpp_max=CppMax("kMaxModelSlots", 4, "boards have 2: A/B"))
    transfer_id: int = wire("u32")  # 0: no transfer in progress
    transfer_received: int = wire("u32")  # bytes of it the board holds


@register
@dataclass(frozen=True)
class ModelActivate(Message):
    """Host -> board: make a stored slot the active one (rollback to the previous model). Ack or Error."""

    TYPE = 0x29
    FAMILY = "model"
    slot: int = wire("u8")
