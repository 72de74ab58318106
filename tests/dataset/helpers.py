"""Small synthetic takes and folders, so dataset tests run in seconds without the real data."""

from __future__ import annotations

import csv
import errno
import os
import wave
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NoReturn

import numpy as np
import pytest

from wandlab.dataset import files, journal
from wandlab.dataset.project import Draft, Project

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def gesture(rate: float = 100.0, rest_s: float = 0.5, move_s: float = 0.6, seed: int = 0) -> np.ndarray:
    """Rest, a wrist flick (accel + rotation), rest: (frames, 6) float32 in g and deg/s."""
    rng = np.random.default_rng(seed)
    rest = int(rest_s * rate)
    t = np.arange(int(move_s * rate)) / rate
    wave_ = np.sin(2 * np.pi * t / move_s)
    move = np.zeros((len(t), 6))
    move[:, 0], move[:, 4] = 0.8 * wave_, 250 * wave_
    data = np.concatenate([np.zeros((rest, 6)), move, np.zeros((rest, 6))])
    data[:, 2] += 1.0  # gravity
    data[:, :3] += rng.normal(0, 0.005, (len(data), 3))
    data[:, 3:] += rng.normal(0, 0.5, (len(data), 3))
    return data.astype(np.float32)


def word(rate: int = 16000, quiet_s: float = 0.3, voiced_s: float = 0.4, seed: int = 0) -> np.ndarray:
    """Near-silence, a voiced tone, near-silence: (frames,) int16."""
    rng = np.random.default_rng(seed)
    quiet = rng.normal(0, 20, int(quiet_s * rate))
    t = np.arange(int(voiced_s * rate)) / rate
    voiced = 8000 * np.sin(2 * np.pi * 220 * t) * np.hanning(len(t)) + rng.normal(0, 20, len(t))
    return np.concatenate([quiet, voiced, quiet]).astype(np.int16)


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


def write_imu_csv(path: Path, data: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "ax,ay,az,gx,gy,gz"[: 8 if data.shape[1] == 3 else None]
    rows = "\n".join(",".join(f"{v:.5g}" for v in row) for row in data)
    path.write_text(f"{header}\n{rows}\n")


def make_folder(root: Path, takes: int = 3) -> Path:
    """A labeled folder like ../shared/data: two IMU labels, one audio label, two subjects."""
    rows = []
    for i in range(takes):
        for label, seed in (("flick", i), ("wave", 100 + i)):
            name = f"samples/{label}_{i}.csv"
            write_imu_csv(root / name, gesture(seed=seed, move_s=0.4 + 0.1 * (seed % 3)))
            rows.append([name, label, f"p{i % 2}", "s1", "imu", "100"])
        name = f"audio/yes_{i}.wav"
        write_wav(root / name, word(rate=8000, seed=i), 8000)
        rows.append([name, "yes", f"p{i % 2}", "s2", "audio", "8000"])
    with (root / "manifest.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label", "subject", "session", "kind", "rate_hz"])
        writer.writerows(rows)
    return root


def imu_draft(label: str = "flick", seed: int = 0, **kw: object) -> Draft:
    return Draft(
        label=label,
        kind="imu",
        axes=("ax", "ay", "az", "gx", "gy", "gz"),
        rate_hz=100.0,
        data=gesture(seed=seed),
        **kw,
    )  # type: ignore[arg-type]


def add(project: Project, *drafts: Draft) -> list:
    writer = project.add_samples(list(drafts))
    try:
        while True:
            next(writer)
    except StopIteration as stop:
        return stop.value


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# -- a disk that fills up or turns read-only: tests run as root too, where chmod does not stop writes -----


def disk_error(code: int = errno.ENOSPC) -> OSError:
    return OSError(code, os.strerror(code))


def refusing(code: int = errno.ENOSPC) -> Callable[..., NoReturn]:
    """A stand-in for open() or Path.write_text on a full (ENOSPC) or read-only (EROFS) disk."""

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise disk_error(code)

    return refuse


class FullDisk:
    """Switchable full disk for the recorder's journal writes and the project's sample files.

    ``journal`` fails ``journal.write_all`` (each block of a recording); ``samples`` fails the write()
    of every file ``files.atomic_write`` makes (sample files), after its temporary file opened fine.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.journal = False
        self.samples = False
        real_write_all = journal.write_all

        def write_all(fd: int, payload: bytes) -> None:
            if self.journal:
                raise disk_error()
            real_write_all(fd, payload)

        def open_(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
            handle = open(path, mode, *args, **kwargs)  # type: ignore[call-overload]
            return _Refusing(handle) if self.samples and "w" in mode else handle

        monkeypatch.setattr(journal, "write_all", write_all)
        monkeypatch.setattr(files, "open", open_, raising=False)  # files.py's own name for open only


class _Refusing:
    """A file opened for writing on a disk with no space left: opening worked, writing does not."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def __enter__(self) -> _Refusing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def write(self, data: bytes) -> int:
        raise disk_error()

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._handle.fileno()
