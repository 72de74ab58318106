"""Golden files for the C++ shape codes and DTW costs (firmware_sketches/wandlab_core/src/shape_dtw.h),
written with the app's own code (``onboard.hybrid_rank``): simulated wand takes through the real feature
window, plus edge cases (flat channels, spikes, noise, extreme offsets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wandlab.ml.synthetic import gesture_names, virtual_takes
from wandlab.onboard.hybrid_rank import dtw_costs, fused_distances, shape_codes
from wandlab.onboard.imu_features import FeatureConfig, take_features


def windows(channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cfg = FeatureConfig(channels=channels)
    out = [take_features(t.data, t.rate_hz, cfg) for t in virtual_takes(gesture_names(10), 2, [1, 7], seed)]
    t = np.linspace(0, 1, 64, dtype=np.float32)[:, None]
    edge = [
        np.zeros((64, channels), np.float32),  # flat: all zeros
        np.repeat(t, channels, 1) * 3 - 1,  # a ramp
        rng.normal(size=(64, channels)).astype(np.float32) * 1e-3 + 50,  # noise on a large offset
    ]
    spike = np.zeros((64, channels), np.float32)
    spike[10, 0], spike[11, -1] = 8.0, -8.0
    edge.append(spike)
    out += edge
    out += list(rng.normal(size=(20, 64, channels)).astype(np.float32) * rng.uniform(0.1, 10, (20, 1, channels)))
    return np.asarray(out, np.float32)


def write(path: Path, channels: int, seed: int = 0) -> dict[str, int]:
    x = windows(channels, seed)
    codes = shape_codes(x)
    rng = np.random.default_rng(seed + 1)
    n = len(x)
    pairs = [(i, j) for i in range(n) for j in range(n)]
    emb = rng.integers(0, 65_000, size=len(pairs))
    dtw = dtw_costs(codes, codes)
    lines = [f"takes {n} points {x.shape[1]} channels {channels}"]
    for w, c in zip(x, codes, strict=True):
        lines.append(" ".join(f"{v:.9g}" for v in w.ravel()))
        lines.append(" ".join(str(int(v)) for v in c.ravel()))
    lines.append(f"pairs {len(pairs)}")
    for (i, j), e in zip(pairs, emb, strict=True):
        fused = int(fused_distances(np.array([[e]]), np.array([[dtw[i, j]]]), channels)[0, 0])
        lines.append(f"{i} {j} {int(e)} {int(dtw[i, j])} {fused}")
    path.write_text("\n".join(lines) + "\n")
    return {"takes": n, "pairs": len(pairs)}
