"""Augmentation keeps shapes and physics: rotation preserves norms, short takes are edge-padded."""

from __future__ import annotations

import numpy as np

from wandlab.ml.augment import AugmentConfig, augment, random_rotations, short_takes


def test_rotations_are_proper() -> None:
    r = random_rotations(50, 30.0, np.random.default_rng(0))
    assert np.allclose(r @ r.transpose(0, 2, 1), np.eye(3), atol=1e-9)
    assert np.allclose(np.linalg.det(r), 1.0)


def test_short_takes_match_fit_window_padding() -> None:
    x = np.arange(10, dtype=np.float32)[None, :, None]
    out = short_takes(x, np.array([4]), np.array([2]))  # keep samples 2..5, pad 3 before / 3 after
    assert out[0, :, 0].tolist() == [2, 2, 2, 2, 3, 4, 5, 5, 5, 5]


def test_augment_is_seeded_and_bounded() -> None:
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (8, 64, 6)).astype(np.float32)
    a = augment(x, np.random.default_rng(3))
    b = augment(x, np.random.default_rng(3))
    assert a.shape == x.shape and a.dtype == np.float32 and np.array_equal(a, b)
    assert np.abs(a).max() <= AugmentConfig().clip
    assert not np.allclose(a, x)
