"""The message registry as the C++ generator needs it: every message, the structs nested in them, the
enums their fields hold and the protocol constants, with comments, in the order the header declares them.

Comments come from the Python source - class docstrings and the ``# ...`` beside (or right above) a
field, enum member or constant - so the documentation is written once, next to the declaration. A class
without source (made at run time) simply has none. Python constant names in them become the C++ names
(``ALL_CLASSES`` -> ``kAllClasses``), so a comment reads right on both sides.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import math
import re
import sys
import textwrap
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, Flag
from types import ModuleType
from typing import Any

from wandlab.protocol import registry
from wandlab.protocol.codec import Constant, CppMax, Struct, struct_named
from wandlab.protocol.registry import FAMILIES, Message

CPP_INT = {"u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "i16": "int16_t", "i32": "int32_t"}
CPP_VIEW = {"str": "Str", "bytes": "Bytes", "i16array": "I16Array"}
_CONSTANT_TYPES = {**CPP_INT, "size": "size_t"}
_PRAGMAS = ("noqa", "type:", "pragma", "fmt:")


@dataclass(frozen=True)
class CppField:
    name: str
    kind: str  # the wire kind
    ctype: str  # the member's C++ type; a list's item type
    init: str = ""  # the member's initializer, "" for none
    comment: str = ""
    limit: CppMax | None = None  # strs and list: fields only
    count: str = ""  # the member that holds a list's item count


@dataclass(frozen=True)
class CppStruct:
    name: str
    type_byte: int | None  # None: a struct nested in messages
    doc: str
    fields: tuple[CppField, ...]
    reject: str = ""  # C++ condition under which read() fails with kBadValue
    reject_comment: str = ""


@dataclass(frozen=True)
class CppEnum:
    name: str
    ctype: str
    flags: bool  # an IntFlag: constexpr bits, not an enum class
    prefix: str  # of a flag's constants: "kSensor" for Sensors
    members: tuple[tuple[str, int, str], ...]  # C++ name, value, comment
    doc: str
    users: tuple[str, ...]  # "Struct.field" that hold it


@dataclass(frozen=True)
class CppConstant:
    name: str
    ctype: str
    value: int
    comment: str


Item = CppConstant | CppEnum | CppStruct  # what a family section declares


@dataclass(frozen=True)
class CppFamily:
    name: str
    first: int
    last: int
    doc: str  # "" for a family without messages
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class CppProtocol:
    version: int
    modules: tuple[str, ...]  # the modules that declare messages
    constants: tuple[CppConstant, ...]  # the registry's own (kProtocolVersion)
    limits: tuple[tuple[CppMax, tuple[str, ...]], ...]  # with the "Struct.field" that use each
    families: tuple[CppFamily, ...]  # every range of FAMILIES, in order
    messages: tuple[CppStruct, ...]  # by type byte


def camel(name: str) -> str:
    """UPPER_SNAKE or lower_snake -> CamelCase (C++ enumerators and constants are kCamelCase)."""
    return "".join(part.capitalize() for part in name.split("_") if part)


def singular(name: str) -> str:
    """The item of a list field: ``sensors`` -> ``sensor``, ``classes`` -> ``class``."""
    if name.endswith("sses"):
        return name[:-2]
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def int_literal(value: int) -> str:
    """Decimal, but all-ones values above a byte in hex (0xFFFF reads as "every bit", 65535 does not)."""
    return f"0x{value:X}" if value > 0xFF and value & (value + 1) == 0 else str(value)


def source_notes(obj: type | ModuleType) -> tuple[str, dict[str, str]]:
    """(docstring, name -> comment) of a class or module, read from its source; empty without one."""
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return "", {}
    node: ast.Module | ast.ClassDef = tree
    if not isinstance(obj, ModuleType):
        first = tree.body[0] if tree.body else None
        if not isinstance(first, ast.ClassDef):
            return "", {}
        node = first
    comments: dict[int, tuple[str, bool]] = {}  # line -> (text, the line holds nothing else)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            parts = [p.strip() for p in token.string.split("#")[1:]]
            text = " ".join(p for p in parts if p and not p.startswith(_PRAGMAS))
            comments[token.start[0]] = (text, not token.line[: token.start[1]].strip())
    notes: dict[str, str] = {}
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign):
            targets: list[ast.expr] = [statement.target]
        elif isinstance(statement, ast.Assign):
            targets = statement.targets
        else:
            continue
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            continue
        lines: list[str] = []
        above = statement.lineno - 1
        while above in comments and comments[above][1]:
            lines.insert(0, comments[above][0])
            above -= 1
        beside = comments.get(statement.end_lineno or statement.lineno)
        if beside and not beside[1]:
            lines.append(beside[0])
        notes[targets[0].id] = " ".join(line for line in lines if line)
    return ast.get_docstring(node) or "", notes


class _Builder:
    """Walks the messages once, emitting each declaration before its first use."""

    def __init__(self, messages: Mapping[int, type[Message]]) -> None:
        self.messages = sorted(messages.values(), key=lambda cls: cls.TYPE)
        for type_byte, cls in messages.items():
            if cls.TYPE != type_byte:
                raise ValueError(f"{cls.__name__} is registered as 0x{type_byte:02x} but its TYPE is 0x{cls.TYPE:02x}")
        self.modules = tuple(dict.fromkeys(cls.__module__ for cls in self.messages))
        # Constants first: comments anywhere may name them, and get the C++ name.
        self._names: dict[str, str] = {}  # Python constant name -> C++ name
        found: list[tuple[str, str, Constant]] = []  # module, Python name, value
        for module_name in (registry.__name__, *self.modules):
            for python_name, value in vars(sys.modules[module_name]).items():
                if isinstance(value, Constant) and all(value is not v for _, _, v in found):
                    found.append((module_name, python_name, value))
                    self._names[python_name] = "k" + camel(python_name)
        words = "|".join(map(re.escape, self._names))
        self._rename = re.compile(rf"\b({words})\b") if words else None
        self.constants: dict[int, CppConstant] = {}  # by id() of the Constant
        self.by_module: dict[str, list[CppConstant]] = {}
        for module_name, python_name, value in found:
            comment = self.text(source_notes(sys.modules[module_name])[1].get(python_name, ""))
            constant = CppConstant(self._names[python_name], _CONSTANT_TYPES[value.kind], int(value), comment)
            self.constants[id(value)] = constant
            self.by_module.setdefault(module_name, []).append(constant)
        self.limits: dict[str, tuple[CppMax, list[str]]] = {}
        self.enum_users = self._enum_users()
        self.done: set[str] = set()
        self.structs: list[CppStruct] = []

    def text(self, text: str) -> str:
        """A Python comment or docstring as C++ comment text."""
        text = text.replace("``", "`")
        return self._rename.sub(lambda m: self._names[m.group(1)], text) if self._rename else text

    def _enum_users(self) -> dict[type[Enum], list[tuple[str, str]]]:
        users: dict[type[Enum], list[tuple[str, str]]] = {}
        seen: set[type[Struct]] = set()

        def walk(cls: type[Struct]) -> None:
            if cls in seen:
                return
            seen.add(cls)
            for f in _wire_fields(cls):
                kind = f.metadata["wire"]
                if "enum" in f.metadata:
                    users.setdefault(f.metadata["enum"], []).append((f"{cls.__name__}.{f.name}", kind))
                if kind.startswith("list:"):
                    walk(struct_named(kind.split(":", 1)[1]))

        for message in self.messages:
            walk(message)
        return users

    def family_items(self, module_names: list[str], messages: list[type[Message]]) -> list[Item]:
        """The family's constants, then each message after what it uses and was not declared yet."""
        items: list[Item] = [c for name in module_names for c in self.by_module.get(name, [])]
        for message in messages:
            items += self._struct_with_deps(message)
        return items

    def _struct_with_deps(self, cls: type[Struct]) -> list[Item]:
        if cls.__name__ in self.done:
            return []
        self.done.add(cls.__name__)
        items: list[Item] = []
        for f in _wire_fields(cls):
            kind, enum = f.metadata["wire"], f.metadata.get("enum")
            if enum is not None and enum.__qualname__ not in self.done:
                self.done.add(enum.__qualname__)
                items.append(self._enum(enum))
            if kind.startswith("list:"):
                items += self._struct_with_deps(struct_named(kind.split(":", 1)[1]))
        struct = self._struct(cls)
        self.structs.append(struct)
        return [*items, struct]

    def _enum(self, enum: type[Enum]) -> CppEnum:
        kinds = {kind for _, kind in self.enum_users[enum]}
        if len(kinds) != 1:
            raise ValueError(f"{enum.__name__} is held by fields of different kinds {sorted(kinds)}")
        doc, notes = source_notes(enum)
        flags = issubclass(enum, Flag)
        members = tuple(
            (camel(name), int(member.value), self.text(notes.get(name, "")))
            for name, member in enum.__members__.items()
        )
        prefix = "k" + singular(enum.__name__)
        users = tuple(user for user, _ in self.enum_users[enum])
        return CppEnum(enum.__name__, CPP_INT[kinds.pop()], flags, prefix, members, self.text(doc), users)

    def _struct(self, cls: type[Struct]) -> CppStruct:
        doc, notes = source_notes(cls)
        fields = tuple(self._field(cls, f, self.text(notes.get(f.name, ""))) for f in _wire_fields(cls))
        type_byte = cls.TYPE if issubclass(cls, Message) else None
        reject = self.text(notes.get("CPP_REJECT", "")) if cls.CPP_REJECT else ""
        return CppStruct(cls.__name__, type_byte, self.text(doc), fields, cls.CPP_REJECT, reject)

    def _field(self, cls: type[Struct], f: dataclasses.Field[Any], note: str) -> CppField:
        kind: str = f.metadata["wire"]
        where = f"{cls.__name__}.{f.name}"
        enum = f.metadata.get("enum")
        if enum is not None:
            held = f"k{singular(enum.__name__)}* bits" if issubclass(enum, Flag) else enum.__name__
            note = f"{held}; {note}" if note else held
        if kind == "strs" or kind.startswith("list:"):
            limit = f.metadata.get("cpp_max")
            if limit is None:
                raise ValueError(f"{where}: a {kind} field needs cpp_max=CppMax(...): C++ stores lists in fixed arrays")
            if not 0 < limit.value <= 0xFF:
                raise ValueError(f"{where}: cpp_max {limit.value} is not 1-255 (the wire's u8 count)")
            known, users = self.limits.setdefault(limit.name, (limit, []))
            if known != limit:
                raise ValueError(f"{where}: {limit.name} declared as {limit} and as {known}")
            users.append(where)
            item = "Str" if kind == "strs" else kind.split(":", 1)[1]
            return CppField(f.name, kind, item, "", note, limit, singular(f.name) + "_count")
        ctype = CPP_INT.get(kind) or CPP_VIEW.get(kind) or "float"
        return CppField(f.name, kind, ctype, self._init(f, kind, where), note)

    def _init(self, f: dataclasses.Field[Any], kind: str, where: str) -> str:
        value = f.metadata.get("cpp_default", f.default)
        if isinstance(value, Constant) and id(value) in self.constants:
            return self.constants[id(value)].name
        if kind in CPP_INT:
            if value is dataclasses.MISSING:
                return "0"
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{where}: default {value!r} is not an integer")
            return int_literal(int(value))
        if kind == "f32":
            if value is dataclasses.MISSING:
                return "0.0f"
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{where}: default {value!r} is not a finite number")
            return repr(float(value)) + "f"  # shortest round-trip text: the same on every machine
        if value is not dataclasses.MISSING and value not in ("", b""):
            raise ValueError(f"{where}: the C++ {kind} view has no default but empty, not {value!r}")
        return ""


def _wire_fields(cls: type[Struct]) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if "wire" in f.metadata]  # type: ignore[arg-type]


def describe(messages: Mapping[int, type[Message]] | None = None) -> CppProtocol:
    """The C++ view of ``messages`` (default: every registered message)."""
    builder = _Builder(registry.MESSAGES if messages is None else messages)
    families = []
    for name, span in FAMILIES.items():
        members = [cls for cls in builder.messages if cls.FAMILY == name]
        module_names = list(dict.fromkeys(cls.__module__ for cls in members))
        doc = inspect.cleandoc(sys.modules[module_names[0]].__doc__ or "").split("\n\n")[0] if members else ""
        items = builder.family_items(module_names, members)
        families.append(CppFamily(name, span.start, span.stop - 1, builder.text(doc), tuple(items)))
    messages_out = tuple(s for s in builder.structs if s.type_byte is not None)
    return CppProtocol(
        version=int(registry.PROTOCOL_VERSION),
        modules=builder.modules,
        constants=tuple(builder.by_module.get(registry.__name__, [])),
        limits=tuple((limit, tuple(users)) for limit, users in builder.limits.values()),
        families=tuple(families),
        messages=tuple(sorted(messages_out, key=lambda s: s.type_byte or 0)),
    )
