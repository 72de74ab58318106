"""Simulated people: how each one moves a wand, how their resting hand wobbles, and their board's quirks.

A model trained on one person and tested on another must cope with different tempo, size, hold angle,
wrist roll, tremor and sensor offsets; the virtual wand reproduces those differences deterministically
from a person id so that tests and benchmarks can hold people out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.signal import lfilter


@dataclass(frozen=True)
class PersonStyle:
    """One person's motion style and their board's sensor errors. Defaults are the tidy person 0."""

    person: int = 0
    speed: float = 1.0  # tempo: 1.25 performs a gesture in 80 % of the time
    size: float = 1.0  # scale of the shapes drawn
    hold_pitch_deg: float = 25.0  # wand raised above horizontal at rest
    hold_yaw_deg: float = 0.0  # pointing right (+) or left (-) of straight ahead
    hold_roll_deg: float = 0.0  # board twisted about the wand axis at rest (+ = right edge down)
    wrist_roll_deg: float = 8.0  # extra roll per 10 cm of sideways tip motion (forearm pronation)
    arm: float = 1.0  # scales how much the wrist travels instead of rotating
    left_handed: bool = False  # rolls the forearm the other way
    tremor_dps: float = 0.6  # physiological tremor, angular-rate amplitude
    tremor_hz: float = 9.0
    drift_deg: float = 1.0  # slow wander of the resting hand (standard deviation of the angle)
    variability: float = 1.0  # how much one take differs from the next
    accel_noise_g: float = 0.003  # white noise per sample
    gyro_noise_dps: float = 0.1
    accel_bias_g: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gyro_bias_dps: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def bias(self) -> np.ndarray:
        """(6,) sensor offsets in output units: g then deg/s."""
        return np.array([*self.accel_bias_g, *self.gyro_bias_dps], dtype=np.float64)


def person_style(person: int) -> PersonStyle:
    """The style of simulated person ``person`` (>= 0): always the same for the same id."""
    if person < 0:
        raise ValueError(f"person must be a non-negative id, got {person}")
    if person == 0:
        return PersonStyle()
    rng = np.random.default_rng([0x57A4D, person])
    left = bool(rng.random() < 0.12)
    side = -1.0 if left else 1.0

    def between(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    def spread(sigma: float, lo: float, hi: float) -> float:
        return float(np.clip(np.exp(rng.normal(0.0, sigma)), lo, hi))

    return PersonStyle(
        person=person,
        speed=spread(0.18, 0.7, 1.45),
        size=spread(0.18, 0.7, 1.4),
        hold_pitch_deg=between(8.0, 42.0),
        hold_yaw_deg=float(np.clip(rng.normal(0.0, 8.0), -20.0, 20.0)),
        hold_roll_deg=side * float(np.clip(rng.normal(5.0, 15.0), -35.0, 35.0)),
        wrist_roll_deg=float(np.clip(rng.normal(8.0, 6.0), -5.0, 25.0)),
        arm=between(0.7, 1.3),
        left_handed=left,
        tremor_dps=between(0.3, 1.5),
        tremor_hz=between(7.0, 11.0),
        drift_deg=between(0.5, 2.5),
        variability=between(0.7, 1.4),
        accel_noise_g=between(0.002, 0.008),
        gyro_noise_dps=between(0.05, 0.3),
        accel_bias_g=tuple(float(v) for v in np.clip(rng.normal(0.0, 0.02, 3), -0.06, 0.06)),  # type: ignore[arg-type]
        gyro_bias_dps=tuple(float(v) for v in np.clip(rng.normal(0.0, 1.0, 3), -3.0, 3.0)),  # type: ignore[arg-type]
    )


class HandSample(NamedTuple):
    """What the resting hand adds over n samples (see RestingHand.next)."""

    drift: np.ndarray  # (n, 3) small world-frame rotation D of the whole arm (rotation vector, rad)
    up: np.ndarray  # (n, 3) world up as the drifted arm sees it: D^T (0, 0, 1)
    drift_rate: np.ndarray  # (n, 3) angular velocity of D, turned back likewise (D^T w), rad/s
    tremor_rate: np.ndarray  # (n, 3) tremor angular velocity, body frame, rad/s
    tremor_lever: np.ndarray  # (n, 3) tremor angular acceleration cross body x: the linear
    # acceleration, in m/s^2 per metre from the wrist, of a point on the wand
    white: np.ndarray  # (n, 6) unit white noise for the sensor (scaled by the caller)


class RestingHand:
    """A hand holding the wand "still": slow drift of the pointing direction plus 7-11 Hz tremor.

    State carries across calls. The hand is simulated in fixed blocks of a quarter second (cheap
    per sample, whatever size callers ask for) and served from a buffer, so the output does not
    depend on how a stream is cut into calls. A change of ``style`` takes effect from the next block.
    """

    _DRIFT_RATE_TAU_S = 0.4  # how long a drift velocity persists
    _DRIFT_RETURN_TAU_S = 3.0  # the hand drifts back towards its usual pose
    _WOBBLE_TAU_S = 0.8  # tremor frequency/amplitude wander

    def __init__(self, style: PersonStyle, rate_hz: float, rng: np.random.Generator):
        self.rng = rng
        self.dt = 1.0 / rate_hz
        self.style = style
        self._velocity = np.zeros(3)
        self._angle = np.zeros(3)
        self._wobble = 0.0
        self._phase = float(rng.uniform(0.0, 2.0 * np.pi))
        self._block = max(1, round(0.25 * rate_hz))
        self._buffer = np.empty((0, 21))

    def next(self, n: int) -> HandSample:
        """The hand's contribution over the next ``n`` samples."""
        while len(self._buffer) < n:
            self._buffer = np.concatenate([self._buffer, self._simulate(self._block)])
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return HandSample(out[:, 0:3], out[:, 3:6], out[:, 6:9], out[:, 9:12], out[:, 12:15], out[:, 15:21])

    def _simulate(self, n: int) -> np.ndarray:
        dt, style = self.dt, self.style
        noise = self.rng.standard_normal((n, 10))
        # Drift: an AR(1) angular velocity, leakily integrated. For tau_v << tau_a the angle's variance
        # is about sigma_v^2 * tau_v * tau_a, which sets sigma_v from the person's drift_deg.
        a = np.exp(-dt / self._DRIFT_RATE_TAU_S)
        c = np.exp(-dt / self._DRIFT_RETURN_TAU_S)
        sigma_v = np.radians(style.drift_deg) / np.sqrt(self._DRIFT_RATE_TAU_S * self._DRIFT_RETURN_TAU_S)
        b = sigma_v * np.sqrt(1.0 - a * a)
        velocity = lfilter([b], [1.0, -a], noise[:, :3], axis=0, zi=(a * self._velocity)[None])[0]
        angle = lfilter([dt], [1.0, -c], velocity, axis=0, zi=(c * self._angle)[None])[0]
        previous = np.concatenate([self._angle[None], angle[:-1]])
        drift_rate = (angle - previous) / dt  # exactly what integrates back to the angle
        up = _rotate_back(angle, np.array([0.0, 0.0, 1.0]))
        drift_rate = _rotate_back(angle, drift_rate)
        self._velocity, self._angle = velocity[-1], angle[-1]

        # Tremor: a near-sinusoid whose frequency and strength wander slowly.
        w = np.exp(-dt / self._WOBBLE_TAU_S)
        wobble = lfilter([np.sqrt(1.0 - w * w)], [1.0, -w], noise[:, 3], zi=[w * self._wobble])[0]
        self._wobble = float(wobble[-1])
        freq = style.tremor_hz * (1.0 + 0.05 * wobble)
        phase = self._phase + 2.0 * np.pi * np.cumsum(freq) * dt
        self._phase = float(phase[-1] % (2.0 * np.pi))
        amp = np.radians(style.tremor_dps) * np.clip(1.0 + 0.3 * wobble, 0.2, None)
        offsets = np.array([0.0, 1.3, 2.6])
        mix = np.array([1.0, 0.7, 0.5])  # tremor is strongest about the wand's long axis
        angles = phase[:, None] + offsets
        tremor_rate = amp[:, None] * mix * np.sin(angles)
        alpha = amp[:, None] * mix * (2.0 * np.pi * freq)[:, None] * np.cos(angles)
        tremor_lever = np.stack([np.zeros(n), alpha[:, 2], -alpha[:, 1]], axis=1)  # alpha x (1, 0, 0)
        return np.concatenate([angle, up, drift_rate, tremor_rate, tremor_lever, noise[:, 4:]], axis=1)


def _rotate_back(rotvec: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Apply the inverse of the rotations ``rotvec`` (n, 3) to vectors ``v`` (Rodrigues' formula)."""
    angle = np.linalg.norm(rotvec, axis=1, keepdims=True)
    axis = -rotvec / np.maximum(angle, 1e-12)  # the inverse turns the other way
    v = np.broadcast_to(v, rotvec.shape)
    cos, sin = np.cos(angle), np.sin(angle)
    return v * cos + np.cross(axis, v) * sin + axis * np.sum(axis * v, axis=1, keepdims=True) * (1.0 - cos)
