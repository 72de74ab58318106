"""k-NN recogniser: integer arithmetic, open set ("none"), enrollment, JSON round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.onboard.knn import KnnRecognizer, quantize_embedding, sq_distances


def _unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    v = rng.normal(size=(n, d))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _clusters(rng: np.random.Generator, centres: np.ndarray, per: int, spread: float = 0.15) -> np.ndarray:
    pts = np.repeat(centres, per, axis=0) + spread * rng.normal(size=(len(centres) * per, centres.shape[1]))
    return quantize_embedding(pts / np.linalg.norm(pts, axis=1, keepdims=True))


def test_distances_are_exact_integers() -> None:
    a = np.array([[127, -128, 0]], np.int8)
    b = np.array([[-128, 127, 5], [127, -128, 0]], np.int8)
    assert sq_distances(a, b).tolist() == [[255 * 255 * 2 + 25, 0]]


def test_recognises_and_says_none_for_far_inputs() -> None:
    rng = np.random.default_rng(0)
    centres = _unit(rng, 4)
    labels = np.repeat(["circle", "flick", "wave", "zigzag"], 20)
    knn = KnnRecognizer.fit(_clusters(rng, centres, 20), labels, max_refs_per_class=5)
    assert len(knn.references) == 20
    knn.calibrate(
        _clusters(rng, centres, 10), np.repeat(knn.labels, 10), none_emb=quantize_embedding(_unit(rng, 40))
    )
    test = _clusters(rng, centres, 10)
    pred = knn.predict(test)
    assert np.mean(np.array(pred, dtype=object) == np.repeat(knn.labels, 10)) >= 0.85
    far = quantize_embedding(-centres)  # antipodal: as unlike every class as possible
    assert knn.predict(far) == [None] * 4
    assert knn.predict(far, open_set=False) != [None] * 4


def test_enroll_new_class_from_few_shots_and_json_round_trip() -> None:
    rng = np.random.default_rng(1)
    centres = _unit(rng, 3)
    knn = KnnRecognizer.fit(_clusters(rng, centres[:2], 10), np.repeat(["a", "b"], 10))
    knn.enroll("c", _clusters(rng, centres[2:], 3))
    assert knn.labels == ["a", "b", "c"]
    assert knn.predict(_clusters(rng, centres[2:], 5), open_set=False) == ["c"] * 5
    again = KnnRecognizer.from_json(knn.to_json())
    q = _clusters(rng, centres, 4)
    assert again.predict(q) == knn.predict(q)
    assert np.array_equal(again.class_distances(q), knn.class_distances(q))


def test_bad_json_is_refused() -> None:
    with pytest.raises(ModelError):
        KnnRecognizer.from_json(
            '{"version": 1, "metric": "sq_l2_int8", "k": 1, "labels": ["a"],'
            ' "references": [[300]], "ref_class": [0], "thresholds": [1],'
            ' "default_threshold": 1}'
        )
    with pytest.raises(ModelError):
        KnnRecognizer.from_json('{"version": 1}')


def test_empty_recogniser_round_trips_and_enrolls() -> None:
    empty = KnnRecognizer([], np.zeros((0, 32), np.int8), np.zeros(0, np.int64), np.zeros(0, np.int64))
    again = KnnRecognizer.from_json(empty.to_json())
    again.enroll("wave", np.full((3, 32), 20, np.int8))
    assert again.predict(np.full((1, 32), 21, np.int8)) == ["wave"]
    assert again.predict(np.full((1, 32), -60, np.int8)) == [None]  # uncalibrated default threshold


def _with_bank(margin: float) -> KnnRecognizer:
    """One class at +x, a bank entry of everyday motion at -x, on a line where distances are easy to read."""
    from wandlab.onboard.open_set import NegativesBank

    ref = np.zeros((1, 4), np.int8)
    ref[0, 0] = 100
    bank = NegativesBank(-ref, 900, {"test": 1}, "made up")
    knn = KnnRecognizer(["circle"], ref, np.array([0]), np.array([10**6], np.int64), margins=np.array([margin]),
                        bank=bank)
    return knn


def test_a_take_nearer_the_negatives_bank_than_the_class_is_none_whatever_the_threshold() -> None:
    knn = _with_bank(0.5)
    # On the line from the class (x = 100) to the bank entry (x = -100): class distance (100 - x)^2, bank
    # distance (100 + x)^2. At the default margin the bank vetoes once it is as near as the class (1 x).
    takes = np.array([[x, 0, 0, 0] for x in (60, 20, 1, 0, -1, -40)], np.int8)
    assert knn.predict(takes) == ["circle", "circle", "circle", None, None, None]  # halfway: a tie vetoes
    assert knn.predict(takes, open_set=False) == ["circle"] * 6  # the veto is part of the open set only
    knn.bank_veto = False  # what bench open-set --no-bank-veto measures
    assert knn.predict(takes) == ["circle"] * 6


def test_the_class_margin_loosens_the_bank_veto_with_the_threshold() -> None:
    take = np.array([[5, 0, 0, 0]], np.int8)  # class distance 95^2 = 9025, bank 105^2 = 11025: 1.22 x
    assert [_with_bank(m).predict(take)[0] for m in (0.0, 0.25, 0.3, 0.5, 1.0)] == [
        None, None, "circle", "circle", "circle"]  # vetoed while 1.5 - margin >= 1.22


def test_without_a_bank_nothing_is_vetoed() -> None:
    knn = _with_bank(0.5)
    knn.bank = None
    assert knn.predict(np.array([[-100, 0, 0, 0]], np.int8)) == ["circle"]
