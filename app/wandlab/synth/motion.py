"""Physics of the virtual wand: from a gesture's tip path to what a 6-axis IMU on the wand reads.

The wand is a rigid stick held at the wrist. A gesture moves the tip (``gestures.py``); the wrist
itself travels a share of that (the arm joins in), the stick points from the wrist to the tip and
rolls with the forearm. The IMU sits on the stick near the hand. Everything is computed at an internal
rate of at least 1 kHz, differentiated numerically, then averaged down to the output rate (what an
IMU's own low-pass filter does):

* accelerometer: specific force f = a - g, g = (0, 0, -9.81) m/s^2 in the world (z up), in the body
  frame, in g; a wand at rest reads |f| = 1 g pointing up.
* gyroscope: body-frame angular velocity from consecutive orientations, in deg/s.

Body frame: x along the wand towards the tip, z out of the board's face (up when held flat), y = z
cross x (to the left). A resting hand (drift, tremor; ``people.py``) and the sensor's noise and bias
are added on top.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from wandlab.synth.gestures import GESTURES, _minimum_jerk, check_gesture, tip_path
from wandlab.synth.people import HandSample, PersonStyle, RestingHand, person_style

__all__ = ["ACCEL_RANGE_G", "GYRO_RANGE_DPS", "GESTURES", "Kinematics", "MotionSynth", "gesture_motion"]

ACCEL_RANGE_G = 4.0  # full scale of the simulated IMU
GYRO_RANGE_DPS = 2000.0
MIN_RATE_HZ, MAX_RATE_HZ = 10.0, 1000.0
STANDARD_GRAVITY = 9.80665  # m/s^2
WAND_LENGTH_M = 0.32  # wrist to tip
SENSOR_FROM_WRIST_M = 0.08  # the board sits in the hand, a little ahead of the wrist
_INTERNAL_HZ = 1000.0  # 4 samples per sigma of the sharpest feature (a tap) keeps derivatives within ~2 %
_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Kinematics:
    """Noise-free motion at the output rate; n samples.

    rot: (n, 3, 3) body-to-world rotation matrices (columns are the body axes in world coordinates).
    acc: (n, 3) linear acceleration of the sensor in the world frame, m/s^2, gravity NOT included.
    gyro: (n, 3) angular velocity in the body frame, rad/s.
    """

    rot: np.ndarray
    acc: np.ndarray
    gyro: np.ndarray

    def __len__(self) -> int:
        return len(self.rot)


def _check_rate(rate_hz: float) -> None:
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise ValueError(f"IMU rate {rate_hz} Hz is outside {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz")


def _frames(direction: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Body-to-world rotations of a wand pointing along ``direction`` (n, 3), rolled by ``roll`` (n,)."""
    x = direction / np.linalg.norm(direction, axis=1, keepdims=True)
    # Unrolled, the board's face looks as far up as the wand's direction allows. Gestures keep the
    # wand well away from vertical, where this would be undefined.
    z = _UP - x[:, 2:3] * x
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    y = np.cross(z, x)
    c, s = np.cos(roll)[:, None], np.sin(roll)[:, None]
    return np.stack([x, c * y + s * z, c * z - s * y], axis=2)


def _hold_direction(style: PersonStyle) -> np.ndarray:
    pitch, yaw = np.radians(style.hold_pitch_deg), np.radians(style.hold_yaw_deg)
    return np.array([np.sin(yaw) * np.cos(pitch), np.cos(yaw) * np.cos(pitch), np.sin(pitch)])


def hold_rotation(style: PersonStyle) -> np.ndarray:
    """(3, 3) body-to-world rotation of the wand at rest in this person's hand."""
    return _frames(_hold_direction(style)[None], np.radians([style.hold_roll_deg]))[0]


def _window_mean(values: np.ndarray, k: int, n: int) -> np.ndarray:
    """Mean over the k internal samples centred on each output sample (an IMU's anti-alias filter)."""
    total = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    centres = np.arange(n) * k
    lo = np.clip(centres - k // 2, 0, len(values))
    hi = np.clip(lo + k, 0, len(values))
    return (total[hi] - total[lo]) / np.maximum(hi - lo, 1)[:, None]


def _kinematics(wrist: np.ndarray, direction: np.ndarray, roll: np.ndarray, k: int, dt: float) -> Kinematics:
    """Rigid-body motion from internal-rate paths (wrist position, wand direction, roll), decimated by k."""
    rot = _frames(direction, roll)
    sensor = wrist + SENSOR_FROM_WRIST_M * rot[:, :, 0]
    acc = np.gradient(np.gradient(sensor, dt, axis=0), dt, axis=0)

    # R_i^T R_{i+1} = exp([w] dt) for body-frame w; its skew part gives w (steps are << 1 degree).
    # Element (a, b) of R_i^T R_{i+1} is body axis a at i dotted with body axis b at i+1.
    def rel(a: int, b: int) -> np.ndarray:
        return np.einsum("ni,ni->n", rot[:-1, :, a], rot[1:, :, b])

    mid = 0.5 / dt * np.stack([rel(2, 1) - rel(1, 2), rel(0, 2) - rel(2, 0), rel(1, 0) - rel(0, 1)], axis=1)
    gyro = np.concatenate([mid[:1], 0.5 * (mid[:-1] + mid[1:]), mid[-1:]])
    n = (len(rot) - 1) // k + 1
    return Kinematics(rot[::k][:n], _window_mean(acc, k, n), _window_mean(gyro, k, n))


def _oversampling(rate_hz: float) -> int:
    return int(np.ceil(_INTERNAL_HZ / rate_hz))


def gesture_kinematics(name: str, style: PersonStyle, rate_hz: float, rng: np.random.Generator) -> Kinematics:
    """Noise-free motion of one take of gesture ``name`` (starts and ends at the person's hold pose)."""
    _check_rate(rate_hz)
    k = _oversampling(rate_hz)
    path = tip_path(name, rate_hz * k, rng, style.size, style.speed, style.variability)
    yaw = np.radians(style.hold_yaw_deg)
    # The user faces the way they point: turn the drawing frame by the hold's yaw.
    facing = np.array([[np.cos(yaw), np.sin(yaw), 0.0], [-np.sin(yaw), np.cos(yaw), 0.0], [0.0, 0.0, 1.0]])
    offset = path.offset @ facing.T
    arm = float(np.clip(path.arm * style.arm, 0.0, 0.8))
    wrist = arm * offset
    direction = WAND_LENGTH_M * _hold_direction(style) + (1.0 - arm) * offset
    side = -1.0 if style.left_handed else 1.0  # the other hand pronates the other way
    forearm = side * np.radians(style.wrist_roll_deg) * path.offset[:, 0] / 0.1
    roll = np.radians(style.hold_roll_deg) + path.roll + forearm
    return _kinematics(wrist, direction, roll, k, 1.0 / (rate_hz * k))


def transition_kinematics(start: np.ndarray, style: PersonStyle, rate_hz: float) -> Kinematics:
    """A smooth 0.6 s move from orientation ``start`` (3, 3) to ``style``'s hold (when a person changes)."""
    k = _oversampling(rate_hz)
    m = round(0.6 * rate_hz) * k + 1
    s = _minimum_jerk(np.linspace(0.0, 1.0, m))[:, None]
    direction = (1.0 - s) * start[:, 0] + s * _hold_direction(style)
    unrolled = _frames(start[None, :, 0], np.zeros(1))[0]
    start_roll = np.arctan2(start[:, 1] @ unrolled[:, 2], start[:, 1] @ unrolled[:, 1])
    end_roll = np.radians(style.hold_roll_deg)
    start_roll = end_roll + (start_roll - end_roll + np.pi) % (2.0 * np.pi) - np.pi  # the short way round
    roll = (1.0 - s[:, 0]) * start_roll + s[:, 0] * end_roll
    return _kinematics(np.zeros((m, 3)), direction, roll, k, 1.0 / (rate_hz * k))


def _sense(kin: Kinematics, hand: HandSample, style: PersonStyle, bias: np.ndarray, gravity: bool = True) -> np.ndarray:
    """What the IMU reads: kinematics turned by the hand's drift, plus tremor, bias and noise.
    ``gravity=False``: linear acceleration, as phones and fusion chips report it (gravity taken out)."""
    # The drift D turns the whole arm, gesture included: R = D R_kin, so in the body frame the specific
    # force is R_kin^T (a_kin - D^T g) and the drift's rate adds R_kin^T D^T w_D to the gyro; the hand
    # hands over D^T up and D^T w_D.
    force = np.einsum("nji,nj->ni", kin.rot, kin.acc + (STANDARD_GRAVITY * hand.up if gravity else 0.0))
    rate = kin.gyro + np.einsum("nji,nj->ni", kin.rot, hand.drift_rate)
    # Tremor shakes the stick about the wrist, felt at the sensor's distance from it. Its tilt
    # (< 0.05 degree) is too small to matter.
    out = np.empty((len(kin), 6))
    out[:, :3] = (force + SENSOR_FROM_WRIST_M * hand.tremor_lever) / STANDARD_GRAVITY
    out[:, 3:] = np.degrees(rate + hand.tremor_rate)
    out += bias
    out[:, :3] += style.accel_noise_g * hand.white[:, :3]
    out[:, 3:] += style.gyro_noise_dps * hand.white[:, 3:]
    np.clip(out[:, :3], -ACCEL_RANGE_G, ACCEL_RANGE_G, out=out[:, :3])
    np.clip(out[:, 3:], -GYRO_RANGE_DPS, GYRO_RANGE_DPS, out=out[:, 3:])
    return out


def gesture_motion(name: str, style: PersonStyle, rate_hz: float, rng: np.random.Generator,
                   gravity: bool = True) -> np.ndarray:
    """One take of gesture ``name`` with a short rest before and after, as a 6-axis IMU reads it.

    Returns (n, 6) float64: ax, ay, az in g (body frame, gravity included unless ``gravity`` is False) and
    gx, gy, gz in deg/s. Each call with a different ``rng`` state is a different take. Raises ValueError
    for an unknown name.
    """
    kin = gesture_kinematics(name, style, rate_hz, rng)
    hand = RestingHand(style, rate_hz, rng)
    return _sense(kin, hand.next(len(kin)), style, style.bias, gravity)


class MotionSynth:
    """An endless 6-axis stream from a hand holding the wand, with gestures performed on request.

    ``next(n)`` is continuous across calls and gesture boundaries. A gesture's whole take is computed
    when it is queued (about a millisecond), so ``next`` only copies and adds the resting hand.
    """

    _BIAS_SETTLE_S = 0.5  # a new person's sensor offsets fade in rather than jump

    def __init__(self, rate_hz: float = 100.0, person: int = 0, seed: int = 0):
        _check_rate(rate_hz)
        self.rate_hz = float(rate_hz)
        takes, hand = np.random.SeedSequence(seed).spawn(2)
        self._take_rng = np.random.default_rng(takes)
        self._style = person_style(person)
        self._hand = RestingHand(self._style, self.rate_hz, np.random.default_rng(hand))
        self._rest = hold_rotation(self._style)
        self._bias = self._style.bias
        self._queue: deque[tuple[str | None, Kinematics]] = deque()  # None: a change of person
        self._current: tuple[str | None, Kinematics] | None = None
        self._played = 0  # samples of the current item already emitted
        self._sample = 0  # absolute index of the next sample
        self._events: list[tuple[int, int, str]] = []

    @property
    def person(self) -> int:
        return self._style.person

    def set_person(self, person: int) -> None:
        """Switch style; the wand moves smoothly to the new hold after the gesture now playing."""
        style = person_style(person)
        pending = [name for name, _ in self._queue if name is not None]
        self._queue.clear()
        start = self._current[1].rot[-1] if self._current else self._rest
        self._queue.append((None, transition_kinematics(start, style, self.rate_hz)))
        self._style = self._hand.style = style
        self._rest = hold_rotation(style)
        for name in pending:  # takes not yet started are redone in the new person's style
            self._queue.append((name, gesture_kinematics(name, style, self.rate_hz, self._take_rng)))

    def perform(self, name: str) -> None:
        """Queue one take of gesture ``name``; it starts at the next sample if nothing else is playing."""
        check_gesture(name)
        self._queue.append((name, gesture_kinematics(name, self._style, self.rate_hz, self._take_rng)))

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    @property
    def events(self) -> list[tuple[int, int, str]]:
        """(start, end, gesture) of every take started so far; absolute sample indices, end exclusive."""
        return list(self._events)

    def next(self, n: int) -> np.ndarray:
        """The next ``n`` samples, (n, 6) float64, in the units of ``gesture_motion``."""
        if n < 0:
            raise ValueError(f"sample count must be >= 0, got {n}")
        if n == 0:
            return np.empty((0, 6))
        rot = np.empty((n, 3, 3))
        acc = np.zeros((n, 3))
        gyro = np.zeros((n, 3))
        i = 0
        while i < n:
            if self._current is None and self._queue:
                self._current, self._played = self._queue.popleft(), 0
                name, kin = self._current
                if name is not None:
                    start = self._sample + i
                    self._events.append((start, start + len(kin), name))
            if self._current is None:
                rot[i:] = self._rest
                break
            kin = self._current[1]
            m = min(n - i, len(kin) - self._played)
            src, dst = slice(self._played, self._played + m), slice(i, i + m)
            rot[dst], acc[dst], gyro[dst] = kin.rot[src], kin.acc[src], kin.gyro[src]
            self._played += m
            i += m
            if self._played == len(kin):
                self._current = None
        # Sensor offsets approach the current person's (only differs after set_person).
        target = self._style.bias
        fade = np.exp(-np.arange(1, n + 1) / (self._BIAS_SETTLE_S * self.rate_hz))[:, None]
        bias = target + (self._bias - target) * fade
        self._bias = bias[-1]
        self._sample += n
        return _sense(Kinematics(rot, acc, gyro), self._hand.next(n), self._style, bias)
