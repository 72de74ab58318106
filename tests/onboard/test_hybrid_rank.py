"""Embedding + DTW ranking: integer shape codes, exact DTW costs, and the decision a board would make."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.onboard.hybrid_rank import (
    DTW_WEIGHT,
    SHAPE_SCALE,
    dtw_costs,
    fused_class_distances,
    fused_distances,
    hybrid_predict,
    shape_codes,
)
from wandlab.onboard.knn import KnnRecognizer, per_class


def class_of(fused: np.ndarray, ref_class: np.ndarray, classes: int, k: int = 1) -> np.ndarray:
    """The class a query goes to, as ``verdict`` picks it from fused class distances."""
    return np.argmin(per_class(fused, ref_class, classes, k), axis=1)


def _int_dtw(a: np.ndarray, b: np.ndarray) -> int:
    """The textbook recursion in Python integers."""
    inf = 1 << 62
    d = [[inf] * (len(b) + 1) for _ in range(len(a) + 1)]
    d[0][0] = 0
    for i in range(len(a)):
        for j in range(len(b)):
            cost = sum((int(x) - int(y)) ** 2 for x, y in zip(a[i], b[j], strict=True))
            d[i + 1][j + 1] = cost + min(d[i][j], d[i][j + 1], d[i + 1][j])
    return d[-1][-1]


def test_shape_codes_are_the_z_normalised_window_every_second_point_in_int8() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 64, 3)).astype(np.float32) * 7 + 3
    x[0, 10, 1] = 1e4  # one spike: the most a channel can stray after z-normalisation
    codes = shape_codes(x)
    assert codes.shape == (4, 32, 3) and codes.dtype == np.int8
    z = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    np.testing.assert_allclose(codes, np.round(z[:, ::2] * SHAPE_SCALE), atol=1)
    assert codes[0, 5, 1] == 127  # the spike: sqrt(63) standard deviations, on the edge but not clipped
    assert not shape_codes(np.ones((1, 64, 3))).any()  # a flat channel is all zeros


def test_dtw_costs_are_exact_integers() -> None:
    rng = np.random.default_rng(2)
    a = rng.choice([-127, 127], size=(2, 32, 6)).astype(np.int8)
    b = rng.integers(-127, 128, size=(3, 32, 6)).astype(np.int8)
    d = dtw_costs(a, b)
    assert d.dtype == np.int64
    for i in range(2):
        for j in range(3):
            assert d[i, j] == _int_dtw(a[i], b[j])
    # The largest cost there is: opposite extremes all along the diagonal (fits int32 on a board).
    top = dtw_costs(np.full((1, 32, 6), 127, np.int8), np.full((1, 32, 6), -127, np.int8))
    assert top[0, 0] == 32 * 6 * 254 ** 2 < 2 ** 31


def test_fused_distance_puts_one_dtw_step_on_the_embedding_scale() -> None:
    e, d = np.array([[1000, 0]]), np.array([[256 * 3, 7]])
    assert fused_distances(e, d, 3).tolist() == [[1000 + DTW_WEIGHT, 7 * DTW_WEIGHT // 768]]
    assert fused_distances(e, d, 6).tolist() == [[1000 + DTW_WEIGHT // 2, 7 * DTW_WEIGHT // 1536]]


def test_the_class_is_the_k_smallest_mean_and_ties_go_low() -> None:
    fused = np.array([[5, 9, 5, 1, 100]])
    ref_class = np.array([0, 0, 1, 1, 1])
    assert class_of(fused, ref_class, 3, k=1).tolist() == [1]
    assert class_of(fused, ref_class, 3, k=2).tolist() == [1]  # (1 + 5) // 2 = 3 < (5 + 9) // 2
    assert class_of(np.array([[4, 4]]), np.array([0, 1]), 2).tolist() == [0]
    assert class_of(np.array([[4]]), np.array([1]), 2).tolist() == [1]  # class 0 has no references


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, np.float64)
    return np.round(a / np.linalg.norm(a) * 127).astype(np.int8)


def test_the_shape_overrules_a_slightly_nearer_embedding_but_not_the_threshold() -> None:
    t = np.linspace(0, 1, 64)
    circle = np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t), t], axis=1)
    line = np.stack([t, t ** 2, -t], axis=1)
    windows = np.stack([circle, line])
    knn = KnnRecognizer(["circle", "line"], np.stack([_unit([1, 0.1, 0]), _unit([1, 0, 0.1])]),
                        np.array([0, 1]), np.array([20_000, 20_000], np.int64))
    query_emb = _unit([1, 0.02, 0.05])[None]  # a hair nearer "line" in the embedding
    query = shape_codes(circle[None] * 1.3 + 0.2)  # but a circle, bigger and offset
    assert knn.predict(query_emb, open_set=False) == ["line"]
    assert hybrid_predict(knn, shape_codes(windows), query_emb, query) == ["circle"]
    knn.thresholds[:] = 10  # the embedding still rejects
    assert hybrid_predict(knn, shape_codes(windows), query_emb, query) == [None]
    assert hybrid_predict(knn, shape_codes(windows), query_emb, query, open_set=False) == ["circle"]
    # The fused class distances behind the choice: embedding distance + scaled DTW cost, per class.
    fused = fused_class_distances(knn, shape_codes(windows), query_emb, query)
    emb_d = knn.class_distances(query_emb)
    dtw = dtw_costs(query, shape_codes(windows))
    assert fused.tolist() == (emb_d + dtw * DTW_WEIGHT // (SHAPE_SCALE ** 2 * 3)).tolist()
    assert fused[0, 0] < fused[0, 1] and emb_d[0, 0] > emb_d[0, 1]
    with pytest.raises(ValueError, match="1 shape codes for 2 references"):
        hybrid_predict(knn, shape_codes(windows[:1]), query_emb, query)


def test_a_recognisers_references_keep_their_takes_shape_codes() -> None:
    rng = np.random.default_rng(3)
    emb = rng.integers(-100, 100, (12, 8)).astype(np.int8)
    labels = np.array(["a", "b", "c"] * 4)
    codes = shape_codes(rng.normal(size=(12, 64, 3)).cumsum(axis=1))
    knn = KnnRecognizer.fit(emb, labels, max_refs_per_class=2, shapes=codes)
    assert knn.shapes is not None and knn.shapes.shape == (6, 32, 3)
    for ref, shape in zip(knn.references, knn.shapes, strict=True):  # each reference with its own take's codes
        row = int(np.flatnonzero((emb == ref).all(axis=1))[0])
        assert np.array_equal(codes[row], shape)
    again = KnnRecognizer.from_json(knn.to_json())
    assert again.shapes is not None and np.array_equal(again.shapes, knn.shapes)
    again.enroll("d", emb[:2], codes[:2])
    assert again.shapes is not None and len(again.shapes) == 8
    again.enroll("e", emb[:1])  # a class without codes: the recogniser ranks by embedding alone
    assert again.shapes is None and "shapes" not in again.to_dict()
    assert KnnRecognizer.fit(emb, labels).shapes is None


@pytest.mark.parametrize("shapes, problem", [
    ([], "must be an object"),
    ({"frames": 0, "channels": 3, "hex": ""}, "1-32 frames"),
    ({"frames": 2.0, "channels": 3, "hex": "00" * 36}, "1-32 frames"),
    ({"frames": 2, "channels": 7, "hex": "00" * 84}, "1-6 channels"),
    ({"frames": 2, "channels": 3, "hex": "00" * 35}, "6 x 2 x 3 bytes in hex"),
    ({"frames": 2, "channels": 3, "hex": "zz" * 36}, "not hex"),
])
def test_shape_codes_that_do_not_fit_the_references_are_refused(shapes, problem) -> None:
    from wandlab.errors import ModelError

    knn = KnnRecognizer.fit(np.eye(6, 8, dtype=np.int8) * 100, np.array(list("aabbcc")))
    doc = {**knn.to_dict(), "shapes": shapes}
    with pytest.raises(ModelError, match=problem):
        KnnRecognizer.from_dict(doc)


def test_board_predict_ranks_by_shape_only_when_the_query_and_every_reference_have_codes() -> None:
    from wandlab.onboard.hybrid_rank import board_predict

    t = np.linspace(0, 1, 64)
    circle = np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t), t], axis=1)
    line = np.stack([t, t ** 2, -t], axis=1)
    knn = KnnRecognizer(["circle", "line"], np.stack([_unit([1, 0.1, 0]), _unit([1, 0, 0.1])]),
                        np.array([0, 1]), np.array([20_000, 20_000], np.int64),
                        shapes=shape_codes(np.stack([circle, line])))
    query_emb = _unit([1, 0.02, 0.05])[None]
    query = shape_codes(circle[None] * 1.3 + 0.2)
    assert board_predict(knn, query_emb, query) == ["circle"]
    assert board_predict(knn, query_emb, None) == ["line"]  # no query codes
    assert board_predict(knn, query_emb, query[:, :16]) == ["line"]  # codes of another size
    knn.enroll("other", _unit([0, 0, 1])[None])  # a class without codes
    assert board_predict(knn, query_emb, query) == ["line"]
