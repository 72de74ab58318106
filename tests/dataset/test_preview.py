from __future__ import annotations

import numpy as np

from wandlab.dataset.preview import envelope

from .helpers import gesture, word


def test_envelope_keeps_peaks_and_has_the_asked_width():
    data = gesture()
    data[77, 4] = 999.0  # a one-frame spike must still show
    lows, highs = envelope(data, 16)
    assert lows.shape == highs.shape == (16, 6)
    assert highs[:, 4].max() == 999.0 and np.all(lows <= highs)


def test_audio_envelope_is_scaled_and_short_takes_are_not_stretched():
    lows, highs = envelope(word(rate=8000), 64)
    assert lows.shape == (64, 1) and -1.0 <= lows.min() and highs.max() <= 1.0
    assert envelope(np.arange(5, dtype=np.int16), 64)[0].shape == (5, 1)
