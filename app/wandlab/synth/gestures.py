"""The virtual wand's gesture library: what the wand tip does during each gesture.

A gesture is a path of the wand tip relative to where it rests, in the user's frame (x to the right,
y forward away from the user, z up), plus the wrist roll that goes with it. Paths are built from
minimum-jerk strokes (how people move between targets: bell-shaped speed, no sudden starts) and then
smoothed, so their second derivative, the acceleration the IMU feels, stays physically sane. Physics
(orientation, gravity, body frame) is ``motion.py``'s job; this module only draws the shapes.

Each call takes a random generator and returns a slightly different take (tempo, size, corners, tilt
of the drawing plane), like repeated takes by a real person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

GESTURES: tuple[str, ...] = (
    "circle", "flick_left", "flick_right", "flick_up", "flick_down", "z", "w", "v", "shake", "tap", "idle",
)  # fmt: skip


@dataclass(frozen=True)
class TipPath:
    """One take of a gesture, sampled at ``rate_hz``; zero offset and roll at both ends (the rest pose).

    offset: (n, 3) tip displacement from its rest position in metres, user frame (x right, y fwd, z up).
    roll: (n,) wrist roll about the wand axis in radians, on top of the person's hold.
    arm: share of the tip displacement made by moving the wrist itself rather than rotating about it
        (flicks are nearly pure wrist rotation; drawing a letter moves the forearm too).
    """

    offset: np.ndarray
    roll: np.ndarray
    arm: float
    rate_hz: float


def _minimum_jerk(u: np.ndarray) -> np.ndarray:
    return u**3 * (10.0 - 15.0 * u + 6.0 * u * u)


class _Builder:
    """Appends strokes to a path; all sizes in metres before the take's scale, durations in seconds."""

    def __init__(self, rate_hz: float, tempo: float, scale: float, rng: np.random.Generator, var: float):
        self.rate_hz, self.tempo, self.scale, self.rng, self.var = rate_hz, tempo, scale, rng, var
        self.parts: list[np.ndarray] = []
        self.at = np.zeros(3)

    def samples(self, seconds: float) -> int:
        # Each stroke's timing varies on its own: people are not metronomes.
        jitter = float(np.exp(self.rng.normal(0.0, 0.08 * self.var)))
        return max(2, round(seconds / self.tempo * jitter * self.rate_hz))

    def stroke(self, x: float, z: float, seconds: float, ease: str = "minjerk", y: float = 0.0) -> None:
        """Move the tip to (x, y, z); it lands off target by a few % of the stroke, differently each take."""
        target = self.scale * np.array([x, y, z])
        miss = self.var * (0.002 + 0.06 * np.linalg.norm(target - self.at))
        self._to(target + self.rng.normal(0.0, miss, 3), seconds, ease)

    def home(self, seconds: float) -> None:
        """Return exactly to the rest position (slowly: the return is not part of the shape)."""
        self._to(np.zeros(3), seconds, "minjerk")

    def hold(self, seconds: float) -> None:
        self.parts.append(np.repeat(self.at[None], self.samples(seconds), axis=0))

    def trace(self, curve: Callable[[np.ndarray], np.ndarray], seconds: float) -> None:
        """A parametric curve: u in [0, 1] -> (m, 3) unscaled offsets, starting at the current point."""
        m = self.samples(seconds)
        u = np.arange(m + 1) / m
        points = self.at + self.scale * curve(u)
        self.parts.append(points[:-1])
        self.at = points[-1]

    def _to(self, target: np.ndarray, seconds: float, ease: str) -> None:
        m = self.samples(seconds)
        u = np.arange(m) / m
        # "hit" accelerates into a sudden stop (a tap against air); the smoothing turns it into a spike.
        s = _minimum_jerk(u) if ease == "minjerk" else u * u
        self.parts.append(self.at + s[:, None] * (target - self.at))
        self.at = target


def _circle(b: _Builder) -> None:
    rx, rz = 0.12 * np.exp(b.rng.normal(0.0, 0.08 * b.var, 2))

    def curve(u: np.ndarray) -> np.ndarray:
        # Starts at the top and goes clockwise as the user sees it; fastest halfway round.
        phi = 2.0 * np.pi * _minimum_jerk(u)
        return np.stack([rx * np.sin(phi), 0.02 * np.sin(phi), rz * (np.cos(phi) - 1.0)], axis=1)

    b.trace(curve, 1.0)


def _flick(dx: float, dz: float) -> Callable[[_Builder], None]:
    def draw(b: _Builder) -> None:
        distance = 0.16
        b.stroke(distance * dx, distance * dz, 0.12)  # the fast flick
        b.stroke(-0.25 * distance * dx, -0.25 * distance * dz, 0.2)  # rebound past the start
        b.home(0.25)

    return draw


def _z(b: _Builder) -> None:
    w, h = 0.20, 0.16
    b.stroke(-w / 2, h / 2, 0.2)
    b.stroke(w / 2, h / 2, 0.24)
    b.stroke(-w / 2, -h / 2, 0.28)
    b.stroke(w / 2, -h / 2, 0.24)
    b.home(0.25)


def _w(b: _Builder) -> None:
    w, h = 0.24, 0.14
    b.stroke(-w / 2, h / 2, 0.2)
    for x, z in ((-w / 4, -h / 2), (0.0, h / 4), (w / 4, -h / 2), (w / 2, h / 2)):
        b.stroke(x, z, 0.18)
    b.home(0.25)


def _v(b: _Builder) -> None:
    w, h = 0.16, 0.16
    b.stroke(-w / 2, h / 2, 0.2)
    b.stroke(0.0, -h / 2, 0.26)
    b.stroke(w / 2, h / 2, 0.26)
    b.home(0.25)


def _shake(b: _Builder) -> None:
    cycles = int(b.rng.integers(3, 6))
    amplitude = 0.05

    def curve(u: np.ndarray) -> np.ndarray:
        # Sideways oscillation about 4.5 Hz, faded in and out so it starts and stops at rest.
        x = amplitude * np.sin(2.0 * np.pi * cycles * u) * np.sin(np.pi * u) ** 2
        return np.stack([x, np.zeros_like(u), 0.1 * x], axis=1)

    b.trace(curve, cycles / 4.5)


def _tap(b: _Builder) -> None:
    b.stroke(0.0, -0.04, 0.09, ease="hit")  # down, stopped dead
    b.stroke(0.0, -0.033, 0.04)  # small bounce
    b.stroke(0.0, -0.04, 0.04)
    b.hold(0.05)
    b.home(0.3)


def _idle(b: _Builder) -> None:
    # A hand that wanders a little without meaning anything.
    for _ in range(int(b.rng.integers(2, 4))):
        x, y, z = b.rng.uniform(-0.015, 0.015, 3)
        b.stroke(x, z, float(b.rng.uniform(0.25, 0.4)), y=y)
    b.home(0.3)


@dataclass(frozen=True)
class _Spec:
    draw: Callable[[_Builder], None]
    arm: float  # see TipPath.arm
    roll_deg_per_10cm: float  # forearm roll that goes with sideways tip motion
    smooth_s: float  # how rounded corners and stops are


_SPECS: dict[str, _Spec] = {
    "circle": _Spec(_circle, 0.4, 10.0, 0.02),
    "flick_left": _Spec(_flick(-1.0, 0.0), 0.1, 15.0, 0.012),
    "flick_right": _Spec(_flick(1.0, 0.0), 0.1, 15.0, 0.012),
    "flick_up": _Spec(_flick(0.0, 1.0), 0.1, 15.0, 0.012),
    "flick_down": _Spec(_flick(0.0, -1.0), 0.1, 15.0, 0.012),
    "z": _Spec(_z, 0.4, 8.0, 0.025),
    "w": _Spec(_w, 0.4, 8.0, 0.025),
    "v": _Spec(_v, 0.4, 8.0, 0.025),
    "shake": _Spec(_shake, 0.25, 45.0, 0.01),
    "tap": _Spec(_tap, 0.2, 0.0, 0.004),
    "idle": _Spec(_idle, 0.5, 5.0, 0.03),
}
assert tuple(_SPECS) == GESTURES


def check_gesture(name: str) -> None:
    """Raise ValueError naming the known gestures if ``name`` is not one of them."""
    if name not in _SPECS:
        raise ValueError(f"unknown gesture {name!r}; known gestures: {', '.join(GESTURES)}")


def tip_path(
    name: str,
    rate_hz: float,
    rng: np.random.Generator,
    size: float = 1.0,
    speed: float = 1.0,
    variability: float = 1.0,
) -> TipPath:
    """One take of gesture ``name`` with a short rest before and after, sampled at ``rate_hz``."""
    check_gesture(name)
    spec = _SPECS[name]
    tempo = speed * float(np.exp(rng.normal(0.0, 0.07 * variability)))
    scale = size * float(np.exp(rng.normal(0.0, 0.08 * variability)))
    builder = _Builder(rate_hz, tempo, scale, rng, variability)
    spec.draw(builder)
    path = np.concatenate([*builder.parts, builder.at[None]])

    # The drawing plane is never quite square to the user: tilt it a few degrees about y and z.
    ty, tz = np.radians(rng.normal(0.0, 4.0 * variability, 2))
    cy, sy, cz, sz = np.cos(ty), np.sin(ty), np.cos(tz), np.sin(tz)
    tilt = np.array([[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]]) @ np.array(
        [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]]
    )
    path = path @ tilt.T

    # Rest before and after. The pads are longer than the smoothing kernel's reach (4 sigma), so the
    # first and last samples stay at rest: no jump when a take is spliced into a stream.
    sigma = spec.smooth_s * rate_hz
    reach = int(4.0 * sigma + 0.5) + 1
    lead, tail = (reach + np.round(rng.uniform(0.05, 0.15, 2) * rate_hz)).astype(int)
    path = np.concatenate([np.zeros((lead, 3)), path, np.zeros((tail, 3))])
    # Gaussian smoothing by FFT (the kernel is hundreds of taps at the internal rate); zero padding
    # equals the rest pose, so this matches a plain convolution exactly.
    taps = np.arange(-reach + 1, reach)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    path = fftconvolve(path, (kernel / kernel.sum())[:, None], mode="same", axes=0)
    roll = np.radians(spec.roll_deg_per_10cm) * path[:, 0] / 0.1
    return TipPath(path, roll, spec.arm, rate_hz)
