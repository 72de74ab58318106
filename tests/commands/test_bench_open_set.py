"""``wandlab bench open-set`` end to end: generated virtual-wand takes and everyday motion (always), the
team's dev data (when ../shared/data is there); bad input is a sentence and exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wandlab.cli import main
from wandlab.ml.synthetic import Take, gesture_names, virtual_takes, write_folder
from wandlab.onboard.trim import auto_trim_imu
from wandlab.synth.everyday import everyday_motion

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("open-set")
    takes = []
    for t in virtual_takes(gesture_names(6), 10, [21, 22], seed=3):
        start, end = auto_trim_imu(t.data, t.rate_hz)
        takes.append(Take(t.data[start:end], t.rate_hz, t.label, t.subject))
    gestures = write_folder(root / "gestures", takes)
    # Everyday motion under the name of a data set the shipped bank was cut from: s01 must be left out.
    motion = [
        Take(everyday_motion(60, 100.0, p, seed=p).astype(np.float32), 100.0, "everyday", s)
        for p, s in ((23, "s01"), (24, "s15"))
    ]
    return gestures, write_folder(root / "sp_sw_har", motion)


def test_json_result_on_generated_data(folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gestures, motion = folders
    assert (
        main(
            [
                "bench",
                "open-set",
                str(gestures),
                "--negatives",
                str(motion),
                "--episodes",
                "2",
                "--unknown-classes",
                "2",
                "--json",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    r = json.loads(out.out)
    assert "episode 2/2" in out.err  # progress goes to stderr, the result alone to stdout
    assert r["episodes"] == 2 and r["channels"] == 6 and r["shots"] == 3 and r["seconds"] > 0
    for key in ("recall", "unknown_accept_rate", "baseline_dtw_unknown_accept_rate", "bank_accept_rate"):
        assert 0.0 <= r[key] <= 1.0, key
    assert r["false_triggers_per_hour"] >= 0 and r["baseline_dtw_false_triggers_per_hour"] >= 0
    assert r["recall"] >= 0.8  # unseen people, but the gestures the base model knows
    assert r["baseline_dtw_recall"] <= r["recall"]  # DTW's threshold is set to the model's recall, not above
    # The board ranks by embedding + DTW; ranked by the embedding alone, the same thresholds: a take
    # accepted is right or wrong, never both.
    assert r["ranking"] == "embedding + DTW"
    assert r["embedding_recall"] >= 0.8 and r["embedding_recall"] + r["embedding_wrong_class_rate"] <= 1.0
    assert 0.0 <= r["embedding_unknown_accept_rate"] <= 1.0 and r["embedding_false_triggers_per_hour"] >= 0
    assert r["recall"] + r["wrong_class_rate"] <= 1.0
    # The fused distance as the rejection score, its threshold set to the model's recall as DTW's is.
    assert r["fused_recall"] <= r["recall"] and 0.0 <= r["fused_unknown_accept_rate"] <= 1.0
    assert r["fused_false_triggers_per_hour"] >= 0 and 0.0 <= r["fused_closed_set_accuracy"] <= 1.0
    # Two subjects x 6 gestures; each episode holds 2 gestures out of one person's takes.
    assert set(r["groups"]) == {"virtual-21", "virtual-22"} and r["unknown_test_takes"] == 2 * 2 * 5
    # s01 fed the shipped negatives bank: a benchmark must not test on what calibrated it.
    assert r["negatives_excluded_streams"] == {str(motion): 1}
    assert r["negatives_hours"] == pytest.approx(60 / 3600, abs=1e-3)


def test_table_without_json(folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gestures, motion = folders
    assert (
        main(
            [
                "bench",
                "open-set",
                str(gestures),
                "--negatives",
                str(motion),
                "--episodes",
                "1",
                "--channels",
                "3",
                "--no-dtw",
                "--margin",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "open set: gestures, 3-shot" in out and "unknown_accept_rate" in out and "dtw" not in out


@pytest.mark.parametrize(
    "args, says",
    [
        (["--episodes", "0"], "--episodes must be at least 1"),
        (["--margin", "1.5"], "--margin must be between 0"),
        (["--shots", "9"], "no session/person has 2 enrollable classes"),
    ],
)
def test_bad_input_is_a_sentence_and_exit_2(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    gestures, motion = folders
    assert main(["bench", "open-set", str(gestures), "--negatives", str(motion), *args]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_a_folder_that_is_not_a_dataset_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "open-set", str(tmp_path), "--negatives", str(tmp_path)]) == 2
    assert f"{tmp_path} is not a labeled folder" in capsys.readouterr().err


@pytest.mark.skipif(
    not (SHARED / "cyberry_wand" / "manifest.csv").exists() or not (SHARED / "sp_sw_har" / "manifest.csv").exists(),
    reason=f"needs cyberry_wand and sp_sw_har in {SHARED} (the team's dev data)",
)
def test_real_gestures_and_everyday_motion(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "bench",
                "open-set",
                str(SHARED / "cyberry_wand"),
                "--negatives",
                str(SHARED / "sp_sw_har"),
                "--episodes",
                "5",
                "--json",
            ]
        )
        == 0
    )
    r = json.loads(capsys.readouterr().out)
    print(f"\ncyberry / sp_sw_har, 5 episodes: {r}")
    # Measured with 10 episodes: recall 0.86, unknown 0.056, 0 false triggers per hour (1.4 decisions/h).
    assert r["recall"] >= 0.75 and r["unknown_accept_rate"] <= 0.15 and r["false_triggers_per_hour"] <= 1
    assert r["negatives_excluded_streams"] == {str(SHARED / "sp_sw_har"): 210}  # the bank's people s01-s11
    assert r["negatives_decided_segments_per_hour"] < 5 < 500 < r["negatives_segments_per_hour"]


def test_virtual_takes_writes_everyday_motion_for_the_benchmark(tmp_path: Path) -> None:
    from wandlab.dataset.folder import iter_folder

    assert main(["virtual-takes", str(tmp_path / "everyday"), "--everyday", "3", "--people", "21,22"]) == 0
    recs = list(iter_folder(tmp_path / "everyday"))
    assert [(r.label, r.subject, r.data.shape) for r in recs] == [
        ("everyday", f"virtual-{p}", (300, 6)) for p in (21, 22)
    ]
    assert main(["virtual-takes", str(tmp_path / "long"), "--everyday", "900"]) == 1


def test_the_figures_are_what_a_board_decides() -> None:
    """An enrolled A take whose embedding lies nearer B: the board (embedding + DTW on shape codes) accepts
    it as A; ranked by the embedding alone it would be B - the benchmark's ``recall`` is the board's."""
    from wandlab.ml.open_set import _embedding_rows, _Fused, _hybrid_rows
    from wandlab.onboard.hybrid_rank import shape_codes
    from wandlab.onboard.knn import KnnRecognizer

    t = np.linspace(0, 2 * np.pi, 64)
    sine = np.stack([np.sin(t), np.cos(t), np.sin(2 * t)], axis=1)
    codes = shape_codes(np.stack([sine, np.sign(sine) + 0.01 * t[:, None], sine * 1.1]))
    emb = np.zeros((3, 16), np.int8)
    emb[0, 0], emb[1, 1] = 40, 40
    emb[2, 0], emb[2, 1] = 18, 22  # nearer B's reference than A's
    knn = KnnRecognizer(["A", "B"], emb[:2], np.array([0, 1]), np.full(2, 10_000, np.int64), 1)
    none = np.zeros((0, 16), np.int8)
    no_negatives = (none, np.zeros((0, 32, 3), np.int8), np.zeros(0, bool))
    board = _hybrid_rows(knn, codes[:2], (emb[2:], codes[2:], np.array([0])), (none, codes[:0]), no_negatives,
                         1.0, _Fused())
    alone = _embedding_rows(knn, (emb[2:], np.array([0])), none, (none, np.zeros(0, bool)), 1.0)
    assert (board["recall"], board["wrong"]) == (1.0, 0.0)
    assert (alone["recall"], alone["wrong"]) == (0.0, 1.0)


def test_the_main_figures_come_from_the_boards_ranking(folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``recall`` and the rest are the embedding + DTW decisions' (``_hybrid_rows``), ``embedding_*`` the
    embedding alone's: mark the board's figures and see where they land."""
    import wandlab.ml.open_set as open_set

    board_rows = open_set._hybrid_rows
    monkeypatch.setattr(open_set, "_hybrid_rows", lambda *a, **k: board_rows(*a, **k) | {"recall": 0.123})
    gestures, motion = folders
    argv = ["bench", "open-set", str(gestures), "--negatives", str(motion), "--episodes", "2", "--no-dtw", "--json"]
    assert main(argv) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["recall"] == pytest.approx(0.123) and r["embedding_recall"] != pytest.approx(0.123)


def test_the_veto_decides_the_figures_and_no_bank_veto_leaves_it_out(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The boards answer "none" when a negatives-bank entry is as near as the class; ``--no-bank-veto``
    measures the thresholds alone. A bank that lies on top of every take vetoes everything - in the main
    (board) figures and the embedding-alone ones - unless the flag leaves the veto out."""
    from wandlab.onboard.knn import KnnRecognizer

    real = KnnRecognizer.bank_distances

    def bank_on_every_take(self: KnnRecognizer, q: np.ndarray) -> np.ndarray:
        far = real(self, q)  # int64 max where the veto is off
        return np.where(far == np.iinfo(np.int64).max, far, 0)

    monkeypatch.setattr(KnnRecognizer, "bank_distances", bank_on_every_take)
    gestures, motion = folders
    argv = ["bench", "open-set", str(gestures), "--negatives", str(motion), "--episodes", "2", "--no-dtw", "--json"]
    runs = {}
    for flag in ([], ["--no-bank-veto"]):
        assert main(argv + flag) == 0
        runs[bool(flag)] = json.loads(capsys.readouterr().out)
    veto, alone = runs[False], runs[True]
    assert veto["bank_veto"] is True and alone["bank_veto"] is False
    assert veto["recall"] == 0 and veto["embedding_recall"] == 0 and veto["unknown_accept_rate"] == 0
    assert alone["recall"] >= 0.8 and alone["embedding_recall"] >= 0.8
    assert veto["bank_accept_rate"] == alone["bank_accept_rate"]  # measured by the thresholds either way
