"""N-way K-shot enrollment benchmark: the board's int8 k-NN against raw and DTW 1-NN baselines.

Protocol (per held-out group g = one session or one subject, "the new user"):
- mode "train": train a model on every other group (g is never seen), convert to int8;
  mode "base": use a pretrained base bundle as is (no training at all);
- each episode enrolls K random takes per class of g (N = all classes of g, or --ways random ones) and
  tests on up to ``max_test`` other takes of g of those classes;
- the model's accuracy is the int8 model's embeddings (LiteRT reference kernels = TFLM, bit-exact) with
  the board's integer k-NN (KnnRecognizer, closed set); baselines see the very same enrollment and
  test takes, on the same feature windows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.ml.baselines import dtw_1nn, raw_1nn
from wandlab.ml.knn import KnnRecognizer
from wandlab.ml.train import ImuData


@dataclass(frozen=True)
class FewShotConfig:
    shots: int = 3
    holdout: str = "session"  # or "subject"
    mode: str = "train"  # or "base"
    episodes: int = 10  # per held-out group
    ways: int = 0  # 0 = every class of the group
    max_test: int = 300
    epochs: int = 40
    seed: int = 0
    dtw: bool = True


def groups_of(data: ImuData, holdout: str) -> np.ndarray:
    if holdout not in ("session", "subject"):
        raise ModelError(f"--holdout must be session or subject, not {holdout!r}")
    return data.sessions if holdout == "session" else data.subjects


def train_int8(train: ImuData, features: Any, epochs: int, seed: int) -> bytes:
    """A model trained on ``train`` only, converted to the int8 flatbuffer the board would get."""
    from wandlab.ml import gesture_model as gm
    from wandlab.ml.export import representative_subset, strip_tflite, to_int8_tflite

    names = sorted(set(train.labels.tolist()))
    y = np.array([names.index(v) for v in train.labels])
    spec = gm.ModelSpec()
    model = gm.build_embedding_model(features, spec)
    for _ in gm.fit(model, train.x, y, len(names), gm.FitConfig(epochs=epochs, seed=seed)):
        pass
    return strip_tflite(
        to_int8_tflite(gm.export_copy(model, features, spec), representative_subset(train.x, seed))
    )


def episodes(
    data: ImuData, cfg: FewShotConfig, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(enroll indices, test indices) into ``data`` for each episode."""
    classes = [c for c in np.unique(data.labels) if (data.labels == c).sum() > cfg.shots]
    if len(classes) < 2:
        raise ModelError(f"need >= 2 classes with more than {cfg.shots} takes in each held-out group")
    for _ in range(cfg.episodes):
        chosen = (
            classes if not cfg.ways else list(rng.choice(classes, min(cfg.ways, len(classes)), replace=False))
        )
        enroll, test = [], []
        for c in chosen:
            idx = rng.permutation(np.flatnonzero(data.labels == c))
            enroll += idx[: cfg.shots].tolist()
            test += idx[cfg.shots :].tolist()
        test_arr = np.asarray(test)
        if len(test_arr) > cfg.max_test:
            test_arr = rng.choice(test_arr, cfg.max_test, replace=False)
        yield np.asarray(enroll), test_arr


def run_fewshot(
    data: ImuData, features: Any, cfg: FewShotConfig, base_tflite: bytes | None = None, progress: Any = None
) -> dict[str, Any]:
    """Run the benchmark; returns the JSON-able result (means over all episodes of all groups)."""
    from wandlab.ml.verify import int8_embeddings

    t0 = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    groups = groups_of(data, cfg.holdout)
    names = sorted(set(groups.tolist()))
    if cfg.mode == "train" and len(names) < 2:
        raise ModelError(f"--mode train needs >= 2 {cfg.holdout}s in the data, found {len(names)}")
    if cfg.mode == "base" and base_tflite is None:
        raise ModelError("--mode base needs a base model bundle")
    if cfg.mode not in ("train", "base"):
        raise ModelError(f"--mode must be base or train, not {cfg.mode!r}")
    scores: dict[str, list[float]] = {"accuracy": [], "baseline_raw_1nn": [], "baseline_dtw_1nn": []}
    per_group: dict[str, Any] = {}
    for g in names:
        held = groups == g
        blob = (
            base_tflite
            if cfg.mode == "base"
            else train_int8(data.subset(~held), features, cfg.epochs, cfg.seed)
        )
        assert blob is not None
        sub = data.subset(held)
        emb = int8_embeddings(blob, sub.x)
        mine: dict[str, list[float]] = {k: [] for k in scores}
        for enroll, test in episodes(sub, cfg, rng):
            knn = KnnRecognizer.fit(emb[enroll], sub.labels[enroll], max_refs_per_class=cfg.shots)
            truth = sub.labels[test]
            mine["accuracy"].append(float(np.mean(np.array(knn.predict(emb[test], open_set=False)) == truth)))
            mine["baseline_raw_1nn"].append(
                float(np.mean(raw_1nn(sub.x[enroll], sub.labels[enroll], sub.x[test]) == truth))
            )
            if cfg.dtw:
                mine["baseline_dtw_1nn"].append(
                    float(np.mean(dtw_1nn(sub.x[enroll], sub.labels[enroll], sub.x[test]) == truth))
                )
        per_group[g or "(all)"] = {k: float(np.mean(v)) for k, v in mine.items() if v} | {
            "takes": int(held.sum()),
            "classes": int(len(np.unique(sub.labels))),
        }
        for k in scores:
            scores[k] += mine[k]
        if progress:
            progress({"group": g, **per_group[g or "(all)"]})
    result: dict[str, Any] = {k: (float(np.mean(v)) if v else None) for k, v in scores.items()}
    result.update(
        {
            "episodes": len(scores["accuracy"]),
            "seconds": time.perf_counter() - t0,
            "shots": cfg.shots,
            "holdout": cfg.holdout,
            "mode": cfg.mode,
            "ways": cfg.ways or "all",
            "per_group": per_group,
        }
    )
    return result
