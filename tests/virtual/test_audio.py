"""The virtual wand's microphone: speech synthesis, WAV clips and the streaming audio synthesizer."""

from __future__ import annotations

import shutil
import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from wandlab.errors import WandlabError
from wandlab.virtual import speech
from wandlab.virtual.audio import AudioSynth
from wandlab.virtual.speech import (
    AudioClipError,
    SpeechUnavailable,
    espeak_available,
    load_clip,
    synthesize_speech,
    voice_for,
)

RATE = 16000
BACKENDS = [
    pytest.param("espeak", marks=pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing")),
    "formant",
]


def f0_hz(x: np.ndarray) -> float:
    """Median autocorrelation pitch of the loud frames."""
    x = x.astype(float)
    n, lo, hi = 512, RATE // 400, RATE // 70
    loud = 0.1 * np.sqrt(np.mean(x**2))
    found = []
    for i in range(0, len(x) - n, 256):
        fr = x[i : i + n] * np.hanning(n)
        if np.sqrt(np.mean(fr**2)) < loud:
            continue
        ac = np.correlate(fr, fr, "full")[n - 1 :]
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.4 * ac[0]:
            found.append(RATE / k)
    return float(np.median(found)) if found else 0.0


def ltas(x: np.ndarray) -> np.ndarray:
    """Long-term log spectrum of the loud frames (a crude speaker fingerprint), mean removed."""
    frames = np.lib.stride_tricks.sliding_window_view(x.astype(float), 512)[::128] * np.hanning(512)
    s = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    e = s.sum(axis=1)
    v = np.log(s[e > 0.05 * e.max()].mean(axis=0)[4:200] + 1e-9)
    return v - v.mean()


def rms_dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x.astype(float) ** 2)) / 32768))


@pytest.mark.parametrize("backend", BACKENDS)
def test_speech_is_loud_and_in_the_speech_band(backend: str) -> None:
    x = synthesize_speech("hey wand", person=0, backend=backend)
    assert x.dtype == np.int16 and x.ndim == 1
    assert 0.3 * RATE < x.size < 2.5 * RATE
    assert rms_dbfs(x) > -30
    spec = np.abs(np.fft.rfft(x.astype(float))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    assert spec[(freqs > 80) & (freqs < 4000)].sum() > 0.8 * spec.sum()
    assert 70 < f0_hz(x) < 300  # voiced, with a human pitch


@pytest.mark.parametrize("backend", BACKENDS)
def test_people_sound_different_and_repeats_similar_not_identical(backend: str) -> None:
    takes = {
        (p, t): synthesize_speech("hey wand", p, take=t, backend=backend) for p in (0, 1) for t in (0, 1, 2)
    }
    assert voice_for(0).variant.startswith("m") and voice_for(1).variant.startswith("f")
    assert f0_hz(takes[1, 0]) > 1.3 * f0_hz(takes[0, 0])  # a male and a female voice
    spec = {k: ltas(v) for k, v in takes.items()}

    def dist(a: tuple[int, int], b: tuple[int, int]) -> float:
        return float(np.sqrt(np.mean((spec[a] - spec[b]) ** 2)))

    same = max(dist((p, 0), (p, t)) for p in (0, 1) for t in (1, 2))
    different = min(dist((0, t), (1, u)) for t in (0, 1, 2) for u in (0, 1, 2))
    assert same < different
    for p in (0, 1):
        f0s = [f0_hz(takes[p, t]) for t in (0, 1, 2)]
        assert max(f0s) < 1.15 * min(f0s)
        lens = [takes[p, t].size for t in (0, 1, 2)]
        assert max(lens) < 1.5 * min(lens)
        assert len({takes[p, t].tobytes() for t in (0, 1, 2)}) == 3


def test_synthesis_is_deterministic_and_cache_safe() -> None:
    a = synthesize_speech("open", person=5, take=2)
    a[:] = 0  # mutating a result must not poison the cache
    b = synthesize_speech("open", person=5, take=2)
    assert b.any()
    speech._synth_cached.cache_clear()
    assert np.array_equal(b, synthesize_speech("open", person=5, take=2))


def test_fallback_when_espeak_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    assert not espeak_available()
    x = synthesize_speech("hey wand", person=3)
    assert rms_dbfs(x) > -30 and 150 < f0_hz(x) < 300
    with pytest.raises(SpeechUnavailable, match="not installed"):
        synthesize_speech("hey wand", backend="espeak")


def test_failing_espeak_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    false = shutil.which("false")
    if false is None:
        pytest.skip("no 'false' executable")
    monkeypatch.setattr(speech.shutil, "which", lambda name: false)
    with pytest.raises(SpeechUnavailable, match="exited with 1"):
        synthesize_speech("hey wand", person=0, take=99, backend="espeak")


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_bad_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        synthesize_speech(text)


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing")
def test_text_is_never_an_option_or_shell_command(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text in ("--help", "-w " + str(marker), f"a; touch {marker}", f"$(touch {marker})"):
        x = synthesize_speech(text, backend="espeak")
        assert rms_dbfs(x) > -30  # spoken as words, not swallowed as options
    assert not marker.exists()


def write_wav(path: Path, x: np.ndarray, rate: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.astype("<i2").tobytes())


def float_wav(x: np.ndarray, rate: int) -> bytes:
    data = x.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_load_clip_resamples_and_mixes_down(tmp_path: Path) -> None:
    t = np.arange(44100) / 44100
    tone = (10000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    write_wav(tmp_path / "a.wav", np.stack([tone, tone], axis=1).ravel(), 44100, channels=2)
    (tmp_path / "b.wav").write_bytes(float_wav(np.sin(2 * np.pi * 440 * np.arange(8000) / 8000) * 0.3, 8000))
    for name, peak in (("a.wav", 10000), ("b.wav", 0.3 * 32767)):
        y = load_clip(tmp_path / name)
        assert y.dtype == np.int16 and abs(y.size - RATE) <= 1
        spec = np.abs(np.fft.rfft(y.astype(float)))
        assert abs(np.argmax(spec) * RATE / y.size - 440) < 2
        assert abs(np.abs(y[1000:-1000]).max() - peak) < 0.02 * peak


def test_load_clip_rejects_bad_files(tmp_path: Path) -> None:
    write_wav(tmp_path / "good.wav", np.zeros(16000, np.int16), RATE)
    good = (tmp_path / "good.wav").read_bytes()
    cases = {
        "truncated.wav": (good[: len(good) // 2], "truncated"),
        "header.wav": (good[:30], "fmt chunk"),
        "garbage.wav": (b"this is not audio at all" * 10, "RIFF"),
        "empty.wav": (b"", "RIFF"),
    }
    for name, (data, why) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(AudioClipError, match=why) as info:
            load_clip(tmp_path / name)
        assert isinstance(info.value, WandlabError) and name in str(info.value)
    with pytest.raises(AudioClipError, match="cannot read"):
        load_clip(tmp_path / "missing.wav")


def test_load_clip_accepts_a_piped_writer_placeholder_size(tmp_path: Path) -> None:
    write_wav(tmp_path / "p.wav", np.full(1600, 1000, np.int16), RATE)
    data = bytearray((tmp_path / "p.wav").read_bytes())
    data[40:44] = struct.pack("<I", 0x7FFFF000)  # what espeak-ng --stdout > file leaves behind
    (tmp_path / "p.wav").write_bytes(bytes(data))
    assert load_clip(tmp_path / "p.wav").size == 1600


def test_stream_is_continuous_and_deterministic() -> None:
    whole = AudioSynth(seed=7).next(40000)  # crosses the precomputed-chunk boundary
    pieces = AudioSynth(seed=7)
    sizes = [1, 255, 256, 0, 16000, 3, 23485]
    assert np.array_equal(np.concatenate([pieces.next(n) for n in sizes]), whole)
    assert pieces.position == 40000
    assert not np.array_equal(AudioSynth(seed=8).next(1000), whole[:1000])


@pytest.mark.parametrize("level", [-55.0, -40.0])
def test_noise_level_matches_configuration(level: float) -> None:
    x = AudioSynth(noise_dbfs=level).next(2 * RATE)
    assert abs(rms_dbfs(x) - level) < 1.0
    assert abs(float(np.mean(x))) < 0.05 * np.sqrt(np.mean(x.astype(float) ** 2))  # no DC offset


def test_clip_lands_at_the_reported_sample() -> None:
    synth = AudioSynth(noise_dbfs=float("-inf"))
    assert not synth.next(1000).any()
    clip = (np.arange(700) * 37 % 2000 - 1000).astype(np.int16)
    synth.play(clip, label="beep")
    synth.play(clip)
    assert synth.busy
    out = np.concatenate([synth.next(256) for _ in range(10)])
    assert synth.events == [(1000, 1700, "beep"), (1700, 2400, "clip")]
    assert np.array_equal(out[:700], clip) and np.array_equal(out[700:1400], clip)
    assert not out[1400:].any() and not synth.busy


def test_say_queues_new_takes_at_the_person_level() -> None:
    synth = AudioSynth(person=1, noise_dbfs=float("-inf"))
    synth.say("hey  wand")
    synth.say("hey wand")
    out = np.concatenate([synth.next(256) for _ in range(300)])
    (s1, e1, t1), (s2, e2, t2) = synth.events
    assert (s1, t1, t2) == (0, "hey wand", "hey wand") and e1 == s2 and e2 < out.size
    first, second = out[s1:e1], out[s2:e2]
    take0 = synthesize_speech("hey wand", person=1, take=0).astype(float)
    gain = 10 ** (voice_for(1).gain_db / 20)
    assert np.abs(first - np.rint(take0 * gain)).max() <= 1
    assert first.size != second.size or not np.array_equal(first, second)
    with pytest.raises(ValueError):
        synth.say("")
    with pytest.raises(ValueError):
        synth.set_person(-1)


def test_loud_clips_saturate_instead_of_wrapping() -> None:
    synth = AudioSynth(noise_dbfs=-20.0)
    square = np.tile(np.array([32767] * 50 + [-32768] * 50, np.int16), 20)
    synth.play(square, gain_db=6.0)
    out = synth.next(square.size)
    assert np.array_equal(np.sign(out), np.sign(square))
    assert (np.abs(out.astype(int)) >= 32767).mean() > 0.99


def test_stream_is_cheap_enough_for_real_time() -> None:
    synth = AudioSynth()
    synth.next(RATE)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(625):  # 10 s of audio in 256-sample blocks
            synth.next(256)
        best = min(best, (time.perf_counter() - t0) / 10)
    assert best < 0.005, f"{best * 1000:.2f} ms per second of audio"
