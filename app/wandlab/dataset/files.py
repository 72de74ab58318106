"""Sample files on disk: where they live, and how they are written so that none is ever half-written.

Every file is written to a temporary name in the project's ``tmp/`` folder (same file system), flushed
to disk, then renamed into place with ``os.replace``. A reader sees either no file or the whole file;
leftovers in ``tmp/`` are swept when the project is next opened.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import uuid
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from wandlab.errors import DatasetError, WandlabError

SAMPLES_DIR = "samples"
TMP_DIR = "tmp"
RECORDINGS_DIR = "recordings"
EXTENSIONS = {"imu": ".npy", "audio": ".wav"}
# Why a write failed, and what the user can do about it. Anything else reports the system's words.
_DISK_PROBLEMS = {
    errno.ENOSPC: "the disk is full; free some space, then try again",
    getattr(errno, "EDQUOT", errno.ENOSPC): "the disk quota is used up; free some space, then try again",
    errno.EROFS: "the disk is read-only; use a folder on a writable disk",
    errno.EACCES: "permission denied; use a folder you are allowed to write to",
    errno.EPERM: "permission denied; use a folder you are allowed to write to",
    errno.EIO: "the disk reported an input/output error; check that it is still connected and healthy",
    errno.ENOENT: "the folder is gone; check that the disk is still connected",
}


def disk_error(exc: OSError, path: Path | str | None, doing: str) -> DatasetError:
    """One sentence for a failed file operation: which file, what failed, why, and what to do."""
    where = path if path is not None else (exc.filename or "the project folder")
    why = _DISK_PROBLEMS.get(exc.errno or 0) or f"{exc.strerror or exc}; check the disk, then try again"
    return DatasetError(f"{where}: could not {doing}: {why}")


@contextlib.contextmanager
def disk_errors(path: Path | str | None, doing: str) -> Iterator[None]:
    """Turn an OSError inside the block into ``disk_error``'s DatasetError (ours pass through)."""
    try:
        yield
    except WandlabError:
        raise  # LinkError is an OSError too, and already says what happened
    except OSError as exc:
        raise disk_error(exc, path, doing) from None


def sample_relpath(sample_id: str, kind: str) -> str:
    """Sharded by the id's first two hex digits: keeps directories small for file browsers."""
    return f"{SAMPLES_DIR}/{sample_id[:2]}/{sample_id}{EXTENSIONS[kind]}"


def fsync_dir(path: Path) -> None:
    """Make a rename durable: the directory entry must reach the disk, not only the file's data."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def flush_to_disk(root: Path, relpaths: list[str]) -> None:
    """Make files written with ``sync=False`` durable before an index commit names them."""
    if hasattr(os, "sync"):
        os.sync()  # POSIX: data and metadata (the renames' directory entries) of every file system
        return
    for rel in relpaths:
        with open(root / rel, "rb+") as f:
            os.fsync(f.fileno())


def atomic_write(root: Path, target: Path, write: Callable[[BinaryIO], object], sync: bool = True) -> None:
    """Write ``target`` through a temporary file in ``root/tmp``, then rename it into place.

    A full or read-only disk raises DatasetError naming ``target``; nothing is left half-written.
    """
    tmp_dir = root / TMP_DIR
    tmp = tmp_dir / f"{uuid.uuid4().hex}.tmp"
    try:
        tmp_dir.mkdir(exist_ok=True)
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # a read-only disk refuses this too; the next open sweeps tmp/
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WandlabError):
            raise disk_error(exc, target, "write the file") from None
        raise


def encode_sample(kind: str, data: np.ndarray, rate_hz: float) -> bytes:
    """The bytes of a sample file: .npy float32 for IMU (exact, no text rounding), 16-bit WAV for audio."""
    buf = io.BytesIO()
    if kind == "imu":
        np.save(buf, np.ascontiguousarray(data, dtype="<f4"), allow_pickle=False)
    else:
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(int(round(rate_hz)))
            w.writeframes(np.ascontiguousarray(data, dtype="<i2").tobytes())
    return buf.getvalue()


def write_sample_file(root: Path, relpath: str, kind: str, data: np.ndarray, rate_hz: float, sync: bool = True) -> None:
    payload = encode_sample(kind, data, rate_hz)
    atomic_write(root, root / relpath, lambda f: f.write(payload), sync=sync)


def read_sample_file(root: Path, relpath: str, kind: str) -> np.ndarray:
    """Load a stored sample. Never unpickles: a project folder may come from someone else."""
    path = root / relpath
    try:
        if kind == "imu":
            data = np.load(path, allow_pickle=False)
            if data.dtype != np.float32 or data.ndim != 2:
                raise DatasetError(f"{relpath}: expected a 2-D float32 array, not {data.dtype} {data.shape}")
            return data
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                raise DatasetError(f"{relpath}: expected mono 16-bit WAV")
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
    except FileNotFoundError:
        raise DatasetError(f"{relpath}: sample file is missing from the project folder") from None
    except (OSError, ValueError, EOFError, wave.Error) as exc:
        raise DatasetError(f"{relpath}: sample file is unreadable ({exc})") from None
