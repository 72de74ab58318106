"""The C++ BLE fragments (wandlab_core/src/fragments.{h,cpp}) cut and reassemble exactly as Python's.

Drives firmware_sketches/wandlab_core/tests/test_fragments.cpp in --driver mode: the same packets are
fragmented by both sides at several ATT MTUs, and the same damaged fragment streams (lost, repeated,
cut, corrupted, orphaned fragments) are fed to both reassemblers; packets and every counter must agree.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from wandlab.protocol import to_packet
from wandlab.protocol.fragments import Fragmenter, Reassembler
from wandlab.protocol.framing import pack_packet
from wandlab.protocol.vectors import examples

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
SOURCES = ["crc32", "cobs", "packet", "frame_decoder", "fragments"]

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = tmp_path_factory.mktemp("fragments") / "test_fragments"
    sources = [str(CORE / "src" / f"{s}.cpp") for s in SOURCES]
    cmd = ["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{CORE / 'src'}", f"-I{CORE / 'tests'}",
           "-o", str(exe), str(CORE / "tests" / "test_fragments.cpp"), *sources]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert built.returncode == 0, built.stderr
    unit = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert unit.returncode == 0, unit.stdout
    return exe


def _packets(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    raws = [pack_packet(to_packet(m, seq)) for seq, m in enumerate(examples(), start=1)]
    raws.append(pack_packet(to_packet(examples()[0], 7))[:4] + bytes(4))  # a bad CRC
    return [rng.choice(raws) for _ in range(60)]


def _run(exe: Path, commands: list[str]) -> list[str]:
    result = subprocess.run([str(exe), "--driver"], input="\n".join(commands) + "\n", capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("mtu", [23, 64, 185, 247])
def test_both_sides_cut_packets_into_the_same_fragments(driver: Path, mtu: int) -> None:
    packets = _packets(mtu)
    python = Fragmenter(mtu)
    expected: list[str] = []
    for raw in packets:
        expected += [f"F {f.hex()}" for f in python.fragments(raw)] + ["END"]
    assert _run(driver, [f"mtu {mtu:x}"] + [f"send {raw.hex()}" for raw in packets]) == expected


def _damaged_stream(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    fragmenter = Fragmenter(rng.choice([23, 100, 247]))
    out: list[bytes] = []
    for raw in _packets(seed):
        for fragment in fragmenter.fragments(raw):
            pick = rng.random()
            if pick < 0.06:
                continue  # lost
            if pick < 0.10:
                out += [fragment, fragment]  # repeated
            elif pick < 0.14:
                out.append(fragment[: rng.randrange(0, len(fragment))])  # cut (possibly empty)
            elif pick < 0.18:
                damaged = bytearray(fragment)
                damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
                out.append(bytes(damaged))  # a flipped bit: header, length or body
            else:
                out.append(fragment)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_both_reassemblers_agree_on_damaged_streams(driver: Path, seed: int) -> None:
    stream = _damaged_stream(seed)
    python = Reassembler()
    expected: list[str] = []
    for fragment in stream:
        expected += [f"P {pack_packet(p).hex()}" for p in python.feed(fragment)]
        s = python.stats
        expected.append(f"S {s.frames} {s.bytes} {s.crc_errors} {s.short_frames} {s.oversize_frames} "
                        f"{s.lost_fragments} {s.orphan_fragments}")
    got = _run(driver, [f"feed {f.hex()}" for f in stream])
    assert got == expected
    assert python.stats.frames > 0 and python.stats.errors > 0  # the stream exercised both paths
