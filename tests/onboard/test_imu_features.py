"""Feature extraction: golden vectors, config round-trip, exported C++ header compiles."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.onboard.imu_features import (
    FeatureConfig,
    export_constants,
    golden_vectors,
    take_features,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


@pytest.mark.parametrize(
    "channels,fit,name",
    [
        (3, "stretch", "accel"),
        (6, "stretch", "accel_gyro"),
        (3, "centre", "accel_centre"),
        (6, "centre", "accel_gyro_centre"),
    ],
)
def test_golden_vectors_match(channels: int, fit: str, name: str) -> None:
    stored = json.loads((VECTORS / f"imu_features_{name}.json").read_text())
    fresh = golden_vectors(channels, fit)
    assert stored["config"] == fresh["config"]
    assert [c["name"] for c in stored["cases"]] == [c["name"] for c in fresh["cases"]]
    for old, new in zip(stored["cases"], fresh["cases"], strict=True):
        assert old["input"] == new["input"]
        np.testing.assert_allclose(old["features"], new["features"], atol=stored["tolerance"], rtol=0)
        assert old["features_int8_scale_1_over_127"] == new["features_int8_scale_1_over_127"]
        # The stored vectors also hold when recomputed straight from their JSON input.
        again = take_features(
            np.asarray(old["input"], np.float32), old["rate_hz"], FeatureConfig.from_dict(stored["config"])
        )
        np.testing.assert_allclose(again, old["features"], atol=stored["tolerance"], rtol=0)


def test_stretch_fills_the_window_with_the_whole_take() -> None:
    cfg = FeatureConfig(channels=3)
    assert cfg.window_fit == "stretch"
    ramp = np.zeros((80, 3))
    ramp[:, 0] = np.linspace(-0.4, 0.4, 80)  # 0.8 s at 100 Hz
    long = np.zeros((150, 3))
    long[:, 0] = np.linspace(-0.4, 0.4, 150)  # the same gesture drawn in 1.5 s
    short_x, long_x = take_features(ramp, 100.0, cfg), take_features(long, 100.0, cfg)
    np.testing.assert_allclose(short_x, long_x, atol=1e-6)  # tempo does not matter
    assert short_x[0, 0] == pytest.approx(-0.1) and short_x[-1, 0] == pytest.approx(0.1)  # ends kept, / 4 g
    # The rate is irrelevant when stretching; "centre" crops the 1.5 s take and so loses its ends.
    assert np.allclose(take_features(ramp, 33.0, cfg), short_x)
    centre = take_features(long, 100.0, FeatureConfig(channels=3, window_fit="centre"))
    assert centre[0, 0] > -0.09


def test_models_from_before_window_fit_keep_centre() -> None:
    old = FeatureConfig(window_fit="centre").to_dict()
    del old["window_fit"]
    old["version"] = 1
    assert FeatureConfig.from_dict(old).window_fit == "centre"
    with pytest.raises(ModelError, match="window_fit"):
        FeatureConfig(window_fit="squash")


def test_shapes_crop_pad_and_scaling() -> None:
    cfg = FeatureConfig(channels=6, window_fit="centre")
    still = np.tile([0.0, 0.0, 1.0, 0.0, 0.0, 0.0], (30, 1)).astype(np.float32)
    x = take_features(still, 100.0, cfg)
    assert x.shape == (64, 6) and x.dtype == np.float32
    assert np.allclose(x, 0.0)  # gravity removed, no rotation
    spin = np.tile([0.0, 0.0, 0.0, 250.0, -900.0, 0.0], (200, 1))
    y = take_features(spin, 119.0, cfg)
    assert np.allclose(y[:, 3], 0.5) and np.allclose(y[:, 4], -1.0)  # 250/500, clipped
    acc_only = take_features(spin, 119.0, FeatureConfig(channels=3))
    assert acc_only.shape == (64, 3)
    with pytest.raises(ModelError, match="gyro"):
        take_features(still[:, :3], 100.0, cfg)


def test_config_json_round_trip() -> None:
    cfg = FeatureConfig(channels=3, rate_hz=40.0, window=48)
    assert FeatureConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ModelError):
        FeatureConfig.from_dict({"channels": 6, "bogus": 1})


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_exported_header_compiles(tmp_path: Path) -> None:
    cfg = FeatureConfig()
    header, js = tmp_path / "imu_features.h", tmp_path / "imu_features.json"
    export_constants(cfg, header, js)
    assert "#define" not in header.read_text()
    assert FeatureConfig.from_dict(json.loads(js.read_text())) == cfg
    src = tmp_path / "use.cc"
    src.write_text(
        '#include "imu_features.h"\n'
        "static_assert(wandlab::imu_features::kInputSize == 64 * 6);\n"
        "static_assert(wandlab::imu_features::kFeatureConfig.window == 64);\n"
    )
    subprocess.run(
        ["g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Werror", "-I", str(tmp_path), str(src)], check=True
    )
