"""Shared tiny training run for the gesture-model tests (TensorFlow is imported once, here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from wandlab.ml.synthetic import gesture_names, virtual_takes
from wandlab.ml.train import ImuData
from wandlab.onboard.imu_features import FeatureConfig, batch_features


def _imu_data(labels: list[str], per_class: int, people: list[int], seed: int, channels: int) -> ImuData:
    takes = virtual_takes(labels, per_class, people, seed)
    x = batch_features([(t.data, t.rate_hz) for t in takes], FeatureConfig(channels=channels))
    lab = np.array([t.label for t in takes])
    return ImuData(x, lab, np.array([t.subject for t in takes]), np.array([""] * len(takes)))


@pytest.fixture(scope="session")
def tiny_training() -> dict[str, Any]:
    """4 virtual gestures x 12 takes, 3 epochs: seconds, not minutes. Returns the events by name."""
    from wandlab.ml.train import train_events

    labels = gesture_names(4)
    train = _imu_data(labels, 12, [1, 2, 3], seed=1, channels=6)
    val = _imu_data(labels, 4, [4], seed=2, channels=6)
    events = list(train_events(train, val, FeatureConfig(channels=6), epochs=3, seed=0))
    return {"events": events, "by_name": {e["event"]: e for e in events}, "val": val, "train": train}
