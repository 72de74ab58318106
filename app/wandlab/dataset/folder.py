"""The labeled-folder format shared by ``../shared/data`` and ``wandlab dataset export``.

A folder holds ``manifest.csv`` (columns ``file,label,subject,session,kind,rate_hz``) and the sample
files it names: IMU as CSV with a header ``ax,ay,az[,gx,gy,gz]`` (g, deg/s), audio as 16-bit PCM WAV.
Reading validates everything a hostile or broken folder could get wrong and raises DatasetError naming
the file and the problem; nothing here writes.
"""

from __future__ import annotations

import csv
import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from wandlab.errors import DatasetError

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("file", "label", "subject", "session", "kind", "rate_hz")
IMU_COLUMNS = ("ax", "ay", "az", "gx", "gy", "gz")
KINDS = ("imu", "audio")
# Sanity bounds: anything outside is a broken or hostile file, not a recording.
MAX_IMU_RATE_HZ = 10_000
MAX_AUDIO_RATE_HZ = 96_000
MAX_SAMPLE_SECONDS = 600
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_LABEL_CHARS = 64


@dataclass(frozen=True)
class SampleRecord:
    """One sample read from a folder: the data plus its manifest row."""

    file: str
    label: str
    subject: str
    session: str
    kind: str
    rate_hz: float
    data: np.ndarray  # imu: (n, 3|6) float32 in g / deg/s; audio: (n,) int16


def safe_relative_path(root: Path, name: str, where: str) -> Path:
    """Resolve ``name`` inside ``root``; refuse absolute paths, '..' and links that escape."""
    if not name or "\x00" in name or "\\" in name:
        raise DatasetError(f"{where}: invalid file name {name!r}")
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise DatasetError(f"{where}: file name {name!r} points outside the folder")
    path = root / Path(*rel.parts)
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise DatasetError(f"{where}: {name!r} resolves outside the folder") from None
    return path


def validate_label(label: str, where: str) -> str:
    label = label.strip()
    if not label:
        raise DatasetError(f"{where}: empty label")
    if len(label) > MAX_LABEL_CHARS or any(ord(c) < 32 for c in label):
        raise DatasetError(f"{where}: label {label[:40]!r} is too long or has control characters")
    return label


def read_imu_csv(path: Path, rate_hz: float) -> np.ndarray:
    """IMU CSV -> (n, 3|6) float32. Raises DatasetError naming the file and line."""
    _check_size(path)
    text = path.read_text(encoding="utf-8", errors="strict") if path.exists() else None
    if text is None:
        raise DatasetError(f"{path.name}: file is missing")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if tuple(header) not in (IMU_COLUMNS[:3], IMU_COLUMNS):
        raise DatasetError(f"{path.name}: header must be ax,ay,az[,gx,gy,gz], found {','.join(header)!r}")
    rows = []
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise DatasetError(f"{path.name}: line {line_no} has {len(row)} values, expected {len(header)}")
        try:
            rows.append([float(v) for v in row])
        except ValueError:
            raise DatasetError(f"{path.name}: line {line_no} has a value that is not a number") from None
    data = np.asarray(rows, dtype=np.float32).reshape(-1, len(header))
    if len(data) == 0:
        raise DatasetError(f"{path.name}: no samples")
    if not np.all(np.isfinite(data)):
        raise DatasetError(f"{path.name}: contains NaN or infinite values")
    if len(data) > rate_hz * MAX_SAMPLE_SECONDS:
        raise DatasetError(f"{path.name}: {len(data)} rows is longer than {MAX_SAMPLE_SECONDS} s")
    return data


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono/stereo 16-bit PCM WAV -> (mono int16 samples, rate)."""
    _check_size(path)
    try:
        with wave.open(str(path), "rb") as w:
            channels, width = w.getnchannels(), w.getsampwidth()
            rate, frames = w.getframerate(), w.getnframes()
            if width != 2:
                raise DatasetError(f"{path.name}: {8 * width}-bit WAV; only 16-bit PCM is supported")
            if not 1000 <= rate <= MAX_AUDIO_RATE_HZ:
                raise DatasetError(f"{path.name}: sample rate {rate} Hz is out of range")
            if frames > rate * MAX_SAMPLE_SECONDS:
                raise DatasetError(f"{path.name}: longer than {MAX_SAMPLE_SECONDS} s")
            raw = w.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise DatasetError(f"{path.name}: not a valid WAV file ({exc})") from None
    expected = frames * channels * width
    if len(raw) != expected:
        raise DatasetError(f"{path.name}: truncated WAV ({len(raw)} of {expected} data bytes)")
    data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
    mono = data[:, 0] if channels == 1 else data.mean(axis=1).astype(np.int16)
    if len(mono) == 0:
        raise DatasetError(f"{path.name}: no samples")
    return mono.astype(np.int16), rate


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise DatasetError(f"{path.name}: file is missing or unreadable") from None
    if size > MAX_FILE_BYTES:
        raise DatasetError(f"{path.name}: {size} bytes is larger than the {MAX_FILE_BYTES}-byte limit")


def read_manifest(root: Path) -> list[dict[str, str]]:
    path = root / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{root}: no {MANIFEST} found")
    _check_size(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("file", "label", "kind", "rate_hz") if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{MANIFEST}: missing column(s) {', '.join(missing)}")
        return [dict(row) for row in reader]


def iter_folder(root: str | Path) -> Iterator[SampleRecord]:
    """Read every sample of a labeled folder, validating as it goes."""
    root = Path(root)
    for line_no, row in enumerate(read_manifest(root), start=2):
        where = f"{MANIFEST} line {line_no}"
        name = (row.get("file") or "").strip()
        path = safe_relative_path(root, name, where)
        label = validate_label(row.get("label") or "", where)
        kind = (row.get("kind") or "").strip().lower()
        if kind not in KINDS:
            raise DatasetError(f"{where}: kind must be imu or audio, found {kind!r}")
        try:
            rate = float(row.get("rate_hz") or "")
        except ValueError:
            raise DatasetError(f"{where}: rate_hz {row.get('rate_hz')!r} is not a number") from None
        limit = MAX_IMU_RATE_HZ if kind == "imu" else MAX_AUDIO_RATE_HZ
        if not 1 <= rate <= limit:
            raise DatasetError(f"{where}: rate_hz {rate:g} is out of range for {kind}")
        if kind == "imu":
            data = read_imu_csv(path, rate)
        else:
            data, wav_rate = read_wav(path)
            if wav_rate != int(rate):
                raise DatasetError(f"{name}: WAV is {wav_rate} Hz but the manifest says {rate:g} Hz")
        yield SampleRecord(
            file=name,
            label=label,
            subject=(row.get("subject") or "").strip(),
            session=(row.get("session") or "").strip(),
            kind=kind,
            rate_hz=rate,
            data=data,
        )
