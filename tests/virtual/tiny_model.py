"""A small gesture model trained on the virtual wand in seconds (TensorFlow imported here only)."""

from __future__ import annotations

import numpy as np

from wandlab.ml.bundle import ModelBundle
from wandlab.ml.synthetic import gesture_names, virtual_takes
from wandlab.ml.train import ImuData
from wandlab.onboard.imu_features import FeatureConfig, batch_features


def _data(labels: list[str], per_class: int, people: list[int], seed: int) -> ImuData:
    takes = virtual_takes(labels, per_class, people, seed)
    x = batch_features([(t.data, t.rate_hz) for t in takes], FeatureConfig(channels=3))
    subjects = np.array([t.subject for t in takes])
    return ImuData(x, np.array([t.label for t in takes]), subjects, np.array([""] * len(takes)))


def train_bundle(embedding_dim: int, epochs: int, takes: int, classes: int = 10) -> ModelBundle:
    from wandlab.ml.gesture_model import ModelSpec
    from wandlab.ml.train import train_events

    labels = gesture_names(classes)
    train, val = _data(labels, takes, [1, 2, 3, 4], 1), _data(labels, 3, [5], 2)
    spec = ModelSpec(widths=(8, 8, 12, 16), embedding_dim=embedding_dim)
    events = train_events(train, val, FeatureConfig(channels=3), epochs=epochs, spec=spec)
    done = [e for e in events if e["event"] == "done"][0]
    return done["bundle"]
