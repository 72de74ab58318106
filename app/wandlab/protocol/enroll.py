"""Enroll family: reference embeddings on the board, for k-NN recognition without retraining.

The board captures and embeds a few takes itself (EnrollStart), or the host uploads references it
computed (RefUpload); RefList/RefDownload read them back for display and backup.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from wandlab.protocol.codec import Constant, CppMax, Struct, wire
from wandlab.protocol.registry import Message, register

# RefClear / RefDownload.class_id: every class; EnrollStart.class_id: the board picks (the class with that
# label, else a free id).
ALL_CLASSES = Constant(255, "u8")


class EnrollState(IntEnum):
    WAITING = 0  # armed: perform the gesture now
    CAPTURED = 1  # one take embedded
    DONE = 2
    FAILED = 3


class RefSource(IntEnum):
    BUNDLE = 0  # from the model bundle
    ENROLLED = 1  # enrolled on the board
    UPLOADED = 2  # uploaded by the host


@register
@dataclass(frozen=True)
class EnrollStart(Message):
    """Host -> board: capture ``shots`` takes of a class (added or extended) and store their embeddings.
    The board answers Ack, then EnrollProgress per take (WAITING, CAPTURED), then DONE or FAILED."""

    TYPE = 0x30
    FAMILY = "enroll"
    class_id: int = wire("u8")  # ALL_CLASSES: the board picks (the class with that label, else a free id)
    label: str = wire("str")
    shots: int = wire("u8")
    timeout_ms: int = wire("u32", default=15000)  # per take


@register
@dataclass(frozen=True)
class EnrollProgress(Message):
    """Board -> host: where the enrollment is."""

    TYPE = 0x31
    FAMILY = "enroll"
    class_id: int = wire("u8")
    shot: int = wire("u8")  # takes captured so far
    shots: int = wire("u8")
    state: int = wire("u8", enum=EnrollState)
    message: str = wire("str")


@register
@dataclass(frozen=True)
class EnrollCancel(Message):
    """Host -> board: stop the enrollment in progress. No fields."""

    TYPE = 0x32
    FAMILY = "enroll"


@dataclass(frozen=True)
class ClassRefs(Struct):
    class_id: int = wire("u8")
    label: str = wire("str")
    count: int = wire("u8")  # reference embeddings stored for the class
    threshold: float = wire("f32")  # squared int8 distance under which a window is this class
    source: int = wire("u8", enum=RefSource)


@register
@dataclass(frozen=True)
class RefList(Message):
    """Host -> board: which references are stored? The board answers RefListReply. No fields."""

    TYPE = 0x33
    FAMILY = "enroll"


@register
@dataclass(frozen=True)
class RefListReply(Message):
    TYPE = 0x34
    FAMILY = "enroll"
    dim: int = wire("u8")  # embedding size (int8 values per reference)
    classes: tuple[ClassRefs, ...] = wire("list:ClassRefs", cpp_max=CppMax("kMaxClassRefs", 32))


@register
@dataclass(frozen=True)
class RefClear(Message):
    """Host -> board: forget the references of a class."""

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
    embeddings: bytes = wire("bytes")  # count * dim int8 values, one reference after another
    # count * frames * channels int8 shape codes (hybrid_rank.shape_codes; frames and channels from the
    # model's features), or empty: then the board ranks by embedding alone while it holds this class.
    shapes: bytes = wire("bytes", default=b"")


@register
@dataclass(frozen=True)
class RefDownload(Message):
    """Host -> board: send a class's references back."""

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
    embeddings: bytes = wire("bytes")  # count * dim int8 values
    shapes: bytes = wire("bytes", default=b"")  # count * frames * channels int8 shape codes, or empty
