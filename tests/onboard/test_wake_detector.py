"""The streaming wake detector: one wake per utterance, none on silence, noise or another word.

A stand-in embedding (the window's mean spectrum shape) keeps these numpy-only and fast; the speech model
itself runs in tests/virtual/test_words.py on the virtual wand.
"""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.onboard import audio_features as af
from wandlab.onboard.wake_detector import MACS_PER_EMBEDDING, WakeDetector, WordRefs, macs_per_second

RATE = 16000


def embed(q: np.ndarray) -> np.ndarray:
    v = np.asarray(q, np.float64).mean(axis=0)
    v = v - v.mean()
    return (v / max(np.linalg.norm(v), 1e-9)).astype(np.float32)


def burst(freq: float, seconds: float = 0.4, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    x = level * np.sin(2 * np.pi * freq * t) * np.hanning(len(t)) ** 0.2
    return np.round(x * 32767).astype(np.int16)


def quiet(seconds: float) -> np.ndarray:
    noise = np.random.default_rng(int(seconds * 1000)).normal(0, 32768 * 10 ** (-60 / 20), int(seconds * RATE))
    return np.round(noise).astype(np.int16)


def word(freq: float, word_id: int = 0, threshold: float = 0.05) -> WordRefs:
    refs = np.stack([embed(af.clip_features(burst(freq * k))) for k in (0.99, 1.0, 1.01)])
    return WordRefs(word_id, f"tone {freq:.0f}", refs, threshold)


def run(detector: WakeDetector, pcm: np.ndarray, chunk: int = 256) -> list:
    return [w for i in range(0, len(pcm), chunk) for w in detector.feed(pcm[i : i + chunk])]


def test_one_wake_per_utterance_soon_after_it_ends():
    a = burst(700)
    stream = np.concatenate([quiet(1.5), a, quiet(2.0), a, quiet(2.0)])
    wakes = run(WakeDetector(embed, [word(700)]), stream)
    ends = [int(1.5 * RATE) + len(a), int(3.5 * RATE) + 2 * len(a)]
    assert [w.word_id for w in wakes] == [0, 0]
    for wake, end in zip(wakes, ends, strict=True):
        assert wake.distance <= wake.threshold == 0.05 and wake.label == "tone 700"
        assert -0.4 * RATE < wake.sample_index - end < 0.6 * RATE


def test_silence_quiet_rooms_noise_and_other_words_do_not_wake():
    detector = WakeDetector(embed, [word(700)])
    assert run(detector, np.zeros(3 * RATE, np.int16)) == []
    assert run(detector, quiet(3.0)) == []
    assert detector.embeddings == 0 and detector.hops > 10  # the gate kept the model off
    loud_noise = np.round(np.random.default_rng(1).normal(0, 8000, 2 * RATE)).astype(np.int16)
    other = np.concatenate([quiet(1.0), burst(2300), quiet(1.5)])
    assert run(detector, np.concatenate([loud_noise, other])) == []
    assert detector.embeddings > 0


def test_the_refractory_second_turns_a_long_utterance_into_one_wake():
    long = np.concatenate([burst(700, 0.45), burst(700, 0.45)])  # matches in every window it fills
    stream = np.concatenate([quiet(1.5), long, quiet(2.5)])
    assert len(run(WakeDetector(embed, [word(700)]), stream)) == 1
    assert len(run(WakeDetector(embed, [word(700)], refractory_s=0.0), stream)) > 1
    # A repeat after the refractory second is another utterance, and wakes again.
    again = np.concatenate([quiet(1.5), burst(700), quiet(1.3), burst(700), quiet(1.5)])
    assert len(run(WakeDetector(embed, [word(700)]), again)) == 2


def test_decisions_do_not_depend_on_how_the_stream_is_cut():
    stream = np.concatenate([quiet(1.2), burst(700), quiet(1.5), burst(1100), quiet(1.0), burst(700), quiet(1.3)])
    words = [word(700, 0), word(1100, 5)]
    runs = [
        [(w.word_id, w.sample_index, round(w.distance, 6)) for w in run(WakeDetector(embed, words), stream, c)]
        for c in (37, 256, 1000, 16000)
    ]
    assert runs[0] == runs[1] == runs[2] == runs[3]
    assert [w for w, _, _ in runs[0]] == [0, 5, 0]


def test_sample_indices_follow_the_stream_numbering():
    stream = np.concatenate([quiet(1.5), burst(700), quiet(1.5)])
    plain = run(WakeDetector(embed, [word(700)]), stream)
    renumbered = WakeDetector(embed, [word(700)])
    wakes = [w for i in range(0, len(stream), 256) for w in renumbered.feed(stream[i : i + 256], 10_000 + i)]
    assert [w.sample_index for w in wakes] == [w.sample_index + 10_000 for w in plain]


def test_a_board_without_words_runs_no_model():
    detector = WakeDetector(embed)
    assert run(detector, np.concatenate([quiet(1.0), burst(700), quiet(1.0)])) == []
    assert detector.embeddings == 0
    with pytest.raises(ValueError):
        WakeDetector(embed, [WordRefs(0, "x", np.zeros((0, 8)), 0.1)])


def test_compute_figures_come_from_the_shipped_model():
    from wandlab.ml.shipped import speech_model
    from wandlab.ml.verify import count_macs

    assert count_macs(speech_model().read_bytes()) == MACS_PER_EMBEDDING
    assert macs_per_second() == pytest.approx(MACS_PER_EMBEDDING * 6.25)  # one embedding per 160 ms


def test_the_pc_runs_the_board_detector_with_the_stream_detector_interface():
    from wandlab.ml import wakeword as ww
    from wandlab.ml.wake_stream import BoardStreamDetector

    embedder = ww.Embedder()
    takes = [burst(700 * k) for k in (0.99, 1.0, 1.01)]
    refs = np.stack([embedder.embed_features(af.clip_features(t)) for t in takes])
    # A tone is nothing the speech model was trained on: its windows off the centre land further from
    # the centred references than a word's would, hence a lenient threshold (the interface is the point).
    word = ww.WakeWord("tone", refs, 0.15)
    detector = BoardStreamDetector(word, embedder)
    stream = np.concatenate([quiet(1.5), burst(700), quiet(2.0)])
    wakes = [w for i in range(0, len(stream), 1600) for w in detector.feed(stream[i : i + 1600])]
    assert len(wakes) == 1 and 1.5 < wakes[0][0] < 3.0 and wakes[0][1] <= 0.15
    assert detector.embeddings > 0 and detector.wakes[0].label == "tone"


def test_the_board_listens_to_every_level_enrolment_accepts():
    from wandlab.ml import wakeword
    from wandlab.onboard import wake_detector

    assert wake_detector.GATE_DBFS <= wakeword.MIN_PEAK_DBFS
