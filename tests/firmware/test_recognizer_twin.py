"""The C++ recogniser (wandlab_core/src/recognizer.{h,cpp}) answers like the virtual wand's BoardRecognizer.

Builds firmware_sketches/wandlab_core/tests/test_recognizer.cpp warning-free against TFLM
(firmware_sketches/tflm_host's libtflm.a, built here if missing: minutes the first time) with the XIAO's
sizes (16 KB model buffer, 8 KB tensor arena, 100 Hz, 6 axes), then:

- runs its self-test on tests/vectors/board_image_valid.bin (no model, upload, a synthetic motion
  recognised, enrollment with a clipped take, a timeout and a cancel, HID presses, a refused upload that
  leaves the active model running, a restart, the Python number formats, RAM), plain and under
  ASan + UBSan;
- the golden conversation: Python's VirtualBoard (handle() for the requests, its BoardRecognizer fed
  the IMU as board.py feeds it, tick() as its poll) and the C++ Board + Recognizer get the same requests
  and the same IMU frames (a simulated person performing gestures) at the same board times, and must
  send the same messages in the same order: replies and their texts, Log notes, InferenceEvents (class,
  label, distance, margin; latency differs and is ignored), HidReports, EnrollProgress, the enrolled
  references and thresholds (RefList, RefData), Info's model fields - across an upload, enrollment,
  HID, a new host session, a power cycle, a model of another network and a rollback;
- the enrollment texts' number formats against Python's f-strings on random values.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest

from tests.virtual.gesture_models import gesture_bundle, image
from wandlab.protocol import Hello, Info, Message
from wandlab.protocol.controller import (
    NO_CLASS,
    ActionKind,
    HidAction,
    HidEnable,
    HidMapGet,
    HidMapSet,
    HidReport,
    InferenceEvent,
    RecognizeStart,
    RecognizeStop,
)
from wandlab.protocol.enroll import (
    ALL_CLASSES,
    EnrollCancel,
    EnrollProgress,
    EnrollStart,
    EnrollState,
    RefClear,
    RefData,
    RefDownload,
    RefList,
    RefListReply,
    RefUpload,
)
from wandlab.protocol.framing import pack_packet
from wandlab.protocol.model import ModelActivate, ModelBegin, ModelChunk, ModelFinish
from wandlab.protocol.registry import MESSAGES, to_packet
from wandlab.protocol.session import Log

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
TFLM_HOST = ROOT / "firmware_sketches" / "tflm_host"
VENDOR = Path(os.environ.get("WANDLAB_VENDOR", ROOT.parent / "shared" / "vendor"))
TFLM_LIBRARY = VENDOR / "libraries" / "Arduino_TensorFlowLite" / "src"
VALID_IMAGE = ROOT / "tests" / "vectors" / "board_image_valid.bin"
# The core sources the recogniser links (the Makefile's TEST_SOURCES_test_recognizer).
SOURCES = [
    "recognizer", "enroll_session", "model_runner", "image_check", "board_image", "image_sections", "json_reader",
    "knn", "open_set", "ref_store", "shape_dtw", "hid_settings", "message_text", "model_slots", "slot_record", "sha256",
    "motion_segmenter", "imu_window", "board", "crc32", "cobs", "packet", "frame_decoder", "wire", "messages",
]  # fmt: skip
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
# The test program's board (test_recognizer.cpp): a XIAO's buffers, 64 KB slots.
SLOT_BYTES, ARENA_BYTES, RATE_HZ, AXES = 64 * 1024, 8 * 1024, 100, 6
BLOCK = RATE_HZ // 25  # frames per IMU block, as board.py streams them
BLOCK_US = BLOCK * 1_000_000 // RATE_HZ

pytestmark = [
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core"),
    pytest.mark.skipif(shutil.which("make") is None, reason="make not installed: cannot build libtflm.a"),
    pytest.mark.skipif(
        not (TFLM_LIBRARY / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").exists(),
        reason=f"no vendored Arduino_TensorFlowLite at {TFLM_LIBRARY} (set WANDLAB_VENDOR)",
    ),
]


def _run(cmd: list[str], timeout: float = 600, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload]


def _build(out: Path, san: bool) -> Path | str:
    """The test program, or (sanitizers only) why there is none. Each source compiled on its own, two at a time."""
    made = _run(["make", "-C", str(TFLM_HOST), "-j2", f"VENDOR={VENDOR}"] + (["SAN=1"] if san else []), timeout=1800)
    assert made.returncode == 0, f"libtflm.a build failed:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"
    library = TFLM_HOST / "build" / ("san/libtflm.a" if san else "libtflm.a")
    flags = [*WARNINGS, *(SANITIZE if san else ["-O2"]), "-DARDUINO", "-DTF_LITE_USE_CTIME", "-isystem",
             str(TFLM_LIBRARY), f"-I{CORE / 'src'}", f"-I{CORE / 'tests'}"]  # fmt: skip
    jobs = [CORE / "tests" / "test_recognizer.cpp", *(CORE / "src" / f"{s}.cpp" for s in SOURCES)]
    objects = [out / f"{p.stem}.o" for p in jobs]
    with ThreadPoolExecutor(2) as pool:
        pairs = zip(jobs, objects, strict=True)
        results = list(pool.map(lambda j: _run(["g++", *flags, "-c", str(j[0]), "-o", str(j[1])]), pairs))
    for job, result in zip(jobs, results, strict=True):
        if result.returncode != 0 and san and re.search(r"asan|ubsan", result.stderr, re.I):
            return f"sanitizer runtime not available: {result.stderr.strip()[-200:]}"
        assert result.returncode == 0, f"g++ failed on {job.name}:\n{result.stderr}"
    exe = out / ("test_recognizer_san" if san else "test_recognizer")
    linked = _run(["g++", *(SANITIZE if san else []), "-o", str(exe), *map(str, objects), str(library)])
    if linked.returncode != 0 and san and re.search(r"asan|ubsan", linked.stderr, re.I):
        return f"sanitizer runtime not available: {linked.stderr.strip()[-200:]}"
    assert linked.returncode == 0, f"linking failed:\n{linked.stderr}"
    return exe


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    plain = _build(tmp_path_factory.mktemp("recognizer"), san=False)  # first: both at once would fight over 2 cores
    return {"plain": plain, "san": _build(tmp_path_factory.mktemp("recognizer_san"), san=True)}


@pytest.fixture(scope="module")
def program(programs: dict[str, Path | str]) -> Path:
    exe = programs["plain"]
    assert isinstance(exe, Path)
    return exe


def _exe(programs: dict[str, Path | str], kind: str) -> Path:
    exe = programs[kind]
    if isinstance(exe, str):
        pytest.skip(exe)
    return exe


# -- the C++ self-test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "san"])
def test_cpp_self_test_passes(programs: dict[str, Path | str], kind: str) -> None:
    result = _run([str(_exe(programs, kind)), "selftest", str(VALID_IMAGE)], timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert re.search(r"\d+ checks, 0 failures", result.stdout), result.stdout
    print("\n" + "\n".join(result.stdout.strip().splitlines()[-3:-1]))  # RAM and the cost of a decision


def test_recognizer_compiles_for_cortex_m4f(tmp_path: Path) -> None:
    """recognizer.cpp and enroll_session.cpp build for the XIAO's Cortex-M4F (no TFLM header needed)."""
    if shutil.which("arm-none-eabi-g++") is None:
        pytest.skip("arm-none-eabi-g++ not installed (Debian: gcc-arm-none-eabi)")
    arm = [
        "-std=c++17",
        "-Os",
        "-mcpu=cortex-m4",
        "-mthumb",
        "-mfloat-abi=hard",
        "-mfpu=fpv4-sp-d16",
        "-fno-exceptions",
        "-fno-rtti",
        "-ffunction-sections",
        "-fdata-sections",
        *WARNINGS[1:],
        f"-I{CORE / 'src'}",
    ]
    sizes = []
    for name in ("recognizer", "enroll_session", "board"):
        obj = tmp_path / f"{name}.o"
        built = _run(["arm-none-eabi-g++", *arm, "-c", str(CORE / "src" / f"{name}.cpp"), "-o", str(obj)])
        assert built.returncode == 0, built.stderr
        size = _run(["arm-none-eabi-size", str(obj)]) if shutil.which("arm-none-eabi-size") else None
        if size is not None and size.returncode == 0:
            sizes.append(f"{name}.o text {size.stdout.splitlines()[1].split()[0]} B")
    print("\n" + ", ".join(sizes))
    # The RAM the header states is what the Cortex-M4 build needs.
    probe = tmp_path / "ram.cpp"
    probe.write_text(
        '#include "recognizer.h"\n'
        "namespace wr = wandlab::recognizer;\n"
        "using Memory = wr::RecognizerMemory<8 * 1024, 100, 6>;\n"
        "constexpr size_t kRam = sizeof(wr::Recognizer) + sizeof(Memory);\n"
        'static_assert(kRam <= wr::kCortexM4RamBytes, "kCortexM4RamBytes is too small");\n'
        'static_assert(kRam > wr::kCortexM4RamBytes - 1024, "kCortexM4RamBytes is stale");\n'
    )
    built = _run(["arm-none-eabi-g++", *arm, "-fsyntax-only", str(probe)])
    assert built.returncode == 0, built.stderr


def test_sources_follow_the_firmware_style() -> None:
    for name in ("recognizer", "enroll_session"):
        for suffix in (".h", ".cpp"):
            code = re.sub(r"//.*", "", (CORE / "src" / f"{name}{suffix}").read_text())  # comments may say "new"
            text = re.sub(r'"(\\.|[^"\\])*"', '""', code)  # and so may strings
            for banned in ("#define", "extern ", "new ", "malloc", "throw", "std::vector", "std::string",
                           "std::function", "Arduino.h"):  # fmt: skip
                assert banned not in text, f"{name}{suffix}: {banned!r}"
            # No file-static or function-static mutable state (static constexpr constants are fine).
            assert not re.search(r"\bstatic\s+(?!constexpr\b)", text), f"{name}{suffix}: static state"


# -- the twin: one conversation, both boards ---------------------------------------------------------------


@dataclass
class Step:
    what: str  # for the failure message
    expected: object  # list of messages, or the text / flag a query prints


@dataclass
class Twin:
    """Builds the script for the C++ board while the Python board answers each line."""

    state_dir: Path
    lines: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    now_us: int = 0
    seq: int = 0
    index: int = 0  # the IMU stream index of the next frame

    def __post_init__(self) -> None:
        from wandlab.virtual.sim_sensors import SimSensors

        self.sensors = SimSensors(RATE_HZ, AXES, person=4, seed=4)
        self.boot()

    @property
    def now(self) -> float:
        return self.now_us / 1e6

    def boot(self) -> None:
        from wandlab.virtual.board import VirtualBoard, VirtualWandConfig

        config = VirtualWandConfig(axes=AXES, state_dir=str(self.state_dir), max_model_bytes=SLOT_BYTES,
                                   arena_bytes=ARENA_BYTES)  # fmt: skip
        self.board = VirtualBoard(config)
        out, self.board.brain.outbox = self.board.brain.outbox, []  # what the board says at boot
        self.lines.append("boot")
        self.steps.append(Step("boot", out))

    def send(self, message: Message) -> list[Message]:
        self.seq += 1
        self.lines += [f"time {self.now_us}", "req " + pack_packet(to_packet(message, self.seq)).hex()]
        out = self.board.handle(self.seq, message, self.now)
        self.steps.append(Step(f"{type(message).__name__} at {self.now:.2f} s", out))
        return list(out)

    def wants(self) -> None:
        self.lines.append("wants")
        self.steps.append(Step(f"wants_imu at {self.now:.2f} s", int(self.board.brain.wants_imu)))

    def run(self, seconds: float, perform: tuple[str, ...] = ()) -> list[Message]:
        """``seconds`` of the IMU, a block every 40 ms, each fed to the recogniser as board.py feeds it and
        followed by a poll; ``perform`` queued first."""
        for gesture in perform:
            self.sensors.motion.perform(gesture)
        out: list[Message] = []
        for _ in range(round(seconds * RATE_HZ / BLOCK)):
            self.now_us += BLOCK_US
            counts = self.sensors.read_imu(BLOCK)
            self.lines += [
                f"time {self.now_us}",
                f"imu {self.index} {RATE_HZ} {BLOCK} {counts.astype('<i2').tobytes().hex()}",
            ]
            fed = self.board.brain.feed(counts * self.board._scale(), RATE_HZ, self.index, self.now)
            self.steps.append(Step(f"IMU block {self.index} at {self.now:.2f} s", fed))
            self.index += BLOCK
            self.lines.append("poll")
            ticked = self.board.brain.tick(self.now)
            self.steps.append(Step(f"poll at {self.now:.2f} s", ticked))
            out += fed + ticked
        return out

    def flash(self, blob: bytes, transfer_id: int) -> list[Message]:
        import hashlib
        import zlib

        size = 4000
        out = self.send(ModelBegin(transfer_id, len(blob), zlib.crc32(blob), hashlib.sha256(blob).digest(), size,
                                   f"model {transfer_id}", b"{}"))  # fmt: skip
        for i in range(0, len(blob), size):
            out += self.send(ModelChunk(transfer_id, i // size, zlib.crc32(blob[i : i + size]), blob[i : i + size]))
        return out + self.send(ModelFinish(transfer_id))


def _normal(m: Message) -> object:
    """What both boards must agree on: the decoded message, but an InferenceEvent's latency (each board
    measures its own) and Info's fields about the board rather than its models."""
    if isinstance(m, InferenceEvent):
        return replace(m, latency_us=0)
    if isinstance(m, Info):
        return ("Info", m.model_slots, m.max_model_bytes, m.arena_bytes, m.active_model_id, m.enrolled_labels)
    return m


def _python_side(out: list[Message]) -> list[object]:
    # Through the wire format, so Python's floats are the float32 the C++ side sends.
    return [_normal(type(m).decode(m.encode())) for m in out]


def _cpp_steps(stdout: str) -> list[object]:
    steps: list[object] = []
    current: list[object] = []
    for line in stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "msg":
            type_, payload = rest.split(" ") if " " in rest else (rest, "")
            current.append(_normal(MESSAGES[int(type_, 16)].decode(bytes.fromhex(payload))))
        elif kind == "done":
            steps.append(current)
            current = []
        elif kind == "wants":
            steps.append(int(rest))
        elif kind == "text":
            steps.append(rest)
        else:
            raise AssertionError(f"unexpected line from the C++ board: {line}")
    return steps


def _label(labels: list[str], name: str) -> int:
    return labels.index(name)


def _conversation(twin: Twin) -> None:
    """The requests and motion both boards go through (Twin records what Python answers)."""
    from wandlab.ml.bundle import load_bundle
    from wandlab.onboard.board_image import pack

    # -- no model ------------------------------------------------------------------------------------
    twin.wants()
    twin.send(RecognizeStart(1))
    twin.send(EnrollStart(ALL_CLASSES, "z", 3, 4001))
    twin.send(RefList())
    twin.send(RefUpload(3, "up", 5000.0, 32, bytes(64)))
    twin.send(RefDownload(ALL_CLASSES))
    twin.send(RefClear(3))
    twin.send(HidMapGet())
    twin.send(HidMapSet(tuple(HidAction(i, ActionKind.KEY, 0x04 + i, 0) for i in range(40))))  # > 32: C++ on_malformed
    twin.send(HidMapSet((HidAction(1, ActionKind.KEY, 0x01, 0),)))
    twin.send(HidMapSet((HidAction(1, ActionKind.MOUSE_MOVE, 0, 0, 200, 0),)))
    twin.send(EnrollCancel())
    twin.send(RecognizeStop())
    twin.send(Hello(1, "twin"))
    twin.run(0.4)

    # -- a model without "z", recognition and HID ----------------------------------------------------------
    blob = image(drop=("z",))
    labels = [c for c in gesture_bundle().labels if c != "z"]
    twin.flash(blob, 11)
    twin.send(Hello(1, "twin"))
    twin.send(RefList())
    circle, left, tap = (_label(labels, n) for n in ("circle", "flick_left", "tap"))
    twin.send(HidMapSet((HidAction(circle, ActionKind.CONSUMER, 0xCD, 0), HidAction(left, ActionKind.KEY, 0x50, 0x02))))
    twin.send(HidMapGet())
    twin.send(HidEnable(1))
    twin.send(RecognizeStart(1))
    twin.wants()
    twin.run(1.0)
    for g in ("circle", "flick_left", "tap", "w"):
        twin.run(2.8, (g,))

    # -- enrollment: a new class, a take without a pause, a timeout, a cancel, refusals ----------------------
    twin.send(EnrollStart(ALL_CLASSES, "z", 3, 4001))
    twin.send(EnrollStart(ALL_CLASSES, "other", 3, 4001))  # busy
    twin.run(4.6, ("shake",) * 4)  # 3.6 s without a pause
    for _ in range(3):
        twin.run(2.8, ("z",))
    for g in ("z", "circle"):
        twin.run(2.8, (g,))
    twin.send(RefList())
    twin.send(RefDownload(len(labels)))
    twin.send(EnrollStart(ALL_CLASSES, "late", 2, 1001))
    twin.run(1.6)
    twin.send(EnrollStart(ALL_CLASSES, "z", 1, 4001))  # one more take of z: merged with its references
    twin.run(2.8, ("z",))
    twin.send(EnrollStart(left, "other", 2, 4001))  # another class's id
    twin.send(EnrollStart(ALL_CLASSES, "tap", 0, 4001))
    twin.send(EnrollStart(ALL_CLASSES, "   ", 2, 4001))
    twin.send(EnrollStart(ALL_CLASSES, "quick", 2, 100))
    twin.send(EnrollStart(ALL_CLASSES, "v2", 2, 4001))
    twin.run(0.8)
    twin.send(EnrollCancel())
    twin.send(EnrollCancel())

    # -- the class table by hand ----------------------------------------------------------------------------
    twin.send(RefClear(circle))
    twin.send(RefClear(circle))  # already gone
    rng = np.random.default_rng(7)
    refs = rng.integers(-60, 60, size=(2, 32)).astype(np.int8).tobytes()
    twin.send(RefUpload(20, "up", 5000.0, 32, refs))
    twin.send(RefUpload(21, "bad", 5000.0, 16, refs))
    twin.send(RefUpload(21, "bad", float("nan"), 32, refs))
    twin.send(RefUpload(21, "bad", 3.5e9, 32, refs))
    twin.send(RefUpload(ALL_CLASSES, "bad", 5000.0, 32, refs))
    twin.send(RefUpload(22, "up", 5000.0, 32, refs))  # label taken
    twin.send(RefList())
    twin.send(RefDownload(ALL_CLASSES))
    twin.send(RefDownload(200))
    twin.run(2.8, ("circle",))  # cleared: never accepted as circle again

    # -- a new host session: recognition stops, HID presses on, silently ---------------------------------------
    twin.send(Hello(1, "twin"))
    twin.wants()
    twin.run(2.8, ("flick_left",))
    twin.send(HidEnable(0))
    twin.wants()
    twin.send(RecognizeStart(0))  # recognise without events
    twin.run(2.8, ("tap",))
    twin.send(RecognizeStart(1))
    twin.run(2.8, ("z",))

    # -- a power cycle, another network, a rollback ------------------------------------------------------------
    twin.boot()
    twin.send(Hello(1, "twin"))
    twin.send(RefList())
    twin.send(HidMapGet())
    gyro = load_bundle(ROOT / "models" / "gesture_accel_gyro")
    twin.flash(pack(gyro), 12)  # another network: the board's own classes are dropped, with a note
    twin.send(Hello(1, "twin"))
    twin.send(RefList())
    twin.send(RecognizeStart(1))
    twin.run(2.8, ("tap",))
    twin.send(ModelActivate(0))  # back to the first model
    twin.send(RefList())
    twin.run(2.8, ("circle",))


@pytest.mark.parametrize("kind", ["plain", "san"])
def test_twin_conversation_same_messages(programs: dict[str, Path | str], tmp_path: Path, kind: str) -> None:
    exe = _exe(programs, kind)
    twin = Twin(tmp_path / "state")
    _conversation(twin)
    result = _run([str(exe), "twin"], input="\n".join(twin.lines) + "\n", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cpp = _cpp_steps(result.stdout)
    assert len(cpp) == len(twin.steps), f"C++ answered {len(cpp)} steps, Python {len(twin.steps)}"
    python = [_python_side(s.expected) if isinstance(s.expected, list) else s.expected for s in twin.steps]
    for step, ours, theirs in zip(twin.steps, cpp, python, strict=True):
        assert ours == theirs, f"{step.what}:\n  C++    {ours}\n  Python {theirs}"

    # The conversation went where it was meant to (else the comparison proves little).
    sent = [m for s in twin.steps if isinstance(s.expected, list) for m in s.expected]
    events = [m for m in sent if isinstance(m, InferenceEvent)]
    progress = [m.message for m in sent if isinstance(m, EnrollProgress)]
    states = [m.state for m in sent if isinstance(m, EnrollProgress)]
    accepted = [e for e in events if e.class_id != NO_CLASS]
    print(
        f"\n{len(twin.lines)} script lines; {len(events)} events ({len(accepted)} accepted), "
        f"{sum(isinstance(m, HidReport) for m in sent)} HID reports, {len(progress)} enrollment messages"
    )
    assert len(accepted) >= 6 and any(e.label == "z" for e in accepted)
    assert any(isinstance(m, HidReport) for m in sent)
    assert any("without a pause" in p for p in progress)
    assert any(p.startswith("'z' is class 9: 3 references, threshold") for p in progress)
    assert any(p.startswith("'z' is class 9: 4 references, threshold") for p in progress)
    assert any(p.startswith("no gesture within 1.001 s") for p in progress)
    assert "cancelled by the host" in progress and EnrollState.DONE in states
    logs = [m.text for m in sent if isinstance(m, Log)]
    assert any("different network" in t for t in logs), logs
    assert any(isinstance(m, RefData) for m in sent) and any(isinstance(m, RefListReply) for m in sent)


# -- the texts' numbers ---------------------------------------------------------------------------------------


def test_enrollment_number_formats_match_python(program: Path) -> None:
    rng = random.Random(5)
    fixed = [(n / r, d) for n, r, d in [(rng.randrange(0, 1300), rng.choice((25, 50, 100, 119, 200, 400)),
                                         rng.choice((1, 2))) for _ in range(400)]]  # fmt: skip
    fixed += [(v, d) for v in (0.0, 0.125, 0.375, 1.005, 2.675, 3.245, 3.25, 1e-9, 2.5e-4) for d in (0, 1, 2, 3)]
    fixed += [(rng.uniform(0, 5000), rng.randrange(0, 4)) for _ in range(200)]
    millis = [rng.randrange(500, 2**32) for _ in range(200)] + [rng.randrange(500, 10**6) for _ in range(100)]
    millis += [500, 1001, 15000, 999999, 10**6, 1234565, 1234575, 9999995, 99999950, 999999500, 2**32 - 1,
               1000005000, 1000015000]  # fmt: skip
    millis += [k * 10**e + 5 * 10 ** (e - 1) for k in range(1000, 1010) for e in (1, 2, 3, 4) if k * 10**e < 2**32]
    script = [f"fixed {struct.unpack('<Q', struct.pack('<d', v))[0]:016x} {d}" for v, d in fixed]
    script += [f"g {ms}" for ms in millis]
    result = _run([str(program), "twin"], input="\n".join(script) + "\n", timeout=60)
    assert result.returncode == 0, result.stderr
    ours = [line.removeprefix("text ") for line in result.stdout.splitlines()]
    theirs = [f"{v:.{d}f}" for v, d in fixed] + [f"{ms / 1000:g}" for ms in millis]
    wrong = [(s, a, b) for s, a, b in zip(script, ours, theirs, strict=True) if a != b]
    assert not wrong, wrong[:10]
