"""The board's HID input reports (firmware_sketches/wandlab_core/src/hid_reports.cpp) are the bytes the
app's BLE HID twin sends for the same action (wandlab.protocol.gatt.reports_for): what a paired
computer sees when a real board presses a key is what the tests of the virtual wand's HID check."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from wandlab.protocol.controller import ActionKind, HidAction
from wandlab.protocol.gatt import reports_for

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
SOURCES = ["crc32", "cobs", "packet", "frame_decoder", "wire", "messages", "hid_reports"]

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


def _actions() -> list[HidAction]:
    rng = random.Random(7)
    fixed = [
        HidAction(class_id=0, kind=ActionKind.KEY, code=0x04, modifiers=0x01),
        HidAction(class_id=1, kind=ActionKind.KEY, code=0xE7, modifiers=0x0F),
        HidAction(class_id=2, kind=ActionKind.CONSUMER, code=0xCD, modifiers=0),
        HidAction(class_id=3, kind=ActionKind.CONSUMER, code=0x3FF, modifiers=0),
        HidAction(class_id=4, kind=ActionKind.MOUSE_CLICK, code=4, modifiers=0),
        HidAction(class_id=5, kind=ActionKind.MOUSE_MOVE, code=0, modifiers=0, dx=-300, dy=127),
        HidAction(class_id=6, kind=ActionKind.MOUSE_MOVE, code=0, modifiers=0, dx=-128, dy=-127),
        HidAction(class_id=7, kind=ActionKind.NONE, code=0, modifiers=0),
    ]
    kinds = [ActionKind.KEY, ActionKind.CONSUMER, ActionKind.MOUSE_CLICK, ActionKind.MOUSE_MOVE]
    drawn = [
        HidAction(class_id=i % 32, kind=rng.choice(kinds), code=rng.randrange(0x400), modifiers=rng.randrange(16),
                  dx=rng.randrange(-1000, 1000), dy=rng.randrange(-1000, 1000))
        for i in range(200)
    ]
    return fixed + drawn


def _python(action: HidAction) -> str:
    return " ".join(f"{r.report_id}:{r.value.hex()}" for r in reports_for(action))


def test_the_board_sends_the_reports_python_sends(tmp_path: Path) -> None:
    exe = tmp_path / "test_hid_reports"
    build = subprocess.run(
        ["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{CORE / 'src'}", "-o", str(exe),
         str(CORE / "tests" / "test_hid_reports.cpp"), *(str(CORE / "src" / f"{s}.cpp") for s in SOURCES)],
        capture_output=True, text=True, timeout=240,
    )
    assert build.returncode == 0, build.stderr
    actions = _actions()
    listing = tmp_path / "actions.txt"
    listing.write_text("".join(f"{int(a.kind)} {a.code} {int(a.modifiers)} {a.dx} {a.dy}\n" for a in actions))
    selftest = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30)
    assert selftest.returncode == 0, selftest.stdout
    run = subprocess.run([str(exe), str(listing)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout
    got = run.stdout.split("\n")[: len(actions)]
    for action, line in zip(actions, got, strict=True):
        assert line == _python(action), f"{action}: board {line!r}, app {_python(action)!r}"
