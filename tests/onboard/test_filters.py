"""The numpy filters the board's maths uses agree with the scipy filters they replace."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d
from scipy.signal import lfilter

from wandlab.onboard.filters import moving_average, one_pole


@pytest.mark.parametrize("size", [1, 2, 3, 4, 25, 50, 51, 400])
def test_moving_average_is_scipys_nearest_box_filter(size: int) -> None:
    x = np.random.default_rng(size).normal(size=(300, 3))
    np.testing.assert_allclose(moving_average(x, size), uniform_filter1d(x, size, axis=0, mode="nearest"),
                               rtol=0, atol=1e-12)


def test_one_pole_resumes_across_blocks_like_lfilter() -> None:
    x = np.random.default_rng(1).normal(size=(500, 3))
    a = 0.07
    want, _ = lfilter([a], [1, a - 1], x, axis=0, zi=np.full((1, 3), 0.3))
    state = np.full(3, 0.3)
    pieces = []
    for chunk in np.array_split(x, [1, 17, 18, 200]):
        y, state = one_pole(chunk, a, state)
        pieces.append(y)
    np.testing.assert_allclose(np.concatenate(pieces), want, rtol=0, atol=1e-12)
