"""The native board's flash lives in its state directory (``virtual:?firmware=native&state=DIR``,
firmware_sketches/native_board/file_flash.h): a board killed outright mid-upload (no exit path, as a
power cut) comes back with its old model active and resumes the upload; a slot damaged while it was off
is found at boot, said, and not run; without ``state`` every start is a new board and the temporary
directory goes when the board exits. (The same requests against both boards: tests/board/.)"""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

import pytest

from tests.board.boards import NATIVE_MISSING
from tests.virtual.gesture_models import image
from wandlab.board import BoardClient
from wandlab.board.transfer import model_slots, upload_model
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link
from wandlab.virtual import native_board

pytestmark = [
    pytest.mark.skipif(NATIVE_MISSING is not None, reason=f"cannot build the native board: {NATIVE_MISSING}"),
    pytest.mark.timeout(native_board.BUILD_TIMEOUT_S + 300),
]
CHUNK = 256
SLOT_BYTES = 256 * 1024  # main.cpp kSlotBytes: slot 0 starts the flash file, slot 1 follows


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    native_board.build()  # once, outside the tests' own time limits


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_a_board_killed_mid_upload_keeps_its_model_and_resumes(tmp_path: Path) -> None:
    old, new = image(drop=("w",)), image()
    spec = f"virtual:?firmware=native&state={tmp_path}"

    async def main() -> tuple[object, list[object], object, str, bool]:
        link = open_link(spec)
        client = BoardClient(link, reconnect=False)
        await client.connect()
        async for _ in upload_model(client, old, "old"):
            pass
        process = link.board.process
        port = Path(link.board.spec.split(":", 1)[1])
        with pytest.raises((BoardError, LinkError)):
            async for p in upload_model(client, new, "new", chunk_bytes=CHUNK):
                if p.acked_bytes >= len(new) // 2:
                    process.kill()  # SIGKILL: no destructor, no msync at exit, nothing flushed by the board
                    await asyncio.sleep(0.2)
        await client.close()
        port_left = port.is_symlink()  # the killed board could not remove its port's name: the app does
        async with BoardClient(open_link(spec), reconnect=False) as client:
            active = client.info.active_model_id
            before = await model_slots(client)
            progress = [p async for p in upload_model(client, new, "new", chunk_bytes=CHUNK)]
            after = await model_slots(client)
        return before, progress, after, active, port_left

    before, progress, after, active, port_left = run(main())
    assert not port_left
    assert active == "old"
    assert before.transfer_received >= len(new) // 2 - CHUNK  # what the board acknowledged is on its flash
    assert progress[0].resumed_from >= len(new) // 2 - CHUNK and progress[-1].stage == "done"
    assert after.slots[after.active_slot].sha256 == hashlib.sha256(new).digest()
    names = {p.name for p in tmp_path.iterdir()}
    assert "native-flash.bin" in names and all(n.startswith("native-") for n in names), names  # no temporary files


def test_a_slot_damaged_while_the_board_was_off_is_said_at_boot_and_not_run(tmp_path: Path) -> None:
    spec = f"virtual:?firmware=native&state={tmp_path}"

    async def push() -> None:
        async with BoardClient(open_link(spec)) as client:
            async for _ in upload_model(client, image(), "gesture"):
                pass

    async def boot() -> tuple[str, object, str]:
        link = open_link(spec)
        async with BoardClient(link) as client:
            return client.info.active_model_id, await model_slots(client), link.board.stderr_text()

    run(push())
    flash = tmp_path / "native-flash.bin"
    data = bytearray(flash.read_bytes())
    data[1000] ^= 0x01  # one bit of slot 0, where the model is
    flash.write_bytes(bytes(data))
    active, slots, said = run(boot())
    assert active == "" and not slots.slots[0].valid
    assert "slot A does not match its size and SHA-256 (damaged flash?); it counts as empty" in said
    assert "no model" in said


def test_without_a_state_directory_every_start_is_a_new_board_and_leaves_nothing(tmp_path: Path) -> None:
    async def main() -> tuple[str, str, str]:
        link = open_link("virtual:?firmware=native")
        async with BoardClient(link) as client:
            async for _ in upload_model(client, image(), "gesture"):
                pass
            first = client.info.active_model_id
        said = link.board.stderr_text()
        async with BoardClient(open_link("virtual:?firmware=native")) as client:
            second = client.info.active_model_id
        return first, second, said

    first, second, said = run(main())
    assert (first, second) == ("gesture", "")
    where = re.search(r"state in (\S+) \(temporary", said)
    assert where is not None, said
    assert not Path(where.group(1)).exists()  # removed when the board exited
