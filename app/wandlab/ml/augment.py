"""Window-level augmentation for IMU features (numpy only, vectorised over the batch).

Applied to feature windows (after scaling), which is equivalent to augmenting the raw take because
rotation and amplitude scaling commute with the per-sensor scaling and mean removal. Each augmentation
models a real nuisance: how the wand sits in the hand (rotation), how big the motion is (scale), how fast
it is drawn (time-warp and shift), sensor noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    # Ranges chosen on cyberry_wand with sessions held out (docs/ml.md): wider ranges than the
    # "natural" variation help most across recording set-ups.
    max_rotation_deg: float = 30.0
    scale_range: tuple[float, float] = (0.6, 1.6)
    speed_range: tuple[float, float] = (0.6, 1.6)
    max_shift: int = 10  # samples
    noise_std: float = 0.01
    clip: float = 1.0
    short_take_prob: float = 0.3  # chance of cutting the take short and edge-padding it (short recordings)
    short_take_min: float = 0.5  # shortest kept fraction of the window


def random_rotations(n: int, max_deg: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 3, 3) rotations about random axes by angles uniform in [-max_deg, max_deg] (Rodrigues)."""
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True) + 1e-12
    angle = np.deg2rad(rng.uniform(-max_deg, max_deg, size=n))
    k = np.zeros((n, 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(0, 2, 1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3)[None] + s * k + (1 - c) * (k @ k)


def time_warp(x: np.ndarray, speed: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Resample each window around its centre at ``speed`` (>1 = faster gesture), shifted, edge-clamped."""
    n, t, _ = x.shape
    centre = (t - 1) / 2.0
    pos = centre + (np.arange(t)[None, :] - centre) * speed[:, None] + shift[:, None]
    pos = np.clip(pos, 0, t - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, t - 1)
    frac = (pos - i0)[:, :, None]
    rows = np.arange(n)[:, None]
    return x[rows, i0] * (1 - frac) + x[rows, i1] * frac


def short_takes(x: np.ndarray, keep: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Keep ``keep[i]`` samples from ``start[i]`` and edge-pad them back to the window, centred - what
    ``imu_features.fit_window`` ("centre") does to a take shorter than the window; with "stretch" windows
    it stands for a take whose segment ended early or started late."""
    n, t, _ = x.shape
    before = (t - keep) // 2
    idx = np.clip(np.arange(t)[None, :] - before[:, None], 0, keep[:, None] - 1) + start[:, None]
    return x[np.arange(n)[:, None], idx]


def augment(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig()) -> np.ndarray:
    """(n, window, 3|6) float32 -> augmented copy, same shape and dtype."""
    n, _, ch = x.shape
    out = x.astype(np.float64)
    rot = random_rotations(n, cfg.max_rotation_deg, rng)
    for start in range(0, ch, 3):  # same rotation for accel and gyro: they share the body frame
        out[:, :, start : start + 3] = np.einsum("nij,ntj->nti", rot, out[:, :, start : start + 3])
    out *= rng.uniform(*cfg.scale_range, size=(n, 1, 1))
    speed = np.asarray(rng.uniform(*cfg.speed_range, size=n))
    out = time_warp(out, speed, np.asarray(rng.uniform(-cfg.max_shift, cfg.max_shift, n)))
    if cfg.short_take_prob > 0:
        t = out.shape[1]
        keep = rng.integers(int(t * cfg.short_take_min), t + 1, size=n)
        keep = np.where(rng.random(n) < cfg.short_take_prob, keep, t)
        out = short_takes(out, keep, rng.integers(0, t - keep + 1))
    out += rng.normal(0.0, cfg.noise_std, size=out.shape)
    return np.clip(out, -cfg.clip, cfg.clip).astype(np.float32)
