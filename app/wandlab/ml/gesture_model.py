"""The gesture embedding network and its cosine-softmax training step (TensorFlow, imported lazily).

Shape chosen for the board (see docs/ml.md and ../shared/TECH-NOTES.md):
- input (window, channels) is reshaped to (window, 1, channels) so every conv is a plain CONV_2D
  (Keras Conv1D would add EXPAND_DIMS/RESHAPE pairs around each conv);
- stride-2 convs instead of conv + pooling: a quarter of the compute and activation memory;
- BatchNorm before ReLU so the converter folds it into the conv;
- fixed batch size 1 at export and Reshape (not Flatten) so no SHAPE/STRIDED_SLICE/PACK ops appear;
- a full-width conv (a Dense in effect) -> a one-line layer calling tf.math.l2_normalize, which
  becomes one int8 L2_NORMALIZATION op (Keras UnitNormalization would leave a float island).

Training objective: CosFace (large-margin cosine softmax): logits = s * (cos(e, w_c) - m * [c = y]) with
L2-normalised class weights, so the classes spread out on the unit sphere and k-NN with cosine (int8
dot product) distances works for classes the model never saw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.ml.augment import AugmentConfig, augment
from wandlab.onboard.imu_features import FeatureConfig


@dataclass(frozen=True)
class ModelSpec:
    """Architecture hyper-parameters (stored in the bundle so the model can be rebuilt)."""

    widths: tuple[int, ...] = (12, 16, 24, 32)
    kernels: tuple[int, ...] = (5, 5, 3, 3)
    embedding_dim: int = 32
    arch: str = "conv1d-s2-v1"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        return cls(
            widths=tuple(d["widths"]),
            kernels=tuple(d["kernels"]),
            embedding_dim=int(d["embedding_dim"]),
            arch=str(d.get("arch", "conv1d-s2-v1")),
        )


@dataclass(frozen=True)
class FitConfig:
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 3e-3
    scale: float = 16.0  # CosFace s
    margin: float = 0.2  # CosFace m
    seed: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)


def tf_module() -> Any:
    """Import TensorFlow on first use only (5 s, 700 MB); keep its thread pool to the machine's cores."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def build_embedding_model(features: FeatureConfig, spec: ModelSpec, batch_size: int | None = None) -> Any:
    """Keras model (batch, window, channels) -> (batch, embedding_dim) unit vectors."""
    tf = tf_module()
    keras = tf.keras
    if len(spec.widths) != len(spec.kernels):
        raise ModelError("model spec: widths and kernels differ in length")
    inp = keras.Input(shape=features.shape, batch_size=batch_size, name="imu")
    x = keras.layers.Reshape((features.window, 1, features.channels))(inp)
    for i, (w, k) in enumerate(zip(spec.widths, spec.kernels, strict=True)):
        x = keras.layers.Conv2D(w, (k, 1), strides=(2, 1), padding="same", use_bias=False, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = keras.layers.ReLU(name=f"relu{i}")(x)
    # The "dense" layer is a conv whose kernel spans all remaining time steps: same maths as
    # Reshape + Dense, but TFLM's FULLY_CONNECTED rounds 1 LSB differently from LiteRT on rare inputs
    # (measured), while CONV_2D is bit-identical; it also gets per-channel quantisation.
    steps = int(x.shape[1])
    x = keras.layers.Conv2D(spec.embedding_dim, (steps, 1), padding="valid", name="embed")(x)
    x = keras.layers.Reshape((spec.embedding_dim,))(x)  # not Flatten: no SHAPE op at batch 1
    out = _l2_normalize_layer()(name="l2norm")(x)
    return keras.Model(inp, out, name="gesture_embedding")


def _l2_normalize_layer() -> Any:
    tf = tf_module()

    class L2Normalize(tf.keras.layers.Layer):  # type: ignore[misc, name-defined]
        """One op: tf.math.l2_normalize -> int8 L2_NORMALIZATION (UnitNormalization is not)."""

        def call(self, t: Any) -> Any:
            return tf.math.l2_normalize(t, axis=-1)

    return L2Normalize


def export_copy(model: Any, features: FeatureConfig, spec: ModelSpec) -> Any:
    """The same weights in a batch-size-1 graph (what the converter and the board see)."""
    fixed = build_embedding_model(features, spec, batch_size=1)
    fixed.set_weights(model.get_weights())
    return fixed


def embed(model: Any, x: np.ndarray, batch: int = 256) -> np.ndarray:
    """Float embeddings for (n, window, channels) features."""
    outs = [model(x[i : i + batch], training=False).numpy() for i in range(0, len(x), batch)]
    return np.concatenate(outs) if outs else np.zeros((0, model.output_shape[-1]), np.float32)


def save_weights(model: Any, path: str) -> None:
    """Weights as a plain .npz (no pickle), rebuilt with build_embedding_model + load_weights."""
    np.savez(path, *model.get_weights())


def load_weights(model: Any, path: Any) -> None:
    with np.load(path, allow_pickle=False) as z:
        weights = [z[f"arr_{i}"] for i in range(len(z.files))]
    try:
        model.set_weights(weights)
    except ValueError as exc:
        raise ModelError(f"base model weights do not fit this architecture: {exc}") from None


def fit(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    cfg: FitConfig,
    val: tuple[np.ndarray, np.ndarray] | None = None,
) -> Iterator[dict[str, float]]:
    """Train ``model`` in place with CosFace; yield one progress dict per epoch. Deterministic per seed."""
    tf = tf_module()
    tf.keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    dim = model.output_shape[-1]
    head = tf.Variable(tf.random.normal((dim, n_classes), seed=cfg.seed), name="class_weights")
    steps_per_epoch = max(1, int(np.ceil(len(x) / cfg.batch_size)))
    schedule = tf.keras.optimizers.schedules.CosineDecay(cfg.learning_rate, cfg.epochs * steps_per_epoch)
    opt = tf.keras.optimizers.Adam(schedule)
    variables = model.trainable_variables + [head]

    @tf.function(reduce_retracing=True)
    def step(xb: Any, yb: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            emb = model(xb, training=True)
            cos = tf.matmul(emb, tf.math.l2_normalize(head, axis=0))
            onehot = tf.one_hot(yb, n_classes)
            logits = cfg.scale * (cos - cfg.margin * onehot)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(onehot, logits))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        correct = tf.reduce_sum(
            tf.cast(tf.equal(tf.argmax(cos, axis=1, output_type=tf.int32), yb), tf.float32)
        )
        return loss, correct

    y = y.astype(np.int32)
    for epoch in range(1, cfg.epochs + 1):
        order = rng.permutation(len(x))
        xa = augment(x[order], rng, cfg.augment)
        total_loss, total_correct = 0.0, 0.0
        for i in range(0, len(x), cfg.batch_size):
            loss, correct = step(
                tf.constant(xa[i : i + cfg.batch_size]), tf.constant(y[order][i : i + cfg.batch_size])
            )
            total_loss += float(loss) * min(cfg.batch_size, len(x) - i)
            total_correct += float(correct)
        event = {
            "epoch": epoch,
            "epochs": cfg.epochs,
            "loss": total_loss / len(x),
            "accuracy": total_correct / len(x),
        }
        if val is not None and len(val[0]):
            event["val_accuracy"] = centroid_accuracy(embed(model, x), y, embed(model, val[0]), val[1])
        yield event


def centroid_accuracy(
    train_emb: np.ndarray, train_y: np.ndarray, test_emb: np.ndarray, test_y: np.ndarray
) -> float:
    """Nearest class mean (cosine) accuracy: a cheap, label-set-agnostic validation figure."""
    classes = np.unique(train_y)
    cents = np.stack([train_emb[train_y == c].mean(0) for c in classes])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True) + 1e-12
    pred = classes[np.argmax(test_emb @ cents.T, axis=1)]
    return float(np.mean(pred == test_y))
