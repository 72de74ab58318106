"""The C++ model slots (wandlab_core/src/model_slots.{h,cpp}) answer like the virtual wand's ModelStore.

Builds three host programs from firmware_sketches/wandlab_core (warning-free; the unit test also under
ASan + UBSan): tests/test_sha256.cpp (FIPS vectors, split updates, and hashlib digests of random data
written here), tests/test_model_slots.cpp (power cuts, damaged flash and records, A/B alternation, on a
NOR-like RAM flash) and tests/model_slots_twin.cpp, a Board with the ModelSlots extension that reads
request packets on stdin.

The twin test: the same requests go to Python's ModelStore - through the virtual board's own model
dispatch (VirtualBoard._model), without a state directory and with one (then also across restarts) - and
to the C++ board; every reply must be the same bytes (message type and payload: TransferStatus,
ChunkAck, TransferResult with its message text, ModelSlots, Ack, Error with code and text), and the notes
after each restart the same (none: these sequences damage no stored state; test_model_slots.cpp covers
damage). Both sides check images the same way: C++ with board_image::validate, Python with
board_image.unpack's structural checks mapped to the same reasons (test_host_build's table), and the same
sentence for a refusal. One difference is by design and modelled on the Python side (FirmwareLikeStore):
a board writes the model into its target slot as it arrives, so that slot (a model kept for rollback)
counts as empty from the first accepted chunk on.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from tests.firmware.test_host_build import _cpp_reason_python_gives
from wandlab.onboard.board_image import pack_parts
from wandlab.onboard.imu_features import FeatureConfig
from wandlab.onboard.knn import KnnRecognizer
from wandlab.protocol import Message
from wandlab.protocol.framing import pack_packet
from wandlab.protocol.model import (
    ChunkAck,
    ChunkStatus,
    ModelAbort,
    ModelActivate,
    ModelBegin,
    ModelChunk,
    ModelFinish,
    ModelQuery,
    TransferStatus,
)
from wandlab.protocol.registry import to_packet
from wandlab.virtual.board import VirtualBoard
from wandlab.virtual.model_store import ModelStore

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_sketches" / "wandlab_core"
VALID_IMAGE = ROOT / "tests" / "vectors" / "board_image_valid.bin"
PROTOCOL = ["crc32", "cobs", "packet", "frame_decoder", "wire", "messages"]
SLOTS = ["model_slots", "slot_record", "sha256", "board_image"]
PROGRAMS = {  # program -> the core sources it links (as the Makefile's TEST_SOURCES_<name>)
    "test_sha256": ["sha256"],
    "test_model_slots": [*SLOTS, *PROTOCOL, "board"],
    "model_slots_twin": [*SLOTS, *PROTOCOL, "board"],
}
WARNINGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
CAPACITY, ERASE_UNIT, RECORD_PAGE = 24 * 1024, 4096, 4096  # nRF52840-like pages, 24 KB slots
SMALL_PAGE = 1440  # the least a record page may be: the progress log fills every 64 chunks

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def _build_all(out: Path, flags: list[str], programs: Iterable[str]) -> dict[str, Path]:
    """Each core source compiled once, then the programs linked: two cores' worth of parallel g++."""
    sources = sorted({s for p in programs for s in PROGRAMS[p]})
    inc = [f"-I{CORE / 'src'}", f"-I{CORE / 'tests'}"]

    def obj(name: str, path: Path) -> subprocess.CompletedProcess[str]:
        return _run(["g++", *WARNINGS, *flags, *inc, "-c", str(path), "-o", str(out / f"{name}.o")])

    jobs = [(s, CORE / "src" / f"{s}.cpp") for s in sources] + [(p, CORE / "tests" / f"{p}.cpp") for p in programs]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda job: obj(*job), jobs))
    for (name, _), result in zip(jobs, results, strict=True):
        if result.returncode != 0:
            low = result.stderr.lower()
            if "-fsanitize" in " ".join(flags) and ("asan" in low or "ubsan" in low):
                pytest.skip(f"sanitizer runtime not available: {result.stderr.strip()[-200:]}")
            raise AssertionError(f"g++ failed on {name}:\n{result.stderr}")
    exes = {}
    for program in programs:
        exe = out / program
        objects = [str(out / f"{program}.o"), *(str(out / f"{s}.o") for s in PROGRAMS[program])]
        result = _run(["g++", *flags, "-o", str(exe), *objects])
        low = result.stderr.lower()
        if result.returncode != 0 and "-fsanitize" in " ".join(flags) and ("asan" in low or "ubsan" in low):
            pytest.skip(f"sanitizer runtime not available: {result.stderr.strip()[-200:]}")
        assert result.returncode == 0, f"linking {program} failed:\n{result.stderr}"
        exes[program] = exe
    return exes


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build_all(tmp_path_factory.mktemp("model_slots"), ["-O2"], PROGRAMS)


# -- C++ unit tests -----------------------------------------------------------------------------------


def test_sha256_matches_fips_vectors_and_hashlib(programs: dict[str, Path], tmp_path: Path) -> None:
    rng = random.Random(11)
    lines = []
    for n in [*range(0, 200), 1000, 4095, 4096, 65_537, 300_001]:
        data = rng.randbytes(n)
        lines.append(f"{data.hex() or '-'} {hashlib.sha256(data).hexdigest()}")
    (tmp_path / "sha256_cases.txt").write_text("\n".join(lines) + "\n")
    result = _run([str(programs["test_sha256"]), str(tmp_path / "sha256_cases.txt")])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "OK:" in result.stdout and f"{len(lines)} hashlib cases" in result.stdout, result.stdout


def test_cpp_model_slots_unit_tests(programs: dict[str, Path]) -> None:
    result = _run([str(programs["test_model_slots"]), str(VALID_IMAGE)])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "OK:" in result.stdout and "failures=0" in result.stdout, result.stdout[-3000:]


def test_cpp_model_slots_unit_tests_under_sanitizers(tmp_path: Path) -> None:
    exe = _build_all(tmp_path, SANITIZE, ["test_model_slots"])["test_model_slots"]
    result = _run([str(exe), str(VALID_IMAGE), "--quick"])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "OK:" in result.stdout, result.stdout[-3000:]


# -- the twin: the same requests to Python's ModelStore and to the C++ ModelSlots ------------------------


def structural_check(blob: bytes) -> str:
    """What tests/model_slots_test_support.h StructuralCheck says about ``blob``, from Python's unpack."""
    reason = _cpp_reason_python_gives(blob)
    return "" if reason == "ok" else f"not a board image this firmware can run ({reason})"


class FirmwareLikeStore(ModelStore):
    """ModelStore plus the one thing a board without RAM for a whole model does differently: the first
    accepted chunk of a transfer goes into the target slot (the slot finish would pick), which from then on
    counts as empty - in memory and in the state directory."""

    def chunk(self, m: ModelChunk) -> ChunkAck:
        t = self.transfer
        first = t is not None and t.transfer_id == m.transfer_id and t.received == 0
        ack = super().chunk(m)
        if first and ack.status == ChunkStatus.OK:
            target = self._inactive_slot()
            self.slots[target] = self.blobs[target] = None
            if self.dir is not None:
                for name in (f"slot{target}.json", f"slot{target}.bin"):
                    (self.dir / name).unlink(missing_ok=True)
        return ack


class Session:
    """Sends each request to the Python store at once (so a scenario can look at its replies) and records
    the request for the C++ program and Python's answer as the lines the program must print."""

    def __init__(self, state_dir: Path | None) -> None:
        self.state_dir = state_dir
        self.script: list[str] = []
        self.expected: list[str] = []
        self.seq = 0
        self.store = self._boot()

    def _boot(self) -> ModelStore:
        store = FirmwareLikeStore(CAPACITY, self.state_dir, structural_check)
        self.expected += [f"note {n}" for n in store.notes] + ["booted"]
        return store

    def restart(self) -> None:
        assert self.state_dir is not None, "a restart loses everything without a state directory"
        self.script.append("restart")
        self.store = self._boot()

    def send(self, message: Message) -> list[Message]:
        self.seq += 1
        self.script.append(pack_packet(to_packet(message, self.seq)).hex())
        replies = VirtualBoard._model(SimpleNamespace(models=self.store), self.seq, message)  # type: ignore[arg-type]
        self.expected += [f"reply {r.TYPE:02x} {r.encode().hex()}" for r in replies] + ["done"]
        return replies

    # -- the host's side of an upload, step by step
    def begin(self, blob: bytes, chunk: int, tid: int | None = None, model_id: str = "m", **wrong: Any) -> int:
        tid = tid if tid is not None else zlib.crc32(blob) or 1
        fields = dict(
            transfer_id=tid,
            size=len(blob),
            crc32=zlib.crc32(blob),
            sha256=hashlib.sha256(blob).digest(),
            chunk_size=chunk,
            model_id=model_id,
            metadata=b'{"labels":["circle","tap"]}',
        )
        fields.update(wrong)
        (reply,) = self.send(ModelBegin(**fields))  # type: ignore[arg-type]
        return reply.next_chunk if isinstance(reply, TransferStatus) else 0

    def chunk(
        self,
        blob: bytes,
        chunk: int,
        index: int,
        tid: int | None = None,
        data: bytes | None = None,
        crc: int | None = None,
    ) -> ChunkAck:
        tid = tid if tid is not None else zlib.crc32(blob) or 1
        data = blob[index * chunk : (index + 1) * chunk] if data is None else data
        (ack,) = self.send(ModelChunk(tid, index, zlib.crc32(data) if crc is None else crc, data))
        assert isinstance(ack, ChunkAck)
        return ack

    def upload(
        self,
        blob: bytes,
        chunk: int,
        model_id: str = "m",
        start: int | None = None,
        stop: int | None = None,
        finish: bool = True,
    ) -> None:
        first = self.begin(blob, chunk, model_id=model_id)
        chunks = -(-len(blob) // chunk)
        for i in range(first if start is None else start, chunks if stop is None else stop):
            self.chunk(blob, chunk, i)
        if finish:
            self.send(ModelFinish(zlib.crc32(blob) or 1))


def _images() -> dict[str, bytes]:
    rng = np.random.default_rng(3)
    emb = rng.integers(-128, 128, (12, 16)).astype(np.int8)
    knn = KnnRecognizer.fit(emb, ["circle"] * 6 + ["tap"] * 6, max_refs_per_class=3)
    head = bytes.fromhex("0c000000") + b"TFL3" + bytes.fromhex("0400040004000000")  # root 12, vtable at 8

    def image(filler: int) -> bytes:
        return pack_parts(
            head + bytes(range(256)) * (filler // 256) + bytes(filler % 256),
            FeatureConfig(channels=3),
            list(knn.labels),
            knn,
        )

    valid = VALID_IMAGE.read_bytes()
    small, medium = image(700), image(5000)
    assert not structural_check(small) and not structural_check(medium) and not structural_check(valid)
    images = {
        "valid": valid,
        "small": small,
        "medium": medium,
        "bad_magic": b"XLBI" + small[4:],
        "trailing": medium + b"\x00\x01",
        "truncated": medium[: len(medium) // 2],
    }
    for name in ("bad_magic", "trailing", "truncated"):
        assert structural_check(images[name]), name
    return images


IMAGES = _images()


def happy_path(s: Session) -> None:
    s.send(ModelQuery())
    s.upload(IMAGES["valid"], 2048, model_id="gesture_accel")
    s.send(ModelQuery())
    s.upload(IMAGES["small"], 100, model_id="small")  # into slot B
    s.send(ModelQuery())
    s.upload(IMAGES["medium"], 4000, model_id="medium")  # A again: the oldest, not active
    s.send(ModelQuery())
    s.upload(IMAGES["valid"], 16 * 64 + 5, model_id="ü" * 127)  # the longest model id a str holds
    s.send(ModelQuery())


def bad_chunks(s: Session) -> None:
    blob, chunk = IMAGES["medium"], 512
    s.begin(blob, chunk)
    s.chunk(blob, chunk, 0)
    s.chunk(blob, chunk, 1, crc=123)  # CRC mismatch
    s.chunk(blob, chunk, 3)  # out of order
    s.chunk(blob, chunk, 0)  # out of order (already held)
    s.chunk(blob, chunk, 1, data=blob[512:1024] + b"x")  # not chunk_size bytes: too large
    s.chunk(blob, chunk, 1, data=blob[512:1000])  # short, and not the last: too large
    s.chunk(blob, chunk, 1, tid=77)  # unknown transfer
    s.chunk(blob, chunk, 1, data=b"")
    s.chunk(blob, chunk, 2, crc=5)  # out of order and a bad CRC: out of order comes first
    s.chunk(blob, chunk, 1, data=blob[512:1030], crc=5)  # a bad CRC before the size
    s.chunk(blob, chunk, 1, tid=78, crc=5)  # an unknown transfer before anything
    for i in range(1, 10):
        s.chunk(blob, chunk, i)
    last = -(-len(blob) // chunk) - 1
    s.chunk(blob, chunk, last, data=blob[last * chunk :] + b"yz")  # runs past the size: too large
    s.chunk(blob, chunk, last)  # out of order
    s.send(ModelFinish(zlib.crc32(blob)))  # only part arrived
    s.send(ModelQuery())
    s.chunk(blob, chunk, 10)  # the transfer is gone
    s.upload(blob, chunk, model_id="after")
    s.send(ModelQuery())


def bad_begins(s: Session) -> None:
    blob = IMAGES["small"]
    s.begin(blob, 512, size=CAPACITY + 1)
    s.begin(blob, 512, size=0)
    s.begin(blob, 512, size=0xFFFFFFFF)
    s.begin(blob, 15)
    s.begin(blob, 4001)
    s.begin(blob, 16, sha256=b"\x01" * 31)
    s.begin(blob, 4000, sha256=b"")
    s.send(ModelQuery())
    s.send(ModelFinish(5))
    s.send(ModelAbort(5))
    s.upload(blob, 16, model_id="ok")


def refused_images(s: Session) -> None:
    s.upload(IMAGES["bad_magic"], 256, model_id="evil")  # no model yet: the board still has none
    s.send(ModelQuery())
    s.upload(IMAGES["valid"], 1024, model_id="good")
    for name in ("bad_magic", "trailing", "truncated"):
        s.upload(IMAGES[name], 1000, model_id=name)  # the previous model stays active
        s.send(ModelQuery())
    blob = IMAGES["small"]
    s.begin(blob, 64, sha256=hashlib.sha256(b"other").digest())  # intact bytes, wrong hash
    for i in range(-(-len(blob) // 64)):
        s.chunk(blob, 64, i)
    s.send(ModelFinish(zlib.crc32(blob)))
    s.begin(blob, 64, crc32=1)  # wrong CRC-32 of the whole
    for i in range(-(-len(blob) // 64)):
        s.chunk(blob, 64, i)
    s.send(ModelFinish(zlib.crc32(blob)))
    s.send(ModelFinish(zlib.crc32(blob)))  # no such transfer any more
    s.send(ModelQuery())


def activate_and_abort(s: Session) -> None:
    s.send(ModelActivate(0))  # nothing stored
    s.upload(IMAGES["small"], 128, model_id="one")
    s.upload(IMAGES["medium"], 1024, model_id="two")
    for slot in (0, 0, 1, 2, 255, 0):
        s.send(ModelActivate(slot))
        s.send(ModelQuery())
    blob = IMAGES["valid"]
    s.begin(blob, 1024, model_id="three")
    s.send(ModelActivate(1))  # nothing written yet: slot B still holds "two"
    s.chunk(blob, 1024, 0)  # now it goes into slot A... or B: whichever is not active
    s.send(ModelQuery())
    s.send(ModelActivate(0))
    s.send(ModelActivate(1))
    s.send(ModelAbort(999))  # not this transfer: nothing changes
    s.send(ModelQuery())
    s.send(ModelAbort(zlib.crc32(blob)))
    s.send(ModelQuery())
    s.chunk(blob, 1024, 1)
    s.send(ModelFinish(zlib.crc32(blob)))
    s.upload(blob, 1024, model_id="three")
    s.send(ModelQuery())


def resume_after_restart(s: Session) -> None:
    blob, chunk = IMAGES["valid"], 1000
    s.upload(IMAGES["small"], 200, model_id="old")
    s.upload(blob, chunk, model_id="new", stop=7, finish=False)
    s.restart()
    s.send(ModelQuery())
    s.begin(blob, chunk, model_id="new")  # resumes at chunk 7
    s.chunk(blob, chunk, 7)
    s.restart()
    s.begin(blob, 500, model_id="new")  # other chunking: starts over
    s.restart()
    s.upload(blob, 500, model_id="new", stop=3, finish=False)
    s.restart()
    s.upload(blob, 500, model_id="new")  # resumes at 3 and finishes
    s.restart()
    s.send(ModelQuery())
    s.upload(IMAGES["medium"], 300, model_id="third", finish=False)
    s.restart()
    s.send(ModelFinish(zlib.crc32(IMAGES["medium"])))  # all bytes held across the restart
    s.restart()
    s.send(ModelQuery())
    s.send(ModelActivate(1))
    s.restart()
    s.send(ModelQuery())


@dataclass
class HostUpload:
    """What the host of a random session believes about its upload."""

    blob: bytes
    chunk: int
    next: int


def random_session(seed: int, restarts: bool) -> Callable[[Session], None]:
    def run(s: Session) -> None:
        rng = random.Random(seed)
        names = list(IMAGES)
        host: HostUpload | None = None
        for _ in range(120):
            pick = rng.random()
            if pick < 0.12 or host is None:
                blob = IMAGES[rng.choice(names)]
                chunk = rng.choice([16, 64, 333, 1024, 4000]) if len(blob) < 6000 else rng.choice([1024, 2500, 4000])
                wrong: dict[str, Any] = rng.choice(
                    [{}, {}, {}, {"size": CAPACITY + 5}, {"chunk_size": 8}, {"crc32": 7}]
                )
                host = HostUpload(blob, chunk, s.begin(blob, chunk, **wrong))
            elif pick < 0.70:
                blob, chunk = host.blob, host.chunk
                for _ in range(rng.randint(1, 8)):
                    index = host.next
                    if rng.random() < 0.08:  # each kind of damage on its own, so several can meet
                        index = rng.randrange(0, 30)
                    data = None
                    if rng.random() < 0.05:
                        data = blob[index * chunk : index * chunk + rng.choice([chunk + 1, chunk - 1, 0, 5])]
                    ack = s.chunk(
                        blob,
                        chunk,
                        index,
                        data=data,
                        crc=1 if rng.random() < 0.08 else None,
                        tid=rng.randrange(1, 5) if rng.random() < 0.03 else None,
                    )
                    if ack.status in (ChunkStatus.OK, ChunkStatus.OUT_OF_ORDER, ChunkStatus.CRC_MISMATCH):
                        host.next = ack.next_chunk
            elif pick < 0.80:
                tid = zlib.crc32(host.blob) or 1
                s.send(ModelFinish(tid if rng.random() < 0.9 else rng.randrange(1, 5)))
            elif pick < 0.85:
                s.send(ModelAbort(zlib.crc32(host.blob) or 1))
            elif pick < 0.92:
                s.send(ModelActivate(rng.choice([0, 1, 1, 0, 2, 255])))
            elif pick < 0.96 or not restarts:
                s.send(ModelQuery())
            else:
                s.restart()
                host = None

    return run


SCENARIOS: dict[str, tuple[Callable[[Session], None], bool]] = {  # name -> (steps, needs a state directory)
    "happy_path": (happy_path, False),
    "bad_chunks": (bad_chunks, False),
    "bad_begins": (bad_begins, False),
    "refused_images": (refused_images, False),
    "activate_and_abort": (activate_and_abort, False),
    "resume_after_restart": (resume_after_restart, True),
    **{f"random_{seed}": (random_session(seed, restarts=False), False) for seed in range(4)},
    **{f"random_restarts_{seed}": (random_session(100 + seed, restarts=True), True) for seed in range(4)},
}


def _compare(twin: Path, session: Session, record_page: int) -> None:
    result = subprocess.run(
        [str(twin), str(CAPACITY), str(ERASE_UNIT), str(record_page)],
        input="\n".join(session.script) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    got = result.stdout.splitlines()
    assert result.returncode == 0, "\n".join(got[-5:]) + result.stderr[-2000:]
    for i, (want, have) in enumerate(zip(session.expected, got, strict=False)):
        if want != have:
            request = sum(1 for line in session.expected[:i] if line in ("done", "booted"))
            raise AssertionError(
                f"request {request} ({session.script[request - 1][:80]}...):\n"
                f"  Python: {want[:300]}\n  C++:    {have[:300]}"
            )
    assert len(got) == len(session.expected), (len(got), len(session.expected))


# Restarts need Python's state directory: those sequences run only with one.
CASES = [
    (state, name)
    for state in ("memory", "state_dir")
    for name, (_, needs_state) in SCENARIOS.items()
    if state == "state_dir" or not needs_state
]


@pytest.mark.parametrize(("state", "name"), CASES)
def test_cpp_model_slots_answer_like_python(programs: dict[str, Path], tmp_path: Path, state: str, name: str) -> None:
    steps, _ = SCENARIOS[name]
    session = Session(tmp_path / "state" if state == "state_dir" else None)
    steps(session)
    replies = [line for line in session.expected if line.startswith("reply ")]
    assert len(replies) >= 10
    # The smallest record page makes the C++ progress log overflow into whole records on long uploads.
    _compare(programs["model_slots_twin"], session, SMALL_PAGE if state == "state_dir" else RECORD_PAGE)


def test_scenarios_reach_every_reply_kind(tmp_path: Path) -> None:
    """The twin sequences are only worth what they provoke: every ChunkStatus, refusals, successes, resumes."""
    seen: set[str] = set()
    for name, (steps, _) in SCENARIOS.items():
        session = Session(tmp_path / name)
        steps(session)
        for line in session.expected:
            payload = line[9:]
            if line.startswith("reply 23 "):  # ChunkAck: the status is its last byte
                seen.add(f"chunk {ChunkStatus(int(payload[-2:], 16)).name}")
            elif line.startswith("reply 25 "):  # TransferResult: ok after the u32 transfer id
                seen.add("finish ok" if payload[8:10] == "01" else "finish refused")
            elif line.startswith("reply 0e "):
                seen.add("error")
            elif line.startswith("reply 21 ") and int.from_bytes(bytes.fromhex(payload[10:18]), "little") > 0:
                seen.add("resumed")
    want = {f"chunk {s.name}" for s in ChunkStatus} | {"finish ok", "finish refused", "error", "resumed"}
    assert want <= seen, want - seen
