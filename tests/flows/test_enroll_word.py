"""The wake word flow against the virtual wand over its pseudo-terminal: three takes from the board's audio
stream (a bad one refused with its reason and asked again), enrolled, uploaded, mapped, kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from wandlab.board import BoardClient
from wandlab.board.controller import get_hid_map, set_gesture_keys, set_hid_map
from wandlab.board.words import list_words, next_wake, word_class
from wandlab.dataset.project import Project
from wandlab.flows.connect import open_link
from wandlab.flows.enroll_word import WordStep, enroll_word, record_takes
from wandlab.flows.utterance import Cut, UtteranceCutter
from wandlab.protocol import SimSay
from wandlab.protocol.controller import ActionKind, HidAction, HidReport
from wandlab.virtual.speech import espeak_available, synthesize_speech

WORD = "marmalade"  # person 0 says it far from other words (tests/virtual/test_words.py)
CIRCLE = HidAction(0, int(ActionKind.CONSUMER), 0xCD, 0)


def _room(seconds: float, seed: int = 0) -> np.ndarray:
    return np.round(np.random.default_rng(seed).normal(0, 60, int(seconds * 16000))).astype(np.int16)


def test_the_cutter_ends_a_take_when_the_voice_stops():
    word = (
        synthesize_speech(WORD, 0, 16000, 0)
        if espeak_available()
        else (np.sin(np.arange(8000) / 5) * 8000).astype(np.int16)
    )
    stream = np.concatenate([_room(0.8), word + _room(len(word) / 16000, 1), _room(1.5, 2)])
    cutter = UtteranceCutter()
    done_at = None
    for i in range(0, len(stream), 256):
        if cutter.feed(stream[i : i + 256]) == Cut.DONE and done_at is None:
            done_at = i + 256
    take = cutter.take()
    assert cutter.state == Cut.DONE and done_at is not None
    assert 0.8 * 16000 + len(word) - 0.3 * 16000 < done_at < 0.8 * 16000 + len(word) + 0.8 * 16000
    assert len(word) - 0.4 * 16000 < len(take) < len(word) + 0.6 * 16000
    silent = UtteranceCutter()
    for i in range(0, 3 * 16000, 256):
        silent.feed(_room(0.016, i))
    assert silent.state == Cut.LISTENING and silent.heard_s == pytest.approx(3.0, abs=0.02)


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing")
def test_a_word_enrolled_from_the_board_wakes_it_and_presses_its_key(tmp_path: Path):
    steps: list[WordStep] = []
    clipped = np.where(np.arange(8000) % 40 < 20, 32767, -32768).astype(np.int16)  # refused: clipped

    async def main() -> None:
        link = open_link(f"virtual:?state={tmp_path / 'wand'}&person=0&seed=0")
        async with BoardClient(link, reconnect=False) as client:
            await set_hid_map(client, [CIRCLE])  # a gesture's key, which the word must not drop
            audio = link.wand.board.audio  # type: ignore[attr-defined]
            attempts = 0

            async def say() -> None:
                nonlocal attempts
                attempts += 1
                if attempts == 1:
                    link.wand.call(audio.play, clipped)  # type: ignore[attr-defined]
                else:
                    await client.request(SimSay(WORD))

            takes = await record_takes(client, WORD, steps.append, say=say)
            assert not client.streaming  # the flow stopped the stream it started
            space = HidAction(0, int(ActionKind.KEY), 0x2C, 0)
            done = await enroll_word(client, WORD, takes, steps.append, action=space, project=tmp_path / "project")
            assert done.word_id == 0 and done.saved == 3 and done.action == HidAction(word_class(0), 1, 0x2C, 0)
            assert [a.class_id for a in (await get_hid_map(client)).actions] == [0, word_class(0)]
            listed = (await list_words(client)).words
            assert [(w.word_id, w.label, w.count) for w in listed] == [(0, WORD, 3)]

            reports: list[HidReport] = []
            client.on_event(lambda m: reports.append(m) if isinstance(m, HidReport) else None)
            await asyncio.sleep(1.0)  # the board's first window of listening
            await client.request(SimSay(WORD))
            wake = await next_wake(client, 4.0)
            assert wake is not None and wake.label == WORD and wake.distance <= wake.threshold
            await asyncio.sleep(0.3)
            assert [(r.class_id, r.code) for r in reports] == [(word_class(0), 0x2C)]

            # A gesture preset (Train & Flash, wandlab hid --preset) replaces the gestures' keys only.
            play = HidAction(1, int(ActionKind.CONSUMER), 0xCD, 0)
            await set_gesture_keys(client, [play])
            assert (await get_hid_map(client)).actions == (play, HidAction(word_class(0), 1, 0x2C, 0))

    asyncio.run(asyncio.wait_for(main(), 90))
    kinds = [s.kind for s in steps if s.kind != "level"]
    assert kinds == [
        "prompt",
        "refused",
        "prompt",
        "take",
        "prompt",
        "take",
        "prompt",
        "take",
        "enrolled",
        "uploaded",
        "mapped",
        "saved",
    ], kinds
    refused = next(s for s in steps if s.kind == "refused")
    assert refused.take == 1 and "clipped" in refused.message
    prompts = [s.message for s in steps if s.kind == "prompt"]
    assert prompts[:2] == [f"say '{WORD}' (1 of 3)", f"say '{WORD}' again (1 of 3)"]
    assert any(s.kind == "level" and s.level_dbfs is not None for s in steps)
    with Project.open(tmp_path / "project") as p:
        assert p.label_counts(kind="audio") == {WORD: 3}
