"""The host side of the open set: everyday motion read as continuous streams, the bank's windows chosen by
shares and stored as int8, training's margins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.ml.open_set import choose, counts, pack_windows, read_streams, unpack_windows
from wandlab.ml.synthetic import Take, write_folder
from wandlab.onboard.imu_features import FeatureConfig


def _take(label: str, subject: str, value: float, n: int = 50, rate: float = 100.0) -> Take:
    return Take(np.full((n, 6), value, np.float32), rate, label, subject)


def test_streams_join_the_takes_of_one_recording_in_order_and_keep_only_negatives_beside_gestures(
    tmp_path: Path,
) -> None:
    folder = write_folder(
        tmp_path / "mixed",
        [
            _take("_negative_", "a", 1),
            _take("wing", "a", 9),
            _take("_negative_", "a", 2),
            _take("_negative_", "b", 3, 25),
        ],
    )
    streams = {s.name: s for s in read_streams(folder, 3)}
    assert set(streams) == {"a/", "b/"}  # subject/session; the gesture take is left out
    assert streams["a/"].data[:, 0].tolist() == [1.0] * 50 + [2.0] * 50 and streams["a/"].data.shape[1] == 3
    halved = read_streams(folder, 3, rate_hz=50.0, keep=lambda name: name == "b/")
    assert [s.name for s in halved] == ["b/"] and halved[0].rate_hz == 50.0 and len(halved[0].data) in (12, 13)
    with pytest.raises(ModelError, match="fewer than 6 IMU columns"):
        narrow = [Take(np.zeros((20, 3), np.float32), 100.0, "walk", "c")]
        read_streams(write_folder(tmp_path / "narrow", narrow), 6)


def test_the_bank_is_chosen_by_shares_and_stored_as_int8_windows() -> None:
    sources = ["real"] * 500 + ["strokes"] * 40 + ["rest"] * 300
    picked = choose(sources, {"real": 0.5, "strokes": 0.3, "rest": 0.2, "absent": 0.5}, 256, seed=1)
    got = counts(sources[i] for i in picked)
    assert len(picked) == 256 == len(set(picked.tolist()))
    assert got["strokes"] == 40 and got["real"] > 128 and got["rest"] > 51  # a short source gives the rest away
    features = FeatureConfig(channels=3)
    x = np.random.default_rng(0).uniform(-1, 1, (10, *features.shape)).astype(np.float32)
    back, names = unpack_windows(pack_windows(x, ["s"] * 10), features)
    assert names == ["s"] * 10 and np.abs(back - x).max() <= 0.5 / 127 + 1e-7
    with pytest.raises(ModelError, match="takes"):
        unpack_windows(pack_windows(x, ["s"] * 10), FeatureConfig(channels=6))


def test_training_margins_per_label_with_a_default_for_the_rest() -> None:
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.open_set import calibrate_open_set
    from wandlab.ml.shipped import base_gesture_model
    from wandlab.ml.synthetic import virtual_takes
    from wandlab.ml.verify import int8_embeddings
    from wandlab.onboard.imu_features import batch_features
    from wandlab.onboard.knn import KnnRecognizer

    base = load_bundle(base_gesture_model(3))
    assert base.negatives is not None
    takes = virtual_takes(["circle", "z", "tap"], 12, [1, 2, 3], seed=2)
    emb = int8_embeddings(base.tflite, batch_features([(t.data, t.rate_hz) for t in takes], base.features))
    labels, people = np.array([t.label for t in takes]), np.array([t.subject for t in takes])
    x, sources = unpack_windows(base.negatives, base.features)

    def calibrated(margins: dict[str, float] | None) -> KnnRecognizer:
        knn = KnnRecognizer.fit(emb, labels, 5)
        calibrate_open_set(knn, base.tflite, emb, labels, people, x, sources, margins)
        return knn

    plain, tuned = calibrated(None), calibrated({"*": 0.2, "circle": 0.9})
    assert plain.margins is not None and plain.margins.tolist() == [0.5, 0.5, 0.5]  # labels sorted
    assert tuned.margins is not None and tuned.margins.tolist() == [0.9, 0.2, 0.2]
    assert tuned.thresholds[0] >= plain.thresholds[0] and (tuned.thresholds[1:] <= plain.thresholds[1:]).all()
    assert tuned.thresholds.tolist() != plain.thresholds.tolist()


def test_train_margins_on_the_command_line_are_checked_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from wandlab.cli import main

    data = write_folder(tmp_path / "d", [_take("a", "p", 0.1), _take("b", "p", 0.2)])
    out = str(tmp_path / "m.zip")
    assert main(["train", "--data", str(data), "--out", out, "--class-margin", "circle"]) == 1
    assert "write LABEL=M" in capsys.readouterr().err
    assert main(["train", "--data", str(data), "--out", out, "--margin", "2"]) == 1
    assert "margin 2.0 is outside 0 (strict) .. 1 (lenient)" in capsys.readouterr().err


def test_train_and_flash_takes_the_margins_to_the_training() -> None:
    from wandlab.cli import build_parser
    from wandlab.commands.train_flash import _options

    args = build_parser().parse_args(
        ["train-and-flash", "--port", "virtual:", "--margin", "0.2", "--class-margin", "circle=0.9"]
    )
    assert _options(args).margins == {"*": 0.2, "circle": 0.9}
