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
    max_rotation_deg: float = 20.0
    scale_range: tuple[float, float] = (0.8, 1.25)
    speed_range: tuple[float, float] = (0.8, 1.25)
    max_shift: int = 6  # samples
    noise_std: float = 0.01
    clip: float = 1.0


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


def augment(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig()) -> np.ndarray:
    """(n, window, 3|6) float32 -> augmented copy, same shape and dtype."""
    n, _, ch = x.shape
    out = x.astype(np.float64)
    rot = random_rotations(n, cfg.max_rotation_deg, rng)
    for start in range(0, ch, 3):  # same rotation for accel and gyro: they share the body frame
        out[:, :, start : start + 3] = np.einsum("nij,ntj->nti", rot, out[:, :, start : start + 3])
    out *= rng.uniform(*cfg.scale_range, size=(n, 1, 1))
    out = time_warp(out, rng.uniform(*cfg.speed_range, size=n), rng.uniform(-cfg.max_shift, cfg.max_shift, n))
    out += rng.normal(0.0, cfg.noise_std, size=out.shape)
    return np.clip(out, -cfg.clip, cfg.clip).astype(np.float32)
