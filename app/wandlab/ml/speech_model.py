"""The pretrained speech embedding model: a DS-CNN on (49, 40) log-mel -> 32-d unit embedding.

Architecture (why): a stride-2 10x4 conv then depthwise-separable blocks, two of them stride 2, so the
largest activation is the first one (25x20x12 int8 = 6 KB) and the arena stays under 16 KB; average pool
over the remaining 7x5 grid; a 1x1 conv + ReLU to 32 dims (bit-exact, see below); a one-line
``tf.math.l2_normalize`` layer that converts to a single int8 L2_NORMALIZATION op (Keras
UnitNormalization leaves a float island).
BatchNorm sits between conv and ReLU so it folds into the conv. The export copy has batch size 1 and
uses Reshape (not Flatten) so no SHAPE/STRIDED_SLICE ops appear.

Objective: cosine softmax with an additive margin (CosFace): logits = s * (cos(e, w_c) - m [c = y]).
It shapes the embedding space by angle, which is what the k-NN on the board measures.

The network is trained on q / 128 where q is the int8 feature code, and the int8 converter is given a
calibration sample spanning the full code range, so the int8 model's input is exactly q (scale 1/128,
zero point 0): the board feeds its feature codes in without any rescaling. ``to_int8`` checks that.

TensorFlow is imported inside functions only. The data and training recipe live in ``speech_recipe``
functions below the model code (``python -m wandlab.ml.speech_model`` reproduces the shipped model).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard import audio_features as af

EMBED_DIM = 32
STEM_FILTERS = 12
BLOCKS = ((2, 32), (1, 32), (2, 64), (1, 64))  # (stride, pointwise filters)
COSFACE_SCALE = 20.0
COSFACE_MARGIN = 0.2
FLASH_BUDGET = 32 * 1024
ARENA_BUDGET = 16 * 1024


def build_embedding(batch_size: int | None = None, config: af.AudioFeatureConfig | None = None) -> Any:
    """The embedding network (float Keras). batch_size=1 for export."""
    import tensorflow as tf

    config = config or af.AudioFeatureConfig()
    layers = tf.keras.layers
    frames, bands = config.shape
    # Short layer names: the converter stores fused op names in the flatbuffer (~6 KB with defaults).
    inp = layers.Input((frames, bands, 1), batch_size=batch_size, name="x")
    x = layers.Conv2D(STEM_FILTERS, (10, 4), strides=2, padding="same", use_bias=False, name="c0")(inp)
    x = layers.ReLU(name="r0")(layers.BatchNormalization(name="n0")(x))
    for i, (stride, filters) in enumerate(BLOCKS, start=1):
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"d{i}")(x)
        x = layers.ReLU(name=f"dr{i}")(layers.BatchNormalization(name=f"dn{i}")(x))
        x = layers.Conv2D(filters, 1, use_bias=False, name=f"p{i}")(x)
        x = layers.ReLU(name=f"pr{i}")(layers.BatchNormalization(name=f"pn{i}")(x))
    x = layers.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])), name="pool")(x)
    # A 1x1 conv + ReLU, not Dense: int8 kernels in TFLM and LiteRT round *negative* requantised values
    # differently (measured: a linear FULLY_CONNECTED or CONV_2D output differs by 1 LSB on ~8-20 % of
    # inputs), while every ReLU'd conv was bit-identical. So the embedding is non-negative.
    x = layers.Conv2D(EMBED_DIM, 1, activation="relu", name="emb")(x)
    x = layers.Reshape((EMBED_DIM,), name="flat")(x)
    out = _l2_layer()(x)
    return tf.keras.Model(inp, out, name="se")


def _l2_layer() -> Any:
    import tensorflow as tf

    class L2Normalize(tf.keras.layers.Layer):  # one int8 L2_NORMALIZATION op after conversion
        def call(self, x: Any) -> Any:
            return tf.math.l2_normalize(x, axis=-1)

    return L2Normalize(name="l2")


def cosface_head(embedding_model: Any, n_classes: int) -> Any:
    """Training model: embedding -> cosine to each (normalised) class centre."""
    import tensorflow as tf

    class CosineLogits(tf.keras.layers.Layer):
        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(int(input_shape[-1]), n_classes), initializer="glorot_normal")

        def call(self, e: Any) -> Any:
            return tf.matmul(e, tf.math.l2_normalize(self.w, axis=0))

    cos = CosineLogits(name="cos")(embedding_model.output)
    return tf.keras.Model(embedding_model.input, cos)


def cosface_loss(y_true: Any, cos: Any) -> Any:
    import tensorflow as tf

    y = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
    onehot = tf.one_hot(y, tf.shape(cos)[-1])
    logits = COSFACE_SCALE * (cos - COSFACE_MARGIN * onehot)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(onehot, logits))


def export_copy(trained_embedding: Any) -> Any:
    """Batch-1 copy with the trained weights (static shapes convert to fewer, simpler ops)."""
    model = build_embedding(batch_size=1)
    model.set_weights(trained_embedding.get_weights())
    return model


def to_int8(export_model: Any, calibration_q: np.ndarray) -> bytes:
    """Full-integer conversion. calibration_q: (n, 49, 40) int8 feature codes of real clips."""
    import tensorflow as tf

    x = af.model_input(calibration_q)[..., None]
    # Pin the input range to the whole int8 code range so the input quantisation is exactly q/128.
    x[0, 0, 0, 0], x[0, 0, 1, 0] = -1.0, 127.0 / 128.0

    def representative() -> Iterator[list[np.ndarray]]:
        for sample in x:
            yield [sample[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(export_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with _quiet_fd2():
        blob = bytes(converter.convert())
    info = model_info(blob)
    if info["input_quant"] != [1 / 128, 0]:
        raise ModelError(f"int8 input quantisation is {info['input_quant']}, expected [1/128, 0]")
    if any(op not in ALLOWED_OPS for op in info["ops"]):
        raise ModelError(f"unexpected ops in the int8 model: {info['ops']}")
    return blob


ALLOWED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "L2_NORMALIZATION"}


def model_info(blob: bytes) -> dict[str, Any]:
    """Ops, input/output quantisation and size of a flatbuffer (read through LiteRT)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(
        model_content=blob, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    ops = sorted({d["op_name"] for d in interp._get_ops_details()})
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    return {
        "bytes": len(blob),
        "ops": ops,
        "input_shape": [int(v) for v in inp["shape"]],
        "input_quant": [float(inp["quantization"][0]), int(inp["quantization"][1])],
        "output_quant": [float(out["quantization"][0]), int(out["quantization"][1])],
        "types": [str(np.dtype(inp["dtype"])), str(np.dtype(out["dtype"]))],
    }


@contextmanager
def _quiet_fd2() -> Iterator[None]:
    """Silence C-level stderr (converter and TFLM chatter) for the duration."""
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def tflm_invoke(blob: bytes, inputs: np.ndarray, arena_size: int = 64 * 1024) -> np.ndarray:
    """Run int8 inputs (n, 49, 40) through TFLM's own interpreter; returns (n, dim) int8 outputs."""
    from tflite_micro import runtime

    with _quiet_fd2():
        interp = runtime.Interpreter.from_bytes(blob, arena_size=arena_size)
    shape = interp.get_input_details(0)["shape"]
    outs = []
    for q in inputs:
        interp.set_input(np.asarray(q, dtype=np.int8).reshape(shape), 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0)).reshape(-1))
    return np.stack(outs)


def smallest_arena(blob: bytes, low: int = 1024, high: int = 128 * 1024) -> int:
    """Binary search (16-byte steps) for the smallest TFLM arena that allocates and invokes."""
    probe = np.zeros((1,) + af.AudioFeatureConfig().shape, dtype=np.int8)

    def works(size: int) -> bool:
        try:
            tflm_invoke(blob, probe, arena_size=size)
            return True
        except Exception:  # TFLM reports a too-small arena as a RuntimeError/ValueError from C++
            return False

    if not works(high):
        raise ModelError(f"model does not run in TFLM even with a {high}-byte arena")
    while high - low > 16:
        mid = (low + high) // 2 // 16 * 16
        low, high = (low, mid) if works(mid) else (mid, high)
    return high


def litert_invoke(blob: bytes, inputs: np.ndarray) -> np.ndarray:
    """The same through LiteRT with XNNPACK off (the configuration that is bit-identical to TFLM)."""
    from wandlab.ml.wakeword import Embedder

    embedder = Embedder(blob)
    return np.stack([embedder.embed_raw(q).reshape(-1) for q in inputs])


def check_budget(blob: bytes, arena: int) -> None:
    if len(blob) > FLASH_BUDGET or arena > ARENA_BUDGET:
        raise ModelError(
            f"speech model {len(blob)} B / arena {arena} B exceeds {FLASH_BUDGET} / {ARENA_BUDGET}"
        )
