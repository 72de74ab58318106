"""TFLM in the C++ core on the PC: the model runner and the board's image check against Python.

Builds firmware_sketches/tflm_host's libtflm.a from the vendored Arduino_TensorFlowLite (../shared/vendor;
incremental: minutes the first time, a second when nothing changed) and
firmware_sketches/wandlab_core/tests/test_model_runner.cpp against it, then:

- the runner's self-tests on every shipped model (load, arena sweep, damaged copies, buffers), plain and
  under ASan + UBSan;
- its resolver holds exactly budgets.FIRMWARE_OPS, and the shipped models use nothing else;
- for every shipped model, the same seeded random int8 inputs and the edge inputs (all -128, all 127,
  zeros) give identical int8 outputs from the C++ runner, LiteRT's reference kernels and TFLM-Python;
- it refuses a model with ops outside the resolver with image_check.py's sentence, and an arena too
  small saying how many bytes it had and at least needed;
- the C++ board image check and virtual/image_check.py agree on valid and refused images, word for word
  where both know the same details;
- a few hundred randomly damaged copies of each model under ASan + UBSan: refused or loaded cleanly,
  never a crash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from wandlab.onboard.budgets import FIRMWARE_OPS

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
TFLM_HOST = ROOT / "firmware_sketches" / "tflm_host"
VENDOR = Path(os.environ.get("WANDLAB_VENDOR", ROOT.parent / "shared" / "vendor"))
TFLM_LIBRARY = VENDOR / "libraries" / "Arduino_TensorFlowLite" / "src"
MODEL_NAMES = ("gesture_accel", "gesture_accel_gyro", "speech_embedding")
MODELS = {name: ROOT / "models" / name / "model.tflite" for name in MODEL_NAMES}
VALID_IMAGE = ROOT / "tests" / "vectors" / "board_image_valid.bin"
SOURCES = ["model_runner", "image_check", "board_image"]
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
ARENA = 256 * 1024  # the test program's arena: "fits" for every shipped model
RANDOM_INPUTS = 48  # per model, besides the three edge inputs
SAN_FLIPS = 300  # randomly damaged copies per model under the sanitizers

pytestmark = [
    # The first test's setup builds both libraries: minutes on a fresh checkout, past pyproject's 300 s.
    pytest.mark.timeout(1800),
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build TFLM or the core"),
    pytest.mark.skipif(shutil.which("make") is None, reason="make not installed: cannot build libtflm.a"),
    pytest.mark.skipif(
        not (TFLM_LIBRARY / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").exists(),
        reason=f"no vendored Arduino_TensorFlowLite at {TFLM_LIBRARY} (set WANDLAB_VENDOR)",
    ),
]


def _make(san: bool) -> subprocess.CompletedProcess[str]:
    cmd = ["make", "-C", str(TFLM_HOST), "-j2", f"VENDOR={VENDOR}"] + (["SAN=1"] if san else [])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800)


def _compile(exe: Path, flags: list[str], library: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        "g++", *WARNINGS, *flags, "-DARDUINO", "-DTF_LITE_USE_CTIME", "-isystem", str(TFLM_LIBRARY),
        f"-I{CORE / 'src'}", "-o", str(exe), str(CORE / "tests" / "test_model_runner.cpp"),
        *(str(CORE / "src" / f"{s}.cpp") for s in SOURCES), str(library),
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def _build(out: Path, san: bool) -> Path | str:
    """The test program, or (sanitizers only) why there is none."""
    made = _make(san)
    assert made.returncode == 0, f"libtflm.a build failed:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"
    library = TFLM_HOST / "build" / ("san/libtflm.a" if san else "libtflm.a")
    exe = out / ("test_model_runner_san" if san else "test_model_runner")
    built = _compile(exe, SANITIZE if san else ["-O2"], library)
    if built.returncode != 0 and san and re.search(r"asan|ubsan", built.stderr, re.I):
        return f"sanitizer runtime not available: {built.stderr.strip()[-200:]}"
    assert built.returncode == 0, f"g++ failed:\n{built.stderr}"
    return exe


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    out = tmp_path_factory.mktemp("tflm")
    plain = _build(out, san=False)  # first: both libraries at once would fight over the 2 cores
    return {"plain": plain, "san": _build(out, san=True)}


def _exe(programs: dict[str, Path | str], kind: str) -> Path:
    exe = programs[kind]
    if isinstance(exe, str):
        pytest.skip(exe)
    return exe


def _run(exe: Path, *args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout)


# -- the firmware style ------------------------------------------------------------------------------------


def test_sources_follow_the_firmware_style() -> None:
    """No heap, no globals, no Arduino.h; placement ::new into memory the caller gave is how TFLM's
    objects get built (TFLM does the same), and only model_runner.cpp includes TFLM headers."""
    for name in ("model_runner", "image_check"):
        for suffix in (".h", ".cpp"):
            code = re.sub(r"//.*", "", (CORE / "src" / f"{name}{suffix}").read_text())  # comments may say "new"
            includes = re.findall(r"#include\s*[<\"]([^>\"]+)", code)
            text = re.sub(r'"(\\.|[^"\\])*"', '""', re.sub(r"#include.*", "", code))  # and so may strings
            for banned in ("#define", "extern ", "malloc", "throw", "std::vector", "std::string", "std::function",
                           "Arduino.h", "operator new"):  # fmt: skip
                assert banned not in text, f"{name}{suffix}: {banned!r}"
            assert not re.search(r"(?<!::)\bnew\b", text), f"{name}{suffix}: new other than placement ::new"
            assert not re.search(r"::new\s*[^\s(]", text), f"{name}{suffix}: ::new without a place"
            assert not re.search(r"\bstatic\s+(?!constexpr\b)", text), f"{name}{suffix}: static state"
            includes_tflm = any(h.startswith(("tensorflow/", "third_party/")) for h in includes)
            assert includes_tflm == (f"{name}{suffix}" == "model_runner.cpp"), f"{name}{suffix}: TFLM headers"
            assert "Arduino.h" not in includes, f"{name}{suffix}"


# -- the C++ self-tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "san"])
def test_cpp_self_tests_pass(programs: dict[str, Path | str], kind: str) -> None:
    flips = 200 if kind == "plain" else 40  # the sanitizer build gets its own flips below
    result = _run(_exe(programs, kind), "selftest", *MODELS.values(), "--image", VALID_IMAGE, "--flips", flips)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert ", 0 failures" in result.stdout
    for name in MODEL_NAMES:  # every model went through every part
        assert re.search(rf"model {name} arena_used \d+", result.stdout)
        assert re.search(rf"model {name} damaged \d+ refused \d+", result.stdout)


def test_resolver_holds_exactly_the_firmware_ops(programs: dict[str, Path | str]) -> None:
    result = _run(_exe(programs, "plain"), "ops")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(FIRMWARE_OPS)
    header = (CORE / "src" / "model_runner.h").read_text()
    listed = re.search(r"kFirmwareOps\[\] = \{(.*?)\};", header, re.S)
    assert listed and re.findall(r'"(\w+)"', listed.group(1)) == list(FIRMWARE_OPS)


def _model_ops(tflite: bytes) -> set[str]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    lite = Interpreter(model_content=tflite, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    lite.allocate_tensors()
    return {str(d["op_name"]) for d in lite._get_ops_details()}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_models_need_only_firmware_ops(name: str) -> None:
    assert _model_ops(MODELS[name].read_bytes()) <= set(FIRMWARE_OPS)


# -- int8 outputs: C++ runner == LiteRT reference kernels == TFLM-Python -------------------------------------


def _inputs(tflite: bytes, seed: int) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    shape = tuple(int(v) for v in Interpreter(model_content=tflite).get_input_details()[0]["shape"])
    rng = np.random.default_rng(seed)
    edges = [np.full(shape, -128, np.int8), np.full(shape, 127, np.int8), np.zeros(shape, np.int8)]
    random = rng.integers(-128, 128, size=(RANDOM_INPUTS, *shape), dtype=np.int64).astype(np.int8)
    return np.concatenate([np.stack(edges), random])


def _litert_reference(tflite: bytes, inputs: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    lite = Interpreter(model_content=tflite, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    lite.allocate_tensors()
    inp, out = lite.get_input_details()[0]["index"], lite.get_output_details()[0]["index"]
    outputs = []
    for x in inputs:
        lite.set_tensor(inp, x)
        lite.invoke()
        outputs.append(lite.get_tensor(out).copy())
    return np.stack(outputs)


def _tflm_python(tflite: bytes, inputs: np.ndarray) -> np.ndarray:
    from tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(tflite, arena_size=ARENA)
    outputs = []
    for x in inputs:
        interp.set_input(x, 0)
        interp.invoke()
        outputs.append(np.array(interp.get_output(0), copy=True))
    return np.stack(outputs)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_outputs_identical_to_litert_and_tflm_python(
    programs: dict[str, Path | str], tmp_path: Path, name: str
) -> None:
    tflite = MODELS[name].read_bytes()
    inputs = _inputs(tflite, seed=MODEL_NAMES.index(name) + 1)
    (tmp_path / "in.bin").write_bytes(inputs.tobytes())
    result = _run(_exe(programs, "plain"), "run", MODELS[name], tmp_path / "in.bin", tmp_path / "out.bin", 200)
    assert result.returncode == 0, result.stdout + result.stderr
    ours = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.int8)
    reference = _litert_reference(tflite, inputs)
    micro = _tflm_python(tflite, inputs)
    ours = ours.reshape(reference.shape)
    figures = dict(line.split() for line in result.stdout.splitlines())  # arena_used, arena_min, us_per_invoke
    print(
        f"{name}: {len(inputs)} inputs; arena used {figures['arena_used']} B, smallest that loads "
        f"{figures['arena_min']} B; {figures['us_per_invoke']} us/invoke"
    )
    assert np.array_equal(ours, reference), f"max |diff| vs LiteRT: {np.abs(ours.astype(int) - reference).max()}"
    assert np.array_equal(ours, micro), f"max |diff| vs TFLM-Python: {np.abs(ours.astype(int) - micro).max()}"
    assert len(np.unique(ours.reshape(len(inputs), -1), axis=0)) > len(inputs) // 2  # not a constant output


# -- refusals -------------------------------------------------------------------------------------------


def _with_ops(replacements: dict[str, str]) -> bytes:
    """The accel gesture model with ops swapped (e.g. L2_NORMALIZATION -> TANH): LiteRT and TFLM load
    it, so only a check against the firmware's resolver refuses it. (tests/virtual/gesture_models.py's
    image_with_op, for more than one op.)"""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(MODELS["gesture_accel"].read_bytes()), 0)
    for old_name, new_name in replacements.items():
        old, new = getattr(schema.BuiltinOperator, old_name), getattr(schema.BuiltinOperator, new_name)
        codes = [c for c in model.operatorCodes if c.builtinCode == old]
        assert codes, f"the gesture model has no {old_name}"
        for code in codes:
            code.builtinCode, code.deprecatedBuiltinCode = new, min(new, 127)
    builder = flatbuffers.Builder(1 << 16)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _load_verdict(exe: Path, tflite: bytes, path: Path, arena: int = ARENA) -> tuple[str, int]:
    path.write_bytes(tflite)
    result = _run(exe, "load", path, arena)
    assert result.returncode == 0, result.stdout + result.stderr
    verdict, needed = result.stdout.splitlines()
    return verdict, int(needed.split()[1])


def test_refuses_ops_outside_the_resolver(programs: dict[str, Path | str], tmp_path: Path) -> None:
    exe = _exe(programs, "plain")
    one = _with_ops({"L2_NORMALIZATION": "TANH"})
    assert "TANH" in _model_ops(one)  # LiteRT runs it: only the firmware's resolver objects
    # (LiteRT refuses this one - SOFTMAX takes one input, RESHAPE had two - but the resolver check
    # comes before any kernel sees it, and names both, sorted.)
    two = _with_ops({"L2_NORMALIZATION": "TANH", "RESHAPE": "SOFTMAX"})
    assert _load_verdict(exe, one, tmp_path / "one.tflite")[0] == (
        "the model uses op(s) the firmware does not have: TANH"
    )
    assert _load_verdict(exe, two, tmp_path / "two.tflite")[0] == (
        "the model uses op(s) the firmware does not have: SOFTMAX, TANH"
    )


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_arena_too_small_says_how_many_bytes(programs: dict[str, Path | str], tmp_path: Path, name: str) -> None:
    """Below the smallest arena that loads, a sentence with the arena and a lower bound of the need; at it,
    a load. (TFLM's arena_used_bytes() is not that bound: the gesture models use 4,272 bytes once loaded,
    but their memory planner needs 4,760 while it plans.)"""
    exe = _exe(programs, "plain")
    (tmp_path / "none.bin").write_bytes(b"")  # no inputs: only the load and its arena figures
    result = _run(exe, "run", MODELS[name], tmp_path / "none.bin", tmp_path / "out.bin")
    assert result.returncode == 0, result.stdout + result.stderr
    least = int(re.search(r"arena_min (\d+)", result.stdout).group(1))  # type: ignore[union-attr]
    tflite = MODELS[name].read_bytes()
    for arena in (512, 1024, least // 2, least - 16, least - 1):
        verdict, needed = _load_verdict(exe, tflite, tmp_path / "m.tflite", arena)
        assert verdict == (
            f"the model's tensors do not fit this board's {arena} byte tensor arena (TFLM needs at least "
            f"{needed}); train a smaller model"
        )
        assert arena < needed <= least
    assert _load_verdict(exe, tflite, tmp_path / "m.tflite", least)[0] == "ok"


# -- the board image check, C++ vs virtual/image_check.py -----------------------------------------------------


def _image_cases() -> dict[str, tuple[bytes, bool]]:
    """name -> (image, whether both sides must give the same sentence word for word)."""
    from wandlab.onboard.board_image import pack_parts, unpack
    from wandlab.onboard.imu_features import FeatureConfig
    from wandlab.onboard.knn import KnnRecognizer

    valid = VALID_IMAGE.read_bytes()
    image = unpack(valid)
    six = FeatureConfig(**{**image.features.to_dict(), "channels": 6})
    refs = json.loads(image.recognizer.to_json())
    refs.pop("open_set", None)
    refs["references"] = [row[:16] for row in refs["references"]]
    refs["dim"] = 16
    narrow = KnnRecognizer.from_dict(refs)
    tanh = _with_ops({"L2_NORMALIZATION": "TANH"})
    bad_version = bytearray(valid)
    bad_version[4:6] = struct.pack("<H", 7)
    flipped = bytearray(valid)
    flipped[40] ^= 0x5A  # inside the TFLM flatbuffer
    return {
        "valid": (valid, True),
        "accel model, accel+gyro features": (pack_parts(image.model_tflite, six, image.labels, image.recognizer), True),
        "32-D model, 16-D references": (pack_parts(image.model_tflite, image.features, image.labels, narrow), True),
        "op outside the resolver": (pack_parts(tanh, image.features, image.labels, image.recognizer), True),
        "version 7": (bytes(bad_version), True),
        "truncated": (valid[: len(valid) // 2], False),
        "bad magic": (b"XLBI" + valid[4:], False),
        "flipped flatbuffer byte": (bytes(flipped), False),
    }


def test_image_check_agrees_with_python(programs: dict[str, Path | str], tmp_path: Path) -> None:
    from wandlab.virtual.image_check import check_image

    exe = _exe(programs, "plain")
    for name, (blob, same_words) in _image_cases().items():
        (tmp_path / "image.bin").write_bytes(blob)
        result = _run(exe, "check-image", tmp_path / "image.bin", ARENA)
        assert result.returncode == 0, result.stdout + result.stderr
        ours = result.stdout.strip()
        python = check_image(blob, ARENA) or "ok"
        assert (ours == "ok") == (python == "ok"), f"{name}: C++ {ours!r}, Python {python!r}"
        if same_words:
            assert ours == python, name


# -- damaged models under the sanitizers ---------------------------------------------------------------------


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_damaged_models_never_crash_under_sanitizers(programs: dict[str, Path | str], name: str) -> None:
    result = _run(_exe(programs, "san"), "fuzz", MODELS[name], 2026, SAN_FLIPS, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    tally = re.search(r"damaged (\d+) refused (\d+) loaded (\d+) broken 0", result.stdout)
    assert tally and int(tally.group(1)) == SAN_FLIPS, result.stdout
    print(f"{name}: {result.stdout.strip()}")
