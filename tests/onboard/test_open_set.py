"""The open-set rule: a class's threshold from its shots' spread, the negatives bank and the other classes;
the margin orders it; the bank and margins travel with the recogniser (bundle and board image)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.onboard.knn import KnnRecognizer, quantize_embedding, sq_distances
from wandlab.onboard.open_set import (
    BANK_SHARE,
    NegativesBank,
    bank_share,
    check_margin,
    class_threshold,
    shot_spread,
)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _around(centre: np.ndarray, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    return quantize_embedding(_unit(centre + spread * rng.normal(size=(n, len(centre)))))


@pytest.fixture
def world() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    centre = _unit(rng.normal(size=32))
    other = _unit(rng.normal(size=32))
    return {
        "shots": _around(centre, 3, 0.12, rng),
        "other": _around(other, 3, 0.12, rng),
        "far_bank": quantize_embedding(_unit(rng.normal(size=(256, 32)) - 3 * centre)),  # nowhere near
        "near": _around(centre, 8, 0.08, rng),  # everyday motion the model embeds close to the class
        "centre": centre,
    }


def _threshold(w: dict[str, np.ndarray], bank: np.ndarray | None, margin: float = 0.5, others: bool = True) -> int:
    shots = w["shots"]
    return class_threshold(
        shots,
        spread=shot_spread(shots),
        count=3,
        typical=3000,
        others=w["other"] if others else None,
        bank=bank,
        margin=margin,
    ).value


def test_a_negatives_bank_near_a_class_tightens_its_threshold(world: dict[str, np.ndarray]) -> None:
    far = world["far_bank"]
    near = np.concatenate([far[:-8], world["near"]])  # same size, 8 entries (3 %) moved next to the class
    loose, tight = _threshold(world, far), _threshold(world, near)
    assert tight < loose
    chosen = class_threshold(
        world["shots"], spread=shot_spread(world["shots"]), count=3, typical=3000, others=world["other"], bank=near
    )
    assert chosen.limited_by == "negatives" and chosen.value == tight
    # At the default margin at most 1 % of the bank lies within the class's threshold.
    within = int((sq_distances(near, world["shots"]).min(axis=1) <= tight).sum())
    assert within == chosen.bank_accepted <= math.floor(BANK_SHARE * len(near)) and within < 8


def test_margin_zero_is_strict_one_is_lenient(world: dict[str, np.ndarray]) -> None:
    bank = np.concatenate([world["far_bank"][:-8], world["near"]])
    for b in (None, world["far_bank"], bank):
        values = [_threshold(world, b, m, others=False) for m in (0.0, 0.25, 0.5, 0.75, 1.0)]
        assert values == sorted(values) and values[0] < values[-1], values
    assert bank_share(0.0) < bank_share(0.5) == BANK_SHARE < bank_share(1.0)


def test_the_nearest_other_class_caps_the_threshold(world: dict[str, np.ndarray]) -> None:
    shots = world["shots"]
    neighbour = quantize_embedding(_unit(world["centre"] + 0.25 * _unit(np.ones(32))))[None]
    chosen = class_threshold(shots, spread=shot_spread(shots), count=3, typical=20000, others=neighbour, margin=1)
    assert chosen.limited_by == "other class"
    assert chosen.value == int(sq_distances(shots, neighbour).min()) < chosen.spread_bound


def test_spread_is_shrunk_towards_the_models_typical_spread(world: dict[str, np.ndarray]) -> None:
    shots = world["shots"]
    one = class_threshold(shots[:1], spread=shot_spread(shots[:1]), count=1, typical=3000)
    assert shot_spread(shots[:1]) is None and one.value == one.spread_bound == 2 * 3000  # nothing but the prior
    precise = class_threshold(shots, spread=100, count=3, typical=3000)
    many = class_threshold(shots, spread=100, count=60, typical=3000)
    assert 2 * 100 < many.value < precise.value < 2 * 3000  # many positives: their own spread counts more


def test_margins_outside_zero_to_one_are_refused() -> None:
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ModelError, match="margin"):
            check_margin(bad)


def test_bank_and_margins_travel_with_the_recogniser_and_old_json_is_unchanged(world: dict[str, np.ndarray]) -> None:
    knn = KnnRecognizer(
        ["a", "b"], np.concatenate([world["shots"], world["other"]]), np.repeat([0, 1], 3), np.array([4000, 5000])
    )
    assert "open_set" not in knn.to_dict()  # no bank, default margins: images made before read the same
    knn.bank = NegativesBank(world["far_bank"], 2500, {"sp_sw_har": 256}, "test", {"sp_sw_har": ["s01/*"]})
    knn.margins = np.array([0.2, 0.9])
    again = KnnRecognizer.from_json(knn.to_json())
    assert again.bank is not None and np.array_equal(again.bank.embeddings, world["far_bank"])
    assert again.bank.typical_spread == 2500 and again.bank.used == {"sp_sw_har": ["s01/*"]}
    assert again.margins is not None and again.margins.tolist() == [0.2, 0.9]
    assert again.typical_spread == 2500 and len(knn.to_json()) < 18_000  # 8 KB of int8 as hex
    # Enrolling a class keeps one margin per class.
    again.enroll("c", world["near"][:3])
    assert again.margins.tolist() == [0.2, 0.9, 0.5]


def test_broken_banks_and_margins_are_refused(world: dict[str, np.ndarray]) -> None:
    good = NegativesBank(world["far_bank"], 2500).to_dict()
    with pytest.raises(ModelError, match="bytes"):
        NegativesBank.from_dict({**good, "count": 300})
    with pytest.raises(ModelError):
        NegativesBank.from_dict({**good, "embeddings": "zz"})
    with pytest.raises(ModelError, match="typical spread"):
        NegativesBank(world["far_bank"], 0)
    knn = KnnRecognizer(
        ["a"], world["shots"], np.zeros(3, np.int64), np.array([4000]), bank=NegativesBank(world["far_bank"], 2500)
    )
    d = knn.to_dict()
    with pytest.raises(ModelError, match="margins"):
        KnnRecognizer.from_dict({**d, "open_set": {"margins": [0.5, 0.5], "bank": None}})
    with pytest.raises(ModelError, match="margin"):
        KnnRecognizer.from_dict({**d, "open_set": {"margins": [7], "bank": None}})
