"""Train -> int8 -> TFLM: the model the board gets runs bit-identically and fits the budget."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.ml.bundle import ModelBundle, load_bundle, save_bundle, tflite_c_header
from wandlab.ml.verify import int8_embeddings, verify_model
from wandlab.onboard.budgets import FIRMWARE_OPS, GESTURE_BUDGET
from wandlab.onboard.imu_features import FeatureConfig


def test_progress_events_in_order(tiny_training: dict[str, Any]) -> None:
    kinds = [e["event"] for e in tiny_training["events"]]
    assert kinds == ["start", "epoch", "epoch", "epoch", "converted", "verified", "done"]
    assert all(np.isfinite(e["loss"]) for e in tiny_training["events"] if e["event"] == "epoch")


def test_int8_model_runs_in_tflm_bit_identical_and_fits(tiny_training: dict[str, Any]) -> None:
    bundle: ModelBundle = tiny_training["by_name"]["done"]["bundle"]
    report = verify_model(bundle.tflite, tiny_training["val"].x)
    assert report.bit_exact and report.max_abs_diff == 0 and report.compared == len(tiny_training["val"].x)
    assert report.model_bytes <= GESTURE_BUDGET.model_flash_bytes == 16 * 1024
    assert report.arena_bytes <= GESTURE_BUDGET.arena_bytes == 8 * 1024
    assert set(report.ops) <= set(FIRMWARE_OPS)
    assert "L2_NORMALIZATION" in report.ops and "DEQUANTIZE" not in report.ops
    assert report.input_quant[0] > 0 and report.output_quant == (1 / 128, 0)
    assert report.macs > 0 and all(v > 0 for v in report.latency_ms.values())


def test_unsupported_op_is_refused_naming_it() -> None:
    from wandlab.ml.export import to_int8_tflite
    from wandlab.ml.gesture_model import tf_module

    keras = tf_module().keras
    inp = keras.Input((8,), batch_size=1)
    model = keras.Model(inp, keras.layers.Dense(4, activation="tanh")(inp))
    blob = to_int8_tflite(model, np.random.default_rng(0).uniform(-1, 1, (16, 8)).astype(np.float32))
    with pytest.raises(ModelError, match="TANH"):
        verify_model(blob, np.zeros((2, 8), np.float32))


def test_oversized_model_is_refused() -> None:
    from wandlab.ml import gesture_model as gm
    from wandlab.ml.export import to_int8_tflite

    features = FeatureConfig(channels=6)
    spec = gm.ModelSpec(widths=(32, 64, 64, 64), kernels=(5, 5, 5, 5), embedding_dim=64)
    model = gm.export_copy(gm.build_embedding_model(features, spec), features, spec)
    x = np.random.default_rng(0).uniform(-1, 1, (8, 64, 6)).astype(np.float32)
    blob = to_int8_tflite(model, x)
    with pytest.raises(ModelError, match="does not fit the board: model is .* bytes, budget 16384"):
        verify_model(blob, x)
    assert not verify_model(blob, x, strict=False).fits


def test_bundle_round_trip_and_hashes(tiny_training: dict[str, Any], tmp_path: Path) -> None:
    bundle: ModelBundle = tiny_training["by_name"]["done"]["bundle"]
    for target in (tmp_path / "b", tmp_path / "b.zip"):
        save_bundle(bundle, target)
        again = load_bundle(target)
        assert again.tflite == bundle.tflite and again.labels == bundle.labels
        assert again.features == bundle.features
        assert again.recognizer.to_dict() == bundle.recognizer.to_dict()
        assert again.metrics["model_bytes"] == len(bundle.tflite)
    # The reloaded recogniser answers exactly as the original on the board's int8 embeddings.
    e8 = int8_embeddings(again.tflite, tiny_training["val"].x)
    assert again.recognizer.predict(e8) == bundle.recognizer.predict(e8)
    # Any altered byte is detected and named.
    model_file = tmp_path / "b" / "model.tflite"
    data = bytearray(model_file.read_bytes())
    data[100] ^= 1
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="model.tflite does not match its sha256"):
        load_bundle(tmp_path / "b")
    with pytest.raises(ModelError, match="not a model bundle"):
        load_bundle(tmp_path / "missing")


def test_warm_start_from_bundle_weights(tiny_training: dict[str, Any]) -> None:
    from wandlab.ml import gesture_model as gm

    bundle: ModelBundle = tiny_training["by_name"]["done"]["bundle"]
    assert bundle.model_spec is not None and bundle.weights is not None
    spec = gm.ModelSpec.from_dict(bundle.model_spec)
    model = gm.build_embedding_model(bundle.features, spec)
    gm.load_weights(model, io.BytesIO(bundle.weights))
    other = gm.build_embedding_model(FeatureConfig(channels=3), spec)
    with pytest.raises(ModelError, match="do not fit"):
        gm.load_weights(other, io.BytesIO(bundle.weights))


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_model_c_header_compiles(tiny_training: dict[str, Any], tmp_path: Path) -> None:
    blob = tiny_training["by_name"]["done"]["bundle"].tflite
    (tmp_path / "model_data.h").write_text(tflite_c_header(blob))
    src = tmp_path / "use.cc"
    src.write_text(
        '#include "model_data.h"\n'
        f"static_assert(g_gesture_model_len == {len(blob)});\n"
        f"static_assert(sizeof(g_gesture_model) == {len(blob)});\n"
        "static_assert(__alignof__(g_gesture_model) >= 16);  // GNU: alignment of the variable\n"
    )
    subprocess.run(
        ["g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Werror", str(src)], check=True, cwd=tmp_path
    )
