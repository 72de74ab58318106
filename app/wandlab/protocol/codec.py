"""Declarative binary layout for wire messages.

A message is a frozen dataclass whose fields carry a wire kind in their metadata (``wire("u16")``).
Encoding and decoding walk the fields in order, little-endian, with no padding - the same walk the
C++ core does (its message code is generated from these declarations). Kinds:

    u8 u16 u32 i16 i32 f32   fixed-size integers / IEEE float
    str                      u8 byte length + UTF-8 (at most 255 bytes)
    strs                     u8 count + that many ``str``
    bytes                    u16 byte length + raw bytes
    i16array                 u16 count + count little-endian int16 (a NumPy array in Python)
    list:Name                u8 count + that many nested structs of class Name

The same declarations generate the firmware's C++ structs (``cpp_codegen``). What only C++ needs rides
along without touching the Python codec: ``wire(..., enum=...)`` names the enum an integer field holds,
``cpp_max`` how many list items a C++ struct stores, ``cpp_default`` a C++ initializer; ``Constant``
names a protocol value for both sides.
"""

from __future__ import annotations

import dataclasses
import struct
from enum import Enum
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np

from wandlab.errors import ProtocolError

_FIXED = {
    "u8": struct.Struct("<B"),
    "u16": struct.Struct("<H"),
    "u32": struct.Struct("<I"),
    "i16": struct.Struct("<h"),
    "i32": struct.Struct("<i"),
    "f32": struct.Struct("<f"),
}
_VARIABLE = {"str", "strs", "bytes", "i16array"}
_U8 = _FIXED["u8"]
_U16 = _FIXED["u16"]


class Constant(int):
    """A named protocol value (a sentinel such as "no slot", a fixed size): a plain ``int`` to Python
    code and a ``constexpr`` in the generated C++ header, so both sides spell it once, here.

    ``kind`` picks the C++ type: the wire kind of the fields it goes into ("u8", "u16", "u32"), or
    "size" for a count of bytes or items (``size_t``).
    """

    kind: str

    def __new__(cls, value: int, kind: str) -> Constant:
        if kind not in ("u8", "u16", "u32", "size"):
            raise ValueError(f"unknown constant kind {kind!r}")
        self = super().__new__(cls, value)
        self.kind = kind
        return self

    def __getnewargs__(self) -> tuple[int, str]:  # type: ignore[override]  # copy and pickle need the kind
        return int(self), self.kind


class CppMax(NamedTuple):
    """How many items the C++ struct stores for a ``strs`` or ``list:`` field (the wire allows 255):
    the firmware has no heap, so every list is a fixed array. A longer list decodes there as kTooMany."""

    name: str  # the constexpr, e.g. "kMaxSensors"
    value: int
    note: str = ""  # said next to it in the header


def wire(
    kind: str,
    default: Any = dataclasses.MISSING,
    *,
    enum: type[Enum] | None = None,
    cpp_max: CppMax | None = None,
    cpp_default: int | None = None,
    **kwargs: Any,
) -> Any:
    """Declare a field's wire kind (see module docstring).

    ``enum``: the IntEnum/IntFlag whose values the integer field carries. ``cpp_max``: C++ storage of a
    ``strs``/``list:`` field. ``cpp_default``: the C++ member's initializer where Python has no default
    (a ``Constant`` appears there by name). None of them changes what goes on the wire.
    """
    if kind not in _FIXED and kind not in _VARIABLE and not kind.startswith("list:"):
        raise ValueError(f"unknown wire kind {kind!r}")
    if enum is not None and kind not in _FIXED:
        raise ValueError(f"enum= needs an integer wire kind, not {kind!r}")
    if cpp_max is not None and kind != "strs" and not kind.startswith("list:"):
        raise ValueError(f"cpp_max= is for strs and list: fields, not {kind!r}")
    metadata: dict[str, Any] = {"wire": kind}
    for key, value in (("enum", enum), ("cpp_max", cpp_max), ("cpp_default", cpp_default)):
        if value is not None:
            metadata[key] = value
    if default is dataclasses.MISSING and "default_factory" not in kwargs:
        return dataclasses.field(metadata=metadata, **kwargs)
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


T = TypeVar("T", bound="Struct")

_STRUCTS: dict[str, type[Struct]] = {}


def struct_named(name: str) -> type[Struct]:
    """The struct class a ``list:Name`` field holds."""
    try:
        return _STRUCTS[name]
    except KeyError:
        raise ValueError(f"no Struct subclass named {name!r}") from None


class Struct:
    """Base for anything with a wire layout: messages and the records nested inside them."""

    _layout: ClassVar[tuple[tuple[str, str], ...]] = ()
    # A C++ condition on the decoded fields under which the generated read() rejects the struct
    # (kBadValue): the firmware's twin of a check in __post_init__. Empty: no such check.
    CPP_REJECT: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _STRUCTS[cls.__name__] = cls

    @classmethod
    def layout(cls) -> tuple[tuple[str, str], ...]:
        if "_layout" not in cls.__dict__ or not cls.__dict__["_layout"]:
            cls._layout = tuple(
                (f.name, f.metadata["wire"]) for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                if "wire" in f.metadata
            )
        return cls._layout

    def encode(self) -> bytes:
        out = bytearray()
        for name, kind in self.layout():
            _encode_value(out, kind, getattr(self, name), f"{type(self).__name__}.{name}")
        return bytes(out)

    @classmethod
    def decode(cls: type[T], data: bytes) -> T:
        value, offset = cls._decode_from(memoryview(data), 0)
        if offset != len(data):
            raise ProtocolError(f"{cls.__name__}: {len(data) - offset} unexpected trailing bytes")
        return value

    @classmethod
    def _decode_from(cls: type[T], view: memoryview, offset: int) -> tuple[T, int]:
        values = {}
        for name, kind in cls.layout():
            values[name], offset = _decode_value(view, offset, kind, f"{cls.__name__}.{name}")
        return cls(**values), offset


def _encode_value(out: bytearray, kind: str, value: Any, where: str) -> None:
    try:
        fixed = _FIXED.get(kind)
        if fixed is not None:
            out += fixed.pack(value)
        elif kind == "str":
            raw = value.encode("utf-8")
            if len(raw) > 255:
                raise ProtocolError(f"{where}: text longer than 255 bytes")
            out += _U8.pack(len(raw)) + raw
        elif kind == "strs":
            out += _U8.pack(len(value))
            for item in value:
                _encode_value(out, "str", item, where)
        elif kind == "bytes":
            out += _U16.pack(len(value)) + bytes(value)
        elif kind == "i16array":
            arr = np.ascontiguousarray(value, dtype="<i2").reshape(-1)
            out += _U16.pack(arr.size) + arr.tobytes()
        else:  # list:Name
            out += _U8.pack(len(value))
            for item in value:
                out += item.encode()
    except struct.error as exc:
        raise ProtocolError(f"{where}: {value!r} does not fit {kind} ({exc})") from None


def _take(view: memoryview, offset: int, size: int, where: str) -> tuple[memoryview, int]:
    end = offset + size
    if end > len(view):
        raise ProtocolError(f"{where}: payload ends {end - len(view)} bytes early")
    return view[offset:end], end


def _decode_value(view: memoryview, offset: int, kind: str, where: str) -> tuple[Any, int]:
    fixed = _FIXED.get(kind)
    if fixed is not None:
        raw, offset = _take(view, offset, fixed.size, where)
        return fixed.unpack(raw)[0], offset
    if kind == "str":
        raw, offset = _take(view, offset, 1, where)
        raw, offset = _take(view, offset, raw[0], where)
        try:
            return bytes(raw).decode("utf-8"), offset
        except UnicodeDecodeError:
            raise ProtocolError(f"{where}: text is not valid UTF-8") from None
    if kind == "strs":
        raw, offset = _take(view, offset, 1, where)
        items = []
        for _ in range(raw[0]):
            item, offset = _decode_value(view, offset, "str", where)
            items.append(item)
        return tuple(items), offset
    if kind == "bytes":
        raw, offset = _take(view, offset, 2, where)
        raw, offset = _take(view, offset, _U16.unpack(raw)[0], where)
        return bytes(raw), offset
    if kind == "i16array":
        raw, offset = _take(view, offset, 2, where)
        count = _U16.unpack(raw)[0]
        raw, offset = _take(view, offset, 2 * count, where)
        return np.frombuffer(raw, dtype="<i2").astype(np.int16), offset
    sub = _STRUCTS[kind.split(":", 1)[1]]
    raw, offset = _take(view, offset, 1, where)
    items = []
    for _ in range(raw[0]):
        item, offset = sub._decode_from(view, offset)
        items.append(item)
    return tuple(items), offset
