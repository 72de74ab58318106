"""The PC's microphone as the virtual wand's: a user without a board enrols their own voice.

``MicSource`` turns any iterator of int16 blocks at any rate (a sounddevice ``InputStream``, a WAV file,
a test's list) into 16 kHz samples handed out on demand: ``read(n)`` is what the virtual wand's audio
synthesizer calls from its real-time stream loop, so it never blocks. A background thread pulls the
blocks (a microphone read blocks until the sound card has them), resamples and queues them.

Two clocks meet here: the sound card's and the wand's stream clock. They drift apart by a few parts per
million, and the card delivers in bursts, so the queue is a jitter buffer: after running dry it waits
until ``PRIME_S`` of sound is queued before handing it out again (one short silence instead of a click
in every block), and a live source keeps only the newest ``QUEUE_S`` (latency stays bounded).

sounddevice (PortAudio) is imported only by ``open_microphone`` and ``list_microphones``: the virtual wand
works without it, and ``microphone_problem()`` says in one sentence what to install when it is missing.
"""

from __future__ import annotations

import contextlib
import threading
import wave
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import ellip, sosfilt, sosfilt_zi

from wandlab.errors import WandlabError

RATE_HZ = 16_000
QUEUE_S = 0.5
PRIME_S = 0.06  # a little more than a sound card's usual burst (20-50 ms)
DEVICE_BLOCK = 1024
PORTAUDIO_HELP = (
    "install PortAudio to use this computer's microphone (Debian/Ubuntu: libportaudio2; macOS: brew install portaudio)"
)


class MicrophoneError(WandlabError, OSError):
    """The PC's microphone cannot be used (PortAudio missing, no such device, device busy)."""


class Resampler:
    """Streaming resampler to ``out_rate``: low-pass below the new Nyquist, then linear interpolation.

    Linear interpolation alone would fold everything above 8 kHz into the speech band when a 48 kHz
    card is read; an elliptic low-pass (flat to 0.45 x out_rate, 70 dB down by its Nyquist) removes it
    first. Its phase is not linear, which the log-mel features cannot see. State carries across blocks,
    so block boundaries leave no seams.
    """

    def __init__(self, in_rate: int, out_rate: int = RATE_HZ) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {in_rate} -> {out_rate}")
        self.in_rate, self.out_rate = in_rate, out_rate
        self.step = in_rate / out_rate
        self._sos = ellip(8, 0.1, 70, 0.45 * out_rate, fs=in_rate, output="sos") if in_rate > out_rate else None
        self._zi: np.ndarray | None = None
        self._t = 0.0  # where the next output sample falls, in input samples from the block's start
        self._last: float | None = None  # the previous block's last (filtered) sample

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block, dtype=np.float64)
        if self.in_rate == self.out_rate or x.size == 0:
            return x
        if self._sos is not None:
            if self._zi is None:  # start in the steady state of the first sample: no step at the start
                self._zi = sosfilt_zi(self._sos) * x[0]
            x, self._zi = sosfilt(self._sos, x, zi=self._zi)
        if self._last is None:
            ext, offset = x, 0.0
        else:  # index 0 is the previous block's last sample, so _t may start between the blocks
            ext, offset = np.concatenate([[self._last], x]), 1.0
        last_pos = len(ext) - 1 - offset
        count = int(np.floor((last_pos - self._t) / self.step)) + 1 if last_pos >= self._t else 0
        positions = self._t + self.step * np.arange(count)
        out = np.interp(positions + offset, np.arange(len(ext)), ext)
        self._t = self._t + self.step * count - len(x)
        self._last = float(x[-1])
        return out


def _mono_int16(block: Any) -> np.ndarray:
    a = np.asarray(block)
    scale = 32768.0 if a.dtype.kind == "f" else 1.0  # float streams are in -1..1
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] > 1 else a[:, 0]
    a = a * scale
    return np.clip(np.rint(a.astype(np.float64)), -32768, 32767).astype(np.int16)


FILE_WAIT_S = 1.0


class MicSource:
    """16 kHz int16 samples on demand from an iterator of blocks; see the module docstring.

    ``live``: a real device; when the reader falls behind, the oldest sound is dropped (a microphone
    cannot wait). Not live (a file): the producer waits for the reader instead, so nothing is lost.
    """

    def __init__(
        self,
        blocks: Iterable[Any],
        rate_hz: int,
        *,
        name: str = "microphone",
        live: bool = True,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.rate_hz = rate_hz
        self.live = live
        self.underruns = 0  # reads that found the queue dry and got silence
        self.dropped = 0  # samples thrown away because the reader fell behind (live sources)
        self.error = ""  # why the device stopped delivering, in words ("" while it runs)
        self.finished = False  # the iterator ended (a file played out, a device gone)
        self._blocks = blocks
        self._resampler = Resampler(rate_hz, RATE_HZ)
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0
        self._offset = 0  # samples of _queue[0] already read
        self._priming = True
        self._limit = int(QUEUE_S * RATE_HZ)
        self._prime = int(PRIME_S * RATE_HZ)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._on_close = on_close
        self._thread = threading.Thread(target=self._pump, name=f"mic:{name}", daemon=True)
        self._thread.start()

    # -- the reader side (the wand's stream loop) -----------------------------------------------------
    def read(self, n: int, wait_s: float = 0.0) -> np.ndarray:
        """The next ``n`` samples; silence where none have arrived (never blocks unless ``wait_s``)."""
        out = np.zeros(n, dtype=np.int16)
        if not self.live and n > 0:
            # A file is not real time: its reader thread falling behind (a busy PC) must not turn the
            # recording into silence, so wait for it; only a live device plays silence when it runs dry.
            wait_s = max(wait_s, FILE_WAIT_S)
        with self._cond:
            need = max(self._prime, n) if self._priming else n
            if wait_s > 0:
                self._cond.wait_for(lambda: self._queued >= need or self.finished or self._stop.is_set(), wait_s)
            if self._priming and self._queued < need and not self.finished:
                self.underruns += n > 0
                return out
            self._priming = False
            done = 0
            while done < n and self._queue:
                head = self._queue[0]
                k = min(n - done, len(head) - self._offset)
                out[done : done + k] = head[self._offset : self._offset + k]
                done += k
                self._offset += k
                self._queued -= k
                if self._offset >= len(head):
                    self._queue.popleft()
                    self._offset = 0
            if done < n and not self.finished:
                self.underruns += 1
                self._priming = True  # ran dry: wait for a little margin before handing sound out again
            self._cond.notify_all()
        return out

    @property
    def queued(self) -> int:
        with self._cond:
            return self._queued

    def close(self) -> None:
        """Stop the reader thread; it closes the device (the iterator's own ``close``)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)

    # -- the producer side (its own thread) -----------------------------------------------------------
    def _pump(self) -> None:
        iterator: Iterator[Any] = iter(self._blocks)
        try:
            for block in iterator:
                if self._stop.is_set():
                    break
                samples = self._resampler.process(_mono_int16(block))
                self._push(np.clip(np.rint(samples), -32768, 32767).astype(np.int16))
        except Exception as exc:  # noqa: BLE001 (a device error must end this source, not the wand)
            self.error = f"the microphone stopped: {exc}"
        finally:
            close = getattr(iterator, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):  # closing a card that vanished can fail too
                    close()  # a generator's finally closes its device here, in the thread that used it
            if self._on_close is not None:
                self._on_close()
            with self._cond:
                self.finished = True
                self._cond.notify_all()

    def _push(self, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        with self._cond:
            if not self.live:
                self._cond.wait_for(lambda: self._queued + samples.size <= self._limit or self._stop.is_set())
            self._queue.append(samples)
            self._queued += samples.size
            while self.live and self._queued > self._limit and len(self._queue) > 1:
                old = self._queue.popleft()
                self._queued -= len(old) - self._offset
                self.dropped += len(old) - self._offset
                self._offset = 0
            self._cond.notify_all()


# -- where blocks come from ---------------------------------------------------------------------------
class StreamBlocks:
    """Blocks from a started sounddevice-like stream (``start``, ``read(frames) -> (data, overflowed)``,
    ``stop``, ``close``); ``overflows`` counts reads where the card had to drop input."""

    def __init__(self, stream: Any, frames: int = DEVICE_BLOCK) -> None:
        self.stream, self.frames = stream, frames
        self.overflows = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        self.stream.start()
        try:
            while True:
                data, overflowed = self.stream.read(self.frames)
                self.overflows += bool(overflowed)
                yield np.asarray(data)
        finally:
            self.stream.stop()
            self.stream.close()


def wav_blocks(path: str | Path, frames: int = DEVICE_BLOCK) -> tuple[Iterator[np.ndarray], int]:
    """A 16-bit PCM WAV file as (blocks, rate): a recorded take played as the microphone."""
    try:
        wav = wave.open(str(path), "rb")
    except (OSError, wave.Error, EOFError) as exc:
        raise MicrophoneError(f"cannot read {path} as a WAV file: {exc}") from None
    if wav.getsampwidth() != 2:
        wav.close()
        raise MicrophoneError(f"{path}: only 16-bit PCM WAV files can play as the microphone")
    channels, rate = wav.getnchannels(), wav.getframerate()

    def blocks() -> Iterator[np.ndarray]:
        with wav:
            while chunk := wav.readframes(frames):
                yield np.frombuffer(chunk, dtype="<i2").reshape(-1, channels)

    return blocks(), rate


# -- the PC's input devices (sounddevice, imported here only) ----------------------------------------
@dataclass(frozen=True)
class Microphone:
    index: int
    name: str
    default_rate_hz: int


def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise MicrophoneError("the sounddevice package is missing: pip install sounddevice") from None
    except OSError:  # the package is there, its PortAudio library is not
        raise MicrophoneError(PORTAUDIO_HELP[0].upper() + PORTAUDIO_HELP[1:]) from None
    return sounddevice


def microphone_problem() -> str:
    """Why this computer's microphones cannot be offered, as a sentence ("" when they can)."""
    try:
        if not list_microphones():
            return "This computer has no audio input device."
    except MicrophoneError as exc:
        return str(exc).rstrip(".") + "."
    return ""


def list_microphones() -> list[Microphone]:
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
    except Exception as exc:  # noqa: BLE001 (PortAudio's own errors: no sound system running)
        raise MicrophoneError(f"cannot list the audio devices: {exc}") from None
    return [
        Microphone(int(d["index"]), str(d["name"]), int(d["default_samplerate"]))
        for d in devices
        if int(d.get("max_input_channels", 0)) > 0
    ]


def find_microphone(device: str, mics: list[Microphone]) -> Microphone:
    """``device``: "" or "default" (the system's default input), an index, or part of a name."""
    if not mics:
        raise MicrophoneError("no microphone to use: this computer has no audio input device")
    wanted = device.strip()
    if wanted in ("", "default"):
        return mics[0]
    if wanted.isdigit():
        found = [m for m in mics if m.index == int(wanted)]
    else:
        found = [m for m in mics if wanted.lower() in m.name.lower()]
    if not found:
        names = "; ".join(f"{m.index}: {m.name}" for m in mics)
        raise MicrophoneError(f"no microphone {device!r} on this computer (there are {names})")
    return found[0]


def open_microphone(device: str = "") -> MicSource:
    """The named input device (see ``find_microphone``), or a 16-bit WAV file, as a ``MicSource``.

    The card is asked for 16 kHz mono; one that cannot do 16 kHz runs at its own rate, resampled here.
    """
    if device.lower().endswith(".wav") and Path(device).is_file():
        blocks, rate = wav_blocks(device)
        return MicSource(blocks, rate, name=Path(device).name, live=False)
    sd = _sounddevice()
    if device.strip() in ("", "default"):
        try:
            default_index = int(sd.default.device[0])
        except (TypeError, ValueError, IndexError):
            default_index = -1
        mics = list_microphones()
        mic = next((m for m in mics if m.index == default_index), None) or find_microphone("", mics)
    else:
        mic = find_microphone(device, list_microphones())
    rate = RATE_HZ
    try:
        sd.check_input_settings(device=mic.index, samplerate=RATE_HZ, channels=1, dtype="int16")
    except Exception:  # noqa: BLE001 (PortAudio says "invalid sample rate" in its own error type)
        rate = mic.default_rate_hz
    try:
        stream = sd.InputStream(device=mic.index, samplerate=rate, channels=1, dtype="int16", blocksize=DEVICE_BLOCK)
    except Exception as exc:  # noqa: BLE001
        raise MicrophoneError(f"cannot open the microphone {mic.name!r}: {exc}") from None
    return MicSource(StreamBlocks(stream), rate, name=mic.name)
