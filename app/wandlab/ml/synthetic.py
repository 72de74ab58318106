"""Labeled IMU takes from the virtual wand's motion synthesiser, for benchmarks, tests and base models.

Uses ``wandlab.synth.motion.gesture_motion`` (physics-based: gravity, body frame, per-person style),
so the takes look like a real board's stream, not like the features the model eats.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RATE_HZ = 100.0


@dataclass(frozen=True)
class Take:
    data: np.ndarray  # (n, 6) float32 g / dps
    rate_hz: float
    label: str
    subject: str


def gesture_names(n_classes: int) -> list[str]:
    """The first ``n_classes`` virtual gestures, "idle" excluded (it is the "none" input)."""
    from wandlab.synth.gestures import GESTURES

    names = [g for g in GESTURES if g != "idle"]
    if not 1 <= n_classes <= len(names):
        raise ValueError(f"the virtual wand has {len(names)} gestures, asked for {n_classes}")
    return names[:n_classes]


def virtual_takes(labels: list[str], takes_per_class: int, people: list[int], seed: int = 0) -> list[Take]:
    """``takes_per_class`` takes of each label, spread round-robin over ``people``."""
    from wandlab.synth.motion import gesture_motion
    from wandlab.synth.people import person_style

    rng = np.random.default_rng(seed)
    out = []
    for label in labels:
        for i in range(takes_per_class):
            person = people[i % len(people)]
            data = gesture_motion(label, person_style(person), RATE_HZ, rng)
            out.append(Take(data.astype(np.float32), RATE_HZ, label, f"virtual-{person}"))
    return out


def write_folder(root: str | Path, takes: list[Take]) -> Path:
    """Write takes in the labeled-folder format (manifest.csv + one CSV per take)."""
    root = Path(root)
    (root / "samples").mkdir(parents=True, exist_ok=True)
    with open(root / "manifest.csv", "w", newline="", encoding="utf-8") as mf:
        w = csv.writer(mf)
        w.writerow(["file", "label", "subject", "session", "kind", "rate_hz"])
        for i, t in enumerate(takes):
            name = f"samples/{t.label}_{i:05d}.csv"
            with open(root / name, "w", newline="", encoding="utf-8") as f:
                cw = csv.writer(f)
                cw.writerow(["ax", "ay", "az", "gx", "gy", "gz"][: t.data.shape[1]])
                cw.writerows([[f"{v:.5f}" for v in row] for row in t.data])
            w.writerow([name, t.label, t.subject, "", "imu", f"{t.rate_hz:g}"])
    return root


def _min_jerk_path(targets: np.ndarray, n: int) -> np.ndarray:
    """(k, 3) successive targets from the origin -> (n, 3) path of minimum-jerk strokes, equal time each."""
    points = np.vstack([np.zeros((1, 3)), targets])
    per = np.linspace(0, len(targets), n)
    seg = np.minimum(per.astype(int), len(targets) - 1)
    u = np.clip(per - seg, 0, 1)[:, None]
    s = 10 * u**3 - 15 * u**4 + 6 * u**5
    return points[seg] + (points[seg + 1] - points[seg]) * s


def random_shape_classes(
    n_classes: int, takes_per_class: int, features: Any, rng: np.random.Generator,
    fill: tuple[float, float] = (0.45, 0.9),
) -> tuple[np.ndarray, np.ndarray]:
    """Feature windows of many random "gestures" (for training only: teaches the embedding to tell
    shapes apart in general, which is what enrolling an unseen gesture needs).

    A class is a random sequence of 1-4 minimum-jerk strokes of the tip and of the wand's orientation;
    each take perturbs the stroke targets by ~15 % and its duration; training augmentation adds the rest.
    ``fill``: the share of the window a take's motion spans (a trimmed, stretched take spans nearly all).
    Accel = second derivative of the path, gyro = first derivative of the orientation, in feature units.
    """
    w, ch = features.window, features.channels
    x = np.zeros((n_classes * takes_per_class, w, ch), np.float32)
    labels = []
    for c in range(n_classes):
        k = int(rng.integers(1, 5))
        targets, angles = rng.normal(size=(k, 3)), rng.normal(size=(k, 3))
        amp_a, amp_g = rng.uniform(0.15, 0.6), rng.uniform(0.1, 0.7)
        for t in range(takes_per_class):
            n = int(w * rng.uniform(*fill))
            start = (w - n) // 2 + int(rng.integers(-4, 5))
            path = _min_jerk_path(targets + 0.15 * rng.normal(size=targets.shape), n)
            acc = np.gradient(np.gradient(path, axis=0), axis=0)
            acc *= amp_a / (np.abs(acc).max() + 1e-9)
            row = np.zeros((w, ch))
            lo, hi = max(start, 0), min(start + n, w)
            row[lo:hi, :3] = acc[lo - start : hi - start]
            if ch == 6:
                rot = np.gradient(_min_jerk_path(angles + 0.15 * rng.normal(size=angles.shape), n), axis=0)
                row[lo:hi, 3:] = (rot * amp_g / (np.abs(rot).max() + 1e-9))[lo - start : hi - start]
            row[:, :3] -= row[:, :3].mean(axis=0)
            x[c * takes_per_class + t] = np.clip(row, -1, 1)
            labels.append(f"random:{c}")
    return x, np.array(labels)


def random_shape_data(n_classes: int, takes_per_class: int, features: Any, seed: int,
                      fill: tuple[float, float] = (0.45, 0.9)) -> Any:
    """``random_shape_classes`` as an ImuData (subject/session "synthetic")."""
    from wandlab.ml.train import ImuData

    x, labels = random_shape_classes(n_classes, takes_per_class, features, np.random.default_rng(seed), fill)
    tag = np.array(["synthetic"] * len(labels))
    return ImuData(x, labels, tag, tag)
