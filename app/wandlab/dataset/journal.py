"""The on-disk journal of a recording in progress: self-describing, append-only, crash-tolerant.

``recordings/<id>.partial`` is ``MAGIC``, a little-endian u32 header length, a JSON header with
everything needed to rebuild the sample (label, kind, rate, axes, subject...), then raw little-endian
frames exactly as they arrived. ``recordings/<id>.gaps`` holds one ``frame lost_blocks`` line per
gap reported by the board client. Because each block is one write() call, a killed process loses
nothing the kernel already has; a torn last frame is cut off on recovery.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.dataset.files import disk_error
from wandlab.errors import DatasetError

MAGIC = b"WLREC1\n"
MAX_HEADER = 64 * 1024
PARTIAL = ".partial"
GAPS = ".gaps"


def dtype_for(kind: str) -> np.dtype[Any]:
    return np.dtype("<f4") if kind == "imu" else np.dtype("<i2")


def encode_header(header: dict[str, Any]) -> bytes:
    body = json.dumps(header, sort_keys=True).encode("utf-8")
    return MAGIC + struct.pack("<I", len(body)) + body


@dataclass
class Journal:
    """What a journal file holds, after cutting any torn trailing frame."""

    header: dict[str, Any]
    data: np.ndarray  # imu (frames, axes) float32; audio (frames,) int16
    gaps: list[tuple[int, int]]  # (frame index, blocks lost before it)

    @property
    def lost_blocks(self) -> int:
        return sum(lost for _, lost in self.gaps)


def read_journal(partial: Path) -> Journal:
    """Parse a journal; raise DatasetError if its header is unusable (the data then cannot be placed)."""
    try:
        raw = partial.read_bytes()
    except OSError as exc:
        raise disk_error(exc, partial, "read the recording journal") from None
    if not raw.startswith(MAGIC) or len(raw) < len(MAGIC) + 4:
        raise DatasetError(f"{partial.name}: not a recording journal (bad magic)")
    (size,) = struct.unpack_from("<I", raw, len(MAGIC))
    start = len(MAGIC) + 4
    if size > MAX_HEADER or start + size > len(raw):
        raise DatasetError(f"{partial.name}: journal header is truncated or too large")
    try:
        header = json.loads(raw[start : start + size].decode("utf-8"))
        kind = header["kind"]
        width = 1 if kind == "audio" else len(header["axes"])
    except (ValueError, KeyError, TypeError):
        raise DatasetError(f"{partial.name}: journal header is not valid JSON with kind and axes") from None
    if kind not in ("imu", "audio") or width < 1:
        raise DatasetError(f"{partial.name}: journal header has an unknown kind {kind!r}")
    dtype = dtype_for(kind)
    frame_bytes = dtype.itemsize * width
    body = raw[start + size :]
    usable = len(body) - len(body) % frame_bytes  # a kill mid-write can tear only the last frame
    data = np.frombuffer(body[:usable], dtype=dtype)
    data = data.reshape(-1, width).astype(np.float32) if kind == "imu" else data.astype(np.int16)
    return Journal(header, data, read_gaps(partial.with_suffix(GAPS)))


def read_gaps(path: Path) -> list[tuple[int, int]]:
    gaps: list[tuple[int, int]] = []
    if not path.exists():
        return gaps
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():  # a torn last line is skipped
            gaps.append((int(parts[0]), int(parts[1])))
    return gaps


def gap_note(gaps: list[tuple[int, int]], rate_hz: float) -> str:
    if not gaps:
        return ""
    where = ", ".join(f"{frame / rate_hz:.2f} s" for frame, _ in gaps[:5])
    more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
    return f"{sum(n for _, n in gaps)} block(s) lost in transfer (gaps at {where}{more})"


def write_all(fd: int, payload: bytes) -> None:
    """os.write may write less than asked (signals, pipes); loop so a block is never half-kept."""
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def remove_journal(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    partial.with_suffix(GAPS).unlink(missing_ok=True)
