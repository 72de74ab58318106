"""Wake words on the virtual wand: enrolled from three utterances it says itself, detected on its own
microphone with the speech model in TFLM, mapped to a key, kept across a restart.

Other voices saying the same word are not tested: the speech model does not tell voices apart (a word
enrolled by one simulated person wakes for most others; see onboard/wake_detector.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.virtual.gesture_models import SimBoard
from wandlab.board.words import int8_codes
from wandlab.ml import wakeword as ww
from wandlab.protocol import Ack, AudioBlock, Error, ErrorCode, Log, Sensors, SimSay, StreamStart, StreamStop
from wandlab.protocol.controller import ActionKind, HidAction, HidEnable, HidMapSet, HidReport
from wandlab.protocol.words import WakeEvent, WordClear, WordList, WordListReply, WordUpload
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig
from wandlab.virtual.speech import espeak_available

pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing")

WORD = "marmalade"
PERSON = 0
SPACE = HidAction(0x80, int(ActionKind.KEY), 0x2C, 0)
CIRCLE = HidAction(0, int(ActionKind.CONSUMER), 0xCD, 0)  # a gesture's entry, which must stay


@pytest.fixture(scope="module")
def embedder() -> ww.Embedder:
    return ww.Embedder()


def _board(state) -> SimBoard:
    return SimBoard(VirtualBoard(VirtualWandConfig(person=PERSON, seed=PERSON, state_dir=str(state))))


def _upload_message(word: ww.WakeWord, embedder: ww.Embedder, word_id: int = 255, crc: int | None = None) -> WordUpload:
    codes = int8_codes(word.refs, embedder.out_scale, embedder.out_zero)
    return WordUpload(
        word_id, word.label, word.threshold, embedder.model_crc if crc is None else crc, codes.shape[1], codes.tobytes()
    )


def _enrol(sim: SimBoard, embedder: ww.Embedder, text: str = WORD) -> ww.WakeWord:
    """The wand says ``text`` three times into the host's audio stream; the PC enrols the takes."""
    base = sim.board.audio.position
    sim.send(StreamStart(int(Sensors.AUDIO), 0))
    blocks = []
    for _ in range(3):
        sim.send(SimSay(text))
        blocks += [m.data for m in sim.run(2.0) if isinstance(m, AudioBlock)]
    sim.send(StreamStop(int(Sensors.AUDIO)))
    pcm = np.concatenate(blocks)
    takes = [pcm[max(0, a - base - 3200) : b - base + 3200] for a, b, _ in sim.board.audio.events[-3:]]
    return ww.enroll(text, takes, embedder)


def _say(sim: SimBoard, text: str, seconds: float = 2.5) -> list:
    sim.send(SimSay(text))
    return [m for m in sim.run(seconds) if not isinstance(m, AudioBlock) and not isinstance(m, Log)]


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory, embedder):
    """A board state folder holding the word (uploaded) and a HID map with it and a gesture."""
    state = tmp_path_factory.mktemp("wand")
    sim = _board(state)
    word = _enrol(sim, embedder)
    assert sim.send(_upload_message(word, embedder)) == [Ack(sim.seq)]
    assert sim.send(HidMapSet((CIRCLE, SPACE))) == [Ack(sim.seq)]
    return state, word


def test_the_board_wakes_once_on_its_word_and_presses_its_key_without_a_host_stream(enrolled):
    state, _ = enrolled
    sim = _board(state)  # a fresh boot: the words came back from flash
    sim.run(1.2)  # its microphone runs on its own clock: nothing streams to the host
    heard = _say(sim, WORD)
    assert [type(m) for m in heard] == [WakeEvent, HidReport], heard
    wake, report = heard
    assert (wake.word_id, wake.label) == (0, WORD) and wake.distance <= wake.threshold
    assert 0 < wake.latency_us < 200_000
    start, end, _ = sim.board.audio.events[-1]
    assert start < wake.audio_sample_index < end + 8000  # numbered by the microphone's own sample count
    assert (report.class_id, report.kind, report.code, report.sent) == (0x80, ActionKind.KEY, 0x2C, 0)
    assert sim.board.words.detector is not None and sim.board.words.detector.embeddings > 0
    for other in ("hello", "music", "seven"):
        assert _say(sim, other) == [], other
    assert [type(m) for m in _say(sim, WORD)] == [WakeEvent, HidReport]


def test_with_the_host_streaming_the_wake_follows_the_samples_it_heard(enrolled):
    sim = _board(enrolled[0])
    sim.send(StreamStart(int(Sensors.AUDIO), 0))
    sim.run(1.2)
    sim.send(SimSay(WORD))
    out = sim.run(2.5)
    wakes = [m for m in out if isinstance(m, WakeEvent)]
    assert len(wakes) == 1
    before = out[: out.index(wakes[0])]
    last_block = [m for m in before if isinstance(m, AudioBlock)][-1]
    # In the AudioBlock numbering, and already sent: the host has the audio the board decided on.
    assert last_block.first_sample <= wakes[0].audio_sample_index < last_block.first_sample + len(last_block.data)


def test_a_bonded_computer_gets_the_key_over_hid(enrolled):
    sim = _board(enrolled[0])
    pressed = []
    sim.board.brain.press = lambda action: pressed.append(action) or True  # what the BLE server installs
    sim.send(HidEnable(1))
    sim.run(1.2)
    reports = [m for m in _say(sim, WORD) if isinstance(m, HidReport)]
    assert [r.sent for r in reports] == [1] and pressed == [SPACE]


def test_words_are_listed_and_cleared(enrolled, tmp_path, embedder):
    sim = _board(enrolled[0])
    (reply,) = sim.send(WordList())
    assert isinstance(reply, WordListReply) and reply.model_crc == embedder.model_crc and reply.dim == 32
    assert [(w.word_id, w.label, w.count) for w in reply.words] == [(0, WORD, 3)]
    # The board's references, made from the uploaded int8 outputs, are the PC's to the last bit.
    np.testing.assert_array_equal(sim.board.words.detector.words[0].refs, enrolled[1].refs)
    # A copy of the state, so the module's word stays for the other tests.
    other = tmp_path / "copy"
    other.mkdir()
    for f in enrolled[0].iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    sim = _board(other)
    (refusal,) = sim.send(WordClear(7))
    assert isinstance(refusal, Error) and refusal.message == "no word 7 on the board"
    assert sim.send(WordClear(255)) == [Ack(sim.seq)]
    assert sim.send(WordList())[0].words == ()
    sim.run(1.2)
    assert _say(sim, WORD) == []
    assert _board(other).send(WordList())[0].words == ()  # cleared in flash too


def test_words_from_another_speech_model_are_refused_with_a_sentence(enrolled, tmp_path, embedder):
    sim = _board(tmp_path)
    (refusal,) = sim.send(_upload_message(enrolled[1], embedder, crc=embedder.model_crc ^ 1))
    assert isinstance(refusal, Error) and refusal.code == ErrorCode.BAD_ARGUMENT
    assert "speech model" in refusal.message and f"{embedder.model_crc:08x}" in refusal.message
    assert refusal.message.endswith("matches the firmware")
    assert sim.send(WordList())[0].words == ()


def test_uploads_the_board_cannot_use_are_refused(enrolled, tmp_path, embedder):
    sim = _board(tmp_path)
    word = enrolled[1]
    good = _upload_message(word, embedder)
    cases = {
        "whole 32-D int8 vectors": WordUpload(255, WORD, 0.05, good.model_crc, 32, good.embeddings[:-1]),
        "not a cosine distance": WordUpload(255, WORD, float("nan"), good.model_crc, 32, good.embeddings),
        "word ids are 0-15": WordUpload(16, WORD, 0.05, good.model_crc, 32, good.embeddings),
        "needs a label": WordUpload(255, " ", 0.05, good.model_crc, 32, good.embeddings),
    }
    for expected, message in cases.items():
        (reply,) = sim.send(message)
        assert isinstance(reply, Error) and expected in reply.message, (expected, reply)
    # 255 picks the word with the same label (replacing it), else the first free id.
    for label, want in ((WORD, 0), ("lumos", 1), (WORD, 0)):
        sim.send(WordUpload(255, label, 0.05, good.model_crc, 32, good.embeddings))
        assert {w.label: w.word_id for w in sim.send(WordList())[0].words}[label] == want
    (clash,) = sim.send(WordUpload(5, "lumos", 0.05, good.model_crc, 32, good.embeddings))
    assert isinstance(clash, Error) and "'lumos' is already word 1" in clash.message
    for i in range(2, 16):
        assert sim.send(WordUpload(255, f"w{i}", 0.05, good.model_crc, 32, good.embeddings)) == [Ack(sim.seq)]
    (full,) = sim.send(WordUpload(255, "one more", 0.05, good.model_crc, 32, good.embeddings))
    assert isinstance(full, Error) and "clear one first" in full.message


def test_stored_words_of_another_speech_model_are_dropped_at_boot(enrolled, tmp_path):
    doc = json.loads((enrolled[0] / "words.json").read_text())
    doc["model_crc"] ^= 1
    (tmp_path / "words.json").write_text(json.dumps(doc))
    board = VirtualBoard(VirtualWandConfig(state_dir=str(tmp_path)))
    notes = [m.text for m in board.poll(0.0) if isinstance(m, Log)]
    assert any("speech model changed" in n and WORD in n for n in notes), notes
    assert board.handle(1, WordList(), 0.0)[0].words == ()
    assert not board.words.listening
