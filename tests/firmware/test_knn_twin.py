"""The C++ k-NN, open-set thresholds, JSON sections, class table and HID map answer like Python.

Python writes golden files with the app's own code (tests/firmware/knn_vectors.py) into a temporary
folder; firmware_sketches/wandlab_core/tests/test_knn.cpp, test_json_reader.cpp and test_ref_store.cpp,
built warning-free (-Werror) and once more under AddressSanitizer + UndefinedBehaviorSanitizer, read them
and require:

- k-NN: for every query of 10 random recognisers and the two shipped ones, the same class distances,
  nearest class, verdict, and distance and margin as float32 bits;
- thresholds: every enrolled threshold (value, limiting bound, each bound, bank entries accepted,
  warning) for random shot sets against the shipped negatives banks at margins 0, 0.25, 0.5, 1 and one
  random margin;
- JSON: each of ~2200 damaged texts accepted exactly when Python's json.loads accepts it (less the
  differences json_reader.h documents); the sections of five board images read as Python reads them;
  damaged FEAT/LABL/REFS sections refused exactly when Python refuses them;
- the class table and HID map: a recorded Python board session (model changes and their notes, every
  Ref*/Hid* request, enrollment checks and stored enrollments, decisions, power cycles reloading the
  persisted records) replayed with identical encoded replies.
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.firmware import knn_vectors

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
FLAVOURS = {
    "plain": ["-O2"],
    "san": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"],
}
JSON_SOURCES = ["json_reader", "image_sections", "knn", "board_image"]
KNN_SOURCES = [*JSON_SOURCES, "open_set", "message_text", "wire"]
TESTS = {
    "test_json_reader": JSON_SOURCES,
    "test_knn": KNN_SOURCES,
    "test_ref_store": [*KNN_SOURCES, "ref_store", "shape_dtw", "hid_settings", "crc32", "messages", "packet", "cobs"],
}

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


def _compile(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["g++", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("knn_vectors")
    return folder, knn_vectors.write_all(folder, tmp_path_factory.mktemp("board_state"))


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """Every source compiled once per flavour (2 jobs at a time), then the three tests linked. A value is
    the executable, or why there is none (only a missing sanitizer runtime is a reason to skip)."""
    out = tmp_path_factory.mktemp("knn_build")
    sources = sorted({s for deps in TESTS.values() for s in deps})
    jobs: dict[tuple[str, str], list[str]] = {}
    for flavour, flags in FLAVOURS.items():
        for name in sources:
            jobs[(flavour, name)] = [*WARNINGS, *flags, f"-I{CORE / 'src'}", "-c", str(CORE / "src" / f"{name}.cpp"),
                                     "-o", str(out / f"{flavour}_{name}.o")]
        for test in TESTS:
            jobs[(flavour, test)] = [*WARNINGS, *flags, f"-I{CORE / 'src'}", f"-I{CORE / 'tests'}", "-c",
                                     str(CORE / "tests" / f"{test}.cpp"), "-o", str(out / f"{flavour}_{test}.o")]
    with ThreadPoolExecutor(2) as pool:
        results = dict(zip(jobs, pool.map(_compile, jobs.values()), strict=True))
    built: dict[str, Path | str] = {}
    for flavour, flags in FLAVOURS.items():
        failed = [r.stderr for (f, _), r in results.items() if f == flavour and r.returncode != 0]
        if flavour == "san" and failed:
            missing = all("asan" in e.lower() or "ubsan" in e.lower() for e in failed)
            assert missing, f"g++ with sanitizers failed:\n{failed[0]}"
            for test in TESTS:
                built[f"{flavour}_{test}"] = f"sanitizer runtime not available: {failed[0].strip()[-200:]}"
            continue
        assert not failed, f"g++ failed:\n{failed[0]}"
        for test, deps in TESTS.items():
            exe = out / f"{flavour}_{test}"
            linked = _compile([*flags, "-o", str(exe), str(out / f"{flavour}_{test}.o"),
                               *(str(out / f"{flavour}_{d}.o") for d in deps)])
            assert linked.returncode == 0, f"linking {test} failed:\n{linked.stderr}"
            built[f"{flavour}_{test}"] = exe
    return built


def _run(binaries: dict[str, Path | str], name: str, folder: Path) -> str:
    exe = binaries[name]
    if isinstance(exe, str):
        pytest.skip(exe)
    result = subprocess.run([str(exe), str(folder)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_knn_decisions_and_enrolled_thresholds_equal_pythons(binaries, vectors, flavour: str) -> None:
    folder, stats = vectors
    out = _run(binaries, f"{flavour}_test_knn", folder)
    assert f"k-NN: {stats['queries']} queries" in out and f"thresholds: {stats['thresholds']} cases" in out


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_json_and_board_image_sections_read_and_refuse_as_python(binaries, vectors, flavour: str) -> None:
    folder, stats = vectors
    out = _run(binaries, f"{flavour}_test_json_reader", folder)
    assert f"JSON texts: {stats['json_cases']}, {stats['json_accepted']} accepted" in out
    assert f"{stats['sections']} damaged sections" in out and "7 images read" in out


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_class_table_and_hid_map_reply_as_the_python_board(binaries, vectors, flavour: str) -> None:
    folder, stats = vectors
    out = _run(binaries, f"{flavour}_test_ref_store", folder)
    assert f"store session: {stats['store_steps']} requests" in out


def test_the_golden_session_covers_every_kind_of_note_and_refusal(vectors) -> None:
    """The script is only as good as what it makes the board do: each model-change note, each refusal
    of an upload, HID map and enrollment, and stored enrollments, appear at least once."""
    folder, stats = vectors
    texts, notes = [], []
    for line in (folder / "ref_store_script.txt").read_text().splitlines():
        kind, *rest = line.split(" ")
        if kind == "log":
            notes.append(bytes.fromhex(rest[0])[2:].decode())
        elif kind == "reply" and rest[0] in ("0e", "31"):  # Error, EnrollProgress
            texts.append(bytes.fromhex(rest[1])[5:].decode())
    for fragment in ["dimensions, the board's own classes in", "is a different network: dropped",
                     "yours) now replaces", "moved to id 5: the new model uses 0 for 'w'",
                     "threshold nan is not a positive distance",
                     "got dim 16", "already belongs to class", "holds at most 32 classes", "a class holds 1-16",
                     "no class 200 on the board", "has two actions", "not a consumer usage", "at most 32 actions",
                     "enroll 1-10 takes", "clear it first or enroll under another id", "is already class",
                     "the model needs 6 IMU axes", "references, threshold", "is closer to", "lies close to another",
                     "could not store", "no model is active"]:
        assert any(fragment in t for t in texts + notes), f"no reply in the golden session says {fragment!r}"
    assert any(n.endswith("...") and len(n.encode()) == 255 for n in notes), "no note long enough to be cut"
    # The float steps of the threshold rule never came near a rounding boundary (open_set.h: a board's
    # libm may differ from glibc in the last bit, which could move such a case by one).
    assert stats["nearest_to_rounding"] > 1e-6
