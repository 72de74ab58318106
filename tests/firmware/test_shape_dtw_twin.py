"""The C++ shape codes and DTW costs (firmware_sketches/wandlab_core/src/shape_dtw.h) answer like
Python's embedding + DTW ranking (``onboard.hybrid_rank``): tests/firmware/shape_vectors.py writes 44
windows (simulated wand takes through the real feature window, flat, ramp, spike, noise on an offset,
random) and every pair's costs at 3 and 6 channels; test_shape_dtw.cpp, built warning-free and under
ASan + UBSan, requires every DTW cost and fused distance exactly and the codes within +-1 (at most 0.1 % of
values: a value on a rounding edge; none seen)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.firmware import shape_vectors

CORE = Path(__file__).resolve().parents[2] / "firmware_sketches" / "wandlab_core"
FLAGS = {"plain": ["-O2"], "san": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]}

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


@pytest.mark.parametrize("kind", ["plain", "san"])
def test_cpp_shape_codes_and_dtw_costs_equal_pythons(tmp_path: Path, kind: str) -> None:
    files = []
    for channels in (3, 6):
        path = tmp_path / f"shape_{channels}.txt"
        counts = shape_vectors.write(path, channels)
        assert counts["pairs"] == counts["takes"] ** 2 >= 40 ** 2
        files.append(str(path))
    exe = tmp_path / "test_shape_dtw"
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *FLAGS[kind], f"-I{CORE / 'src'}", "-o", str(exe),
           str(CORE / "tests" / "test_shape_dtw.cpp"), str(CORE / "src" / "shape_dtw.cpp")]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if built.returncode != 0 and kind == "san" and ("asan" in built.stderr.lower() or "ubsan" in built.stderr.lower()):
        pytest.skip(f"sanitizer runtime not available: {built.stderr.strip()[-200:]}")
    assert built.returncode == 0, built.stderr
    result = subprocess.run([str(exe), *files], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and ", 0 failures" in result.stdout, result.stdout + result.stderr
    assert result.stdout.count("DTW wrong 0, fused wrong 0") == 2, result.stdout
