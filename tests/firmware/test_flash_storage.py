"""The boards' flash storage on the PC. wandlab_core's paged storage (paged_storage.h, nor_program.h: every
board's model slots and records) over a RAM NOR flash with each program unit a board's driver may dictate
(1, 4, 8, 16, 256 bytes): tests/test_paged_storage.cpp. And the XIAO's: its flash_storage.cpp with
wandlab_core's paged_storage.cpp and nor_program.h - the very files the image links - over a NOR-rule
stand-in of the nRF52's flash mapped at the XIAO's addresses (tests/host_nrf_flash.cpp). Model chunks of
any size land whole with no word programmed more than twice, out-of-bounds writes are refused, and a power
cut at any byte of a record save leaves the old record or the new one - the board's own classes and its
HID map are never lost."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKETCH = ROOT / "firmware_sketches" / "wandlab_xiao_sense"
CORE = ROOT / "firmware_sketches" / "wandlab_core" / "src"
CORE_TEST = ROOT / "firmware_sketches" / "wandlab_core" / "tests" / "test_paged_storage.cpp"
SOURCES = [SKETCH / "tests" / "test_flash_storage.cpp", SKETCH / "tests" / "host_nrf_flash.cpp",
           SKETCH / "flash_storage.cpp", CORE / "paged_storage.cpp", CORE / "crc32.cpp"]

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the test")


FLAG_SETS = [["-O2"], ["-O0", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]]


@pytest.mark.parametrize("flags", FLAG_SETS, ids=["plain", "sanitized"])
def test_any_program_unit_lands_bytes_whole_and_records_survive_power_cuts(tmp_path: Path, flags: list[str]) -> None:
    exe = tmp_path / "test_paged_storage"
    build = subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *flags, f"-I{CORE}", "-o", str(exe),
                            str(CORE_TEST), str(CORE / "paged_storage.cpp"), str(CORE / "crc32.cpp")],
                           capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and ", 0 failures" in run.stdout, run.stdout + run.stderr


@pytest.mark.parametrize("flags", FLAG_SETS, ids=["plain", "sanitized"])
def test_the_xiaos_slots_and_records_survive_power_cuts(tmp_path: Path, flags: list[str]) -> None:
    exe = tmp_path / "test_flash_storage"
    build = subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *flags, f"-I{SKETCH}", f"-I{CORE}",
                            "-o", str(exe), *map(str, SOURCES)], capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    if run.returncode == 2 and "cannot map" in run.stdout:
        pytest.skip(run.stdout.strip())
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK:" in run.stdout and "the new one" in run.stdout
