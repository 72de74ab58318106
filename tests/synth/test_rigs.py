"""Rigs: simulated people and boards far from the tidy default (for the base recipe's training data)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wandlab.synth.rigs import ACCEL_RANGES_G, RATE_RANGE_HZ, random_rig, rig_take


def _rigs(n: int = 200) -> list:
    rng = np.random.default_rng(0)
    return [random_rig(i, rng) for i in range(n)]


def test_rigs_spread_over_rates_mountings_and_set_ups() -> None:
    rigs = _rigs()
    rates = np.array([r.rate_hz for r in rigs])
    assert RATE_RANGE_HZ[0] <= rates.min() < 30 and 250 < rates.max() <= RATE_RANGE_HZ[1]
    for r in rigs[:20]:
        assert np.allclose(r.mount @ r.mount.T, np.eye(3), atol=1e-9) and np.isclose(np.linalg.det(r.mount), 1.0)
    # Mountings point the board every which way: the wand's axis lands anywhere on the sphere.
    axes = np.array([r.mount[:, 0] for r in rigs])
    assert (axes < -0.5).any(axis=0).all() and (axes > 0.5).any(axis=0).all()
    assert 0.15 < np.mean([not r.gravity for r in rigs]) < 0.45
    assert {r.accel_range_g for r in rigs} == set(ACCEL_RANGES_G)
    assert 0.3 < np.mean([r.style.left_handed for r in rigs]) < 0.7
    again = [random_rig(i, np.random.default_rng(0)) for i in range(1)]
    assert again[0].rate_hz == rigs[0].rate_hz  # the same seed draws the same rig


def test_a_take_as_the_rigs_sensor_reports_it() -> None:
    rig = replace(_rigs(1)[0], rate_hz=100.0, gravity=True)
    take = rig_take("circle", rig, np.random.default_rng(1))
    assert take.shape[1] == 6 and 50 < len(take) < 400  # about a second or two at 100 Hz
    # At rest before the gesture the board feels 1 g, along the mounted axes.
    assert abs(np.linalg.norm(take[:5, :3], axis=1).mean() - 1.0) < 0.1
    linear = rig_take("circle", replace(rig, gravity=False), np.random.default_rng(1))
    assert np.linalg.norm(linear[:5, :3], axis=1).mean() < 0.1  # gravity taken out, as phones report it
    clipped = rig_take("shake", replace(rig, accel_range_g=0.5), np.random.default_rng(1))
    assert np.abs(clipped[:, :3]).max() <= 0.5
    slow = rig_take("circle", replace(rig, rate_hz=25.0), np.random.default_rng(1))
    assert len(slow) < len(take) / 3
