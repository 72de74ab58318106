"""The XIAO's flash storage, on the PC: firmware_sketches/wandlab_xiao_sense/flash_storage.cpp and
nor_program.h - the very files the image links - over a NOR-rule stand-in of the nRF52's flash mapped
at the XIAO's addresses (tests/host_nrf_flash.cpp). Model chunks of any size land whole with no word
programmed more than twice, out-of-bounds writes are refused, and a power cut at any byte of a record
save leaves the old record or the new one - the board's own classes and its HID map are never lost."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKETCH = ROOT / "firmware_sketches" / "wandlab_xiao_sense"
CORE = ROOT / "firmware_sketches" / "wandlab_core" / "src"
SOURCES = [SKETCH / "tests" / "test_flash_storage.cpp", SKETCH / "tests" / "host_nrf_flash.cpp",
           SKETCH / "flash_storage.cpp", CORE / "crc32.cpp"]

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the test")


@pytest.mark.parametrize("flags", [["-O2"], ["-O0", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]],
                         ids=["plain", "sanitized"])
def test_slots_and_records_survive_power_cuts(tmp_path: Path, flags: list[str]) -> None:
    exe = tmp_path / "test_flash_storage"
    build = subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *flags, f"-I{SKETCH}", f"-I{CORE}",
                            "-o", str(exe), *map(str, SOURCES)], capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    if run.returncode == 2 and "cannot map" in run.stdout:
        pytest.skip(run.stdout.strip())
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK:" in run.stdout and "the new one" in run.stdout
