"""Float Keras embedding model -> full-integer int8 TFLite flatbuffer (int8 input and output).

Follows ../shared/TECH-NOTES.md: ``TFLiteConverter.from_keras_model`` on the batch-1 copy, DEFAULT
optimisation, a representative dataset of real feature windows, TFLITE_BUILTINS_INT8 only (a float op
makes conversion fail instead of silently shipping a float island).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import numpy as np

from wandlab.errors import ModelError

MAX_REPRESENTATIVE = 300


def representative_subset(x: np.ndarray, seed: int = 0, limit: int = MAX_REPRESENTATIVE) -> np.ndarray:
    """A fixed random subset (quantisation ranges come from it; more than a few hundred adds nothing)."""
    if len(x) <= limit:
        return x
    idx = np.random.default_rng(seed).choice(len(x), size=limit, replace=False)
    return x[np.sort(idx)]


def to_int8_tflite(export_model: Any, representative: np.ndarray) -> bytes:
    """Convert a batch-1 Keras model to an int8-in/int8-out flatbuffer."""
    from wandlab.ml.gesture_model import tf_module

    tf = tf_module()
    if len(representative) == 0:
        raise ModelError("int8 conversion needs at least one representative input window")
    rep = representative.astype(np.float32)

    def gen() -> Any:
        for row in rep:
            yield [row[None]]

    converter = tf.lite.TFLiteConverter.from_keras_model(export_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = gen
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    try:
        # Keras' export prints "Saved artifact at ..." to stdout, which is the JSON channel of
        # ``--json`` commands and the training subprocess: send it to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            return bytes(converter.convert())
    except Exception as exc:  # the converter raises a zoo of types; the message is what matters
        raise ModelError(f"int8 conversion failed: {str(exc).splitlines()[0][:300]}") from exc


def strip_tflite(blob: bytes) -> bytes:
    """Drop tensor names, description and signature defs (~2 KB here): TFLM never reads them."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(blob))
    flatbuffer_utils.strip_strings(model)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
