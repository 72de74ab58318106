"""The C++ motion segmenter (wandlab_core/src/motion_segmenter.{h,cpp}) cuts what the Python board cuts.

Writes the golden streams (tests/firmware/segmenter_vectors.py: simulated gestures, everyday handling and
edge cases at 25-400 Hz, 3 and 6 axes), builds firmware_sketches/wandlab_core/tests/test_motion_segmenter.cpp
warning-free and under ASan + UBSan, and requires the same segments, flags, trim ranges and window floats
as Python's Segmenter + model_window, bit for bit. Also checks that the segmenter compiles for the
Cortex-M4F and refuses -ffast-math.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.firmware.segmenter_vectors import Summary, write_vectors

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
SOURCE = CORE / "src" / "motion_segmenter.cpp"
TEST = CORE / "tests" / "test_motion_segmenter.cpp"
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
ARM = ["-std=c++17", "-Os", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
       "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra", "-Werror", f"-I{CORE / 'src'}", "-c"]

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Summary]:
    return write_vectors(tmp_path_factory.mktemp("segmenter_vectors"))


def _build(exe: Path, flags: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = ["g++", *WARNINGS, *flags, f"-I{CORE / 'src'}", f"-I{CORE / 'tests'}", "-o", str(exe), str(TEST),
           str(SOURCE)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """Both builds at once. A value is the executable, or why there is none."""
    out = tmp_path_factory.mktemp("motion_segmenter")
    plain, sanitized = out / "test_motion_segmenter", out / "test_motion_segmenter_san"
    with ThreadPoolExecutor(2) as pool:
        plain_job, san_job = pool.submit(_build, plain, ["-O2"]), pool.submit(_build, sanitized, SANITIZE)
        plain_result, san_result = plain_job.result(), san_job.result()
    assert plain_result.returncode == 0, f"g++ failed:\n{plain_result.stderr}"
    san: Path | str = sanitized
    if san_result.returncode != 0:
        # Only a missing sanitizer runtime is a reason to skip; a warning or error fails the test.
        missing = "asan" in san_result.stderr.lower() or "ubsan" in san_result.stderr.lower()
        assert missing, f"g++ with sanitizers failed:\n{san_result.stderr}"
        san = f"sanitizer runtime not available: {san_result.stderr.strip()[-200:]}"
    return {"plain": plain, "san": san}


def _exe(binaries: dict[str, Path | str], kind: str) -> Path:
    exe = binaries[kind]
    if isinstance(exe, str):
        pytest.skip(exe)
    return exe


def test_vectors_cover_every_case(vectors: tuple[list[Path], Summary]) -> None:
    _, s = vectors
    assert s.rates >= {(r, a) for r in (25.0, 50.0, 100.0, 119.0, 400.0) for a in (3, 6)}
    assert s.segments >= 100 and s.decidable >= 50
    assert s.clipped >= 3, "segments cut at MAX_SEGMENT_S"
    assert s.unsettled >= 3, "segments that begin right after another one"
    assert s.discards >= 3, "twitches shorter than min_s"
    assert s.from_first_frame >= 1, "a segment starting on the stream's first frame"
    assert s.kept_whole >= 1 and s.trimmed >= 50, "auto-trim both keeping a segment whole and cutting it"
    assert s.blocks_with_two_segments >= 1, "one block ending two segments"
    assert s.trim_cases >= 30


@needs_gxx
@pytest.mark.parametrize("kind", ["plain", "san"])
def test_cpp_cuts_the_same_segments(binaries: dict[str, Path | str], vectors: tuple[list[Path], Summary],
                                    kind: str) -> None:
    paths, s = vectors
    result = subprocess.run([str(_exe(binaries, kind)), *map(str, paths)], capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = (f"OK: motion segmenter: {s.streams} streams, {s.frames} frames, {s.segments} segments, "
               f"{s.trim_cases} trim cases")
    assert summary in result.stdout, result.stdout[-2000:]


def _damaged(source: Path, target: Path, pattern: str, replace: str) -> Path:
    text = source.read_text()
    damaged, n = re.subn(pattern, replace, text, count=1, flags=re.MULTILINE)
    assert n == 1, f"{pattern!r} not in {source.name}"
    target.write_text(damaged)
    return target


@needs_gxx
def test_a_wrong_expectation_fails(binaries: dict[str, Path | str], vectors: tuple[list[Path], Summary],
                                   tmp_path: Path) -> None:
    """The C++ test notices one frame of trim, one level bit, one flag or one missing segment."""
    paths, _ = vectors
    stream = next(p for p in paths if p.name == "segmenter_gestures_100hz_6ax.txt")

    def bump_trim(m: re.Match[str]) -> str:
        return f"{m[1]}{int(m[2]) + 1} "

    damages = {
        "trim": (r"^(segment \d+ \d+ \d \d )(\d+) ", bump_trim),
        "level": (r"^(levels \S+ \S+ )(\S*?)(\w) ", lambda m: f"{m[1]}{m[2]}{'0' if m[3] != '0' else '1'} "),
        "settled": (r"^(segment \d+ \d+ \d )1 ", r"\g<1>0 "),
    }
    for name, (pattern, replace) in damages.items():
        bad = _damaged(stream, tmp_path / f"{name}.txt", pattern, replace)
        result = subprocess.run([str(_exe(binaries, "plain")), str(bad)], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "FAIL" in result.stdout, f"a damaged {name} went unnoticed"
    # A segment Python never cut: drop the last expected one.
    text = stream.read_text().splitlines()
    last = max(i for i, line in enumerate(text) if line.startswith("segment "))
    count = sum(line.startswith("segment ") for line in text)
    text = [f"segments {count - 1}" if line.startswith("segments ") else line for line in text]
    del text[last : last + 2]
    (tmp_path / "missing.txt").write_text("\n".join(text) + "\n")
    result = subprocess.run([str(_exe(binaries, "plain")), str(tmp_path / "missing.txt")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "segments, Python" in result.stdout


@pytest.mark.skipif(shutil.which("arm-none-eabi-g++") is None, reason="arm-none-eabi-g++ not installed")
def test_builds_for_cortex_m4f_and_refuses_fast_math(tmp_path: Path) -> None:
    result = subprocess.run(["arm-none-eabi-g++", *ARM, str(SOURCE), "-o", str(tmp_path / "m.o")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    fast = subprocess.run(["arm-none-eabi-g++", *ARM, "-Ofast", str(SOURCE), "-o", str(tmp_path / "f.o")],
                          capture_output=True, text=True, timeout=120)
    assert fast.returncode != 0 and "without -ffast-math" in fast.stderr
