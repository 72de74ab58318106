"""The shipped base bundles describe what they ship: stretched v2 features and a report of their own recogniser."""

from __future__ import annotations

import pytest

from wandlab.ml.bundle import load_bundle
from wandlab.ml.shipped import BASE_NAMES, models_dir


@pytest.mark.parametrize("channels", [3, 6])
def test_shipped_report_evaluates_the_shipped_recogniser(channels: int) -> None:
    bundle = load_bundle(models_dir() / BASE_NAMES[channels])
    assert bundle.features.window_fit == "stretch" and bundle.features.channels == channels
    evaluation = bundle.report["evaluation"]
    assert evaluation["labels"] == list(bundle.recognizer.labels)  # not the 1,023 training classes
    assert evaluation["accuracy"]["open_set"] == pytest.approx(
        bundle.metrics["virtual_unseen_people_open_set_accuracy"]
    )
    assert evaluation["idle"]["windows"] > 0
