"""The XIAO nRF52840 Sense image builds offline, fits its budgets, and is the one the app ships.

A fresh build (firmware_sketches/build.sh xiao --json into an empty folder: ~30 s on 2 cores) with
Debian's gcc-arm-none-eabi against the vendored Arduino core (../shared/vendor, or WANDLAB_VENDOR).
Skipped, saying why, when the toolchain or the vendored core is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_SH = ROOT / "firmware_sketches" / "build.sh"
VENDOR = Path(os.environ.get("WANDLAB_VENDOR", ROOT.parent / "shared" / "vendor"))
SHIPPED = ROOT / "app" / "wandlab" / "firmware" / "xiao_sense.uf2"
FLASH_AREA = 811_008  # 0x27000-0xED000, above the S140 SoftDevice
APP_START = 0x27000
UF2_FAMILY_NRF52840 = 0xADA52840

_missing = [t for t in ("make", "python3", "arm-none-eabi-g++", "arm-none-eabi-objcopy") if shutil.which(t) is None]
_PACKAGES = "gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib binutils-arm-none-eabi"
pytestmark = [
    pytest.mark.skipif(bool(_missing), reason=f"no ARM toolchain ({', '.join(_missing)} missing): "
                       f"apt-get install {_PACKAGES}"),
    pytest.mark.skipif(not (VENDOR / "hardware" / "Seeeduino" / "nrf52" / "boards.txt").is_file(),
                       reason=f"no vendored XIAO core at {VENDOR} (set WANDLAB_VENDOR)"),
    pytest.mark.timeout(900),
]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("xiao_build")
    env = {**os.environ, "WANDLAB_BUILD_DIR": str(out), "WANDLAB_VENDOR": str(VENDOR)}
    result = subprocess.run([str(BUILD_SH), "xiao", "--json"], capture_output=True, text=True, env=env, timeout=880)
    assert result.stdout.strip(), f"build.sh xiao failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
    report: dict[str, Any] = json.loads(result.stdout)
    report["returncode"] = result.returncode
    report["build_dir"] = out
    return report


def test_image_fits_its_flash_and_ram_budgets(build: dict[str, Any]) -> None:
    assert build["flash_bytes"] <= FLASH_AREA // 2, f"flash {build['flash_bytes']:,} B over 50 % of {FLASH_AREA:,} B"
    assert build["ram_bytes"] <= 64 * 1024, f"static RAM {build['ram_bytes']:,} B over 64 KB"
    assert build["within_budget"] and build["returncode"] == 0
    # The recogniser allocated at boot is reported, never hidden: a dropped symbol would read as 0.
    assert build["boot_allocation_bytes"] > 30_000
    assert build["ram_after_boot_bytes"] == build["ram_bytes"] + build["boot_allocation_bytes"]
    # The table adds up: the components are the image (but for alignment fill), nothing counted twice.
    components = build["components"]
    assert 0.99 * build["flash_bytes"] <= sum(c["flash"] for c in components.values()) <= build["flash_bytes"]
    assert 0.99 * build["ram_bytes"] <= sum(c["ram"] for c in components.values()) <= build["ram_bytes"]
    assert components["wandlab_core (protocol, board logic)"]["flash"] > 5_000


def test_uf2_is_a_nrf52840_image_at_the_application_start(build: dict[str, Any]) -> None:
    uf2 = Path(build["uf2"]).read_bytes()
    assert len(uf2) % 512 == 0 and len(uf2) >= 512
    magic0, magic1, flags, address, size, block, blocks, family = struct.unpack_from("<8I", uf2)
    assert (magic0, magic1) == (0x0A324655, 0x9E5D5157)
    assert flags & 0x2000 and family == UF2_FAMILY_NRF52840
    assert address == APP_START and blocks == len(uf2) // 512 and block == 0 and size == 256
    assert (Path(build["build_dir"]) / "wandlab_xiao_sense.hex").is_file()


def test_shipped_uf2_is_what_a_fresh_build_gives_byte_for_byte(build: dict[str, Any]) -> None:
    assert SHIPPED.is_file(), f"{SHIPPED.relative_to(ROOT)} is missing: firmware_sketches/build.sh xiao --ship"
    fresh = Path(build["uf2"]).read_bytes()
    assert SHIPPED.read_bytes() == fresh, (
        f"{SHIPPED.relative_to(ROOT)} is not what the sources build: run firmware_sketches/build.sh xiao --ship "
        "(the build is reproducible: a difference means the sources changed since it was shipped)"
    )


def test_build_refuses_a_missing_vendor_folder_with_a_reason(tmp_path: Path) -> None:
    env = {**os.environ, "WANDLAB_VENDOR": str(tmp_path / "nowhere"), "WANDLAB_BUILD_DIR": str(tmp_path / "b")}
    result = subprocess.run([str(BUILD_SH), "xiao"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 3 and "WANDLAB_VENDOR" in result.stderr
