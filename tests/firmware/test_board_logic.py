"""The C++ board logic (wandlab_core/src/board.{h,cpp}) answers like the Python board, byte for byte.

Builds firmware_sketches/wandlab_core/tests/test_board.cpp (warning-free, and under ASan + UBSan) and
runs it on the golden protocol vectors and on a conversation recorded from the Python board
(tests/firmware/board_conversation.py), which must be current.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.firmware import board_conversation

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
GOLDEN = ROOT / "tests" / "vectors" / "protocol_messages.txt"
CONVERSATION = CORE / "tests" / board_conversation.FILE_NAME
SOURCES = ["crc32", "cobs", "packet", "frame_decoder", "wire", "messages", "board"]
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ board")


def test_recorded_conversation_is_current() -> None:
    recorded = CONVERSATION.read_text().splitlines()
    assert recorded == board_conversation.conversation(), (
        f"{CONVERSATION.relative_to(ROOT)} is stale: regenerate it with "
        ".venv/bin/python -m tests.firmware.board_conversation firmware_sketches/wandlab_core/tests"
    )


def _build(exe: Path, flags: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = ["g++", *WARNINGS, *flags, f"-I{CORE / 'src'}", f"-I{CORE / 'tests'}", "-o", str(exe),
           str(CORE / "tests" / "test_board.cpp"), *(str(CORE / "src" / f"{s}.cpp") for s in SOURCES)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@needs_gxx
@pytest.mark.parametrize("kind", ["plain", "san"])
def test_cpp_board_replays_the_python_board(tmp_path: Path, kind: str) -> None:
    exe = tmp_path / "test_board"
    built = _build(exe, ["-O2"] if kind == "plain" else SANITIZE)
    if built.returncode != 0 and kind == "san" and ("asan" in built.stderr.lower() or "ubsan" in built.stderr.lower()):
        pytest.skip(f"sanitizer runtime not available: {built.stderr.strip()[-200:]}")
    assert built.returncode == 0, f"g++ failed:\n{built.stderr}"
    result = subprocess.run([str(exe), str(GOLDEN), str(CONVERSATION)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "board conversation replayed" in result.stdout
