"""The virtual wand's IMU synthesis: physics that holds together, gestures that differ, a seamless stream."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wandlab.synth.gestures import GESTURES
from wandlab.synth.motion import (
    ACCEL_RANGE_G,
    GYRO_RANGE_DPS,
    MotionSynth,
    gesture_kinematics,
    gesture_motion,
)
from wandlab.synth.people import PersonStyle, person_style


def _integrate_gyro(gyro_rad_s: np.ndarray, dt: float, start: Rotation) -> Rotation:
    """Body-frame rates -> orientation after each sample (trapezoid of neighbouring samples)."""
    steps = Rotation.from_rotvec(0.5 * (gyro_rad_s[:-1] + gyro_rad_s[1:]) * dt)
    out = [start]
    for step in steps:
        out.append(out[-1] * step)
    return Rotation.concatenate(out)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cosine = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def test_gesture_names_are_the_published_library() -> None:
    flicks = ("flick_left", "flick_right", "flick_up", "flick_down")
    assert GESTURES == ("circle", *flicks, "z", "w", "v", "shake", "tap", "idle")


def test_wand_at_rest_reads_one_g_and_gyro_reads_its_bias() -> None:
    synth = MotionSynth(rate_hz=100.0, person=3)
    rest = synth.next(1000)
    style = person_style(3)
    assert rest.shape == (1000, 6) and rest.dtype == np.float64
    norm = np.linalg.norm(rest[:, :3] - style.accel_bias_g, axis=1)
    assert abs(norm.mean() - 1.0) < 0.01
    assert norm.std() < 0.03  # tremor and noise only
    assert np.allclose(rest[:, 3:].mean(axis=0), style.gyro_bias_dps, atol=0.5)
    assert rest[:, 3:].std(axis=0).max() < 5.0  # a hand held still, not a sine wave


@pytest.mark.parametrize("name", GESTURES)
def test_gyro_integrates_to_the_orientation_the_kinematics_used(name: str) -> None:
    rate = 200.0
    kin = gesture_kinematics(name, person_style(5), rate, np.random.default_rng(1))
    integrated = _integrate_gyro(kin.gyro, 1.0 / rate, Rotation.from_matrix(kin.rot[0]))
    error = (integrated.inv() * Rotation.from_matrix(kin.rot)).magnitude()
    turned = (Rotation.from_matrix(kin.rot[0]).inv() * Rotation.from_matrix(kin.rot)).magnitude()
    assert np.degrees(turned.max()) > 0.5  # the wand did turn
    assert np.degrees(error.max()) < 0.05 * np.degrees(turned.max()) + 0.2
    # A take starts and ends at rest: the sensor's velocity (integral of its acceleration) returns to 0.
    velocity = np.cumsum(kin.acc, axis=0) / rate
    assert np.abs(velocity[-1]).max() < 0.02 * np.abs(velocity).max() + 1e-3


def test_accel_and_gyro_agree_about_where_gravity_went() -> None:
    """End to end on the sensor output, drift and noise included: a change of person turns the resting
    wand to a new hold; turning the first gravity reading by the integrated gyro predicts the last."""
    rate = 100.0
    synth = MotionSynth(rate, person=0, seed=4)
    before = synth.next(50)
    synth.set_person(9)  # pitch 12 deg, roll -19 deg vs 25 and 0
    during = synth.next(int(rate))
    after = synth.next(10)
    data = np.concatenate([before[-1:], during, after[:1]])
    bias = person_style(9).gyro_bias_dps  # (settles while the wand turns; its error is within tolerance)
    orientation = _integrate_gyro(np.radians(data[:, 3:] - bias), 1.0 / rate, Rotation.identity())
    predicted = orientation[-1].inv().apply(before[-1, :3])
    measured = after[0, :3] - np.array(person_style(9).accel_bias_g)
    assert _angle_deg(before[-1, :3], measured) > 10.0  # gravity moved in the body frame...
    assert _angle_deg(predicted, measured) < 2.0  # ...where the gyro said it would


def _features(take: np.ndarray, length: int = 64) -> np.ndarray:
    """A take resampled to a fixed length; gyro scaled to be comparable with accel."""
    t = np.linspace(0.0, 1.0, len(take))
    u = np.linspace(0.0, 1.0, length)
    resampled = np.stack([np.interp(u, t, column) for column in take.T], axis=1)
    return (resampled / [1, 1, 1, 100, 100, 100]).ravel()


def test_gestures_are_told_apart_across_people_by_raw_nearest_neighbour() -> None:
    rng = np.random.default_rng(7)

    def takes(people: range) -> tuple[np.ndarray, np.ndarray]:
        features, labels = [], []
        for person in people:
            style = person_style(person)
            for label, name in enumerate(GESTURES):
                for _ in range(2):
                    features.append(_features(gesture_motion(name, style, 100.0, rng)))
                    labels.append(label)
        return np.array(features), np.array(labels)

    train_x, train_y = takes(range(1, 6))
    test_x, test_y = takes(range(6, 9))
    distances = ((test_x[:, None] - train_x[None]) ** 2).sum(axis=-1)
    accuracy = (train_y[distances.argmin(axis=1)] == test_y).mean()
    assert accuracy > 0.7  # chance is 1/11
    assert len(set(train_y[distances.argmin(axis=1)])) == len(GESTURES)


def test_gesture_signatures() -> None:
    style, rng = person_style(0), np.random.default_rng(2)
    rate = 400.0
    yaw = {}
    for name in ("flick_left", "flick_right"):
        kin = gesture_kinematics(name, style, rate, rng)
        world_rate_z = np.einsum("nij,nj->ni", kin.rot, kin.gyro)[:, 2]
        yaw[name] = world_rate_z[np.abs(world_rate_z).argmax()]
    assert yaw["flick_left"] > 2.0 and yaw["flick_right"] < -2.0  # rad/s about world up, opposite ways

    tap = gesture_motion("tap", style, rate, rng)
    assert np.linalg.norm(tap[:, :3], axis=1).max() > 2.0  # the sharp stop is a spike

    shake = gesture_motion("shake", style, rate, rng)
    spectrum = np.abs(np.fft.rfft(shake[:, 3] - shake[:, 3].mean(), n=4096))
    assert 3.0 < np.fft.rfftfreq(4096, 1.0 / rate)[spectrum.argmax()] < 7.0

    idle = gesture_motion("idle", style, rate, rng)
    circle = gesture_motion("circle", style, rate, rng)
    assert np.abs(idle[:, 3:]).max() < 40.0 < np.abs(circle[:, 3:]).max()
    assert np.abs(np.linalg.norm(idle[:, :3], axis=1) - 1.0).max() < 0.1


def test_durations_are_natural_and_the_same_at_every_rate() -> None:
    style = person_style(0)
    for name in GESTURES:
        rates = (50, 100, 400)
        seconds = [len(gesture_motion(name, style, rate, np.random.default_rng(3))) / rate for rate in rates]
        assert 0.6 <= seconds[1] <= 2.0, name
        assert max(seconds) - min(seconds) < 0.05, name
    # The same take at two rates is the same motion.
    slow = gesture_kinematics("circle", style, 100.0, np.random.default_rng(3))
    fast = gesture_kinematics("circle", style, 400.0, np.random.default_rng(3))
    n = min(len(slow), len(fast.acc[::4]))
    assert np.abs(slow.acc[:n] - fast.acc[::4][:n]).max() < 0.1 * np.abs(fast.acc).max()
    assert np.abs(slow.gyro[:n] - fast.gyro[::4][:n]).max() < 0.1 * np.abs(fast.gyro).max()


def test_outputs_stay_in_the_sensor_range() -> None:
    fast = PersonStyle(person=99, speed=1.6, size=1.5)
    for name in GESTURES:
        take = gesture_motion(name, fast, 400.0, np.random.default_rng(0))
        assert np.abs(take[:, :3]).max() <= ACCEL_RANGE_G
        assert np.abs(take[:, 3:]).max() <= GYRO_RANGE_DPS


def test_people_differ_plausibly_and_deterministically() -> None:
    assert person_style(0) == PersonStyle()
    assert person_style(0).bias.tolist() == [0.0] * 6  # the tidy default person
    styles = [person_style(p) for p in range(1, 41)]
    assert styles == [person_style(p) for p in range(1, 41)]
    assert len({(s.speed, s.size, s.hold_pitch_deg) for s in styles}) == len(styles)
    for s in styles:
        assert 0.7 <= s.speed <= 1.45 and 0.7 <= s.size <= 1.4 and 0 < s.hold_pitch_deg < 45
        assert max(map(abs, s.accel_bias_g)) <= 0.06 and max(map(abs, s.gyro_bias_dps)) <= 3.0
    with pytest.raises(ValueError):
        person_style(-1)

    # Visible in the signal: the resting hold, and the tempo of the same gesture.
    rest_a = MotionSynth(person=2).next(100)[:, :3].mean(axis=0)
    rest_b = MotionSynth(person=3).next(100)[:, :3].mean(axis=0)
    assert _angle_deg(rest_a, rest_b) > 10.0
    slow, quick = sorted(styles, key=lambda s: s.speed)[:: len(styles) - 1]
    rng = np.random.default_rng(5)
    durations = {
        s.person: np.mean([len(gesture_motion("z", s, 100.0, rng)) for _ in range(6)]) for s in (slow, quick)
    }
    assert durations[slow.person] > 1.2 * durations[quick.person]


def test_stream_does_not_depend_on_how_it_is_read() -> None:
    whole = MotionSynth(100.0, person=4, seed=11)
    whole.next(30)
    whole.perform("w")
    expected = whole.next(400)

    pieces = MotionSynth(100.0, person=4, seed=11)
    pieces.next(30)
    pieces.perform("w")
    sizes = np.random.default_rng(0).integers(1, 40, 100)
    chunks, total = [], 0
    for size in sizes:
        size = min(int(size), 400 - total)
        chunks.append(pieces.next(size))
        total += size
    assert np.array_equal(np.concatenate(chunks), expected)
    assert pieces.next(0).shape == (0, 6)


def test_gestures_are_spliced_into_the_stream_without_jumps() -> None:
    synth = MotionSynth(100.0, person=6, seed=2)
    stream = [synth.next(37)]
    for name in ("circle", "tap", "shake"):
        synth.perform(name)
    assert synth.busy
    while synth.busy:
        stream.append(synth.next(23))
    stream.append(synth.next(50))
    data = np.concatenate(stream)
    events = synth.events
    assert [name for *_, name in events] == ["circle", "tap", "shake"]
    assert events[0][0] == 37  # starts at the next sample
    assert all(a[1] == b[0] for a, b in zip(events, events[1:], strict=False))  # back to back, in order
    assert events[-1][1] <= len(data) - 50
    allowance = 3.0 * np.abs(np.diff(data[:37], axis=0)).max(axis=0) + np.array([0.01] * 3 + [1.0] * 3)
    for start, end, _ in events:
        for boundary in (start, end):
            step = np.abs(data[boundary] - data[boundary - 1])
            assert np.all(step <= allowance), (boundary, step)
    # Moving to another person's hold is smooth too: no step bigger than the gestures' own.
    synth.set_person(9)
    change = np.concatenate([data[-1:], synth.next(100)])
    assert np.abs(np.diff(change[:, :3], axis=0)).max() < 0.1
    assert np.abs(np.diff(change[:, 3:], axis=0)).max() < 15.0
    assert synth.events == events  # a change of person is not a gesture


def test_unknown_gesture_is_refused_with_the_list_of_known_ones() -> None:
    synth = MotionSynth()
    with pytest.raises(ValueError, match="circle.*idle"):
        synth.perform("spiral")
    with pytest.raises(ValueError, match="known gestures"):
        gesture_motion("spiral", person_style(0), 100.0, np.random.default_rng(0))
    assert not synth.busy
    with pytest.raises(ValueError):
        MotionSynth(rate_hz=0.0)


def test_same_seed_same_stream_other_seed_other_takes() -> None:
    def run(seed: int) -> np.ndarray:
        synth = MotionSynth(400.0, person=2, seed=seed)
        synth.next(10)
        synth.perform("v")
        return synth.next(1000)

    assert np.array_equal(run(1), run(1))
    assert not np.allclose(run(1), run(2), atol=0.05)
    first = gesture_motion("z", person_style(1), 100.0, np.random.default_rng(0))
    second = gesture_motion("z", person_style(1), 100.0, np.random.default_rng(1))
    assert len(first) != len(second) or not np.allclose(first, second, atol=0.05)
