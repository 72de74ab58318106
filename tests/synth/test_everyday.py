"""Everyday handling of the virtual wand: physical, repeatable, and busy enough to test false triggers."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.onboard.segmenter import Segmenter
from wandlab.synth.everyday import EPISODES, everyday_motion
from wandlab.synth.motion import ACCEL_RANGE_G, GYRO_RANGE_DPS


def test_same_seed_same_motion_and_people_differ() -> None:
    a = everyday_motion(20, 100.0, person=3, seed=1)
    assert a.shape == (2000, 6) and np.array_equal(a, everyday_motion(20, 100.0, person=3, seed=1))
    assert not np.allclose(a, everyday_motion(20, 100.0, person=4, seed=1))
    assert everyday_motion(4, 25.0, person=3, seed=1).shape == (100, 6)


@pytest.mark.parametrize("episode", EPISODES)
def test_every_episode_stays_within_what_an_imu_reads(episode: str) -> None:
    x = everyday_motion(30, 100.0, person=2, seed=3, episodes=(episode,))
    assert np.all(np.abs(x[:, :3]) <= ACCEL_RANGE_G) and np.all(np.abs(x[:, 3:]) <= GYRO_RANGE_DPS)
    still = np.linalg.norm(x[:, 3:], axis=1) < 10  # moments the wand is held: it reads about 1 g
    assert still.any() and abs(np.median(np.linalg.norm(x[still, :3], axis=1)) - 1.0) < 0.05
    turning = np.percentile(np.linalg.norm(x[:, 3:], axis=1), 99)
    bobbing = np.percentile(np.abs(np.linalg.norm(x[:, :3], axis=1) - 1.0), 99)
    if episode == "walk":  # steps bob the wrist: acceleration, hardly any turning
        assert 0.05 < bobbing < 1.0 and turning < 40
    elif episode != "rest":  # between holds it moves like a hand, not like a shaker
        assert 40 < turning < 800


def test_the_board_segments_it_often_and_decides_on_most_segments() -> None:
    x = everyday_motion(120, 100.0, person=5, seed=2).astype(np.float32)
    seg, found = Segmenter(100.0), []
    for i in range(0, len(x), 25):
        found += seg.feed(x[i : i + 25], i)
    decided = sum(s.decidable for s in found)
    # Waving and pointing start from a held wand: unlike a walk, the recogniser must reject them itself.
    assert len(found) >= 15 and decided >= 0.6 * len(found)


def test_unknown_episodes_are_refused() -> None:
    with pytest.raises(ValueError, match="juggle"):
        everyday_motion(5, 100.0, episodes=("juggle",))
