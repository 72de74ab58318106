"""The incremental front end computes exactly the batch features, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.onboard import audio_features as af
from wandlab.onboard.audio_stream import SILENT_DBFS, AudioFrontEnd


def _signal(seconds: float = 2.3) -> np.ndarray:
    """Noise, a chirp and a loud burst (codes across the whole range), not a whole number of hops long."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * 16000)) / 16000
    x = 0.02 * rng.standard_normal(len(t)) + 0.3 * np.sin(2 * np.pi * (200 + 1500 * t) * t)
    x[12000:14000] *= 3.0
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("chunk", [1, 37, 320, 1000, 16000])
def test_frames_equal_the_batch_front_end_bit_for_bit(chunk):
    pcm = _signal()
    batch = af.quantize(af.log_mel(pcm))
    front = AudioFrontEnd()
    frames = [front.feed(pcm[i : i + chunk]) for i in range(0, len(pcm), chunk)]
    streamed = np.concatenate(frames)
    assert streamed.dtype == np.int8 and streamed.shape == batch.shape
    np.testing.assert_array_equal(streamed, batch)
    assert front.frames == len(batch) and front.samples == len(pcm)
    # The ring holds the last 49 frames, oldest first: the model input for the last second.
    np.testing.assert_array_equal(front.window(), batch[-49:])


def test_the_window_of_the_last_second_is_the_batch_clip_of_that_second():
    pcm = _signal(3.0)
    front = AudioFrontEnd()
    front.feed(pcm[:40000])
    start = front.frame_end(front.frames - 1) - (48 * 320 + 480)  # the first sample of the window's first frame
    np.testing.assert_array_equal(front.window(), af.clip_features(pcm[start : start + 16000]))


def test_levels_gate_on_the_loudest_recent_frame():
    front = AudioFrontEnd()
    assert not front.full and front.window_level_dbfs() == SILENT_DBFS
    front.feed(np.zeros(16000, np.int16))
    assert front.full and front.window_level_dbfs() == SILENT_DBFS  # digital silence
    tone = (0.1 * 32767 * np.sin(2 * np.pi * 440 * np.arange(3200) / 16000)).astype(np.int16)
    front.feed(tone)
    assert front.window_level_dbfs() == pytest.approx(20 * np.log10(0.1 / np.sqrt(2)), abs=0.2)
    front.feed(np.zeros(16000, np.int16))
    assert front.window_level_dbfs() == SILENT_DBFS  # a second later the tone has left the window
    assert front.window_level_dbfs(frames=1) == SILENT_DBFS
