"""Audio takes from files: 16-bit WAV read directly, compressed formats through libsndfile.

Speech sets arrive as Opus, FLAC, OGG or MP3 as often as WAV; ``soundfile`` (libsndfile, bundled in its
wheel) decodes them. It is imported only when such a file is read, so WAV-only users never load it.
Every failure becomes a DatasetError naming the file.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np

from wandlab.dataset.input_rules import MAX_SAMPLE_SECONDS, check_rate, unreadable
from wandlab.errors import DatasetError

WAV_SUFFIXES = (".wav",)
COMPRESSED_SUFFIXES = (".opus", ".ogg", ".flac", ".mp3")
AUDIO_SUFFIXES = WAV_SUFFIXES + COMPRESSED_SUFFIXES


def is_audio_name(name: str) -> bool:
    return name.lower().endswith(AUDIO_SUFFIXES)


def read_audio(path: Path, name: str | None = None) -> tuple[np.ndarray, int]:
    """Any supported audio file -> (mono int16 samples, rate in Hz)."""
    name = name or path.name
    if not name.lower().endswith(COMPRESSED_SUFFIXES):
        return read_wav(path, name)
    return read_compressed(path, name)


def read_compressed(path: Path, name: str) -> tuple[np.ndarray, int]:
    try:
        import soundfile
    except ImportError:  # an install without the dependency: say what to do, not a traceback
        raise DatasetError(
            f"{name}: reading {Path(name).suffix} audio needs the 'soundfile' package "
            "(pip install soundfile), or convert the file to 16-bit WAV"
        ) from None
    try:
        with soundfile.SoundFile(str(path)) as f:
            rate = int(f.samplerate)
            check_rate("audio", rate, name)
            if f.frames > rate * MAX_SAMPLE_SECONDS:
                raise DatasetError(f"{name}: longer than {MAX_SAMPLE_SECONDS} s")
            data = f.read(dtype="int16", always_2d=True)
    except soundfile.LibsndfileError as exc:
        kind = Path(name).suffix[1:].upper()
        raise DatasetError(f"{name}: not a readable {kind} file ({exc.error_string})") from None
    except (RuntimeError, ValueError, TypeError) as exc:  # decoder errors that are not LibsndfileError
        raise DatasetError(f"{name}: not a readable audio file ({exc})") from None
    except OSError as exc:
        raise unreadable(name, exc) from None
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1).astype(np.int16)
    if len(mono) == 0:
        raise DatasetError(f"{name}: no samples")
    return np.ascontiguousarray(mono, dtype=np.int16), rate


def read_wav(path: Path, name: str | None = None) -> tuple[np.ndarray, int]:
    """Mono/stereo 16-bit PCM WAV -> (mono int16 samples, rate).

    Importers pass only paths that ``input_rules.check_file`` accepted.
    """
    name = name or path.name
    try:
        with wave.open(str(path), "rb") as w:
            channels, width = w.getnchannels(), w.getsampwidth()
            rate, frames = w.getframerate(), w.getnframes()
            if width != 2:
                raise DatasetError(f"{name}: {8 * width}-bit WAV; only 16-bit PCM is supported")
            check_rate("audio", rate, name)
            if frames > rate * MAX_SAMPLE_SECONDS:
                raise DatasetError(f"{name}: longer than {MAX_SAMPLE_SECONDS} s")
            raw = w.readframes(frames)
    except (wave.Error, EOFError, ValueError, struct.error) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{name}: not a valid WAV file ({exc})") from None
    except OSError as exc:
        raise unreadable(name, exc) from None
    expected = frames * channels * width
    if len(raw) != expected:
        raise DatasetError(f"{name}: truncated WAV ({len(raw)} of {expected} data bytes)")
    data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
    mono = data[:, 0] if channels == 1 else data.mean(axis=1).astype(np.int16)
    if len(mono) == 0:
        raise DatasetError(f"{name}: no samples")
    return mono.astype(np.int16), rate
