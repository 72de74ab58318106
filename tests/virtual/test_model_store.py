"""The virtual wand activates only models it can run, and boots from damaged flash without crashing.

Pushed bytes that arrive intact but are not a runnable board image (cut, foreign, random, a bare
.tflite, an op the firmware lacks, tensors too big for the arena) are refused at ModelFinish with the
reason, and the previous model stays active. Stored state that fails validation at boot is set aside
with a logged reason: a damaged active.json means no model, a damaged active slot falls back to the
other slot.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from tests.virtual.gesture_models import SimBoard, gesture_bundle, image, image_with_op
from wandlab.protocol import Log
from wandlab.protocol.model import ModelActivate, ModelQuery, ModelSlots, TransferResult
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig


def result(messages: list) -> TransferResult:
    (r,) = [m for m in messages if isinstance(m, TransferResult)]
    return r


def slots(sim: SimBoard) -> ModelSlots:
    (reply,) = sim.send(ModelQuery())
    assert isinstance(reply, ModelSlots)
    return reply


def random_bytes(n: int, seed: int = 7) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def damaged(kind: str) -> bytes:
    good = image()
    return {
        "truncated": good[: len(good) // 2],
        "bad magic": b"WLBX" + good[4:],
        "random bytes": random_bytes(len(good)),
        "bare tflite": gesture_bundle().tflite,
        "trailing bytes": good + b"\0",
    }[kind]


REASONS = {
    "truncated": "truncated",
    "bad magic": "not a Wandlab board image",
    "random bytes": "not a Wandlab board image",
    "bare tflite": "not a Wandlab board image",
    "trailing bytes": "unexpected bytes after its last section",
}


@pytest.mark.parametrize("kind", list(REASONS))
def test_bytes_that_are_not_an_image_are_refused_and_the_previous_model_stays(kind: str) -> None:
    sim = SimBoard(VirtualBoard())
    assert result(sim.flash(image(), "working")).ok == 1
    refused = result(sim.flash(damaged(kind), "broken"))
    assert refused.ok == 0
    assert REASONS[kind] in refused.message and refused.message.endswith("the previous model stays active")
    assert (refused.slot, refused.model_id) == (0, "working")
    after = slots(sim)
    assert after.active_slot == 0 and after.slots[0].model_id == "working" and not after.slots[1].valid
    assert sim.board.info().active_model_id == "working"
    assert sim.board.brain.image is not None  # still recognising with the working model


def test_a_model_with_an_op_the_firmware_lacks_is_refused_after_the_transfer() -> None:
    sim = SimBoard(VirtualBoard())
    result(sim.flash(image(), "working"))
    refused = result(sim.flash(image_with_op("TANH"), "tanh"))
    assert refused.ok == 0 and "op(s) the firmware does not have: TANH" in refused.message
    assert sim.board.info().active_model_id == "working"


def test_a_model_too_big_for_the_boards_tensor_arena_is_refused() -> None:
    sim = SimBoard(VirtualBoard(VirtualWandConfig(arena_bytes=2048)))
    assert sim.board.info().arena_bytes == 2048
    refused = result(sim.flash(image(), "big"))
    assert refused.ok == 0 and "do not fit this board's 2048 byte tensor arena" in refused.message
    assert refused.message.endswith("the board still has no active model")
    assert slots(sim).active_slot == 255 and not any(s.valid for s in slots(sim).slots)


def test_a_refused_image_keeps_the_rollback_model_too() -> None:
    sim = SimBoard(VirtualBoard())
    first, second = image(), image(drop=("w",))
    result(sim.flash(first, "first"))
    result(sim.flash(second, "second"))
    assert result(sim.flash(random_bytes(5000), "noise")).ok == 0
    both = slots(sim)
    assert both.active_slot == 1 and [s.model_id for s in both.slots] == ["first", "second"]
    assert sim.send(ModelActivate(0))[0].__class__.__name__ == "Ack"
    assert sim.board.info().active_model_id == "first"


def test_a_reason_too_long_for_the_wire_is_shortened_not_an_unencodable_reply() -> None:
    from wandlab.virtual.model_store import ModelStore

    store = ModelStore(1 << 20, check=lambda blob: "é" * 400)
    blob = image()
    sim = SimBoard(VirtualBoard())
    sim.board.models = store
    refused = result(sim.flash(blob))
    assert refused.ok == 0 and len(refused.message.encode()) <= 255
    refused.encode()  # the pty server encodes it: must not raise
    assert refused.message.endswith("the board still has no active model")


# -- boot from damaged state (item 8) -------------------------------------------------------------------


def flashed_state(tmp_path: Path) -> Path:
    """A state folder with 'first' in slot A and 'second' active in slot B."""
    sim = SimBoard(VirtualBoard(VirtualWandConfig(state_dir=str(tmp_path))))
    assert result(sim.flash(image(), "first")).ok == 1
    assert result(sim.flash(image(drop=("w",)), "second")).ok == 1
    return tmp_path


def boot(state: Path) -> tuple[VirtualBoard, list[str]]:
    board = VirtualBoard(VirtualWandConfig(state_dir=str(state)))
    logs = [m.text for m in board.poll(0.0) if isinstance(m, Log)]
    return board, logs


@pytest.mark.parametrize(
    "content",
    [b'{"active": 3}', b'{"active": -1}', b'{"active": true}', b'{"active": "1"}', b'{"active": 1e400}',
     b"not json at all", b"\xff\xfe\x00", b"[1]", b"[" * 100_000, b""],
    ids=["slot 3", "negative", "bool", "string", "overflow", "text", "binary", "list", "deep", "empty"],
)
def test_a_damaged_active_json_means_no_model_with_a_reason(tmp_path: Path, content: bytes,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    state = flashed_state(tmp_path)
    (state / "active.json").write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="wandlab.virtual.model_store"):
        board, logs = boot(state)
    assert board.models.active == 255 and board.info().active_model_id == ""
    assert any("active.json" in text and "no model is active" in text for text in logs), logs
    assert any("active.json" in r.getMessage() for r in caplog.records)
    # Both models are still there: the user can activate one, or flash again.
    assert [s.model_id for s in board.models.slots if s] == ["first", "second"]


@pytest.mark.parametrize("missing", ["slot1.bin", "slot1.json"])
def test_a_missing_active_slot_file_falls_back_to_the_other_slot(tmp_path: Path, missing: str) -> None:
    state = flashed_state(tmp_path)
    (state / missing).unlink()
    board, logs = boot(state)
    assert board.models.active == 0 and board.info().active_model_id == "first"
    assert any("slot B is unreadable" in text for text in logs), logs
    assert any("slot A ('first') is active instead" in text for text in logs), logs
    assert board.brain.image is not None  # the fallback model runs


def test_a_torn_active_slot_and_no_other_model_means_no_model(tmp_path: Path) -> None:
    sim = SimBoard(VirtualBoard(VirtualWandConfig(state_dir=str(tmp_path))))
    result(sim.flash(image(), "only"))
    blob = (tmp_path / "slot0.bin").read_bytes()
    (tmp_path / "slot0.bin").write_bytes(blob[:-10])
    board, logs = boot(tmp_path)
    assert board.models.active == 255
    assert any("does not match its size and SHA-256" in text for text in logs), logs
    assert any("no other slot holds a model" in text for text in logs), logs


def test_a_stored_model_the_board_cannot_run_is_set_aside(tmp_path: Path) -> None:
    """What an older board left after accepting random bytes: a consistent slot that is not a model."""
    noise = random_bytes(4000)
    meta = {"model_id": "noise", "size": len(noise), "sha256": hashlib.sha256(noise).hexdigest(), "metadata": "{}"}
    (tmp_path / "slot0.bin").write_bytes(noise)
    (tmp_path / "slot0.json").write_text(json.dumps(meta))
    (tmp_path / "active.json").write_text('{"active": 0}')
    board, logs = boot(tmp_path)
    assert board.models.active == 255 and board.models.slots == [None, None]
    assert any("slot A holds a model this board cannot run" in t and "not a Wandlab board image" in t for t in logs)


@pytest.mark.parametrize(
    "record",
    [{"chunk_size": 0}, {"chunk_size": "big"}, {"size": -5}, {"sha256": 12}, {"extra": 1}],
    ids=["zero chunk", "text chunk", "negative size", "number hash", "unknown field"],
)
def test_a_damaged_transfer_record_starts_the_next_upload_over(tmp_path: Path, record: dict) -> None:
    blob = image()
    t = {"transfer_id": 5, "size": len(blob), "crc32": 1, "sha256": "ab" * 32, "chunk_size": 4000,
         "model_id": "m", "metadata": "{}", "received": 0} | record
    (tmp_path / "transfer.json").write_text(json.dumps(t))
    (tmp_path / "transfer.part").write_bytes(blob[:4000])
    board, logs = boot(tmp_path)
    assert board.models.transfer is None
    assert any("cannot be resumed" in text for text in logs), logs
    assert not (tmp_path / "transfer.json").exists()
    assert result(SimBoard(board).flash(blob, "fresh")).ok == 1
