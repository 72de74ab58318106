"""What a sample is: the record a project keeps per take, and the rules for its fields.

Kept free of SQL and files so views, importers and the recorder share one definition. Rates and
labels follow ``input_rules``, the same rules every import applies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from wandlab.dataset.folder import IMU_COLUMNS
from wandlab.dataset.input_rules import MAX_SAMPLE_SECONDS
from wandlab.dataset.input_rules import check_label as check_label  # re-exported: the recorder and editor
from wandlab.dataset.input_rules import check_rate as check_rate  # follow the import rules
from wandlab.errors import DatasetError

KINDS = ("imu", "audio")
SPLITS = ("train", "validation", "test")
AUDIO_AXES = ("pcm",)
# Fraction of samples per split. Validation is carved out so that model selection never sees test.
SPLIT_SHARES = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
MAX_TEXT_CHARS = 2000


def now_iso() -> str:
    """UTC wall clock, ISO 8601 with milliseconds: sorts as text and reads in a table."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def content_hash(data: np.ndarray) -> str:
    """SHA-256 of the sample's bytes in storage order; finds exact duplicates and fixes the split."""
    return hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()


def stable_split(key: str) -> str:
    """Split from a hash, so a sample keeps its split however many samples are added around it.

    Keyed on the content hash: an exact duplicate always lands with its twin, which keeps a test set
    from containing copies of training takes.
    """
    bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    total = 0.0
    for name, share in SPLIT_SHARES:
        total += share
        if bucket <= total:
            return name
    return SPLIT_SHARES[-1][0]


@dataclass(frozen=True)
class Sample:
    """One take in a project. Frames are rows of ``data``; the trim range is [trim_start, trim_end)."""

    id: str
    label: str
    kind: str
    axes: tuple[str, ...]
    rate_hz: float
    n_frames: int
    trim_start: int
    trim_end: int
    split: str
    file: str  # path relative to the project folder, '/'-separated
    subject: str = ""
    session: str = ""
    board: str = ""
    firmware: str = ""
    created: str = field(default_factory=now_iso)
    notes: str = ""
    lost_blocks: int = 0
    interrupted: bool = False
    sha256: str = ""
    source: str = ""  # where it came from: an imported file name, or "recorder"

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.rate_hz

    @property
    def trimmed_frames(self) -> int:
        return self.trim_end - self.trim_start

    def with_changes(self, **changes: object) -> Sample:
        return replace(self, **changes)  # type: ignore[arg-type]


def check_axes(kind: str, axes: tuple[str, ...] | list[str], where: str) -> tuple[str, ...]:
    axes = tuple(axes)
    if kind == "audio":
        if axes != AUDIO_AXES:
            raise DatasetError(f"{where}: audio is one channel, got axes {axes}")
    elif axes not in (IMU_COLUMNS[:3], IMU_COLUMNS):
        raise DatasetError(f"{where}: IMU axes must be ax,ay,az[,gx,gy,gz], got {','.join(axes)}")
    return axes


def check_data(kind: str, data: np.ndarray, axes: tuple[str, ...], rate_hz: float, where: str) -> np.ndarray:
    """Normalise a sample's array to its storage dtype/shape, refusing anything a take cannot be."""
    if kind == "imu":
        data = np.asarray(data, dtype=np.float32)
        if data.ndim != 2 or data.shape[1] != len(axes):
            raise DatasetError(f"{where}: IMU data must be (frames, {len(axes)}), got {data.shape}")
        if not np.all(np.isfinite(data)):
            raise DatasetError(f"{where}: IMU data contains NaN or infinite values")
    else:
        if data.dtype != np.int16 or data.ndim != 1:
            raise DatasetError(f"{where}: audio must be 1-D int16 PCM, got {data.dtype} {data.shape}")
    if len(data) == 0:
        raise DatasetError(f"{where}: no samples")
    if len(data) > rate_hz * MAX_SAMPLE_SECONDS:
        raise DatasetError(f"{where}: {len(data)} frames is longer than {MAX_SAMPLE_SECONDS} s")
    return data


def check_text(value: object, name: str, where: str) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_TEXT_CHARS or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise DatasetError(f"{where}: {name} is too long or has control characters")
    return text


def check_trim(start: int, end: int, n_frames: int, where: str) -> tuple[int, int]:
    if not (0 <= start < end <= n_frames):
        raise DatasetError(f"{where}: trim {start}-{end} is not inside 0-{n_frames} with start < end")
    return int(start), int(end)
