"""Labeled IMU takes from the virtual wand's motion synthesiser, for benchmarks, tests and base models.

Uses ``wandlab.virtual.motion.gesture_motion`` (physics-based: gravity, body frame, per-person style),
so the takes look like a real board's stream, not like the features the model eats.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

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
    from wandlab.virtual.gestures import GESTURES

    names = [g for g in GESTURES if g != "idle"]
    if not 1 <= n_classes <= len(names):
        raise ValueError(f"the virtual wand has {len(names)} gestures, asked for {n_classes}")
    return names[:n_classes]


def virtual_takes(labels: list[str], takes_per_class: int, people: list[int], seed: int = 0) -> list[Take]:
    """``takes_per_class`` takes of each label, spread round-robin over ``people``."""
    from wandlab.virtual.motion import gesture_motion
    from wandlab.virtual.people import person_style

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
