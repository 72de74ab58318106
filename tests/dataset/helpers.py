"""Small synthetic takes and folders, so dataset tests run in seconds without the real data."""

from __future__ import annotations

import csv
import wave
from pathlib import Path

import numpy as np

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
