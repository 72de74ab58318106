"""Few-shot benchmark plumbing and the baselines (tiny data; the real numbers come from the CLI)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.ml.baselines import dtw_distances, raw_1nn, znorm
from wandlab.ml.fewshot import FewShotConfig, run_fewshot
from wandlab.onboard.imu_features import FeatureConfig


def _naive_dtw(x: np.ndarray, y: np.ndarray) -> float:
    d = np.full((len(x) + 1, len(y) + 1), np.inf)
    d[0, 0] = 0
    for i in range(len(x)):
        for j in range(len(y)):
            d[i + 1, j + 1] = ((x[i] - y[j]) ** 2).sum() + min(d[i, j], d[i, j + 1], d[i + 1, j])
    return float(d[-1, -1])


def test_vectorised_dtw_matches_the_textbook_recursion() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 12, 2)).astype(np.float32), rng.normal(size=(2, 9, 2)).astype(np.float32)
    d = dtw_distances(a, b, chunk=4)
    for i in range(3):
        for j in range(2):
            assert d[i, j] == pytest.approx(_naive_dtw(a[i], b[j]), rel=1e-5)
    # A time-shifted copy is near for DTW, far for Euclidean.
    s = np.sin(np.linspace(0, 6, 40))[None, :, None].astype(np.float32)
    shifted = np.roll(s, 3, axis=1)
    assert dtw_distances(s, shifted)[0, 0] < ((znorm(s) - znorm(shifted)) ** 2).sum()


def test_raw_1nn_picks_the_nearest() -> None:
    train = np.stack([np.sin(np.linspace(0, k, 16))[:, None] for k in (3, 9)]).astype(np.float32)
    assert raw_1nn(train, np.array(["slow", "fast"]), train[::-1]).tolist() == ["fast", "slow"]


def test_fewshot_base_mode_on_held_out_people(tiny_training: dict[str, Any]) -> None:
    bundle = tiny_training["by_name"]["done"]["bundle"]
    data = tiny_training["train"]
    cfg = FewShotConfig(shots=2, holdout="subject", mode="base", episodes=2, max_test=20, dtw=True)
    result = run_fewshot(data, FeatureConfig(channels=6), cfg, base_tflite=bundle.tflite)
    json.dumps(result)
    assert result["episodes"] == 2 * 3  # three simulated people, two episodes each
    for key in ("accuracy", "embedding_accuracy", "baseline_raw_1nn", "baseline_dtw_1nn"):
        assert 0.0 <= result[key] <= 1.0
    assert result["ranking"] == "embedding + DTW"  # 64-point windows: a board codes them
    assert result["accuracy"] > 0.5  # 4-way: chance is 0.25
    assert result["embedding_accuracy"] > 0.5  # the embedding alone: not chance either
    with pytest.raises(ModelError, match="needs a base model"):
        run_fewshot(data, FeatureConfig(channels=6), FewShotConfig(mode="base"))


def test_fewshot_never_enrolls_negatives_and_skips_groups_without_two_classes(tiny_training: dict[str, Any]) -> None:
    """magic_wand_tf's negative logs name no person: as a held-out "subject" they would hold one class."""
    from wandlab.ml.train import ImuData, concat

    bundle = tiny_training["by_name"]["done"]["bundle"]
    data = tiny_training["train"]
    n = 8
    negatives = ImuData(data.x[:n], np.array(["_negative_"] * n), np.array([""] * n), np.array(["log_1"] * n))
    # The same person also recorded negatives: never a class to enroll or test.
    theirs = ImuData(data.x[:n], np.array(["_negative_"] * n), data.subjects[:n], data.sessions[:n])
    one = data.labels[0]
    lonely = ImuData(data.x[:n], np.array([one] * n), np.array(["lonely"] * n), np.array(["s"] * n))
    cfg = FewShotConfig(shots=2, holdout="subject", mode="base", episodes=2, max_test=20, dtw=False)
    result = run_fewshot(concat([data, negatives, theirs, lonely]), FeatureConfig(channels=6), cfg,
                         base_tflite=bundle.tflite)
    assert result["skipped_groups"] == ["lonely"]
    assert result["baseline_dtw_1nn"] is None and 0.0 <= result["accuracy"] <= 1.0  # the board still ranks
    assert result["episodes"] == 2 * 3
    assert all(g["classes"] == 4 for g in result["per_group"].values())
    with pytest.raises(ModelError, match="need >= 2 classes"):
        run_fewshot(concat([negatives, lonely]), FeatureConfig(channels=6), cfg, base_tflite=bundle.tflite)


def test_accuracy_is_what_a_board_answers_not_the_embedding_alone() -> None:
    """An A take whose embedding lies nearer B's: the embedding alone says B, the board's embedding + DTW
    ranking (the takes' shape codes) says A - and ``accuracy`` counts the board's answer."""
    from wandlab.ml.fewshot import _scores
    from wandlab.onboard.hybrid_rank import take_codes

    t = np.linspace(0, 2 * np.pi, 64)
    sine = np.stack([np.sin(t), np.cos(t), np.sin(2 * t)], axis=1)
    square = np.sign(sine) + 0.01 * t[:, None]
    x = np.stack([sine, square, sine * 1.1]).astype(np.float32)
    labels = np.array(["A", "B", "A"])
    emb = np.zeros((3, 16), np.int8)
    emb[0, 0], emb[1, 1] = 40, 40
    emb[2, 0], emb[2, 1] = 18, 22  # nearer B's reference than A's
    board, alone = _scores(emb, take_codes(x), labels, np.array([0, 1]), np.array([2]), shots=1)
    assert (board, alone) == (1.0, 0.0)
    board, alone = _scores(emb, None, labels, np.array([0, 1]), np.array([2]), shots=1)  # no codes: no DTW
    assert (board, alone) == (0.0, 0.0)


def test_the_board_figure_is_accuracy_and_the_embedding_alone_is_embedding_accuracy(
        tiny_training: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import wandlab.ml.fewshot as fewshot

    monkeypatch.setattr(fewshot, "_scores", lambda *a: (1.0, 0.0))  # (board, embedding alone)
    cfg = FewShotConfig(shots=2, holdout="subject", mode="base", episodes=1, max_test=10, dtw=False)
    result = run_fewshot(tiny_training["train"], FeatureConfig(channels=6), cfg,
                         base_tflite=tiny_training["by_name"]["done"]["bundle"].tflite)
    assert (result["accuracy"], result["embedding_accuracy"]) == (1.0, 0.0)
