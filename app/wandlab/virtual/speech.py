"""Speech clips for the virtual wand's microphone: espeak-ng with per-person voices, or WAV files.

Wake-word enrollment needs the *same* person to say a word several times with natural variation and
*different* people to sound different, so every utterance is a function of (text, person, take): the
person picks a voice (accent, espeak variant, pitch, speed, loudness), the take adds small jitter.
Everything is deterministic so tests and benchmarks are reproducible.
"""

from __future__ import annotations

import functools
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
from scipy.signal import lfilter, resample_poly

from wandlab.errors import WandlabError

MAX_TEXT_CHARS = 200
MAX_CLIP_SECONDS = 60.0  # a wand's microphone plays words, not podcasts; bounds memory for hostile files
_ESPEAK_TIMEOUT_S = 10.0
_MAX_FILE_BYTES = 128 << 20  # 60 s of stereo 32-bit audio at 192 kHz still fits


class SpeechUnavailable(WandlabError, RuntimeError):
    """espeak-ng was required (backend="espeak") but is missing or failed."""


class AudioClipError(WandlabError, ValueError):
    """A WAV clip that cannot be used (unreadable, truncated, unsupported, too long)."""


@dataclass(frozen=True)
class Voice:
    """How one virtual person sounds. ``gain_db`` is their level at the mic (distance, loudness)."""

    language: str
    variant: str
    pitch: int  # espeak -p, 0..99
    speed: int  # espeak -s, words per minute
    f0_hz: float  # fallback synthesizer's fundamental
    tract: float  # fallback formant scale (shorter vocal tract -> higher formants)
    gain_db: float


# Alternate male/female variants so neighbouring person numbers are clearly different speakers.
_VARIANTS = ("m3", "f3", "m1", "f1", "m7", "f4", "m2", "f2", "m5", "f5", "m4", "f1")
_LANGS = ("en-us", "en-us", "en-gb", "en-us", "en-gb-x-rp", "en-us", "en-gb-scotland")


@functools.lru_cache(maxsize=256)
def voice_for(person: int) -> Voice:
    """The voice of virtual person ``person`` (any non-negative int; deterministic)."""
    if not isinstance(person, int) or isinstance(person, bool) or person < 0:
        raise ValueError(f"person must be a non-negative integer, got {person!r}")
    rng = np.random.default_rng([0x5EEC, person])
    variant = _VARIANTS[person % len(_VARIANTS)]
    female = variant.startswith("f")
    return Voice(
        language=_LANGS[person % len(_LANGS)],
        variant=variant,
        pitch=int(rng.integers(45, 75) if female else rng.integers(25, 55)),
        speed=int(rng.integers(140, 186)),
        f0_hz=float(rng.uniform(180, 240) if female else rng.uniform(95, 140)),
        tract=float(rng.uniform(1.1, 1.2) if female else rng.uniform(0.9, 1.02)),
        gain_db=float(rng.uniform(-9.0, 0.0)),
    )


@dataclass(frozen=True)
class _Take:
    speed_factor: float
    pitch_delta: int
    lead_s: float
    trail_s: float
    peak: float  # output peak as a fraction of full scale


def _take(text: str, person: int, take: int) -> _Take:
    # Seeded from all three so a repeat is similar (same voice) but never sample-identical.
    rng = np.random.default_rng([person, take, zlib.crc32(text.encode("utf-8"))])
    return _Take(
        speed_factor=float(rng.uniform(0.93, 1.07)),
        pitch_delta=int(rng.integers(-5, 6)),
        lead_s=float(rng.uniform(0.06, 0.2)),
        trail_s=float(rng.uniform(0.06, 0.2)),
        peak=float(0.5 * 10 ** (rng.uniform(-1.5, 1.5) / 20)),
    )


def espeak_available() -> bool:
    """True if the espeak-ng executable is on PATH."""
    return shutil.which("espeak-ng") is not None


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    clean = " ".join(text.split())  # also drops control characters like newlines that espeak would read
    if not clean:
        raise ValueError("text to speak is empty")
    if len(clean) > MAX_TEXT_CHARS:
        raise ValueError(f"text to speak is {len(clean)} characters; the limit is {MAX_TEXT_CHARS}")
    if "\x00" in clean:
        raise ValueError("text to speak contains a NUL character")
    return clean


def synthesize_speech(
    text: str, person: int = 0, rate_hz: int = 16000, take: int = 0, backend: str = "auto"
) -> np.ndarray:
    """Speak ``text`` as ``person`` (take ``take``): int16 mono at ``rate_hz``, with short silences.

    ``backend="auto"`` uses espeak-ng when installed, else a small built-in formant synthesizer that
    makes vowel-like voiced segments per syllable (deterministic, person-dependent pitch and formants;
    not intelligible, but speech-band, so level meters, trimming and embeddings have something real-ish).
    ``"espeak"`` requires espeak-ng (else :class:`SpeechUnavailable`); ``"formant"`` forces the fallback.
    Results are cached; a fresh copy is returned each call.
    """
    clean = _check_text(text)
    voice_for(person)  # validates person
    if not 4000 <= rate_hz <= 96000:
        raise ValueError(f"rate_hz {rate_hz} out of range 4000..96000")
    if take < 0:
        raise ValueError("take must be >= 0")
    if backend == "auto":
        backend = "espeak" if espeak_available() else "formant"
    if backend not in ("espeak", "formant"):
        raise ValueError(f"unknown speech backend {backend!r}")
    if backend == "espeak" and not espeak_available():
        raise SpeechUnavailable("espeak-ng is not installed (Debian/Ubuntu: apt install espeak-ng)")
    return _synth_cached(clean, person, rate_hz, take, backend).copy()


@functools.lru_cache(maxsize=512)
def _synth_cached(text: str, person: int, rate_hz: int, take: int, backend: str) -> np.ndarray:
    voice, tk = voice_for(person), _take(text, person, take)
    x = _espeak(text, voice, tk, rate_hz) if backend == "espeak" else _formant(text, voice, tk, rate_hz)
    x = _trim(x)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0:
        x = x * (tk.peak / peak)
    x = np.concatenate([np.zeros(int(tk.lead_s * rate_hz)), x, np.zeros(int(tk.trail_s * rate_hz))])
    out = np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)
    out.setflags(write=False)  # the cached array is shared; callers get copies
    return out


def _espeak(text: str, voice: Voice, tk: _Take, rate_hz: int) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SpeechUnavailable("espeak-ng is not installed")
    args = [
        exe, "--stdout", "--stdin",
        "-v", f"{voice.language}+{voice.variant}",
        "-p", str(int(np.clip(voice.pitch + tk.pitch_delta, 0, 99))),
        "-s", str(int(round(voice.speed * tk.speed_factor))),
    ]  # fmt: skip
    try:
        # Text goes through stdin, never argv or a shell: no option or shell injection ("-x", "; rm").
        proc = subprocess.run(args, input=text.encode("utf-8"), capture_output=True,
                              timeout=_ESPEAK_TIMEOUT_S, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpeechUnavailable(f"espeak-ng failed to run: {exc}") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip()[:300]
        raise SpeechUnavailable(f"espeak-ng exited with {proc.returncode}: {msg}")
    try:
        # espeak streams to stdout, so its header carries a placeholder data size: read to the end.
        src_rate, x = _parse_wav(proc.stdout, streaming=True)
    except _WavFormatError as exc:
        raise SpeechUnavailable(f"espeak-ng produced unreadable audio: {exc}") from exc
    return _resample(x, src_rate, rate_hz)


# Average adult-male formants (Peterson & Barney) for the vowel letter that starts a syllable.
_FORMANTS = {"a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (270, 2290, 3010),
             "o": (570, 840, 2410), "u": (300, 870, 2240), "y": (270, 2290, 3010)}  # fmt: skip
_SYLLABLE = re.compile(r"([^aeiouy\s]*)([aeiouy]+)|([^aeiouy\s]+)")


def _formant(text: str, voice: Voice, tk: _Take, rate_hz: int) -> np.ndarray:
    """Fallback: per syllable a consonant noise burst then a glottal pulse train through 3 formants."""
    rng = np.random.default_rng([voice.pitch, tk.pitch_delta + 100, zlib.crc32(text.encode("utf-8"))])
    pace = 165.0 / (voice.speed * tk.speed_factor)  # duration scale from words-per-minute
    f0 = voice.f0_hz * (1 + tk.pitch_delta / 100.0)
    parts: list[np.ndarray] = []
    for word in text.lower().split():
        for onset, vowels, coda in _SYLLABLE.findall(word):
            if onset or coda:  # consonants: a short band-limited hiss
                n = int(rate_hz * 0.045 * pace)
                hiss = lfilter([1, -1], [1], rng.standard_normal(n)) * np.hanning(n)
                parts.append(hiss * (0.1 / np.sqrt(np.mean(hiss**2))))  # ~20 dB under the vowels
            if vowels:
                v = _vowel(_FORMANTS[vowels[0]], voice.tract, f0, 0.16 * pace, rate_hz)
                parts.append(v / np.sqrt(np.mean(v**2)))
        parts.append(np.zeros(int(rate_hz * 0.06 * pace)))  # gap between words
    return np.concatenate(parts) if parts else np.zeros(int(rate_hz * 0.2))


def _vowel(formants: tuple[int, int, int], tract: float, f0: float, dur_s: float, rate_hz: int) -> np.ndarray:
    n = max(int(dur_s * rate_hz), 32)
    contour = f0 * np.linspace(1.06, 0.92, n)  # falling intonation, like a spoken word
    phase = np.cumsum(contour / rate_hz)
    pulses = np.diff(np.floor(phase), prepend=0.0)  # one impulse per glottal period
    x = lfilter([1.0], [1.0, -0.9], pulses)  # soften into a glottal-like pulse (spectral tilt)
    for f, bw in zip(formants, (80.0, 100.0, 140.0), strict=True):
        fc = min(f * tract, 0.45 * rate_hz)
        r = np.exp(-np.pi * bw / rate_hz)
        x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * fc / rate_hz), r * r], x)
    ramp = min(n // 4, int(0.025 * rate_hz))
    env = np.ones(n)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[n - ramp :] = np.linspace(1, 0, ramp)
    return x * env


class _WavFormatError(ValueError):
    """Internal: what is wrong with a WAV byte string (wrapped into a public error by callers)."""


_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_UNKNOWN_SIZE = 0x7FFF0000  # sizes from here up are "length unknown" placeholders of piped writers


def _parse_wav(data: bytes, *, streaming: bool) -> tuple[int, np.ndarray]:
    """RIFF/WAVE bytes -> (rate, float64 mono in [-1, 1]). Strict about truncation unless ``streaming``
    (a piped writer like espeak-ng cannot know the length and puts a placeholder size in the header)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _WavFormatError("no RIFF/WAVE header")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            if size < 16 or body + size > len(data):
                raise _WavFormatError("fmt chunk is short or truncated")
            tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == _EXTENSIBLE and size >= 26:
                tag = struct.unpack_from("<H", data, body + 24)[0]  # sub-format GUID starts with the tag
            fmt = (tag, channels, rate, align, bits)
        elif cid == b"data":
            if fmt is None:
                raise _WavFormatError("data chunk before fmt chunk")
            if body + size > len(data) and not (streaming or size >= _UNKNOWN_SIZE):
                raise _WavFormatError(f"truncated: header promises {size} bytes of audio, file has "
                                      f"{len(data) - body}")  # fmt: skip
            return fmt[2], _decode(data[body : body + size], *fmt)
        pos = body + size + (size & 1)  # chunks are word-aligned
    raise _WavFormatError("no data chunk" if fmt else "no fmt chunk")


def _decode(raw: bytes, tag: int, channels: int, rate: int, align: int, bits: int) -> np.ndarray:
    if not 1 <= channels <= 8 or not 1000 <= rate <= 384000:
        raise _WavFormatError(f"unsupported layout: {channels} channels at {rate} Hz")
    width = bits // 8
    if bits % 8 or align != width * channels:
        raise _WavFormatError(f"inconsistent sample size: {bits} bits, block align {align}")
    raw = raw[: len(raw) - len(raw) % align]  # a partial last frame (streaming) is dropped
    if tag == _PCM and width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    elif tag == _PCM and width in (2, 4):
        x = np.frombuffer(raw, f"<i{width}").astype(np.float64) / float(2 ** (bits - 1))
    elif tag == _PCM and width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
    elif tag == _FLOAT and width in (4, 8):
        x = np.nan_to_num(np.frombuffer(raw, f"<f{width}").astype(np.float64)).clip(-1.0, 1.0)
    else:
        raise _WavFormatError(f"unsupported encoding (format tag {tag}, {bits} bits)")
    if x.size == 0:
        raise _WavFormatError("no audio samples")
    return x.reshape(-1, channels).mean(axis=1)


def _trim(x: np.ndarray) -> np.ndarray:
    """Cut the synthesizer's own leading/trailing silence so each take's silence is ours to choose."""
    if x.size == 0:
        return x
    loud = np.flatnonzero(np.abs(x) > 0.01 * np.max(np.abs(x)))
    if loud.size == 0:
        return x
    return x[loud[0] : loud[-1] + 1]


def _resample(x: np.ndarray, src_hz: int, dst_hz: int) -> np.ndarray:
    if src_hz == dst_hz:
        return x
    g = gcd(src_hz, dst_hz)
    return resample_poly(x, dst_hz // g, src_hz // g)


def load_clip(path: str | Path, rate_hz: int = 16000) -> np.ndarray:
    """Read a WAV file (PCM 8/16/24/32-bit or float, any channels) as int16 mono at ``rate_hz``.

    Raises :class:`AudioClipError` for missing, truncated, unsupported or over-long files.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        # Checked before reading so a huge or hostile file is refused without loading it.
        if size > _MAX_FILE_BYTES:
            raise AudioClipError(f"{p}: {size} bytes is too large for an audio clip")
        data = p.read_bytes()
    except OSError as exc:
        raise AudioClipError(f"cannot read audio clip {p}: {exc.strerror or exc}") from exc
    try:
        src_rate, x = _parse_wav(data, streaming=False)
    except _WavFormatError as exc:
        raise AudioClipError(f"{p}: not a usable WAV file: {exc}") from exc
    if x.size / src_rate > MAX_CLIP_SECONDS:
        raise AudioClipError(f"{p}: {x.size / src_rate:.1f} s long; the limit is {MAX_CLIP_SECONDS:.0f} s")
    y = _resample(x, src_rate, rate_hz)
    return np.clip(np.round(y * 32767.0), -32768, 32767).astype(np.int16)
