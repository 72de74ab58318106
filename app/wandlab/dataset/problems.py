"""Flagging takes worth a second look: outliers, near-duplicates, clipped, silent, too short, too few.

These are hints for review, not verdicts: each Problem names the takes and says why in words. Takes
are compared on a small fixed-length summary of their trimmed data (IMU: the trace resampled to 32
frames; audio: log band energies over 8 time slices), scaled per feature so that g and deg/s, or loud
and quiet bands, weigh alike.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from wandlab.dataset.model import Sample
from wandlab.errors import DatasetError
from wandlab.onboard.trim import frame_dbfs

if TYPE_CHECKING:
    from wandlab.dataset.project import Project

MIN_TAKES = 10  # fewer takes than this per label train poorly (the "take 10" mode's default)
OUTLIER_Z = 5.0  # robust z-score of the distance to the label's median take
NEAR_DUPLICATE = 0.05  # distance below this fraction of the typical nearest-neighbour distance
SILENT_DBFS = -45.0
MIN_SECONDS = {"imu": 0.1, "audio": 0.15}
IMU_POINTS = 32


@dataclass(frozen=True)
class Problem:
    # outlier | duplicate | clipped | silent | flat | too_short | too_few | interrupted | gaps | unreadable
    kind: str
    label: str
    sample_ids: tuple[str, ...]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_problems(
    project: Project, samples: Sequence[Sample] | None = None, min_takes: int = MIN_TAKES
) -> list[Problem]:
    """Every problem found among ``samples`` (default: the whole project), takes in project order."""
    chosen = list(samples) if samples is not None else project.samples()
    problems: list[Problem] = []
    features: dict[tuple[str, int], list[tuple[Sample, np.ndarray]]] = defaultdict(list)
    for sample in chosen:
        try:
            data = project.load(sample, trimmed=True)
        except DatasetError as exc:
            problems.append(Problem("unreadable", sample.label, (sample.id,), str(exc)))
            continue
        problems += _per_take(sample, data)
        feature = _feature(sample, data)
        features[(sample.kind, len(feature))].append((sample, feature))
    for group in features.values():
        problems += _outliers(group) + _duplicates(group)
    counts: dict[str, int] = defaultdict(int)
    for sample in chosen:
        counts[sample.label] += 1
    for label, count in sorted(counts.items()):
        if count < min_takes:
            why = f"'{label}' has {count} take(s); record at least {min_takes}"
            problems.append(Problem("too_few", label, (), why))
    return problems


def _per_take(s: Sample, data: np.ndarray) -> list[Problem]:
    found = []

    def add(kind: str, message: str) -> None:
        found.append(Problem(kind, s.label, (s.id,), f"take {s.id[:8]} of '{s.label}': {message}"))

    if s.interrupted:
        add("interrupted", "recording was interrupted; check its end")
    if s.lost_blocks:
        add("gaps", f"{s.lost_blocks} block(s) were lost while recording")
    if len(data) / s.rate_hz < MIN_SECONDS[s.kind]:
        add("too_short", f"only {len(data) / s.rate_hz:.2f} s after trimming")
    if s.kind == "audio":
        if np.count_nonzero((data >= 32767) | (data <= -32768)) >= 3:
            add("clipped", "audio hits full scale (too loud or too close to the microphone)")
        if frame_dbfs(data, s.rate_hz).max() < SILENT_DBFS:
            add("silent", "nothing louder than the noise floor (silent or far from the microphone)")
    elif len(data) > 1:
        if np.all(data.max(axis=0) == data.min(axis=0)):
            add("flat", "every value is constant (sensor not sending?)")
        elif _flat_top(data):
            add("clipped", "a sensor axis sits at its limit (motion beyond the sensor's range)")
    return found


def _flat_top(data: np.ndarray) -> bool:
    """Saturation shows as a run of identical extreme values; real motion never repeats its peak."""
    for column in data.T:
        peak = np.abs(column).max()
        if peak == 0:
            continue
        at_peak = np.abs(column) == peak
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], at_peak.astype(np.int8), [0])))))[::2]
        if len(runs) and runs.max() >= 3:
            return True
    return False


def _feature(s: Sample, data: np.ndarray) -> np.ndarray:
    if s.kind == "imu":
        x = np.linspace(0, len(data) - 1, IMU_POINTS)
        return np.concatenate([np.interp(x, np.arange(len(data)), col) for col in data.T.astype(np.float64)])
    frame = max(16, int(0.025 * s.rate_hz))
    pcm = data.astype(np.float64) / 32768.0
    if len(pcm) < frame * 8:
        pcm = np.pad(pcm, (0, frame * 8 - len(pcm)))
    frames = pcm[: len(pcm) - len(pcm) % frame].reshape(-1, frame)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 @ _band_matrix(frame)  # (frames, 16)
    slices = [part.mean(axis=0) for part in np.array_split(power, 8)]
    return 10 * np.log10(np.concatenate(slices) + 1e-10)


@functools.lru_cache(maxsize=8)
def _band_matrix(frame: int) -> np.ndarray:
    """rfft bins -> 16 log-spaced bands (a crude mel), as a matrix so one product does every frame."""
    bins = frame // 2 + 1
    edges = np.geomspace(1, bins, 17)
    matrix = np.zeros((bins, 16))
    for band in range(16):
        lo, hi = int(edges[band]), max(int(edges[band + 1]), int(edges[band]) + 1)
        matrix[lo:hi, band] = 1.0
    return matrix


def _scaled(group: list[tuple[Sample, np.ndarray]]) -> np.ndarray:
    """One scale per sensor axis (IMU) or for all bands (audio, already in dB). Scaling every feature
    on its own would blow the noise of quiet stretches up to the size of the gesture itself."""
    matrix = np.stack([f for _, f in group])
    if group[0][0].kind == "imu":
        per_axis = matrix.reshape(len(matrix), -1, IMU_POINTS)
        spread = per_axis.std(axis=(0, 2), keepdims=True)
        scaled = (per_axis - per_axis.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
        return scaled.reshape(len(matrix), -1)
    spread = float(matrix.std()) or 1.0
    return (matrix - matrix.mean(axis=0)) / spread


def _outliers(group: list[tuple[Sample, np.ndarray]]) -> list[Problem]:
    if len(group) < 3:
        return []
    matrix = _scaled(group)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, (s, _) in enumerate(group):
        by_label[s.label].append(i)
    found = []
    for label, rows in by_label.items():
        if len(rows) < 5:
            continue
        part = matrix[rows]
        dist = np.linalg.norm(part - np.median(part, axis=0), axis=1)
        med = np.median(dist)
        mad = 1.4826 * np.median(np.abs(dist - med)) or 1e-9
        for row, d in zip(rows, dist, strict=True):
            z = (d - med) / mad
            if z > OUTLIER_Z and d > 2 * med:
                s = group[row][0]
                why = f"take {s.id[:8]} is far from the other '{label}' takes ({d / med:.1f}x usual)"
                found.append(Problem("outlier", label, (s.id,), why))
    return found


def _duplicates(group: list[tuple[Sample, np.ndarray]]) -> list[Problem]:
    """Pairs much closer than takes usually are to their nearest neighbour (or byte-identical)."""
    if len(group) < 2:
        return []
    matrix = _scaled(group).astype(np.float32)
    norms = (matrix**2).sum(axis=1)

    def blocks() -> Any:  # squared distances, a block of rows at a time (n x n would not fit for big sets)
        for start in range(0, len(matrix), 512):
            block = matrix[start : start + 512]
            d2 = np.maximum(norms[start : start + 512, None] + norms[None, :] - 2 * block @ matrix.T, 0)
            d2[np.arange(len(block)), start + np.arange(len(block))] = np.inf
            yield start, d2

    nearest = np.concatenate([np.sqrt(d2.min(axis=1)) for _, d2 in blocks()])
    limit = NEAR_DUPLICATE * float(np.median(nearest))
    pairs = {(a, b) for a, b in _same_hash(group)}
    for start, d2 in blocks():
        for i, j in zip(*np.nonzero(d2 <= limit**2), strict=True):
            a, b = start + int(i), int(j)
            if a < b:
                pairs.add((a, b))
    return [_duplicate(group[a][0], group[b][0]) for a, b in sorted(pairs)]


def _same_hash(group: list[tuple[Sample, np.ndarray]]) -> list[tuple[int, int]]:
    first: dict[str, int] = {}
    out = []
    for i, (s, _) in enumerate(group):
        if s.sha256 and s.trim_start == 0 and s.trim_end == s.n_frames:
            if s.sha256 in first:
                out.append((first[s.sha256], i))
            else:
                first[s.sha256] = i
    return out


def _duplicate(a: Sample, b: Sample) -> Problem:
    what = "identical" if a.sha256 == b.sha256 else "nearly identical"
    relabel = "" if a.label == b.label else f" but labeled '{a.label}' and '{b.label}'"
    return Problem("duplicate", a.label, (a.id, b.id), f"takes {a.id[:8]} and {b.id[:8]} are {what}{relabel}")
