"""IMU features, defined once for training, the virtual wand and the firmware.

A take (n, 3|6) in g and deg/s at any rate becomes a fixed window (window, channels) of float32:

1-2. Fit the take to ``window`` samples, by ``window_fit``:
   - "stretch" (default since feature version 2): linear interpolation onto ``window`` evenly spaced points
     from the take's first to its last sample, whatever its rate and length. The recorder and the board's
     segmenter trim takes to the motion, so the window always holds the whole gesture at the same
     resolution: a 0.8 s and a 1.5 s take of the same shape look alike (measured on cyberry_wand, whose
     sessions record 0.8 s and 1.5 s takes: 3-shot accuracy on held-out sessions 0.84 -> 0.90,
     docs/ml.md). The price: a gesture's duration is not a feature (a slow and a fast circle are one class).
   - "centre" (version 1): resample to ``rate_hz`` on the grid t_i = i / rate_hz (t_i <= last sample
     time), then crop a longer take around its centre or pad a shorter one by repeating its first/last
     sample (a still wand, not zeros).
   Linear, not polyphase: a few multiply-adds per sample on the board and exactly reproducible in C.
   Gestures live below ~10 Hz, so 40-50 points per second need no anti-alias filter.
3. Accelerometer: subtract the window mean per axis if ``remove_accel_mean`` (removes gravity, so data
   recorded with gravity removed - cyberry - and with gravity - most boards - look alike).
4. Fixed scaling, no dataset statistics: accel / ``accel_full_scale_g`` (4 g: the common +-4 g range),
   gyro / ``gyro_full_scale_dps`` (500 dps: faster than any wand flick in the dev sets, 99th pct ~320),
   then clip to +-``clip``. Fixed constants mean a model works on any board with the same config.

``export_constants`` writes the same numbers as a C++ header and JSON; golden vectors in
``tests/vectors/imu_features_*.json`` prove Python and C++ compute the same windows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from wandlab.errors import ModelError

FEATURE_VERSION = 2
WINDOW_FITS = ("stretch", "centre")


@dataclass(frozen=True)
class FeatureConfig:
    """Everything that defines the model input. Changing a field means retraining."""

    channels: int = 6  # 3 = accel only, 6 = accel + gyro
    rate_hz: float = 50.0  # "centre" only: resample rate (64 samples at 50 Hz = 1.28 s)
    window: int = 64
    accel_full_scale_g: float = 4.0
    gyro_full_scale_dps: float = 500.0
    clip: float = 1.0
    remove_accel_mean: bool = True
    window_fit: str = "stretch"
    version: int = FEATURE_VERSION

    def __post_init__(self) -> None:
        if self.channels not in (3, 6):
            raise ModelError(f"feature channels must be 3 (accel) or 6 (accel+gyro), not {self.channels}")
        if not (1.0 <= self.rate_hz <= 1000.0) or not (8 <= self.window <= 1024):
            raise ModelError(f"feature rate {self.rate_hz} Hz / window {self.window} out of range")
        if self.accel_full_scale_g <= 0 or self.gyro_full_scale_dps <= 0 or self.clip <= 0:
            raise ModelError("feature scales and clip must be positive")
        if self.window_fit not in WINDOW_FITS:
            raise ModelError(f"window_fit must be one of {', '.join(WINDOW_FITS)}, not {self.window_fit!r}")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.window, self.channels)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ModelError(f"unknown feature config keys: {sorted(unknown)}")
        if "window_fit" not in d:  # written before version 2: every such model was trained on "centre"
            d = {**d, "window_fit": "centre"}
        return cls(**d)  # type: ignore[arg-type]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FeatureConfig:
        return cls.from_dict(json.loads(text))


def resample(data: np.ndarray, rate_in: float, rate_out: float) -> np.ndarray:
    """Linear interpolation onto t_i = i / rate_out (float64 math, as the C++ does in double)."""
    data = np.asarray(data, dtype=np.float64)
    n = len(data)
    if n == 0:
        raise ModelError("empty take")
    if rate_in == rate_out or n == 1:
        return data.copy()
    duration = (n - 1) / rate_in
    m = int(np.floor(duration * rate_out + 1e-9)) + 1
    pos = np.arange(m, dtype=np.float64) * (rate_in / rate_out)  # position in input samples
    i0 = np.minimum(np.floor(pos).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (pos - i0)[:, None]
    return data[i0] * (1.0 - frac) + data[i1] * frac


def fit_window(data: np.ndarray, window: int) -> np.ndarray:
    """Centre-crop or edge-pad to ``window`` rows. Extra pad row goes at the end, extra crop at the start."""
    n = len(data)
    if n >= window:
        start = (n - window) // 2
        return data[start : start + window]
    before = (window - n) // 2
    after = window - n - before
    return np.concatenate([np.repeat(data[:1], before, 0), data, np.repeat(data[-1:], after, 0)])


def stretch_window(data: np.ndarray, window: int) -> np.ndarray:
    """Linear interpolation onto ``window`` points evenly spaced from the first to the last row:
    position p_i = i * (n - 1) / (window - 1) in input samples (float64, as the C++ does in double)."""
    data = np.asarray(data, dtype=np.float64)
    n = len(data)
    if n == 0:
        raise ModelError("empty take")
    pos = np.arange(window, dtype=np.float64) * ((n - 1) / (window - 1))
    i0 = np.minimum(np.floor(pos).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (pos - i0)[:, None]
    return data[i0] * (1.0 - frac) + data[i1] * frac


def take_features(data: np.ndarray, rate_hz: float, config: FeatureConfig) -> np.ndarray:
    """One take (n, 3|6) g/dps at ``rate_hz`` -> (window, channels) float32 model input."""
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[1] not in (3, 6):
        raise ModelError(f"IMU take must be (n, 3) or (n, 6), got {data.shape}")
    if data.shape[1] < config.channels:
        raise ModelError(f"model needs accel+gyro but the take has only {data.shape[1]} columns")
    if config.window_fit == "stretch":
        x = stretch_window(data[:, : config.channels], config.window)
    else:
        x = fit_window(resample(data[:, : config.channels], rate_hz, config.rate_hz), config.window)
    x = np.array(x, dtype=np.float64)
    if config.remove_accel_mean:
        x[:, :3] -= x[:, :3].mean(axis=0)
    x[:, :3] /= config.accel_full_scale_g
    if config.channels == 6:
        x[:, 3:] /= config.gyro_full_scale_dps
    return np.clip(x, -config.clip, config.clip).astype(np.float32)


def batch_features(takes: list[tuple[np.ndarray, float]], config: FeatureConfig) -> np.ndarray:
    """[(data, rate_hz), ...] -> (n, window, channels) float32."""
    out = np.zeros((len(takes), *config.shape), dtype=np.float32)
    for i, (data, rate) in enumerate(takes):
        out[i] = take_features(data, rate, config)
    return out


def quantize_input(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Float features -> int8 model input: q = roundf(x / scale) + zp, clamped; C's roundf rounds half
    away from zero (like TFLite's own quantize), so do the same here rather than numpy's half-to-even."""
    v = np.asarray(x, dtype=np.float32) / np.float32(scale)
    q = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5)) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def export_constants(config: FeatureConfig, header_path: str | Path, json_path: str | Path) -> None:
    """Write the feature constants as a C++17 header (constexpr, no macros) and as JSON."""
    h = f"""// Generated by wandlab.onboard.imu_features.export_constants - do not edit.
// IMU feature extraction constants; see docs/ml.md. Python and C++ must agree (golden vectors).
#pragma once
#include <cstdint>

namespace wandlab {{
namespace imu_features {{

struct FeatureConfig {{
  int32_t version;
  int32_t channels;            // 3 = accel only, 6 = accel + gyro
  float rate_hz;               // window_fit kCentre: resample target (linear interpolation)
  int32_t window;              // samples per window
  int32_t window_fit;          // kStretch: whole take onto window points; kCentre: resample, crop/pad
  float accel_full_scale_g;    // accel divisor (g)
  float gyro_full_scale_dps;   // gyro divisor (deg/s)
  float clip;                  // clip after scaling to +-clip
  bool remove_accel_mean;      // subtract per-window accel mean (gravity)
}};

inline constexpr int32_t kStretch = 0;
inline constexpr int32_t kCentre = 1;

inline constexpr FeatureConfig kFeatureConfig = {{
    {config.version}, {config.channels}, {config.rate_hz!r}f, {config.window},
    {"kStretch" if config.window_fit == "stretch" else "kCentre"},
    {config.accel_full_scale_g!r}f, {config.gyro_full_scale_dps!r}f, {config.clip!r}f,
    {"true" if config.remove_accel_mean else "false"}}};

inline constexpr int32_t kChannels = {config.channels};
inline constexpr int32_t kWindow = {config.window};
inline constexpr int32_t kInputSize = {config.window * config.channels};

}}  // namespace imu_features
}}  // namespace wandlab
"""
    Path(header_path).write_text(h, encoding="utf-8")
    Path(json_path).write_text(
        json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


# ---- golden vectors -----------------------------------------------------------------------------


def golden_cases(channels: int) -> list[dict[str, object]]:
    """Deterministic input takes covering down-sampling, up-sampling, crop, pad and clipping."""
    rng = np.random.default_rng(1234 + channels)
    cases = []
    for name, n, rate in (
        ("crop_100hz", 150, 100.0),
        ("pad_100hz", 80, 100.0),
        ("crop_119hz", 119, 119.0),
        ("pad_upsample_25hz", 20, 25.0),
    ):
        t = np.arange(n)[:, None] / rate
        acc = 0.8 * np.sin(2 * np.pi * 1.3 * t + np.arange(3)) + np.array([0.0, 0.0, 1.0])
        gyr = 300.0 * np.cos(2 * np.pi * 0.9 * t + np.arange(3))
        data = np.hstack([acc, gyr])[:, :channels] + rng.normal(0, 0.05, (n, channels))
        if name == "crop_119hz":
            data[n // 2, 0] = 7.5  # a spike beyond the clip
        cases.append({"name": name, "rate_hz": rate, "input": np.round(data, 5)})
    return cases


def golden_vectors(channels: int, window_fit: str = "stretch") -> dict[str, object]:
    config = FeatureConfig(channels=channels, window_fit=window_fit)
    out = []
    for case in golden_cases(channels):
        data = case["input"]
        assert isinstance(data, np.ndarray)
        # Inputs are float32 on the board and in datasets: the JSON keeps 5 decimals, parsed to float32.
        feats = take_features(data.astype(np.float32), float(case["rate_hz"]), config)  # type: ignore[arg-type]
        out.append(
            {
                "name": case["name"],
                "rate_hz": case["rate_hz"],
                "input": [[float(v) for v in row] for row in data],
                "features": [[_f32(v) for v in row] for row in feats],
                "features_int8_scale_1_over_127": quantize_input(feats, 1.0 / 127, 0).tolist(),
            }
        )
    return {"config": config.to_dict(), "tolerance": 1e-6, "cases": out}


def _f32(v: float) -> float:
    """Shortest decimal that parses back to the same float32 (keeps the JSON readable)."""
    return float(np.format_float_positional(np.float32(v), unique=True, trim="0"))


def write_golden_vectors(directory: str | Path) -> list[Path]:
    """Regenerate tests/vectors/imu_features_{accel,accel_gyro}[_centre].json."""
    paths = []
    for channels, suffix in ((3, "accel"), (6, "accel_gyro")):
        for fit, tail in (("stretch", ""), ("centre", "_centre")):
            path = Path(directory) / f"imu_features_{suffix}{tail}.json"
            path.write_text(json.dumps(golden_vectors(channels, fit)) + "\n", encoding="utf-8")
            paths.append(path)
    return paths


if __name__ == "__main__":
    import sys

    for p in write_golden_vectors(sys.argv[1] if len(sys.argv) > 1 else "tests/vectors"):
        print(p)
