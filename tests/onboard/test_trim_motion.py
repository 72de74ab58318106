from __future__ import annotations

import numpy as np
import pytest

from tests.dataset.helpers import gesture, word
from wandlab.onboard.motion import MotionDetector
from wandlab.onboard.trim import auto_trim


def test_imu_take_is_trimmed_around_the_motion():
    start, end = auto_trim("imu", gesture(rest_s=1.0, move_s=0.5), 100.0)  # motion: frames 100-150
    assert 75 <= start <= 100 and 150 <= end <= 175


def test_a_still_take_keeps_its_full_range():
    still = gesture(rest_s=1.0, move_s=0.0)
    assert auto_trim("imu", still, 100.0) == (0, len(still))


def test_a_take_ending_in_a_new_orientation_is_not_mistaken_for_motion():
    data = gesture(rest_s=1.0, move_s=0.5)
    data[150:, :3] = [0.0, 1.0, 0.0]  # wand tilted 90 degrees after the gesture, then held still
    start, end = auto_trim("imu", data, 100.0)
    assert end < 200


def test_audio_is_trimmed_to_the_voice_and_silence_is_kept_whole():
    pcm = word(rate=16000, quiet_s=0.5, voiced_s=0.5)
    start, end = auto_trim("audio", pcm, 16000)
    assert 0.3 * 16000 < start < 0.55 * 16000 and 0.95 * 16000 < end < 1.2 * 16000
    silence = np.zeros(8000, np.int16)
    assert auto_trim("audio", silence, 16000) == (0, 8000)


def stream(rate: float = 100.0) -> np.ndarray:
    rest = gesture(rate=rate, rest_s=1.0, move_s=0.0)
    return np.concatenate([rest, gesture(rate=rate, rest_s=0.0, move_s=0.6), rest, rest]).astype(np.float32)


def run(detector: MotionDetector, data: np.ndarray, block: int) -> list:
    events = []
    for i in range(0, len(data), block):
        events += detector.feed(data[i : i + block])
    return events


def takes(events: list) -> list[np.ndarray]:
    out, current = [], []
    for e in events:
        current.append(e.data)
        if e.kind in ("stop", "discard"):
            out.append((e.kind, np.concatenate(current)))
            current = []
        if e.kind == "start":
            current = [e.data]
    return out


def test_motion_starts_a_take_with_pre_roll_and_stillness_ends_it():
    data = stream()
    events = run(MotionDetector(100.0, pre_roll_s=0.25, still_s=0.3), data, block=10)
    [(kind, take)] = takes(events)
    assert kind == "stop"
    start = next(e.frame for e in events if e.kind == "start")
    assert 200 <= start <= 215  # the gesture begins after 2 s of rest
    assert np.array_equal(take, data[start - 25 : start - 25 + len(take)])  # pre-roll + contiguous frames
    assert 0.6 * 100 + 25 <= len(take) <= 0.6 * 100 + 25 + 45


@pytest.mark.parametrize("block", [1, 3, 64, 1000])
def test_events_do_not_depend_on_block_size(block):
    reference = takes(run(MotionDetector(100.0), stream(), 10))
    found = takes(run(MotionDetector(100.0), stream(), block))
    assert len(found) == len(reference)
    for (k1, a), (k2, b) in zip(found, reference, strict=True):
        assert k1 == k2 and np.array_equal(a, b)


def test_a_bump_is_discarded_and_a_long_motion_is_capped():
    rest = gesture(rest_s=1.0, move_s=0.0)
    bump = gesture(rest_s=0.0, move_s=0.1)
    [(kind, _)] = takes(run(MotionDetector(100.0, min_s=0.3), np.concatenate([rest, bump, rest]), 10))
    assert kind == "discard"
    endless = np.concatenate([rest] + [gesture(rest_s=0.0, move_s=0.5, seed=i) for i in range(20)])
    found = takes(run(MotionDetector(100.0, max_s=2.0, pre_roll_s=0.0), endless, 10))
    assert found and all(len(t) <= 200 for _, t in found)


def test_three_axis_boards_work_too():
    data = stream()[:, :3]
    assert takes(run(MotionDetector(100.0), data, 10))


def test_detector_refuses_bad_blocks_and_settings():
    with pytest.raises(ValueError):
        MotionDetector(100.0, start_threshold=1.0, stop_threshold=2.0)
    with pytest.raises(ValueError):
        MotionDetector(100.0).feed(np.zeros((4, 5)))
