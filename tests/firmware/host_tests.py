"""Build one C++ host test of the firmware (a test_*.cpp and the sources it names) with g++, plain or under
ASan + UBSan, and run it: what the small host tests share."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

FLAGS = {"plain": ["-O2"], "san": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]}
KINDS = sorted(FLAGS)


def build_and_run(out: Path, sources: Sequence[Path], kind: str,
                  includes: Sequence[Path]) -> subprocess.CompletedProcess[str]:
    """Compiles ``sources`` (the test first) warning-free into ``out`` and runs the program. Skips the
    sanitized kind where this machine has no sanitizer runtime; a compile error fails the test."""
    exe = out / sources[0].stem
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *FLAGS[kind], *(f"-I{i}" for i in includes),
           "-o", str(exe), *map(str, sources)]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if built.returncode != 0 and kind == "san" and ("asan" in built.stderr.lower() or "ubsan" in built.stderr.lower()):
        pytest.skip(f"sanitizer runtime not available: {built.stderr.strip()[-200:]}")
    assert built.returncode == 0, built.stderr
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
