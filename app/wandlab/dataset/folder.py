"""The labeled-folder format shared by ``../shared/data`` and ``wandlab dataset export``.

A folder holds ``manifest.csv`` (columns ``file,label,subject,session,kind,rate_hz``) and the sample
files it names: IMU as CSV with a header ``ax,ay,az[,gx,gy,gz]`` (g, deg/s), audio as 16-bit PCM WAV
or Opus, OGG, FLAC, MP3 (``audio_files``).
Reading validates everything a hostile or broken folder could get wrong and raises DatasetError naming
the file and the problem; nothing here writes. Which files, rates and labels are accepted at all is
decided by ``input_rules``, as for every other import format.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wandlab.dataset.audio_files import read_audio, read_wav  # noqa: F401 (read_wav: re-exported)
from wandlab.dataset.input_rules import MAX_SAMPLE_SECONDS, check_file, check_label, check_rate, unreadable
from wandlab.errors import DatasetError

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("file", "label", "subject", "session", "kind", "rate_hz")
IMU_COLUMNS = ("ax", "ay", "az", "gx", "gy", "gz")
KINDS = ("imu", "audio")
MAX_MANIFEST_ROWS = 500_000


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
    extra: Mapping[str, str] = field(default_factory=dict)  # other manifest columns (split, trim, notes)


def read_imu_csv(path: Path, rate_hz: float, name: str | None = None) -> np.ndarray:
    """IMU CSV -> (n, 3|6) float32. Raises DatasetError naming the file (``name``) and line.

    Importers pass only paths that ``input_rules.check_file`` accepted (``read_row`` does).
    """
    name = name or path.name
    return parse_imu_csv(read_text(path, name), rate_hz, name)


def read_text(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise DatasetError(f"{name}: not a UTF-8 text file; save it as UTF-8") from None
    except OSError as exc:
        raise unreadable(name, exc) from None


def parse_imu_csv(text: str, rate_hz: float, name: str) -> np.ndarray:
    """The text of an IMU CSV -> (n, 3|6) float32, validated; ``name`` is used in errors."""
    head, _, body = text.lstrip("\ufeff").partition("\n")
    header = [h.strip().lower() for h in head.strip().split(",")]
    if tuple(header) not in (IMU_COLUMNS[:3], IMU_COLUMNS):
        raise DatasetError(f"{name}: header must be ax,ay,az[,gx,gy,gz], found {head.strip()[:80]!r}")
    data = _parse_fast(body, len(header))
    if data is None:  # the slow path finds the exact line and says what is wrong with it
        data = _parse_rows(body, len(header), name)
    if len(data) == 0:
        raise DatasetError(f"{name}: no samples")
    if not np.all(np.isfinite(data)):
        raise DatasetError(f"{name}: contains NaN or infinite values")
    if len(data) > rate_hz * MAX_SAMPLE_SECONDS:
        raise DatasetError(f"{name}: {len(data)} rows is longer than {MAX_SAMPLE_SECONDS} s")
    return data


def _parse_fast(body: str, width: int) -> np.ndarray | None:
    """numpy's C parser: ~20x faster than csv + float(). Parses to float64 then rounds to float32,
    exactly like the slow path, so both give bit-identical arrays. None when anything looks off."""
    if not body.strip() or '"' in body:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2, comments=None)
    except ValueError:
        return None
    return data.astype(np.float32) if data.shape[1] == width else None


def _parse_rows(body: str, width: int, name: str) -> np.ndarray:
    rows = []
    try:
        for line_no, row in enumerate(csv.reader(io.StringIO(body)), start=2):
            if not row:
                continue
            if len(row) != width:
                raise DatasetError(f"{name}: line {line_no} has {len(row)} values, expected {width}")
            try:
                rows.append([float(v) for v in row])
            except ValueError:
                raise DatasetError(f"{name}: line {line_no} has a value that is not a number") from None
    except csv.Error as exc:
        raise DatasetError(f"{name}: malformed CSV ({exc})") from None
    return np.asarray(rows, dtype=np.float64).reshape(-1, width).astype(np.float32)


def read_manifest(root: Path) -> list[dict[str, str]]:
    if not os.path.lexists(root / MANIFEST):
        raise DatasetError(f"{root}: no {MANIFEST} found; a labeled folder lists its files in one")
    path = check_file(root, MANIFEST)  # a linked manifest could list files of a folder never chosen
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("file", "label", "kind", "rate_hz") if c not in (reader.fieldnames or [])]
            if missing:
                raise DatasetError(f"{MANIFEST}: missing column(s) {', '.join(missing)}")
            rows: list[dict[str, str]] = []
            for row in reader:
                if len(rows) >= MAX_MANIFEST_ROWS:
                    raise DatasetError(f"{MANIFEST}: more than {MAX_MANIFEST_ROWS} rows")
                rows.append({k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)})
            return rows
    except UnicodeDecodeError:
        raise DatasetError(f"{MANIFEST}: not a UTF-8 text file; save it as UTF-8") from None
    except csv.Error as exc:
        raise DatasetError(f"{MANIFEST}: malformed CSV ({exc})") from None
    except OSError as exc:
        raise unreadable(MANIFEST, exc) from None


def iter_folder(root: str | Path) -> Iterator[SampleRecord]:
    """Read every sample of a labeled folder, validating as it goes."""
    root = Path(root)
    for line_no, row in enumerate(read_manifest(root), start=2):
        yield read_row(root, row, line_no)


def read_row(root: Path, row: Mapping[str, str], line_no: int) -> SampleRecord:
    """One manifest row and its file, validated. Errors name the manifest line or the file."""
    where = f"{MANIFEST} line {line_no}"
    name = (row.get("file") or "").strip()
    path = check_file(root, name, where)
    label = check_label(row.get("label") or "", where)
    kind = (row.get("kind") or "").strip().lower()
    if kind not in KINDS:
        raise DatasetError(f"{where}: kind must be imu or audio, found {kind!r}")
    rate = check_rate(kind, (row.get("rate_hz") or "").strip(), f"{where}: rate_hz")
    if kind == "imu":
        data = read_imu_csv(path, rate, name)
    else:
        data, file_rate = read_audio(path, name)
        if file_rate != rate:
            raise DatasetError(f"{name}: the audio is {file_rate} Hz but the manifest says {rate:g} Hz")
    known = set(MANIFEST_COLUMNS)
    return SampleRecord(
        file=name,
        label=label,
        subject=(row.get("subject") or "").strip(),
        session=(row.get("session") or "").strip(),
        kind=kind,
        rate_hz=rate,
        data=data,
        extra={k: v for k, v in row.items() if k not in known},
    )
