"""The virtual wand's microphone: a continuous 16 kHz int16 stream of room noise plus queued speech.

It runs inside the real-time streaming server, which asks for blocks of a few hundred samples, so the
per-call work is only slicing and adding: noise is generated ahead in ~1 s chunks with numpy/scipy.
Timing is sample-exact (``events`` says where each utterance landed) so tests can check that the host
trimmed, detected or recorded the right part of the stream. ``set_source`` swaps the synthetic room for
the PC's microphone (``wandlab.virtual.mic_source``), so a person can speak to the virtual wand.
"""

from __future__ import annotations

import math
import threading
from collections import deque

import numpy as np
from scipy.signal import lfilter

from wandlab.virtual.mic_source import MicSource
from wandlab.virtual.speech import synthesize_speech, voice_for

# Paul Kellet's 3-pole pink-noise filter: -3 dB/octave within ~1 dB over the speech band; room noise
# (HVAC, traffic, electronics) is roughly pink, and it stresses a model more than white noise would.
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])
_HIGHPASS_HZ = 40.0  # MEMS mics and the board's DC blocker cut below ~20-100 Hz; pink noise would drift
_HUM_SHARE = 0.05  # fraction of noise power that is mains hum (a USB-powered mic picks up a little)
_CHUNK = 16384
MAX_QUEUED_SECONDS = 120.0  # bounds memory if a script says words faster than they can be played


class AudioSynth:
    """Background noise with clips mixed in one after another; see the module docstring.

    ``noise_dbfs`` is the noise RMS relative to int16 full scale (32768). Not tied to wall-clock time:
    the caller paces it by how many samples it asks for.
    """

    def __init__(
        self,
        rate_hz: int = 16000,
        person: int = 0,
        seed: int = 0,
        noise_dbfs: float = -55.0,
        mains_hz: int = 50,
    ) -> None:
        if not 4000 <= rate_hz <= 96000:
            raise ValueError(f"rate_hz {rate_hz} out of range 4000..96000")
        if math.isnan(noise_dbfs) or noise_dbfs > 0:
            raise ValueError(f"noise_dbfs must be <= 0 dBFS, got {noise_dbfs}")
        if mains_hz not in (0, 50, 60):
            raise ValueError(f"mains_hz must be 50, 60 or 0 (no hum), got {mains_hz}")
        self.rate_hz = rate_hz
        self.noise_dbfs = noise_dbfs
        self._person = 0
        self.set_person(person)
        self._rng = np.random.default_rng(seed)
        rms = 32768.0 * 10 ** (noise_dbfs / 20)
        hum_share = _HUM_SHARE if mains_hz else 0.0
        r = math.exp(-2 * math.pi * _HIGHPASS_HZ / rate_hz)
        self._b = np.convolve(_PINK_B, [(1 + r) / 2, -(1 + r) / 2])
        self._a = np.convolve(_PINK_A, [1.0, -r])
        gain = float(np.sqrt(np.sum(lfilter(self._b, self._a, np.eye(1, 1 << 16)[0]) ** 2)))
        self._pink_scale = rms * math.sqrt(1 - hum_share) / gain
        # Mains hum is periodic with period 1 s for integer mains_hz: tabulate it once, index it later.
        phase = (
            float(self._rng.uniform(0, 2 * math.pi)) + 2 * math.pi * mains_hz * np.arange(rate_hz) / rate_hz
        )
        # Fundamental plus odd harmonics (rectifier/transformer buzz); powers 0.7/0.2/0.1 of the hum share.
        harmonics = sum(math.sqrt(p) * np.sin(k * phase) for k, p in ((1, 0.7), (3, 0.2), (5, 0.1)))
        self._hum = rms * math.sqrt(hum_share) * math.sqrt(2) * harmonics
        # Start the filter in its steady state so the first samples are not quieter than the rest.
        self._zi = lfilter(self._b, self._a, self._rng.standard_normal(8192), zi=np.zeros(4))[1]
        self._gen_pos = 0  # samples of noise generated so far (hum phase is a function of it)
        self._noise = np.zeros(0, np.float32)  # the current chunk, for mixing
        self._noise16 = np.zeros(0, np.int16)  # the same chunk ready to send when nothing is playing
        self._noise_off = 0
        self._pos = 0  # index of the next output sample
        self._queue: deque[tuple[np.ndarray, str]] = deque()
        self._queued = 0  # samples waiting in _queue
        self._clip: np.ndarray | None = None
        self._clip_off = 0
        self._events: list[tuple[int, int, str]] = []
        self._takes: dict[tuple[int, str], int] = {}
        self._source: MicSource | None = None  # the PC's microphone as the room, instead of synthetic noise
        # The stream thread calls next() while the control channel queues clips.
        self._lock = threading.Lock()

    @property
    def person(self) -> int:
        return self._person

    def set_person(self, person: int) -> None:
        """Who speaks in later ``say`` calls (voice and distance to the mic)."""
        voice_for(person)  # validates
        self._person = person

    def say(self, text: str) -> None:
        """Queue ``text`` spoken by the current person; each repeat is a new take so repeats differ.

        Synthesis happens here (espeak-ng: ~20 ms), not in ``next``, so the stream never waits on it.
        """
        if not isinstance(text, str):
            raise ValueError("text must be a string")
        key = (self._person, " ".join(text.split()))
        take = self._takes.get(key, 0)
        clip = synthesize_speech(text, self._person, self.rate_hz, take)
        self._takes[key] = take + 1
        gain = 10 ** (voice_for(self._person).gain_db / 20)
        self._enqueue(clip.astype(np.float32) * np.float32(gain), key[1])

    def play(self, samples: np.ndarray, gain_db: float = 0.0, label: str = "clip") -> None:
        """Queue an int16 mono clip (e.g. from ``load_clip``) at its own level plus ``gain_db``."""
        arr = np.asarray(samples)
        if arr.dtype != np.int16 or arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"play() needs a non-empty 1-D int16 array, got {arr.dtype} {arr.shape}")
        if not math.isfinite(gain_db) or gain_db > 40:
            raise ValueError(f"gain_db {gain_db} out of range")
        self._enqueue(arr.astype(np.float32) * np.float32(10 ** (gain_db / 20)), label)

    def _enqueue(self, clip: np.ndarray, label: str) -> None:
        with self._lock:
            if (self._queued + clip.size) > MAX_QUEUED_SECONDS * self.rate_hz:
                raise ValueError(f"audio queue is full ({MAX_QUEUED_SECONDS:.0f} s of clips waiting)")
            self._queue.append((clip, label))
            self._queued += clip.size

    def clear(self) -> None:
        """Stop the clip that is playing and drop queued ones (its event keeps its planned end)."""
        with self._lock:
            self._queue.clear()
            self._queued = 0
            self._clip = None

    def set_source(self, source: MicSource | None) -> None:
        """Hear ``source`` (the PC's microphone) instead of synthetic room noise; None: back to the noise.

        Words queued with ``say``/``play`` still mix in on top. The previous source is closed.
        """
        with self._lock:
            old, self._source = self._source, source
        if old is not None and old is not source:
            old.close()

    @property
    def source(self) -> MicSource | None:
        return self._source

    @property
    def busy(self) -> bool:
        """True while a clip is playing or waiting."""
        return self._clip is not None or bool(self._queue)

    @property
    def position(self) -> int:
        """Index of the next sample ``next`` will return (samples produced so far)."""
        return self._pos

    @property
    def events(self) -> list[tuple[int, int, str]]:
        """(start_sample, end_sample, text) of every clip started so far, in stream sample indices."""
        with self._lock:
            return list(self._events)

    def next(self, n: int) -> np.ndarray:
        """The next ``n`` int16 samples of the stream; saturates (never wraps) when loud clips clip."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            if self._clip is None and not self._queue:  # fast path: nothing to mix, noise is ready-made int16
                self._pos += n
                return self._room(n, as_int16=True)
            out = self._room(n, as_int16=False)
            done = 0
            # A clip queued while idle starts at the first sample of this block.
            while done < n and (self._clip is not None or self._queue):
                if self._clip is None:
                    self._clip, label = self._queue.popleft()
                    self._queued -= self._clip.size
                    self._clip_off = 0
                    start = self._pos + done
                    self._events.append((start, start + self._clip.size, label))
                k = min(n - done, self._clip.size - self._clip_off)
                out[done : done + k] += self._clip[self._clip_off : self._clip_off + k]
                done += k
                self._clip_off += k
                if self._clip_off >= self._clip.size:
                    self._clip = None
            self._pos += n
        # ufuncs with out= rather than np.clip: this runs ~60 times a second and np.clip's overhead shows.
        np.rint(out, out=out)
        np.maximum(out, -32768.0, out=out)
        np.minimum(out, 32767.0, out=out)
        return out.astype(np.int16)

    def _room(self, n: int, as_int16: bool) -> np.ndarray:
        """What the microphone hears besides queued clips: the PC's microphone if set, else room noise."""
        if self._source is None:
            return self._take_noise(n, as_int16)
        heard = self._source.read(n)  # never blocks: silence where the card has not delivered yet
        return heard if as_int16 else heard.astype(np.float32)

    def _take_noise(self, n: int, as_int16: bool) -> np.ndarray:
        """The next n noise samples (a fresh array), refilling the precomputed chunk as needed."""
        src = self._noise16 if as_int16 else self._noise
        if src.size - self._noise_off >= n:  # the common, cheap path
            self._noise_off += n
            return src[self._noise_off - n : self._noise_off].copy()
        parts = [src[self._noise_off :]]
        have = parts[0].size
        while have < n:
            self._refill(max(_CHUNK, n - have))
            src = self._noise16 if as_int16 else self._noise
            self._noise_off = min(n - have, src.size)
            parts.append(src[: self._noise_off])
            have += self._noise_off
        return np.concatenate(parts)

    def _refill(self, m: int) -> None:
        pink, self._zi = lfilter(self._b, self._a, self._rng.standard_normal(m), zi=self._zi)
        hum = np.take(self._hum, np.arange(self._gen_pos, self._gen_pos + m) % self.rate_hz)
        self._gen_pos += m
        noise = pink * self._pink_scale + hum
        self._noise = noise.astype(np.float32)
        self._noise16 = np.clip(np.rint(noise), -32768, 32767).astype(np.int16)
