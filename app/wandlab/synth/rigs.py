"""Virtual wands far from the tidy default: other people, boards, mountings and sensor set-ups.

A *rig* is one simulated person holding one simulated board: the person's style drawn wider than
``people.person_style`` (tempo, size, handedness), and the board's sample rate (20-400 Hz, log-uniform),
accelerometer and gyro ranges (clipping), noise, offsets, the way the board sits in the wand (any
rotation: boards are mounted every which way) and whether the accelerometer reports gravity (most
boards) or only linear acceleration (phones and fusion chips). Takes of one rig share all of that, as
one user's takes share one board.

The base recipe can add rig takes with one class per (gesture, rig) (``base_recipe.Recipe.rigs``,
``wandlab bench lodo --rigs 100``), so that the model learns to tell gestures apart in any sensor frame
rather than to ignore the frame (which merges mirror-image gestures). Measured (docs/ml.md): about +1 point
of few-shot accuracy on held-out data sets, but it lets more unknown gestures through the open-set
thresholds, so the shipped recipe has none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from wandlab.synth.motion import gesture_motion
from wandlab.synth.people import PersonStyle, person_style

ACCEL_RANGES_G = (2.0, 4.0)  # wider ranges change nothing: the synthesiser's own sensor stops at 4 g
GYRO_RANGES_DPS = (250.0, 500.0, 1000.0, 2000.0)
RATE_RANGE_HZ = (20.0, 400.0)
LINEAR_ACCEL_SHARE = 0.3  # rigs whose accelerometer reports linear acceleration


@dataclass(frozen=True)
class Rig:
    style: PersonStyle
    rate_hz: float
    mount: np.ndarray  # (3, 3) body frame of the wand -> the sensor's axes
    accel_range_g: float
    gyro_range_dps: float
    gravity: bool


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A rotation drawn uniformly from all rotations (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def random_rig(index: int, rng: np.random.Generator) -> Rig:
    """Rig ``index`` (its person's base style is ``person_style(1000 + index)``), widened by ``rng``."""
    base = person_style(1000 + index)
    style = replace(
        base,
        speed=float(np.exp(rng.uniform(np.log(0.5), np.log(2.0)))),
        size=float(np.exp(rng.uniform(np.log(0.5), np.log(1.8)))),
        left_handed=bool(rng.random() < 0.5),
        accel_noise_g=base.accel_noise_g * float(rng.uniform(0.5, 8.0)),
        gyro_noise_dps=base.gyro_noise_dps * float(rng.uniform(0.5, 8.0)),
        accel_bias_g=tuple(float(v) for v in rng.normal(0.0, 0.05, 3)),  # type: ignore[arg-type]
        gyro_bias_dps=tuple(float(v) for v in rng.normal(0.0, 3.0, 3)),  # type: ignore[arg-type]
    )
    return Rig(
        style=style,
        rate_hz=float(np.exp(rng.uniform(*np.log(RATE_RANGE_HZ)))),
        mount=random_rotation(rng),
        accel_range_g=float(rng.choice(ACCEL_RANGES_G)),
        gyro_range_dps=float(rng.choice(GYRO_RANGES_DPS)),
        gravity=bool(rng.random() >= LINEAR_ACCEL_SHARE),
    )


def rig_take(gesture: str, rig: Rig, rng: np.random.Generator) -> np.ndarray:
    """(n, 6) g / deg/s at ``rig.rate_hz``: one take as the rig's sensor reports it."""
    data = gesture_motion(gesture, rig.style, rig.rate_hz, rng, gravity=rig.gravity)
    out = np.empty_like(data)
    out[:, :3] = data[:, :3] @ rig.mount.T
    out[:, 3:] = data[:, 3:] @ rig.mount.T
    np.clip(out[:, :3], -rig.accel_range_g, rig.accel_range_g, out=out[:, :3])
    np.clip(out[:, 3:], -rig.gyro_range_dps, rig.gyro_range_dps, out=out[:, 3:])
    return out
