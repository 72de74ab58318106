"""Where the shipped base models are: package data (``wandlab.models``), found the same way from a
checkout, an installed wheel or a frozen desktop bundle."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

BASE_NAMES = {3: "gesture_accel", 6: "gesture_accel_gyro"}
SPEECH_NAME = "speech_embedding"


def models_dir() -> Path:
    """The folder holding the shipped models (a real folder: wheels and bundles install unzipped)."""
    return Path(str(resources.files("wandlab.models")))


def base_gesture_model(channels: int) -> Path:
    """The base gesture bundle for a board with ``channels`` IMU axes (3 = accel, 6 = accel + gyro)."""
    return models_dir() / BASE_NAMES[channels]


def speech_model() -> Path:
    return models_dir() / SPEECH_NAME / "model.tflite"
