"""The firmware's messages.{h,cpp} are generated from the Python messages (wandlab.protocol.cpp_codegen).

The committed files must be the generator's output, and a field added in Python must reach the C++.
The golden vectors themselves are checked elsewhere, on both sides, against these files:
tests/protocol/test_messages.py (Python) and tests/firmware/test_host_build.py, which builds and runs
firmware_sketches/wandlab_core/tests/test_protocol.cpp on tests/vectors/protocol_messages.txt (C++).
Here only the vectors' names and type bytes are held against the generated dispatch.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import pytest

from wandlab.protocol import MESSAGES
from wandlab.protocol.codec import Constant, CppMax, Struct, struct_named, wire
from wandlab.protocol.cpp_codegen import COMMAND, generate, main
from wandlab.protocol.cpp_codegen_model import CPP_INT, CPP_VIEW, singular
from wandlab.protocol.registry import Message

ROOT = Path(__file__).resolve().parents[2]
CORE_SRC = ROOT / "firmware_sketches" / "wandlab_core" / "src"
VECTORS = ROOT / "tests" / "vectors"
STALE = f"is stale: run {COMMAND}"


def _struct_body(header: str, name: str) -> str:
    found = re.search(rf"^struct {name} {{\n(.*?)^}};", header, re.M | re.S)
    assert found, f"struct {name} is missing from messages.h: run {COMMAND}"
    return found.group(1)


def _members(body: str) -> list[str]:
    """Data members in order, without kType and the list counts."""
    names = re.findall(r"^  (?!static )[\w:]+ (\w+)(?:\[\w+\])?(?: = [^;]+)?;", body, re.M)
    return [n for n in names if not n.endswith("_count")]


def _structs(messages: dict[int, type[Message]]) -> list[type[Struct]]:
    """The messages and every struct nested in them."""
    out: list[type[Struct]] = []
    todo: list[type[Struct]] = list(messages.values())
    while todo:
        cls = todo.pop()
        if cls not in out:
            out.append(cls)
            todo += [struct_named(kind[5:]) for _, kind in cls.layout() if kind.startswith("list:")]
    return out


# -- (a) the committed files are the generator's output -----------------------------------------------------


def test_committed_cpp_is_the_generated_cpp() -> None:
    for name, text in generate().items():
        committed = (CORE_SRC / name).read_text(encoding="utf-8")
        assert committed == text, f"firmware_sketches/wandlab_core/src/{name} {STALE}"


def test_check_mode_names_the_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "messages.cpp").write_text("// edited by hand\n")
    capsys.readouterr()
    assert main(["--check", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"messages.cpp {STALE}" in err and "messages.h" not in err
    assert (tmp_path / "messages.cpp").read_text() == "// edited by hand\n"  # --check writes nothing
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0


def test_output_does_not_depend_on_the_process() -> None:
    """No hash order, dates or host floats: another interpreter with another hash seed agrees."""
    script = "\n".join([
        "import sys",
        "from wandlab.protocol.cpp_codegen import generate",
        "sys.stdout.write(''.join(generate().values()))",
    ])
    want = "".join(generate().values())
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout == want


# -- (b) every Python field reaches the C++ -------------------------------------------------------------------


def test_every_field_of_every_registered_struct_is_declared_in_order() -> None:
    header = (CORE_SRC / "messages.h").read_text()
    for cls in _structs(MESSAGES):
        body = _struct_body(header, cls.__name__)
        if issubclass(cls, Message):
            assert body.startswith(f"  static constexpr uint8_t kType = 0x{cls.TYPE:02X};\n"), cls.__name__
        assert _members(body) == [name for name, _ in cls.layout()], f"{cls.__name__}: run {COMMAND}"
        for name, kind in cls.layout():
            if kind == "strs" or kind.startswith("list:"):
                item = "Str" if kind == "strs" else kind[5:]
                assert re.search(rf"^  {item} {name}\[kMax\w+\];", body, re.M), f"{cls.__name__}.{name}"
                assert f"  size_t {singular(name)}_count = 0;" in body, f"{cls.__name__}.{name}"
            else:
                ctype = CPP_INT.get(kind) or CPP_VIEW.get(kind) or "float"
                assert re.search(rf"^  {ctype} {name}\b", body, re.M), f"{cls.__name__}.{name}: {kind}"


class ProbeMode(IntEnum):
    OFF = 0
    FAST = 7  # as fast as it goes


PROBE_LIMIT = Constant(0x7FFF, "u16")  # the probe's sentinel


@dataclass(frozen=True)
class ProbeItem(Struct):
    mode: int = wire("u8", enum=ProbeMode)
    tags: tuple[str, ...] = wire("strs", cpp_max=CppMax("kMaxProbeTags", 3))


@dataclass(frozen=True)
class SimCodegenProbe(Message):
    """A message that is not registered: only these tests build C++ from it."""

    TYPE = 0x7E
    FAMILY = "simulation"
    offset: int = wire("i32")  # every kind once
    gain: float = wire("f32")
    name: str = wire("str")
    blob: bytes = wire("bytes")
    samples: object = wire("i16array")
    items: tuple[ProbeItem, ...] = wire("list:ProbeItem", cpp_max=CppMax("kMaxProbeItems", 5, "a note"))
    limit: int = wire("u16", cpp_default=PROBE_LIMIT)  # PROBE_LIMIT: none
    tilt: int = wire("i16", default=-3)
    scale: float = wire("f32", default=0.1)


def test_a_new_message_and_field_reach_the_generated_cpp() -> None:
    files = generate({**MESSAGES, SimCodegenProbe.TYPE: SimCodegenProbe})
    header, source = files["messages.h"], files["messages.cpp"]
    assert header != generate()["messages.h"]
    body = _struct_body(header, "SimCodegenProbe")
    assert _members(body) == [name for name, _ in SimCodegenProbe.layout()]
    assert "  int32_t offset = 0;  // every kind once\n" in body
    assert "  uint16_t limit = kProbeLimit;  // kProbeLimit: none\n" in body  # Python names become C++ names
    assert "  int16_t tilt = -3;\n" in body and "  float scale = 0.1f;\n" in body
    assert "  ProbeItem items[kMaxProbeItems];\n  size_t item_count = 0;\n" in body
    assert "constexpr uint16_t kProbeLimit = 0x7FFF;  // the probe's sentinel\n" in header
    assert "constexpr size_t kMaxProbeItems = 5;  // SimCodegenProbe.items (a note)\n" in header
    assert "constexpr size_t kMaxProbeTags = 3;  // ProbeItem.tags\n" in header
    assert "  kFast = 7,  // as fast as it goes\n" in header
    # declared before use: the enum, then the nested struct, then the message
    order = [header.index(text) for text in ("enum class ProbeMode", "struct ProbeItem {", "struct SimCodegenProbe {")]
    assert order == sorted(order)
    assert 'case SimCodegenProbe::kType: return "SimCodegenProbe";' in source
    write = source[source.index("bool SimCodegenProbe::write") : source.index("bool SimCodegenProbe::read")]
    for call in ("w.i32(offset)", "w.f32(gain)", "w.str(name)", "w.bytes(blob)", "w.i16array(samples)",
                 "w.count(item_count)", "items[i].write(w)", "w.u16(limit)", "w.i16(tilt)", "w.f32(scale)"):
        assert call in write, call
    assert "r.count(&tag_count, kMaxProbeTags)" in source and "ok = r.str(&tags[i]);" in source


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_generated_cpp_for_every_field_kind_compiles_warning_free(tmp_path: Path) -> None:
    for name, text in generate({**MESSAGES, SimCodegenProbe.TYPE: SimCodegenProbe}).items():
        (tmp_path / name).write_text(text)
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", f"-I{tmp_path}", f"-I{CORE_SRC}",
           str(tmp_path / "messages.cpp")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_a_list_without_cpp_storage_is_refused() -> None:
    @dataclass(frozen=True)
    class SimUnsizedProbe(Message):
        TYPE = 0x7D
        FAMILY = "simulation"
        words: tuple[str, ...] = wire("strs")

    with pytest.raises(ValueError, match=r"SimUnsizedProbe\.words.*cpp_max"):
        generate({**MESSAGES, SimUnsizedProbe.TYPE: SimUnsizedProbe})


# -- (c) the golden vectors name what the generated dispatch knows ---------------------------------------------


def test_golden_vectors_match_the_generated_type_bytes_and_names() -> None:
    header, source = (CORE_SRC / "messages.h").read_text(), (CORE_SRC / "messages.cpp").read_text()
    lines = [line.split() for line in (VECTORS / "protocol_messages.txt").read_text().splitlines()]
    vectors = {(fields[0], int(fields[1], 16)) for fields in lines if fields and not fields[0].startswith("#")}
    records = json.loads((VECTORS / "protocol_messages.json").read_text())
    assert {(r["name"], r["type"]) for r in records} == vectors
    declared = {(name, int(byte, 16)) for name, byte in re.findall(
        r"^struct (\w+) \{\n  static constexpr uint8_t kType = 0x([0-9A-F]{2});", header, re.M)}
    named = set(re.findall(r'case (\w+)::kType: return "(\w+)";', source))
    assert declared == vectors == {(cls.__name__, t) for t, cls in MESSAGES.items()}
    assert named == {(name, name) for name, _ in vectors}
