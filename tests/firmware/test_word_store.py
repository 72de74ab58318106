"""The board's wake words in flash (firmware_sketches/wandlab_core/src/word_store.h): the C++ host test
tests/test_word_store.cpp, plain and under ASan + UBSan - words back after a power cycle in id order, a
failed write leaves RAM as flash is, words of another speech model dropped with a note, every flipped bit
and every cut of the record refused. The word family over the pty: tests/board/test_wake_words_pty.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.firmware.host_tests import KINDS, build_and_run

CORE = Path(__file__).resolve().parents[2] / "firmware_sketches" / "wandlab_core"
SOURCES = ["word_store", "crc32", "message_text", "wire"]

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


@pytest.mark.parametrize("kind", KINDS)
def test_the_word_store_keeps_words_across_power_cycles_and_refuses_damage(tmp_path: Path, kind: str) -> None:
    sources = [CORE / "tests" / "test_word_store.cpp", *(CORE / "src" / f"{s}.cpp" for s in SOURCES)]
    result = build_and_run(tmp_path, sources, kind, [CORE / "src"])
    assert result.returncode == 0 and ", 0 failures" in result.stdout, result.stdout + result.stderr
