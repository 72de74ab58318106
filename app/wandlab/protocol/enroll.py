"""Enroll family: reference embeddings on the board, for k-NN recognition without retraining.

The board captures and embeds a few takes itself (EnrollStart), or the host uploads references it
computed (RefUpload); RefList/RefDownload read them back for display and backup.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from wandlab.protocol.codec import Struct, wire
from wandlab.protocol.registry import Message, register

ALL_CLASSES = 255


class EnrollState(IntEnum):
    WAITING = 0  # armed: perform the gesture now
    CAPTURED = 1  # one take embedded
    DONE = 2
    FAILED = 3


@register
@dataclass(frozen=True)
class EnrollStart(Message):
    """Capture ``shots`` takes of a new (or existing) class on the board and store their embeddings."""

    TYPE = 0x30
    FAMILY = "enroll"
    class_id: int = wire("u8")  # ALL_CLASSES: the board picks a free class id
    label: str = wire("str")
    shots: int = wire("u8")
    timeout_ms: int = wire("u32", default=15000)  # per take


@register
@dataclass(frozen=True)
class EnrollProgress(Message):
    TYPE = 0x31
    FAMILY = "enroll"
    class_id: int = wire("u8")
    shot: int = wire("u8")  # takes captured so far
    shots: int = wire("u8")
    state: int = wire("u8")
    message: str = wire("str")


@register
@dataclass(frozen=True)
class EnrollCancel(Message):
    TYPE = 0x32
    FAMILY = "enroll"


@dataclass(frozen=True)
class ClassRefs(Struct):
    class_id: int = wire("u8")
    label: str = wire("str")
    count: int = wire("u8")
    threshold: float = wire("f32")  # squared int8 distance under which a window is this class
    source: int = wire("u8")  # 0: from the model bundle, 1: enrolled on the board, 2: uploaded


@register
@dataclass(frozen=True)
class RefList(Message):
    TYPE = 0x33
    FAMILY = "enroll"


@register
@dataclass(frozen=True)
class RefListReply(Message):
    TYPE = 0x34
    FAMILY = "enroll"
    dim: int = wire("u8")
    classes: tuple[ClassRefs, ...] = wire("list:ClassRefs")


@register
@dataclass(frozen=True)
class RefClear(Message):
    TYPE = 0x35
    FAMILY = "enroll"
    class_id: int = wire("u8")  # ALL_CLASSES clears every class


@register
@dataclass(frozen=True)
class RefUpload(Message):
    """Host -> board: references computed on the PC (replaces that class's references)."""

    TYPE = 0x36
    FAMILY = "enroll"
    class_id: int = wire("u8")
    label: str = wire("str")
    threshold: float = wire("f32")
    dim: int = wire("u8")
    embeddings: bytes = wire("bytes")  # count * dim int8 values


@register
@dataclass(frozen=True)
class RefDownload(Message):
    TYPE = 0x37
    FAMILY = "enroll"
    class_id: int = wire("u8")  # ALL_CLASSES: one RefData per class, then an Ack


@register
@dataclass(frozen=True)
class RefData(Message):
    TYPE = 0x38
    FAMILY = "enroll"
    class_id: int = wire("u8")
    label: str = wire("str")
    threshold: float = wire("f32")
    dim: int = wire("u8")
    embeddings: bytes = wire("bytes")
