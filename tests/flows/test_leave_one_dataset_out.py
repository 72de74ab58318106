"""Leave one data set out (``wandlab bench lodo``): the fold never trains on the set it tests.

Tiny generated "data sets" in a temporary data root stand in for ../shared/data: the plumbing, not the
numbers (those come from the command on the real sets, see models/GESTURE_MODEL_CARD.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wandlab.cli import main
from wandlab.flows import leave_one_dataset_out as lodo
from wandlab.flows.base_recipe import Recipe
from wandlab.ml.synthetic import Take, gesture_names, virtual_takes, write_folder

TINY = Recipe(virtual_takes_per_class=3, synthetic_classes=12, synthetic_takes=3, rigs=2, rig_takes=1, epochs=1)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    names = gesture_names(8)
    # "cyberry": 4 gestures by 2 people (named by session, as cyberry_wand names its sessions)
    takes = virtual_takes(names[:4], 8, [30, 31], seed=3)
    write_folder(root / "cyberry_wand", [Take(t.data, t.rate_hz, t.label, "") for t in takes])
    _sessions(root / "cyberry_wand", [t.subject for t in takes])
    # "nanguoyu": 4 other gestures by one person, and negatives that are never a class
    takes = virtual_takes(names[4:], 6, [32], seed=4)
    noise = [Take(np.random.default_rng(i).normal(0, 0.05, (80, 6)).astype(np.float32), 100.0, "_negative_", "")
             for i in range(5)]
    write_folder(root / "nanguoyu_wand", [Take(t.data, t.rate_hz, t.label, "") for t in takes] + noise)
    return root


def _sessions(folder: Path, sessions: list[str]) -> None:
    lines = (folder / "manifest.csv").read_text().splitlines()
    rows = [line.split(",") for line in lines[1:]]
    out = [lines[0]] + [",".join(r[:3] + [s] + r[4:]) for r, s in zip(rows, sessions, strict=True)]
    (folder / "manifest.csv").write_text("\n".join(out) + "\n")


def test_each_fold_trains_without_the_set_it_tests(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trained: list[set[str]] = []
    real_train = lodo.train_float_and_int8

    def spy(train: Any, *args: Any, **kwargs: Any) -> tuple[Any, bytes]:
        trained.append({str(v).split(":")[0] for v in train.labels if ":" in str(v)})
        assert sum("@rig" in str(v) for v in train.labels) == 2 * 10  # 2 rigs x 10 gestures, 1 take each
        return real_train(train, *args, **kwargs)

    monkeypatch.setattr(lodo, "train_float_and_int8", spy)
    rows: list[dict[str, Any]] = []
    result = lodo.run_lodo(data_root, channels=6, shots=(1, 2), recipe=TINY, episodes=2, dtw=False,
                           progress=rows.append)
    json.dumps(result)
    assert [(r["held_out"], r["shots"]) for r in result["rows"]] == [
        ("cyberry_wand", 1), ("cyberry_wand", 2), ("nanguoyu_wand", 1), ("nanguoyu_wand", 2)]
    assert rows == result["rows"]
    # The cyberry fold trains on nanguoyu's real takes and not its own, and the other way round.
    assert trained[0] >= {"nanguoyu"} and "cyberry" not in trained[0]
    assert trained[1] >= {"cyberry"} and "nanguoyu" not in trained[1]
    by_set = {r["held_out"]: r for r in result["rows"]}
    assert by_set["cyberry_wand"]["trained_on"] == ["nanguoyu_wand"]
    assert by_set["cyberry_wand"]["holdout"] == "session" and by_set["cyberry_wand"]["groups"] == 2
    # nanguoyu: one group, the negatives are neither trained on as a class nor enrolled
    assert by_set["nanguoyu_wand"]["classes"] == 4 and by_set["nanguoyu_wand"]["groups"] == 1
    for r in result["rows"]:
        assert 0.0 <= r["accuracy"] <= 1.0 and 0.0 <= r["baseline_raw_1nn"] <= 1.0
        assert 0.0 <= r["float_accuracy"] <= 1.0 and 0.0 <= r["float_embedding_accuracy"] <= 1.0
        assert 0.0 <= r["embedding_accuracy"] <= 1.0
        assert r["baseline_dtw_1nn"] is None  # --no-dtw skips the baseline, never the board's own ranking
    assert result["int8"]["held_out_takes"] == 4 * 8 + 4 * 6
    losses = [r["float_accuracy"] - r["accuracy"] for r in result["rows"]]
    assert result["int8"]["float_minus_int8"] == pytest.approx(np.mean(losses))
    assert result["int8"]["worst"] == pytest.approx(max(losses))
    alone = [r["float_embedding_accuracy"] - r["embedding_accuracy"] for r in result["rows"]]
    assert result["int8"]["embedding_float_minus_int8"] == pytest.approx(np.mean(alone))


def test_bench_lodo_names_what_is_wrong(data_root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["bench", "lodo", "--data-root", str(data_root), "--sets", "nanguoyu_wand,fsdd", "--json"]) != 0
    assert "not a gesture set of the recipe: fsdd" in capsys.readouterr().err
    assert main(["bench", "lodo", "--data-root", str(tmp_path), "--json"]) != 0
    assert "no gesture set of the recipe with 3 channels" in capsys.readouterr().err
    assert main(["bench", "lodo", "--data-root", str(data_root), "--shots", "three"]) != 0
    assert "--shots must be comma-separated" in capsys.readouterr().err


def test_a_fold_model_for_open_set_needs_its_own_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``train-base --leave-out`` never overwrites a shipped base model, and names a set it does not know."""
    assert main(["train-base", "--leave-out", "cyberry_wand"]) != 0
    assert "give it its own --out (never the shipped model)" in capsys.readouterr().err
    assert main(["train-base", "--leave-out", "cyberry_wand", "--out", str(tmp_path / "f"), "--negatives-only"]) != 0
    assert "without --negatives-only" in capsys.readouterr().err
    assert main(["train-base", "--leave-out", "fsdd", "--out", str(tmp_path / "f")]) != 0
    assert "--leave-out fsdd: not a gesture set of the recipe" in capsys.readouterr().err
    assert not (tmp_path / "f").exists()
