"""The PC's microphone as the virtual wand's: recorded WAV files and a fake sounddevice stream stand in for
a sound card (no audio device exists on a test machine), through the same MicSource the app uses."""

from __future__ import annotations

import sys
import time
import types
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wandlab.cli import main
from wandlab.protocol import AudioBlock, Sensors, SimSay, StreamStart
from wandlab.virtual import mic_source
from wandlab.virtual.audio import AudioSynth
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig
from wandlab.virtual.inprocess import config_from_options
from wandlab.virtual.mic_source import (
    MicrophoneError,
    MicSource,
    Resampler,
    StreamBlocks,
    microphone_problem,
    open_microphone,
    wav_blocks,
)


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return path


def tones(rate: int, seconds: float, freqs: dict[float, float]) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    x = sum(a * 32767 * np.sin(2 * np.pi * f * t) for f, a in freqs.items())
    return np.round(np.asarray(x)).astype(np.int16)


def level_at(x: np.ndarray, freq: float, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(float) * np.hanning(len(x))))
    bins = np.fft.rfftfreq(len(x), 1 / rate)
    return float(spectrum[np.argmin(np.abs(bins - freq))])


def read_all(source: MicSource, n: int, block: int = 256) -> np.ndarray:
    out = [source.read(block, wait_s=2.0) for _ in range(n // block)]
    return np.concatenate(out)


def test_a_16khz_wav_plays_through_sample_for_sample(tmp_path: Path) -> None:
    pcm = np.random.default_rng(0).integers(-8000, 8000, 16000).astype(np.int16)
    blocks, rate = wav_blocks(write_wav(tmp_path / "take.wav", pcm, 16000), frames=700)
    source = MicSource(blocks, rate, live=False)  # a file waits for its reader: nothing is dropped
    got = read_all(source, 16000)
    source.close()
    assert rate == 16000 and len(got) == 15872 and np.array_equal(got, pcm[: len(got)])
    assert source.dropped == 0


def test_a_48khz_stereo_card_is_resampled_to_16khz_without_aliasing(tmp_path: Path) -> None:
    # 440 Hz belongs in the result; 12 kHz cannot exist at 16 kHz and must not fold back to 4 kHz.
    mono = tones(48000, 1.0, {440.0: 0.3, 12000.0: 0.3})
    blocks, rate = wav_blocks(write_wav(tmp_path / "card.wav", np.stack([mono, mono], axis=1), 48000), frames=441)
    source = MicSource(blocks, rate, live=False)
    got = read_all(source, 15872)[2000:]  # past the filter's start
    source.close()
    assert level_at(got, 440.0) > 300 * level_at(got, 4000.0)  # > 50 dB below the tone
    # A clean 440 Hz sine and nothing else: a seam at any of the 441-sample blocks would leave a residual.
    n = np.arange(len(got)) / 16000
    basis = np.stack([np.sin(2 * np.pi * 440 * n), np.cos(2 * np.pi * 440 * n)], axis=1)
    fit, *_ = np.linalg.lstsq(basis, got.astype(float), rcond=None)
    residual = got - basis @ fit
    assert np.hypot(*fit) == pytest.approx(0.3 * 32767, rel=0.02)
    assert np.sqrt(np.mean(residual**2)) < 0.002 * np.hypot(*fit)


def test_resampler_blocks_join_seamlessly() -> None:
    x = tones(44100, 0.5, {300.0: 0.5}).astype(float)
    whole = Resampler(44100).process(x)
    r = Resampler(44100)
    parts = np.concatenate([r.process(x[i : i + 333]) for i in range(0, len(x), 333)])
    assert abs(len(parts) - len(x) * 16000 / 44100) <= 1
    assert np.allclose(parts[: len(whole)], whole[: len(parts)], atol=1e-6)


class FakeStream:
    """The part of sounddevice.InputStream that StreamBlocks uses, delivering a recording (``rate_hz``:
    as fast as a sound card would, blocking in ``read``; 0: at once)."""

    def __init__(self, pcm: np.ndarray, overflow_every: int = 0, rate_hz: int = 0) -> None:
        self.pcm, self.pos, self.overflow_every, self.rate_hz = pcm, 0, overflow_every, rate_hz
        self.reads = 0
        self.started = self.stopped = self.closed = False

    def start(self) -> None:
        self.started = True

    def read(self, frames: int) -> tuple[np.ndarray, bool]:
        self.reads += 1
        if self.pos >= len(self.pcm) or self.closed:
            raise RuntimeError("device unplugged")
        if self.rate_hz:
            time.sleep(frames / self.rate_hz)
        chunk = self.pcm[self.pos : self.pos + frames]
        self.pos += frames
        return chunk.reshape(-1, 1), bool(self.overflow_every and self.reads % self.overflow_every == 0)

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        self.closed = True


def test_a_sounddevice_stream_is_read_closed_and_its_failure_told() -> None:
    pcm = tones(44100, 0.5, {500.0: 0.2})
    stream = FakeStream(pcm, overflow_every=3)
    blocks = StreamBlocks(stream, frames=512)
    source = MicSource(blocks, 44100, live=False, name="Fake USB mic")
    got = read_all(source, 7680)
    assert stream.started and level_at(got[1000:], 500.0) > 100 * level_at(got[1000:], 2500.0)
    source._thread.join(timeout=2)  # the fake runs out: "unplugged"
    assert source.finished and "device unplugged" in source.error
    assert stream.stopped and stream.closed  # the card is released even when reading failed
    assert blocks.overflows == (stream.reads - 1) // 3  # the last read failed


def test_a_live_source_that_runs_dry_waits_for_a_margin_then_catches_up() -> None:
    chunks = [np.full(480, 1000, np.int16)] * 4  # 1920 samples arrive at once
    source = MicSource(iter(chunks), 16000, live=True)
    source._thread.join(timeout=2)
    first = source.read(256)
    assert np.all(first == 1000)  # 1920 >= the 60 ms margin: it plays at once
    rest = [source.read(256) for _ in range(8)]
    assert sum(int(np.count_nonzero(r)) for r in rest) == 1920 - 256  # then silence, never repeated sound
    assert source.finished


def test_a_live_source_keeps_only_the_newest_half_second() -> None:
    chunks = [np.full(1600, i, np.int16) for i in range(20)]  # 2 s nobody reads
    source = MicSource(iter(chunks), 16000, live=True)
    source._thread.join(timeout=2)
    assert source.queued <= mic_source.QUEUE_S * 16000 and source.dropped >= 1.4 * 16000
    assert source.read(16)[0] >= 15  # the oldest audio went, not the newest


def test_the_virtual_wand_hears_the_microphone_and_still_says_words(tmp_path: Path) -> None:
    take = tones(16000, 0.5, {700.0: 0.25})
    path = write_wav(tmp_path / "voice.wav", np.concatenate([np.zeros(4000, np.int16), take]), 16000)
    board = VirtualBoard(VirtualWandConfig(microphone=str(path)))  # as virtual:?mic=voice.wav
    assert board.audio.source is not None and board.audio.source.name == "voice.wav"
    board.handle(1, StreamStart(int(Sensors.AUDIO)), now=0.0)
    board.audio.source.read(0, wait_s=1.0)
    heard = np.concatenate([m.data for m in board.poll(0.8) if isinstance(m, AudioBlock)])
    assert np.all(heard[:3900] == 0)  # the file's silence, not synthetic room noise
    assert level_at(heard[4200:12000], 700.0) > 1e5

    board.handle(2, SimSay("hey wand"), now=0.8)  # synthetic speech mixes in on top of the microphone
    spoken = np.concatenate([m.data for m in board.poll(2.0) if isinstance(m, AudioBlock)])
    assert np.abs(spoken.astype(int)).max() > 2000

    source = board.audio.source
    board.audio.set_source(None)  # back to synthetic noise; the file's reader is closed
    assert source.finished and board.audio.source is None


def test_set_source_replaces_only_the_room() -> None:
    synth = AudioSynth(16000)
    source = MicSource(iter([np.full(4000, 123, np.int16)]), 16000, live=False)
    synth.set_source(source)
    source.read(0, wait_s=1.0)
    assert np.all(synth.next(2000) == 123)


def test_spec_option_and_cli_flag_name_the_microphone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert config_from_options({"mic": "USB"}).microphone == "USB"
    assert config_from_options({}).microphone is None
    assert main(["virtual-wand", "--mic", str(tmp_path / "missing-device")]) == 1
    assert "microphone" in capsys.readouterr().err.lower()


def fake_sounddevice(
    monkeypatch: pytest.MonkeyPatch,
    streams: list[Any],
    rates_ok: tuple[int, ...],
    seconds: float = 1.0,
    paced: bool = False,
) -> None:
    """A sounddevice module with three devices (two inputs), whose streams play a 400 Hz tone."""
    devices = [
        {"index": 0, "name": "HDMI output", "max_input_channels": 0, "default_samplerate": 48000.0},
        {"index": 1, "name": "Built-in microphone", "max_input_channels": 2, "default_samplerate": 44100.0},
        {"index": 2, "name": "USB headset", "max_input_channels": 1, "default_samplerate": 48000.0},
    ]

    def check_input_settings(device: int, samplerate: int, **_: Any) -> None:
        if samplerate not in rates_ok:
            raise ValueError("Invalid sample rate")

    def input_stream(device: int, samplerate: int, **_: Any) -> FakeStream:
        stream = FakeStream(tones(samplerate, seconds, {400.0: 0.2}), rate_hz=samplerate if paced else 0)
        stream.device, stream.samplerate = device, samplerate  # type: ignore[attr-defined]
        streams.append(stream)
        return stream

    module = types.SimpleNamespace(
        query_devices=lambda: devices,
        check_input_settings=check_input_settings,
        InputStream=input_stream,
        default=types.SimpleNamespace(device=(1, 0)),
    )
    monkeypatch.setitem(sys.modules, "sounddevice", module)


def test_open_microphone_picks_a_device_and_its_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    streams: list[Any] = []
    fake_sounddevice(monkeypatch, streams, rates_ok=(44100,))
    assert [m.name for m in mic_source.list_microphones()] == ["Built-in microphone", "USB headset"]
    assert microphone_problem() == ""
    source = open_microphone("usb")  # part of the name; the card cannot do 16 kHz: its own 48 kHz
    assert streams[-1].device == 2 and streams[-1].samplerate == 48000 and source.rate_hz == 48000
    got = read_all(source, 4096)
    assert level_at(got, 400.0) > 100 * level_at(got, 3000.0)
    source.close()
    default = open_microphone()  # the system's default input
    assert streams[-1].device == 1 and default.name == "Built-in microphone"
    default.close()
    with pytest.raises(MicrophoneError, match="USB headset"):  # the error lists what there is
        open_microphone("bluetooth")


def test_without_portaudio_the_sentence_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_portaudio(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    problem = microphone_problem()
    assert "libportaudio2" in problem and problem.endswith(".")
    with pytest.raises(MicrophoneError, match="PortAudio"):
        open_microphone("default")
