"""`wandlab firmware install` copies the shipped image to a folder that looks like the bootloader drive."""

from __future__ import annotations

from pathlib import Path

import pytest

from wandlab.cli import main
from wandlab.flows.firmware_install import TARGETS, FirmwareError, image_path, install

XIAO_INFO = ("UF2 Bootloader 0.6.2 lib/nrfx (v2.0.0) lib/tinyusb (0.12.0)\nModel: Seeed XIAO nRF52840 Sense\n"
             "Board-ID: nRF52840-XIAO-Sense-v1\nSoftDevice: S140 version 7.3.0\n")


def drive(root: Path, name: str, info: str) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "INFO_UF2.TXT").write_text(info)
    return d


def test_the_image_lands_on_the_xiao_drive(tmp_path: Path) -> None:
    d = drive(tmp_path, "XIAO-SENSE", XIAO_INFO)
    done = install("xiao", [tmp_path])
    assert done.drive == d.resolve() and (d / "WANDLAB.UF2").read_bytes() == image_path(TARGETS["xiao"]).read_bytes()
    assert (d / "WANDLAB.UF2").read_bytes()[:4] == b"UF2\n"  # a UF2 file, block magic first


def test_no_drive_says_how_to_get_the_board_into_bootloader_mode(tmp_path: Path) -> None:
    drive(tmp_path, "RPI-RP2", "Model: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n")
    with pytest.raises(FirmwareError, match="press its reset button twice") as exc:
        install("xiao", [tmp_path])
    assert "another board: Raspberry Pi RP2" in str(exc.value)


def test_two_boards_are_not_guessed_between(tmp_path: Path) -> None:
    drive(tmp_path, "A", XIAO_INFO)
    drive(tmp_path, "B", XIAO_INFO)
    with pytest.raises(FirmwareError, match="2 Seeed XIAO"):
        install("xiao", [tmp_path])


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["firmware", "install", "--drive", str(tmp_path)]) == 1
    assert "bootloader mode" in capsys.readouterr().err
    drive(tmp_path, "XIAO-SENSE", XIAO_INFO)
    assert main(["firmware", "install", "--drive", str(tmp_path)]) == 0
    assert "restarts with Wandlab's firmware" in capsys.readouterr().out
