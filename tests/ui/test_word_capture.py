"""The word wizard's take capture and checks, without a window: a take ends with the voice, Stop keeps what
was said, silence times out, noise close to the voice is refused, and the odd take of three is found."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.flows.word_takes import check_take
from wandlab.ml.wakeword import EnrollmentError
from wandlab.ui.word_capture import TakeCapture, TakeState, odd_one_out
from wandlab.virtual.audio import AudioSynth

BLOCK = 256


def feed(capture: TakeCapture, synth: AudioSynth, seconds: float) -> None:
    for _ in range(int(seconds * 16000 / BLOCK)):
        if capture.over:
            return
        capture.feed(synth.next(BLOCK))


def test_a_take_ends_when_the_voice_does_and_holds_the_word() -> None:
    synth = AudioSynth(16000, person=3)
    capture = TakeCapture()
    feed(capture, synth, 0.5)
    assert capture.state is TakeState.LISTENING and capture.level_dbfs < -45  # the room, on the meter
    synth.say("hey wand")
    feed(capture, synth, 4.0)
    assert capture.state is TakeState.DONE
    ((start, end, _),) = synth.events
    take = capture.pcm
    assert end - start - 4000 < len(take) < end - start + 16000  # the word and a little around it, not 4 s
    assert capture.peak_dbfs > -30 and not capture.clipped
    assert 0.3 < len(check_take(take)) / 16000 < 1.2


def test_stop_keeps_a_voice_and_silence_times_out() -> None:
    synth = AudioSynth(16000, person=3)
    capture = TakeCapture()
    feed(capture, synth, 0.4)
    synth.say("abracadabra")
    while capture.state is not TakeState.HEARING:
        capture.feed(synth.next(BLOCK))
    feed(capture, synth, 0.2)
    assert capture.stop() is TakeState.DONE and capture.pcm.size > 0  # Stop mid-word keeps what was said
    quiet = TakeCapture(timeout_s=1.0)
    feed(quiet, AudioSynth(16000), 2.0)
    assert quiet.state is TakeState.NOTHING and quiet.pcm.size == 0
    early = TakeCapture()
    early.feed(np.zeros(BLOCK, np.int16))
    assert early.stop() is TakeState.NOTHING  # Stop before anyone spoke: nothing to judge


def test_noise_close_to_the_voice_is_refused_as_noisy() -> None:
    synth = AudioSynth(16000, person=3)
    capture = TakeCapture()
    feed(capture, synth, 0.4)
    synth.say("lumos")
    feed(capture, synth, 3.0)
    take = capture.pcm.astype(np.float64)
    peak = float(np.abs(take).max())
    noisy = take + np.random.default_rng(1).normal(0, peak / 6, len(take))
    with pytest.raises(EnrollmentError, match="too noisy") as err:
        check_take(np.clip(np.round(noisy), -32768, 32767).astype(np.int16))
    assert err.value.reason == "noisy"
    check_take(capture.pcm)  # the same take in the quiet room passes


def test_the_odd_take_is_the_one_furthest_from_the_other_two() -> None:
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([0.99, 0.141, 0.0])
    c = np.array([0.0, 0.0, 1.0])
    assert odd_one_out([a, c, b / np.linalg.norm(b)]) == 1
