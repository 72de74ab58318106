"""Model upload to the virtual wand over the real pty: A/B slots, resume, corruption, power cycles, and
the board's refusal of bytes that arrive intact but are not a model it can run.

Each test runs against the Python virtual wand and against the C++ firmware as a Linux program (the
native board, tests/board/boards.py): the same requests, the same answers. The one intended difference
(model_slots.h): the C++ board writes chunks straight into the target slot, so a model kept there for
rollback is gone once the first chunk of a new upload arrives, even if that upload is then refused;
Python keeps it until ModelFinish (test_a_refused_upload_into_the_rollback_slot_...).

The board activates only real board images, so the uploads are the gesture model's image (two variants
when two different models are needed); small chunks give the resume and unplug tests as many chunks to
cut at as a large model would.
"""

import asyncio
import hashlib
import os

import pytest

from tests.board.boards import BOTH, spec
from tests.virtual.gesture_models import image, image_with_op
from wandlab.board import BoardClient
from wandlab.board.transfer import model_slots, rollback, upload_model
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link
from wandlab.protocol.model import ModelChunk

SMALL_CHUNK = 256  # ~90 chunks for the ~22 KB gesture image


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def blob(n: int, seed: int) -> bytes:
    """Bytes that are not a model (only where the board refuses them before looking at the content)."""
    return hashlib.sha256(str(seed).encode()).digest() * (n // 32) + os.urandom(n % 32)


async def push(client, data, model_id="m", chunk_bytes=2048):
    stages = []
    async for p in upload_model(client, data, model_id, {"labels": ["circle"]}, chunk_bytes=chunk_bytes):
        stages.append(p)
    return stages


@BOTH
def test_upload_activates_the_inactive_slot_and_rollback_returns_to_the_previous(board):
    first, second = image(), image(drop=("w",))

    async def main():
        async with BoardClient(open_link(spec(board))) as client:
            p1 = await push(client, first, "first")
            p2 = await push(client, second, "second")
            slots = await model_slots(client)
            back = await rollback(client)
            after = await model_slots(client)
            return p1, p2, slots, back, after

    p1, p2, slots, back, after = run(main())
    assert [p.stage for p in p1][0] == "begin" and p1[-1].stage == "done"
    assert p1[-1].slot == 0 and p2[-1].slot == 1
    assert slots.active_slot == 1
    assert slots.slots[1].sha256 == hashlib.sha256(second).digest()
    assert back == 0 and after.active_slot == 0


@BOTH
def test_a_corrupted_chunk_is_named_and_sent_again(board):
    data = image()

    async def main():
        async with BoardClient(open_link(spec(board))) as client:
            send = client.send
            corrupted = []

            async def corrupting_send(message):
                if isinstance(message, ModelChunk) and message.index == 4 and not corrupted:
                    corrupted.append(message.index)
                    bad = bytes([message.data[0] ^ 0xFF]) + message.data[1:]
                    message = ModelChunk(message.transfer_id, message.index, message.crc32, bad)
                return await send(message)

            client.send = corrupting_send
            progress = await push(client, data)
            return corrupted, progress[-1], await model_slots(client)

    corrupted, last, slots = run(main())
    assert corrupted == [4]
    assert last.stage == "done"
    assert slots.slots[slots.active_slot].sha256 == hashlib.sha256(data).digest()


@BOTH
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_interrupted_push_keeps_the_old_model_and_a_retry_resumes(tmp_path, seed, board):
    import random

    old, new = image(drop=("w",)), image()
    link_spec = spec(board, state=tmp_path)
    stop_after = random.Random(seed).randrange(SMALL_CHUNK, len(new) - 2 * SMALL_CHUNK)  # a random chunk of ~90

    async def main():
        async with BoardClient(open_link(link_spec), reconnect=False) as client:
            await push(client, old, "old")
            async for p in upload_model(client, new, "new", chunk_bytes=SMALL_CHUNK):
                if p.stage == "sending" and p.acked_bytes >= stop_after:
                    break  # the user pulled the plug / cancelled mid-way
            interrupted = await model_slots(client)
        # A "power cycle": a fresh virtual board (the native one: a new process) from the same flash folder.
        async with BoardClient(open_link(link_spec), reconnect=False) as client:
            assert client.info.active_model_id == "old"
            progress = [p async for p in upload_model(client, new, "new", chunk_bytes=SMALL_CHUNK)]
            done = await model_slots(client)
        return interrupted, progress, done

    interrupted, progress, done = run(main())
    assert interrupted.slots[interrupted.active_slot].model_id == "old"
    assert interrupted.transfer_received > 0
    assert progress[0].resumed_from >= stop_after  # nothing the board acknowledged is sent again
    assert progress[-1].stage == "done"
    assert done.slots[done.active_slot].model_id == "new"


@BOTH
def test_a_model_too_big_for_the_board_is_refused_with_the_limit(board):
    async def main():
        async with BoardClient(open_link(spec(board))) as client:
            with pytest.raises(BoardError, match="does not fit: this board takes at most 262144"):
                await push(client, blob(300_000, 6))

    run(main())


@BOTH
def test_unplugging_mid_push_leaves_the_previous_model(tmp_path, board):
    from wandlab.protocol import SimUnplug

    old, new = image(drop=("w",)), image()

    async def main():
        client = BoardClient(open_link(spec(board, state=tmp_path)), reconnect_interval_s=0.1)
        await client.connect()
        await push(client, old, "old")
        with pytest.raises((BoardError, LinkError)):
            async for p in upload_model(client, new, "new", chunk_bytes=SMALL_CHUNK):
                if p.acked_bytes > len(new) // 5 and client.reconnects == 0:
                    await client.send(SimUnplug(300))
                    await asyncio.sleep(0.2)  # the cable goes while the upload is mid-way
        for _ in range(60):
            await asyncio.sleep(0.05)
            if client.reconnects:
                break
        slots = await model_slots(client)
        progress = [p async for p in upload_model(client, new, "new", chunk_bytes=SMALL_CHUNK)]
        await client.close()
        return slots, progress

    slots, progress = run(main())
    assert slots.slots[slots.active_slot].model_id == "old"
    assert progress[0].resumed_from > 0 and progress[-1].stage == "done"


@BOTH
def test_after_a_push_the_clients_board_info_names_the_new_model(board):
    async def main():
        async with BoardClient(open_link(spec(board))) as client:
            seen = []
            client.on_event(lambda m: seen.append(type(m).__name__))
            await push(client, image(), "fresh-model")
            return client.info.active_model_id, seen

    active, seen = run(main())
    assert active == "fresh-model"
    assert "TransferResult" in seen


@BOTH
@pytest.mark.parametrize(
    "kind, reason",
    [
        ("truncated", "board image truncated"),
        ("bad magic", "not a Wandlab board image"),
        ("random", "not a Wandlab board image"),
        ("foreign op", "op(s) the firmware does not have: TANH"),
    ],
)
def test_an_intact_upload_that_is_not_a_runnable_model_is_refused_and_the_old_model_stays(kind, reason, board):
    good = image()
    data = {
        "truncated": good[: len(good) * 2 // 3],
        "bad magic": b"MODL" + good[4:],
        "random": blob(len(good), 10),
        "foreign op": image_with_op("TANH"),
    }[kind]

    async def main():
        async with BoardClient(open_link(spec(board))) as client:
            await push(client, good, "working")
            with pytest.raises(BoardError) as refused:
                await push(client, data, "broken")
            return str(refused.value), await model_slots(client), client.info.active_model_id

    message, slots, active = run(main())
    assert message.startswith("the board refused the model: ") and reason in message
    assert message.endswith("the previous model stays active")
    assert slots.slots[slots.active_slot].model_id == "working" and active == "working"
    assert slots.transfer_id == 0  # the refused transfer is dropped, not left to resume


@BOTH
def test_a_refused_upload_into_the_rollback_slot_keeps_that_model_only_on_the_python_board(board):
    """The boards' one intended difference: the C++ board writes the new model into the inactive slot as
    chunks arrive (no RAM for a whole model), so the model kept there for rollback is gone from the first
    chunk on, even if the upload is then refused. The active model stays on both."""
    first, second = image(drop=("w",)), image()

    async def main():
        async with BoardClient(open_link(spec(board))) as client:
            await push(client, first, "first")  # slot 0
            await push(client, second, "second")  # slot 1, active; "first" kept for rollback
            with pytest.raises(BoardError, match="not a Wandlab board image"):
                await push(client, b"MODL" + first[4:], "broken")  # into slot 0
            slots = await model_slots(client)
            try:
                back: int | str = await rollback(client)
            except BoardError as refused:
                back = str(refused)
            return slots, back, client.info.active_model_id

    slots, back, active = run(main())
    assert slots.active_slot == 1 and slots.slots[1].model_id == "second"
    if board == "python":
        assert slots.slots[0].valid and slots.slots[0].model_id == "first" and back == 0
    else:
        assert not slots.slots[0].valid
        assert back == "no previous model is stored on the board to roll back to" and active == "second"
