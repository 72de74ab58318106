"""The C++ wake-word detector (wandlab_core/src/wake_detector.{h,cpp}, audio_stream.{h,cpp}) decides as Python's.

Python (``tests/firmware/wake_vectors.py``) writes 12.7 s of a virtual room in which two enrolled words
("lumos", "nox": three takes each, enrolled as the app enrols them) and others are said, with a loud
noise burst, digital silence and "lumos" in another voice, and logs what ``onboard.wake_detector.
WakeDetector`` did at every hop. ``tests/test_wake_detector.cpp``, built against TFLM, then

- ``selftest``: the rules on a stand-in model (gate, strict and 2-of-3, refractory, best word,
  renumbering, a failing model, set_words' refusals), the front end, the TFLM adapter on the speech model;
- ``twin`` (both also under ASan + UBSan): the incremental front end equals the batch one bit for bit
  for 30 chunk sizes from 1 to 1000 and 500 random ones; fed Python's raw model outputs, the detector
  makes the same hops (deaf, gated, embedded, at the same sample), distances within 1e-5 (measured:
  1.4e-7) and the same wakes (word, sample index, distance) for chunks of 1 to the whole stream and a
  stream numbered from 5e9; its model inputs equal Python's bit for bit; the C++ TFLM runner gives
  Python's raw outputs on every window; and the whole C++ pipeline (front end + TFLM) gives Python's
  hops and wakes.

Python's distances are float32 cosines of unit vectors, C++'s integer dot products and one double
division: they agree to float rounding, so the golden stream is checked to hold no distance within 1e-5 of
a threshold or of 0.6 x one, where that rounding could flip a decision.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.firmware import wake_vectors

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
TFLM_HOST = ROOT / "firmware_sketches" / "tflm_host"
VENDOR = Path(os.environ.get("WANDLAB_VENDOR", ROOT.parent / "shared" / "vendor"))
TFLM_LIBRARY = VENDOR / "libraries" / "Arduino_TensorFlowLite" / "src"
MODEL = ROOT / "models" / "speech_embedding" / "model.tflite"
# The Makefile's TEST_SOURCES_test_wake_detector.
SOURCES = ["wake_detector", "audio_stream", "audio_features", "model_runner"]
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
ARM = ["-std=c++17", "-Os", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
       "-fno-exceptions", "-fno-rtti", "-ffunction-sections", "-fdata-sections", *WARNINGS[1:]]  # fmt: skip

pytestmark = [
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core"),
    pytest.mark.skipif(shutil.which("make") is None, reason="make not installed: cannot build libtflm.a"),
    pytest.mark.skipif(
        not (TFLM_LIBRARY / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").exists(),
        reason=f"no vendored Arduino_TensorFlowLite at {TFLM_LIBRARY} (set WANDLAB_VENDOR)",
    ),
]


def _run(cmd: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]


def _build(out: Path, san: bool) -> Path | str:
    """The test program, or (sanitizers only) why there is none. Two sources compiled at a time."""
    made = _run(["make", "-C", str(TFLM_HOST), "-j2", f"VENDOR={VENDOR}"] + (["SAN=1"] if san else []), timeout=1800)
    assert made.returncode == 0, f"libtflm.a build failed:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"
    library = TFLM_HOST / "build" / ("san/libtflm.a" if san else "libtflm.a")
    flags = [*WARNINGS, *(SANITIZE if san else ["-O2"]), "-DARDUINO", "-DTF_LITE_USE_CTIME", "-isystem",
             str(TFLM_LIBRARY), f"-I{CORE / 'src'}"]  # fmt: skip
    jobs = [CORE / "tests" / "test_wake_detector.cpp", *(CORE / "src" / f"{s}.cpp" for s in SOURCES)]
    objects = [out / f"{p.stem}.o" for p in jobs]
    with ThreadPoolExecutor(2) as pool:
        pairs = zip(jobs, objects, strict=True)
        results = list(pool.map(lambda j: _run(["g++", *flags, "-c", str(j[0]), "-o", str(j[1])]), pairs))
    for job, result in zip(jobs, results, strict=True):
        if result.returncode != 0 and san and re.search(r"asan|ubsan", result.stderr, re.I):
            return f"sanitizer runtime not available: {result.stderr.strip()[-200:]}"
        assert result.returncode == 0, f"g++ failed on {job.name}:\n{result.stderr}"
    exe = out / ("test_wake_detector_san" if san else "test_wake_detector")
    linked = _run(["g++", *(SANITIZE if san else []), "-o", str(exe), *map(str, objects), str(library)])
    if linked.returncode != 0 and san and re.search(r"asan|ubsan", linked.stderr, re.I):
        return f"sanitizer runtime not available: {linked.stderr.strip()[-200:]}"
    assert linked.returncode == 0, f"linking failed:\n{linked.stderr}"
    return exe


@pytest.fixture(scope="module", params=["plain", "san"])
def program(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test program, plain and under ASan + UBSan."""
    exe = _build(tmp_path_factory.mktemp(f"wake_{request.param}"), san=request.param == "san")
    if isinstance(exe, str):
        pytest.skip(exe)
    return exe


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("wake_golden")
    stream, words, logs, wakes, _zero, _dim = wake_vectors.write(out)
    return out, words, logs, wakes


def _measures(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^measure (\S+) (.*)$", stdout, re.M))


def test_golden_stream_exercises_every_path_and_has_no_near_ties(golden) -> None:  # type: ignore[no-untyped-def]
    _out, words, logs, wakes = golden
    kinds = [h.kind for h in logs]
    assert kinds.count("E") >= 20 and kinds.count("G") >= 3 and kinds.count("D") >= 10
    assert {w.label for w in wakes} == {"lumos", "nox"}, wakes
    thresholds = [thr for _i, _label, thr, _codes in words]
    for h in logs:
        for d, thr in zip(h.distances, thresholds, strict=h.kind == "E"):
            assert min(abs(d - thr), abs(d - 0.6 * thr)) > 1e-5, f"hop {h.index}: distance {d} on a threshold edge"


def test_cpp_self_test_passes(program: Path) -> None:
    result = _run([str(program), "selftest", str(MODEL)], timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    measures = _measures(result.stdout)
    # Python gives the speech model a 32 KB arena (virtual/word_model.py); it needs about half.
    assert int(measures["arena_min_to_load"]) <= 16 * 1024


def test_cpp_twin_decides_as_python(program: Path, golden) -> None:  # type: ignore[no-untyped-def]
    out, _words, logs, wakes = golden
    result = _run([str(program), "twin", str(out / "wake_golden.txt"), str(out / "wake_stream.i16"), str(MODEL)])
    assert result.returncode == 0, result.stdout[-3000:]
    measures = _measures(result.stdout)
    assert measures["window_codes_differing_from_python"] == "0 max 0"
    assert measures["end_to_end_wakes"] == f"{len(wakes)} python {len(wakes)}"
    assert float(measures["replay_max_distance_diff"]) <= 1e-5
    assert int(measures["front_end_frames_compared"]) > 10_000


def test_sources_compile_for_cortex_m4f(tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-g++") is None:
        pytest.skip("arm-none-eabi-g++ not installed (Debian: gcc-arm-none-eabi)")
    for name in ("audio_stream", "wake_detector"):
        result = _run(["arm-none-eabi-g++", *ARM, f"-I{CORE / 'src'}", "-c", str(CORE / "src" / f"{name}.cpp"),
                       "-o", str(tmp_path / f"{name}.o")])  # fmt: skip
        assert result.returncode == 0, result.stderr


def test_sources_follow_the_firmware_style() -> None:
    for name in ("audio_stream.h", "audio_stream.cpp", "wake_detector.h", "wake_detector.cpp"):
        text = re.sub(r"//.*", "", (CORE / "src" / name).read_text())
        for banned in ("new ", "malloc", "std::vector", "std::string", "std::function", "Arduino.h", "#define",
                       "throw"):  # fmt: skip
            assert banned not in text, f"{name} uses {banned!r}"
        # No mutable state at namespace scope (the sources do not indent inside namespaces).
        mutable = re.findall(
            r"^(?:static )?(?!constexpr|const |class|struct|enum|namespace|return|using)"
            r"[\w:<>]+ \w+(?:\[[^]]*\])?(?: = [^;(]*)?;",
            text,
            re.M,
        )
        assert not mutable, f"{name}: {mutable}"
