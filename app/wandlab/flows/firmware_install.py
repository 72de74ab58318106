"""Install Wandlab's firmware on a board in UF2 bootloader mode: copy the shipped image to its drive.

A board whose bootloader speaks UF2 (the XIAO nRF52840 Sense does: double-tap reset) shows up as a small
USB drive with an ``INFO_UF2.TXT``; copying a .uf2 file onto it flashes the board, which then restarts
into the new firmware. The mount points differ per OS, so the drives are looked for in the usual places
(or in the folders the caller names, which is also how the tests stand in for a drive).
"""

from __future__ import annotations

import os
import re
import string
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from wandlab.errors import WandlabError

INFO_FILE = "INFO_UF2.TXT"


class FirmwareError(WandlabError, RuntimeError):
    """No (or more than one) bootloader drive, or the copy failed; the message says what to do."""


@dataclass(frozen=True)
class Target:
    key: str
    name: str
    image: str  # file name inside wandlab/firmware/
    matches: tuple[str, ...]  # all of these appear (any case) in INFO_UF2.TXT's Model / Board-ID lines
    bootloader_help: str


TARGETS = {
    "xiao": Target(
        "xiao", "Seeed XIAO nRF52840 Sense", "xiao_sense.uf2", ("xiao", "nrf52840"),
        "Connect the XIAO nRF52840 Sense by USB and press its reset button twice quickly (the two tiny "
        "pads/buttons beside the USB socket: the one marked RST). The orange LED breathes and a drive "
        "named XIAO-SENSE appears; then try again.",
    ),
}


@dataclass(frozen=True)
class Installed:
    board: str
    drive: Path
    image: Path
    bytes: int


def image_path(target: Target) -> Path:
    path = Path(str(resources.files("wandlab") / "firmware" / target.image))
    if not path.is_file():
        raise FirmwareError(f"this Wandlab has no {target.name} image ({path}); build it with "
                            "firmware_sketches/build.sh xiao --ship or reinstall Wandlab")
    return path


def default_roots() -> list[Path]:
    """Where OSes mount removable drives."""
    if sys.platform == "win32":
        return [Path(f"{letter}:\\") for letter in string.ascii_uppercase]
    if sys.platform == "darwin":
        return [Path("/Volumes")]
    user = os.environ.get("USER", "")
    return [Path("/media") / user, Path("/run/media") / user, Path("/media"), Path("/mnt")]


def bootloader_drives(roots: list[Path] | None = None) -> list[tuple[Path, str]]:
    """(drive, INFO_UF2.TXT text) of every UF2 bootloader drive under (or at) the roots."""
    found: dict[Path, str] = {}
    for root in roots if roots is not None else default_roots():
        candidates = [root]
        try:
            candidates += [p for p in root.iterdir() if p.is_dir()]
        except OSError:
            pass
        for drive in candidates:
            info = drive / INFO_FILE
            try:
                if info.is_file():
                    found[drive.resolve()] = info.read_text(encoding="utf-8", errors="replace")[:4096]
            except OSError:
                continue
    return sorted(found.items())


def board_of(info_text: str) -> str:
    """The 'Model:' or 'Board-ID:' the bootloader reports ("" if none)."""
    match = re.search(r"^(?:Model|Board-ID):\s*(.+)$", info_text, re.MULTILINE)
    return match.group(1).strip() if match else ""


def install(board: str = "xiao", roots: list[Path] | None = None) -> Installed:
    """Copy the shipped image for ``board`` onto the one matching bootloader drive."""
    if board not in TARGETS:
        raise FirmwareError(f"no firmware for a board called {board!r}; Wandlab has: {', '.join(TARGETS)}")
    target = TARGETS[board]
    image = image_path(target)
    drives = bootloader_drives(roots)
    ours = [(d, t) for d, t in drives if all(m in t.lower() for m in target.matches)]
    if not ours:
        others = f" (found a bootloader drive of another board: {board_of(drives[0][1]) or drives[0][0]})" \
            if drives else ""
        raise FirmwareError(f"no {target.name} in bootloader mode{others}. {target.bootloader_help}")
    if len(ours) > 1:
        raise FirmwareError(f"{len(ours)} {target.name} boards are in bootloader mode "
                            f"({', '.join(str(d) for d, _ in ours)}): leave one connected and try again")
    drive = ours[0][0]
    data = image.read_bytes()
    try:
        with open(drive / "WANDLAB.UF2", "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())  # the board flashes as the blocks arrive: make sure they all left
    except OSError as exc:
        if not (drive / INFO_FILE).exists():  # the board restarted after the last block: that is success
            return Installed(target.name, drive, image, len(data))
        raise FirmwareError(f"copying the firmware to {drive} failed: {exc.strerror or exc}; press reset twice "
                            "and try again") from None
    return Installed(target.name, drive, image, len(data))
