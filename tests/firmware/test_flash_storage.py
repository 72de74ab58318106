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
from pathlib import Path

import pytest

from tests.firmware.host_tests import KINDS, build_and_run

ROOT = Path(__file__).resolve().parents[2]
SKETCH = ROOT / "firmware_sketches" / "wandlab_xiao_sense"
CORE = ROOT / "firmware_sketches" / "wandlab_core" / "src"
CORE_TEST = ROOT / "firmware_sketches" / "wandlab_core" / "tests" / "test_paged_storage.cpp"
XIAO_SOURCES = [SKETCH / "tests" / "test_flash_storage.cpp", SKETCH / "tests" / "host_nrf_flash.cpp",
                SKETCH / "flash_storage.cpp", CORE / "paged_storage.cpp", CORE / "crc32.cpp"]

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the test")


@pytest.mark.parametrize("kind", KINDS)
def test_any_program_unit_lands_bytes_whole_and_records_survive_power_cuts(tmp_path: Path, kind: str) -> None:
    result = build_and_run(tmp_path, [CORE_TEST, CORE / "paged_storage.cpp", CORE / "crc32.cpp"], kind, [CORE])
    assert result.returncode == 0 and ", 0 failures" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_the_xiaos_slots_and_records_survive_power_cuts(tmp_path: Path, kind: str) -> None:
    result = build_and_run(tmp_path, XIAO_SOURCES, kind, [SKETCH, CORE])
    if result.returncode == 2 and "cannot map" in result.stdout:
        pytest.skip(result.stdout.strip())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK:" in result.stdout and "the new one" in result.stdout
