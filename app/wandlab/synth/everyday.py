"""Everyday handling of the virtual wand: what it does between gestures, as its IMU reads it.

Gestures are short, deliberate strokes from a held wand (``gestures.py``). A wand also gets waved about
while its owner talks, pointed at things, picked up and put down, twisted in the fingers and carried
while walking. None of that should press a key, so benchmarks and tests need it as a stream: the virtual
wand's own idle motion (a hand wandering by 1-2 cm) never even starts a motion segment, which made "0
false triggers per minute" meaningless.

``everyday_motion`` strings random episodes together, each starting and ending at rest in a pose of its
own (so consecutive episodes join without a jump in position, velocity or acceleration):

- ``wave``: 2-7 minimum-jerk strokes of the tip, 4-25 cm, 0.25-0.6 s each (talking with the wand);
- ``point``: turn the wand to a new direction 20-90 degrees away and hold it there;
- ``lift``: pick the wand up or put it down (the wrist travels 15-45 cm, the wand tilts);
- ``twist``: roll the wand in the fingers, 20-70 degrees and back, 1-3 times;
- ``walk``: carry it while walking (1.6-2.2 steps per second bob the wrist 1.5-4 cm), 3-10 s;
- ``rest``: hold it, 0.3-3 s.

The physics (gravity, body frame, the resting hand's drift and tremor, sensor noise and bias) is
``motion.py``'s, at the same internal rate.
"""

from __future__ import annotations

import numpy as np

from wandlab.synth.gestures import _minimum_jerk
from wandlab.synth.motion import (
    WAND_LENGTH_M,
    Kinematics,
    _check_rate,
    _hold_direction,
    _kinematics,
    _oversampling,
    _sense,
)
from wandlab.synth.people import PersonStyle, RestingHand, person_style

EPISODES = ("wave", "point", "lift", "twist", "walk", "rest")
# How often each episode is drawn; rest also follows every episode.
_WEIGHTS = np.array([0.3, 0.2, 0.12, 0.12, 0.16, 0.1])
_MAX_PITCH_DEG = 70.0  # the body frame is undefined for a vertical wand; people rarely hold one so


class _Pose:
    """Where the wand is between episodes: wrist position (m), pointing direction, roll (rad)."""

    def __init__(self, style: PersonStyle) -> None:
        self.wrist = np.zeros(3)
        self.direction = _hold_direction(style)
        self.roll = np.radians(style.hold_roll_deg)


def _direction(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    yaw, pitch = np.radians(yaw_deg), np.radians(np.clip(pitch_deg, -_MAX_PITCH_DEG, _MAX_PITCH_DEG))
    return np.array([np.sin(yaw) * np.cos(pitch), np.cos(yaw) * np.cos(pitch), np.sin(pitch)])


def _yaw_pitch(d: np.ndarray) -> tuple[float, float]:
    return float(np.degrees(np.arctan2(d[0], d[1]))), float(np.degrees(np.arcsin(np.clip(d[2], -1, 1))))


def _ease(m: int) -> np.ndarray:
    return _minimum_jerk(np.linspace(0.0, 1.0, m))[:, None]


def _episode(kind: str, pose: _Pose, rate: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(wrist, direction, roll) at the internal ``rate`` for one episode starting at ``pose``; updates pose."""

    def n(seconds: float) -> int:
        return max(2, round(seconds * rate))

    w0, d0, r0 = pose.wrist, pose.direction, pose.roll
    if kind == "rest":
        m = n(rng.uniform(0.3, 3.0))
        return np.repeat(w0[None], m, 0), np.repeat(d0[None], m, 0), np.full(m, r0)
    if kind == "wave":
        wrists, dirs = [], []
        tip = np.zeros(3)
        arm = rng.uniform(0.3, 0.7)
        targets = [
            rng.normal(0.0, 1.0, 3) * rng.uniform(0.04, 0.25) / np.sqrt(3) for _ in range(int(rng.integers(2, 8)))
        ] + [np.zeros(3)]
        for target in targets:
            s = _ease(n(rng.uniform(0.25, 0.6)))
            path = tip + s * (target - tip)
            tip = target
            wrists.append(w0 + arm * path)
            dirs.append(WAND_LENGTH_M * d0 + (1.0 - arm) * path)
        wrist, direction = np.concatenate(wrists), np.concatenate(dirs)
        return wrist, direction, np.full(len(wrist), r0)
    if kind == "point":
        yaw, pitch = _yaw_pitch(d0)
        target = _direction(yaw + rng.choice([-1, 1]) * rng.uniform(20, 90), rng.uniform(-30, 60))
        s = _ease(n(rng.uniform(0.4, 1.2)))
        direction = (1 - s) * d0 + s * target
        hold = n(rng.uniform(0.3, 2.0))
        direction = np.concatenate([direction, np.repeat(target[None], hold, 0)])
        pose.direction = target
        return np.repeat(w0[None], len(direction), 0), direction, np.full(len(direction), r0)
    if kind == "lift":
        rise = rng.choice([-1, 1]) * rng.uniform(0.15, 0.45)
        target = w0 + np.array([rng.normal(0, 0.1), rng.normal(0, 0.1), rise])
        yaw, pitch = _yaw_pitch(d0)
        aim = _direction(yaw + rng.normal(0, 20), pitch + np.sign(rise) * rng.uniform(10, 40))
        s = _ease(n(rng.uniform(0.6, 1.5)))
        pose.wrist, pose.direction = target, aim
        return w0 + s * (target - w0), (1 - s) * d0 + s * aim, np.full(len(s), r0)
    if kind == "twist":
        parts = []
        for _ in range(int(rng.integers(1, 4))):
            angle = np.radians(rng.uniform(20, 70)) * rng.choice([-1, 1])
            out, back = _ease(n(rng.uniform(0.2, 0.5)))[:, 0], _ease(n(rng.uniform(0.2, 0.5)))[:, 0]
            parts += [r0 + angle * out, r0 + angle * (1 - back)]
        roll = np.concatenate(parts)
        return np.repeat(w0[None], len(roll), 0), np.repeat(d0[None], len(roll), 0), roll
    if kind == "walk":
        m = n(rng.uniform(3.0, 10.0))
        t = np.arange(m) / rate
        steps = rng.uniform(1.6, 2.2)
        envelope = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.5)  # starts and stops at rest
        envelope = _minimum_jerk(envelope)
        bob = rng.uniform(0.015, 0.04) * (1 - np.cos(2 * np.pi * steps * t)) / 2
        sway = rng.uniform(0.005, 0.02) * np.sin(np.pi * steps * t)
        wrist = w0 + envelope[:, None] * np.stack([sway, np.zeros(m), bob], axis=1)
        yaw, pitch = _yaw_pitch(d0)
        turn = rng.normal(0, 30) * _minimum_jerk(t / t[-1])  # walking round a corner
        direction = np.stack([_direction(yaw + a, pitch) for a in turn[:: max(1, m // 200)]])
        direction = np.stack(
            [np.interp(np.arange(m), np.linspace(0, m - 1, len(direction)), direction[:, i]) for i in range(3)], axis=1
        )
        pose.direction = direction[-1] / np.linalg.norm(direction[-1])
        return wrist, direction, np.full(m, r0)
    raise ValueError(f"unknown everyday episode {kind!r}; known: {', '.join(EPISODES)}")


def everyday_motion(
    seconds: float, rate_hz: float = 100.0, person: int = 0, seed: int = 0, episodes: tuple[str, ...] = EPISODES
) -> np.ndarray:
    """``seconds`` of everyday wand handling by simulated ``person``, (n, 6): ax, ay, az in g and gx, gy,
    gz in deg/s, like ``motion.gesture_motion``. Deterministic for a seed."""
    _check_rate(rate_hz)
    unknown = set(episodes) - set(EPISODES)
    if unknown or not episodes:
        raise ValueError(f"unknown everyday episode(s) {sorted(unknown)}; known: {', '.join(EPISODES)}")
    rng = np.random.default_rng([0xE7E2, seed, person])
    style = person_style(person)
    k = _oversampling(rate_hz)
    rate = rate_hz * k
    pose = _Pose(style)
    weights = np.array([_WEIGHTS[EPISODES.index(e)] for e in episodes])
    parts: list[Kinematics] = []
    total = 0
    want = round(seconds * rate_hz)
    while total < want:
        kind = str(rng.choice(episodes, p=weights / weights.sum()))
        for name in (kind, "rest") if kind != "rest" else (kind,):
            wrist, direction, roll = _episode(name, pose, rate, rng)
            # Differentiated per episode: every episode begins and ends at rest, so they join smoothly.
            kin = _kinematics(wrist, direction, roll, k, 1.0 / rate)
            parts.append(kin)
            total += len(kin)
    kin = Kinematics(*(np.concatenate([getattr(p, f) for p in parts])[:want] for f in ("rot", "acc", "gyro")))
    hand = RestingHand(style, rate_hz, rng)
    return _sense(kin, hand.next(len(kin)), style, style.bias)
