"""Wake word: the shipped speech model fits and is bit-exact in TFLM; enrolment checks; stream detection."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from scipy.signal import resample_poly

from wandlab.ml import wakeword as ww
from wandlab.onboard import audio_features as af

MODEL = ww.DEFAULT_MODEL
HAS_ESPEAK = shutil.which("espeak-ng") is not None


def tone(seconds: float, amplitude: float, freq: float = 300.0, noise: float = 30.0) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    x = amplitude * 32767 * np.sin(2 * np.pi * freq * t) + np.random.default_rng(1).normal(0, noise, len(t))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def speak(word: str, speed: int = 150, pitch: int = 50, voice: str = "en-us+m3") -> np.ndarray:
    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    data = raw[raw.index(b"data") + 8 :]
    x = resample_poly(np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64), 320, 441)
    return np.clip(np.round(x * 0.5), -32768, 32767).astype(np.int16)


def with_room(pcm: np.ndarray, seed: int, pad_s: float = 0.4) -> np.ndarray:
    """Pad with a quiet mic noise floor, as a real take would have."""
    pad = np.zeros(int(pad_s * 16000), dtype=np.int16)
    x = np.concatenate([pad, pcm, pad]).astype(np.float64)
    x += np.random.default_rng(seed).normal(0, 20, len(x))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def in_noise(pcm: np.ndarray, snr_db: float, pad_s: float = 0.4) -> np.ndarray:
    """Padded and drowned in steady noise ``snr_db`` below the take's RMS (a fan, a street)."""
    pad = np.zeros(int(pad_s * 16000))
    x = np.concatenate([pad, pcm.astype(np.float64), pad])
    rms = float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))
    x += np.random.default_rng(5).normal(0, rms / 10 ** (snr_db / 20), len(x))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def with_peaks_at_full_scale(pcm: np.ndarray, every: int) -> np.ndarray:
    out = pcm.copy()
    out[::every] = 32767
    return out


@pytest.fixture(scope="module")
def embedder() -> ww.Embedder:
    return ww.Embedder(MODEL)


def test_shipped_model_fits_budget_and_ops() -> None:
    from wandlab.ml import speech_model as sm

    blob = MODEL.read_bytes()
    info = sm.model_info(blob)
    assert info["bytes"] <= sm.FLASH_BUDGET
    assert set(info["ops"]) <= sm.ALLOWED_OPS and "L2_NORMALIZATION" in info["ops"]
    assert info["input_quant"] == [1 / 128, 0] and info["types"] == ["int8", "int8"]
    arena = sm.smallest_arena(blob)
    assert arena <= sm.ARENA_BUDGET
    config = json.loads((MODEL.parent / "config.json").read_text())
    assert config["model"]["bytes"] == len(blob)
    assert af.AudioFeatureConfig.from_dict(config["feature_config"]) == af.AudioFeatureConfig()


def test_tflm_bit_identical_to_litert() -> None:
    from wandlab.ml import speech_model as sm

    blob = MODEL.read_bytes()
    inputs = [af.clip_features(pcm) for pcm in af.golden_signals().values()]
    rng = np.random.default_rng(3)
    inputs += list(rng.integers(-128, 128, size=(8, 49, 40)).astype(np.int8))
    tflm, litert = sm.tflm_invoke(blob, np.stack(inputs)), sm.litert_invoke(blob, np.stack(inputs))
    assert tflm.dtype == np.int8 and np.array_equal(tflm, litert)


def test_enrollment_rejects_bad_takes_with_clear_messages(embedder: ww.Embedder) -> None:
    good = with_room(tone(0.6, 0.3), seed=1)  # a take with the room before and after the word
    cases = [
        ("too quiet", "speak louder", np.zeros(16000, dtype=np.int16)),  # digital silence
        ("too quiet", "speak louder", with_room(tone(0.6, 0.0014, noise=0), seed=2)),  # -60 dBFS
        ("clipped", "speak softer", tone(0.6, 1.5)),
        ("clipped", "speak softer", with_peaks_at_full_scale(tone(0.6, 0.3), every=60)),  # 1.7 %
        ("too short", "whole word", with_room(tone(0.04, 0.3, noise=0), seed=2)),  # a click, a tap
        ("too long", "short word", with_room(tone(3.0, 0.3), seed=2)),
        ("too noisy", "quieter place", in_noise(tone(0.6, 0.3, noise=0), snr_db=0.0)),  # a fan, a street
    ]
    for reason, advice, bad in cases:
        with pytest.raises(ww.EnrollmentError, match=f"take 2: {reason} .*{advice}") as info:
            ww.enroll("word", [good, bad, good], embedder)
        assert info.value.reason == ("noisy" if reason == "too noisy" else reason)
    with pytest.raises(ww.EnrollmentError, match="exactly 3"):
        ww.enroll("word", [good, good], embedder)


def test_checks_accept_what_real_speakers_record() -> None:
    """Takes like the ones the old checks refused on real data sets (see docs/audio.md)."""
    fine = {
        "quiet speaker, -45 dBFS (FSDD)": with_room(tone(0.5, 0.0079, noise=3), seed=2),
        "quick word cut tight, 0.12 s (FSDD)": tone(0.12, 0.3, noise=0),
        "a few flattened peaks, 0.4 %": with_room(with_peaks_at_full_scale(tone(0.6, 0.3), every=250), seed=1),
        "slow two-syllable word, 1.8 s (dspspeech20)": with_room(tone(1.8, 0.3), seed=3),
        "a fan in the room, 12 dB under the voice": in_noise(tone(0.6, 0.3, noise=0), snr_db=12.0),
    }
    for name, take in fine.items():
        assert len(ww.check_utterance(take)) > 0, name


def test_trim_ignores_clicks_and_breaths_away_from_the_word() -> None:
    take = with_room(tone(0.5, 0.3, noise=0), seed=4, pad_s=0.7)  # word at 0.7..1.2 s
    take[160:480] = tone(0.02, 0.5, 1000.0, noise=0)  # the record button at 10 ms
    take[-6400:-3200] += tone(0.2, 0.02, 600.0, noise=0)  # a breath 28 dB under the word, 0.3 s later
    start, stop = ww.voiced_span(take)
    assert abs(start - int(0.7 * 16000)) <= ww.VAD_PAD + 160
    assert abs(stop - int(1.2 * 16000)) <= ww.VAD_PAD + 160
    assert ww.voiced_seconds(take) == pytest.approx(0.5, abs=0.03)
    loud_second_word = take.copy()
    loud_second_word[-6400:-3200] = tone(0.2, 0.2, 600.0, noise=0)  # "hey ... wand": it is speech
    assert ww.voiced_span(loud_second_word)[1] >= len(take) - 3200


def test_agreement_names_the_take_of_another_word() -> None:
    def unit(angle: float) -> np.ndarray:
        return np.array([np.cos(angle), np.sin(angle), 0.0])

    def refs(*angles: float) -> np.ndarray:
        return np.stack([unit(a) for a in angles])

    # Cosine distance 1 - cos(angle): 0.2 rad apart ~ 0.02; 1.2 rad ~ 0.64.
    ww.check_agreement(refs(0.0, 0.2, 0.45))  # a sloppy but real set (0.1 from the closest)
    ww.check_agreement(refs(0.0, 0.6, 1.2))  # spread out evenly: no take is the odd one
    with pytest.raises(ww.EnrollmentError, match="take 2 sounds like a different word.*record take 2 again"):
        ww.check_agreement(refs(0.0, 1.3, 0.1))
    with pytest.raises(ww.EnrollmentError, match="too different.*same word the same way") as info:
        ww.check_agreement(refs(0.0, 1.0, 2.0))  # no two takes agree
    assert info.value.reason == "too different"


def test_trim_finds_the_word() -> None:
    take = with_room(tone(0.5, 0.3, noise=0), seed=4, pad_s=0.7)
    start, stop = ww.voiced_span(take)
    assert abs(start - int(0.7 * 16000)) <= ww.VAD_PAD + 160
    assert abs((stop - start) - 8000) <= 2 * ww.VAD_PAD + 320


def test_dtw_baseline_prefers_the_same_signal() -> None:
    a, b = ww.mfcc(tone(0.5, 0.3, 300.0)), ww.mfcc(tone(0.5, 0.3, 900.0))
    assert ww.dtw_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert ww.dtw_distance(a, b) > 0.5


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed")
def test_enrol_and_detect_in_stream(embedder: ww.Embedder) -> None:
    # One "person" (a voice) says the new word three times with natural variation in speed and pitch.
    takes = [
        with_room(speak("lighthouse", s, p), seed=i)
        for i, (s, p) in enumerate([(140, 45), (160, 55), (150, 50)])
    ]
    word = ww.enroll("lighthouse", takes, embedder)
    assert ww.WakeWord.from_json(word.to_json()).threshold == pytest.approx(word.threshold)
    again = ww.trim_voiced(with_room(speak("lighthouse", 155, 48), seed=7))
    other = ww.trim_voiced(with_room(speak("marmalade", 150, 50), seed=8))
    assert word.accepts(embedder.embed(again)), (word.distance(embedder.embed(again)), word.threshold)
    assert not word.accepts(embedder.embed(other)), (word.distance(embedder.embed(other)), word.threshold)
    odd_one = [with_room(speak("marmalade", s, p), seed=i) for i, (s, p) in enumerate([(140, 45), (160, 55)])]
    # A clearly different word is named (the rule is loose on purpose: it refuses < 1 % of real speakers'
    # genuine sets and catches a fifth of other-word takes; "zoo" sits 0.28 from these two, "yes" 0.62).
    with pytest.raises(ww.EnrollmentError, match="take 3 sounds like a different word"):
        ww.enroll("marmalade", [*odd_one, with_room(speak("yes", 150, 50), seed=2)], embedder)

    gap = np.zeros(12000, dtype=np.int16)
    target = speak("lighthouse", 155, 48)
    stream = with_room(np.concatenate([speak("marmalade", 150, 50), gap, target, gap]), seed=9, pad_s=0.5)
    detector = ww.StreamDetector(word, embedder)
    events = [e for i in range(0, len(stream), 1600) for e in detector.feed(stream[i : i + 1600])]
    target_at = (0.5 * 16000 + len(speak("marmalade", 150, 50)) + len(gap) + len(target) / 2) / 16000
    assert len(events) == 1, events
    # t is the centre of the first 1 s window that matched: the word lies inside that window.
    assert abs(events[0][0] - target_at) < 0.5, (events, target_at)


def _unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_negatives_bank_close_to_the_word_tightens_its_threshold():
    rng = np.random.default_rng(0)
    refs = _unit(np.eye(32)[0] + 0.05 * rng.normal(size=(3, 32)))
    loose = ww.calibrate_threshold(refs, 0.5)
    far_bank = _unit(rng.normal(size=(500, 32)) + 5 * np.eye(32)[1])
    near_bank = _unit(np.eye(32)[0] + 0.04 * rng.normal(size=(500, 32)))
    assert ww.calibrate_threshold(refs, 0.5, ww.bank_limits(refs, far_bank)) == pytest.approx(loose)
    tight = ww.calibrate_threshold(refs, 0.5, ww.bank_limits(refs, near_bank))
    assert ww.THRESHOLD_MIN / 2 <= tight < loose
    # strict lets less of the bank in than lenient
    limits = ww.bank_limits(refs, near_bank)
    assert ww.calibrate_threshold(refs, 0.0, limits) <= tight <= ww.calibrate_threshold(refs, 1.0, limits)


def test_a_bank_made_by_another_model_is_ignored(tmp_path):
    np.savez(tmp_path / ww.NEGATIVES_FILE, embeddings=np.ones((4, 32), np.int8), model_crc=123)
    assert ww.load_negatives(tmp_path / ww.NEGATIVES_FILE, 456) is None
    bank = ww.load_negatives(tmp_path / ww.NEGATIVES_FILE, 123)
    assert bank.shape == (4, 32) and np.allclose(np.linalg.norm(bank, axis=1), 1)


def test_the_shipped_model_comes_with_its_bank_and_enrolment_uses_it():
    embedder = ww.Embedder()
    assert embedder.negatives is not None and len(embedder.negatives) >= 500
    refs = embedder.negatives[:3]  # a "word" sitting inside the bank: the bank must cap its threshold
    limits = ww.bank_limits(refs, embedder.negatives)
    assert ww.calibrate_threshold(refs, 0.5, limits) <= max(limits)
