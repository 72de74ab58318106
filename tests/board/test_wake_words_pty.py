"""Wake words over the pty, against the Python virtual wand and the C++ firmware alike (tests/board/boards.py):
a word enrolled from three utterances the wand says wakes the board once, presses its key and survives a
power cycle; other words do not wake it; uploads the board cannot use are refused with the same sentences;
a WakeEvent names a sample the host already has. The C++ board runs wandlab_core's BoardWords with the
shipped speech model in TFLM (firmware_sketches/native_board)."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

import numpy as np
import pytest

from tests.board.boards import BOTH, NATIVE, spec
from wandlab.board import BoardClient
from wandlab.board.blocks import SampleBlock
from wandlab.board.controller import set_hid_map
from wandlab.board.words import clear_word, list_words, next_wake, word_class
from wandlab.errors import BoardError
from wandlab.flows.connect import open_link
from wandlab.flows.enroll_word import enroll_word, record_takes
from wandlab.protocol import SimSay
from wandlab.protocol.controller import ActionKind, HidAction, HidReport
from wandlab.protocol.session import Ack
from wandlab.protocol.words import WakeEvent, WordClear, WordUpload
from wandlab.virtual.speech import espeak_available
from wandlab.virtual.word_model import shipped_speech_crc

pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing")

WORD = "marmalade"  # person 0 says it far from other words (tests/virtual/test_words.py)
SPACE = HidAction(0, int(ActionKind.KEY), 0x2C, 0)
CIRCLE = HidAction(0, int(ActionKind.CONSUMER), 0xCD, 0)  # a gesture's entry, which must stay


async def _refusal(client: BoardClient, message: object) -> str:
    """The board's sentence for a request it refuses (Error: client.request raises it as BoardError)."""
    with pytest.raises(BoardError) as refused:
        await client.request(message)
    text = str(refused.value)
    return text[text.index(": ") + 2 : text.rindex(" (")]


def run(coro, timeout_s: float = 120):
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


async def _say_and_listen(client: BoardClient, text: str, seconds: float = 3.0) -> tuple[list[WakeEvent], list]:
    """The wand says ``text``; the wakes and HID reports the board sends within ``seconds``."""
    heard: list = []

    def listener(message: object) -> None:
        if isinstance(message, (WakeEvent, HidReport)):
            heard.append(message)

    client.on_event(listener)
    try:
        await client.request(SimSay(text))
        await asyncio.sleep(seconds)
    finally:
        client.off_event(listener)
    return [m for m in heard if isinstance(m, WakeEvent)], [m for m in heard if isinstance(m, HidReport)]


@BOTH
def test_a_word_enrolled_over_the_pty_wakes_the_board_once_and_survives_a_power_cycle(tmp_path: Path, board: str):
    link_spec = spec(board, state=tmp_path / "wand", person=0, seed=0)

    async def enrol() -> None:
        async with BoardClient(open_link(link_spec), reconnect=False) as client:
            await set_hid_map(client, [CIRCLE])

            async def say() -> None:
                await client.request(SimSay(WORD))

            takes = await record_takes(client, WORD, say=say)
            done = await enroll_word(client, WORD, takes, action=SPACE)
            assert done.word_id == 0
            listed = await list_words(client)
            assert listed.model_crc == shipped_speech_crc() and listed.dim == 32
            assert [(w.word_id, w.label, w.count) for w in listed.words] == [(0, WORD, 3)]
            await asyncio.sleep(1.2)  # the board's first second of listening on its own
            wakes, reports = await _say_and_listen(client, WORD)
            assert [(w.word_id, w.label) for w in wakes] == [(0, WORD)], wakes
            assert wakes[0].distance <= wakes[0].threshold and 0 < wakes[0].latency_us < 200_000
            assert [(r.class_id, r.code) for r in reports] == [(word_class(0), 0x2C)]
            for other in ("hello", "seven"):
                assert (await _say_and_listen(client, other, 2.5))[0] == [], other

    async def after_power_cycle() -> None:
        async with BoardClient(open_link(link_spec), reconnect=False) as client:
            assert [w.label for w in (await list_words(client)).words] == [WORD]
            await asyncio.sleep(1.2)
            wakes, reports = await _say_and_listen(client, WORD)
            assert [w.label for w in wakes] == [WORD] and len(reports) == 1
            await clear_word(client)
            assert (await list_words(client)).words == ()
            assert (await _say_and_listen(client, WORD, 2.5))[0] == []

    run(enrol())
    run(after_power_cycle())


@BOTH
def test_a_wake_names_a_sample_the_host_already_has(tmp_path: Path, board: str):
    """With the host streaming audio, the WakeEvent follows the AudioBlock holding the sample it decided on."""
    link_spec = spec(board, state=tmp_path / "wand", person=0, seed=0)

    async def main() -> tuple[list, WakeEvent | None]:
        async with BoardClient(open_link(link_spec), reconnect=False) as client:
            async def say() -> None:
                await client.request(SimSay(WORD))

            takes = await record_takes(client, WORD, say=say)
            await enroll_word(client, WORD, takes)
            order: list = []
            client.on_block(lambda b: order.append(b) if b.sensor == "audio" else None)
            client.on_event(lambda m: order.append(m) if isinstance(m, WakeEvent) else None)
            await client.start_stream(imu=False, audio=True)
            await asyncio.sleep(1.2)
            await client.request(SimSay(WORD))
            wake = await next_wake(client, 4.0)
            await client.stop_stream()
            return order, wake

    order, wake = run(main())
    assert wake is not None
    before = [b for b in order[: order.index(wake)] if isinstance(b, SampleBlock)]
    last = before[-1]
    assert last.first_sample <= wake.audio_sample_index < last.first_sample + last.samples


@BOTH
def test_uploads_the_board_cannot_use_are_refused_with_the_same_sentences(board: str):
    crc = shipped_speech_crc()
    assert crc is not None
    codes = np.random.default_rng(1).integers(0, 127, (3, 32)).astype(np.int8).tobytes()

    async def main() -> dict[str, str]:
        said: dict[str, str] = {}
        async with BoardClient(open_link(spec(board)), reconnect=False) as client:
            cases = {
                "crc": WordUpload(255, WORD, 0.05, crc ^ 1, 32, codes),
                "dim": WordUpload(255, WORD, 0.05, crc, 32, codes[:-1]),
                "nan": WordUpload(255, WORD, float("nan"), crc, 32, codes),
                "id": WordUpload(16, WORD, 0.05, crc, 32, codes),
                "blank": WordUpload(255, " ", 0.05, crc, 32, codes),
                "long": WordUpload(255, "x" * 65, 0.05, crc, 32, codes),
                "refs": WordUpload(255, WORD, 0.05, crc, 32, codes * 3),
            }
            for name, message in cases.items():
                said[name] = await _refusal(client, message)
            # 255 picks the word with the same label (replacing it), else the first free id.
            for label, want in ((WORD, 0), ("lumos", 1), (WORD, 0)):
                assert isinstance(await client.request(WordUpload(255, label, 0.05, crc, 32, codes)), Ack)
                assert {w.label: w.word_id for w in (await list_words(client)).words}[label] == want
            said["clash"] = await _refusal(client, WordUpload(5, "lumos", 0.05, crc, 32, codes))
            for i in range(2, 16):
                assert isinstance(await client.request(WordUpload(255, f"w{i}", 0.05, crc, 32, codes)), Ack)
            said["full"] = await _refusal(client, WordUpload(255, "one more", 0.05, crc, 32, codes))
            said["unknown"] = await _refusal(client, WordClear(20))
        return said

    said = run(main(), 60)
    assert said["crc"] == (
        f"'{WORD}' was embedded by speech model {crc ^ 1:08x}, this board runs {crc:08x}: enrol it with an app "
        "whose speech model matches the firmware"
    )
    assert said["dim"] == "a word's references must be whole 32-D int8 vectors (got dim 32, 95 bytes)"
    assert said["nan"] == "threshold nan is not a cosine distance between 0 and 2"
    assert said["id"] == "word ids are 0-15 (255: the board picks)"
    assert said["blank"] == "a wake word needs a label"
    assert said["long"] == "a wake word's label is at most 64 bytes"
    assert said["refs"] == "a word holds at most 8 references, got 9"
    assert said["clash"] == "'lumos' is already word 1: clear it first or upload to that id"
    assert said["full"] == "the board holds 16 words, its most: clear one first"
    assert said["unknown"] == "no word 20 on the board"


@NATIVE
def test_the_native_board_drops_words_of_another_speech_model_and_a_damaged_record_at_boot(tmp_path: Path, board: str):
    crc = shipped_speech_crc()
    assert crc is not None
    link_spec = spec(board, state=tmp_path)
    codes = np.random.default_rng(2).integers(0, 127, (3, 32)).astype(np.int8).tobytes()

    async def upload() -> None:
        async with BoardClient(open_link(link_spec), reconnect=False) as client:
            for label in ("nox", "lumos"):
                assert isinstance(await client.request(WordUpload(255, label, 0.05, crc, 32, codes)), Ack)

    async def boot() -> tuple[list[str], str]:
        link = open_link(link_spec)
        async with BoardClient(link, reconnect=False) as client:
            return [w.label for w in (await list_words(client)).words], link.board.stderr_text()

    run(upload(), 60)
    record = tmp_path / "native-words.rec"
    data = bytearray(record.read_bytes())
    assert run(boot(), 60)[0] == ["nox", "lumos"]  # as stored: by id
    data[8:12] = (crc ^ 1).to_bytes(4, "little")  # made by another speech model
    data[-4:] = zlib.crc32(bytes(data[:-4])).to_bytes(4, "little")
    record.write_bytes(bytes(data))
    words, said = run(boot(), 60)
    assert words == []
    assert ("the board's speech model changed: dropped the wake words lumos, nox (made by the previous one); "
            "enrol them again") in said
    run(upload(), 60)
    data = bytearray(record.read_bytes())
    data[20] ^= 0x40  # one bit of a label
    record.write_bytes(bytes(data))
    words, said = run(boot(), 60)
    assert words == [] and "the stored wake words are damaged" in said
