"""``wandlab bench wakeword``: end to end through the CLI on a small spoken folder made on the fly, the
pieces it is built from (pairs, metrics, batched DTW, sliding windows), and its refusals of bad input."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from wandlab.cli import main
from wandlab.ml import wakeword as ww
from wandlab.ml import wakeword_bench as wb
from wandlab.virtual.speech import synthesize_speech

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
WORDS = ("lighthouse", "marmalade", "bicycle")
RATES = (
    "eer",
    "tar_at_far1",
    "tar_at_far5",
    "calibrated_tar",
    "calibrated_far",
    "baseline_dtw_eer",
    "baseline_dtw_tar_at_far1",
    "baseline_dtw_tar_at_far5",
    "hybrid_eer",
    "hybrid_tar_at_far1",
    "hybrid_tar_at_far5",
    "enroll_refused_rate",
)


def _write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())


def _with_room(pcm: np.ndarray, seed: int) -> np.ndarray:
    pad = np.zeros(int(0.25 * len(pcm)) + 800)
    x = np.concatenate([pad, pcm, pad]) + np.random.default_rng(seed).normal(0, 15, 2 * len(pad) + len(pcm))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def make_speech_folder(root: Path, takes: dict[tuple[str, str, str, int], int], negatives: int = 0) -> Path:
    """{(subject, session, word, rate_hz): takes} spoken by virtual people -> a labeled folder."""
    rows = ["file,label,subject,session,kind,rate_hz"]
    for person, ((subject, session, word, rate), count) in enumerate(takes.items(), start=1):
        for take in range(count):
            name = f"samples/{word}/{person}_{take}.wav"
            _write_wav(root / name, _with_room(synthesize_speech(word, person, rate, take), seed=take), rate)
            rows.append(f"{name},{word},{subject},{session},audio,{rate}")
    for i in range(negatives):
        name = f"samples/_negative_/{i}.wav"
        _write_wav(root / name, _with_room(synthesize_speech("what time is it", 20 + i, 16000), seed=i), 16000)
        rows.append(f"{name},_negative_,,,audio,16000")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def speech_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Two speakers with 3 words x 4 takes (6 pairs); one speaker at 8 kHz with 4 takes of one word and
    # only 3 of another (1 pair: 3 + 1 are needed); a WUW-II-like speaker known only by its session
    # (1 pair); and speakerless negatives. 8 pairs, one positive each.
    takes: dict[tuple[str, str, str, int], int] = {}
    for subject in ("ann", "bob"):
        for word in WORDS:
            takes[(subject, "", word, 16000)] = 4
    takes[("cem", "", "marmalade", 8000)] = 4
    takes[("cem", "", "lighthouse", 8000)] = 3
    takes[("unknown", "call7", "bicycle", 16000)] = 4
    return make_speech_folder(tmp_path_factory.mktemp("speech"), takes, negatives=2)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["bench", "wakeword", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_bench_runs_end_to_end_and_reports_every_field(speech_folder: Path, capsys) -> None:
    code, out, err = run_cli(capsys, str(speech_folder), "--shots", "3", "--json", "--max-negatives", "30")
    assert code == 0, err
    r = json.loads(out)
    assert r["pairs"] == r["pairs_available"] == 8
    assert r["positives"] == 8
    assert 0 < r["negatives"] <= 8 * 30
    assert r["speakers"] == 4 and r["labels"] == 3
    for key in RATES:
        assert 0.0 <= r[key] <= 1.0, (key, r[key])
    assert 0 <= r["enroll_refused"] <= r["pairs"]
    assert sum(r["refusal_reasons"].values()) == r["enroll_refused"]
    config = json.loads((ww.DEFAULT_MODEL.parent / "config.json").read_text())
    assert r["model_bytes"] == ww.DEFAULT_MODEL.stat().st_size
    assert r["arena_bytes"] == config["model"]["tflm_arena_bytes"]
    assert r["seconds"] > 0
    assert "pairs 8/8" in err  # progress goes to stderr, the JSON alone to stdout


def test_table_without_json(speech_folder: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, str(speech_folder), "--max-pairs", "2", "--no-dtw", "--max-negatives", "10")
    assert code == 0
    assert "wake word, 3-shot enrolment" in out
    assert "tar_at_far1" in out and "pairs" in out and "baseline_dtw_eer" not in out
    assert "hybrid_eer" not in out  # embedding + DTW needs the DTW distances


def test_max_pairs_samples_without_changing_a_pairs_enrolment() -> None:
    labels = ["a"] * 5 + ["b"] * 5 + ["c"] * 5 + ["_negative_"] * 3
    speakers = ["x"] * 5 + ["x"] * 5 + ["y"] * 5 + [None] * 3
    pairs, available = wb.plan_pairs(labels, speakers, 3, seed=1, max_pairs=None, max_negatives=100)
    some, _ = wb.plan_pairs(labels, speakers, 3, seed=1, max_pairs=2, max_negatives=100)
    assert available == 3 and len(pairs) == 3 and len(some) == 2
    assert all(p in pairs for p in some)
    xa = next(p for p in pairs if (p.speaker, p.label) == ("x", "a"))
    assert set(xa.positives) | set(xa.enrol) == set(range(5))
    assert set(xa.negatives) == set(range(5, 18))  # own other word, the other speaker's, non-words
    capped, _ = wb.plan_pairs(labels, speakers, 3, seed=1, max_pairs=None, max_negatives=6)
    xa = next(p for p in capped if (p.speaker, p.label) == ("x", "a"))
    assert len(xa.negatives) == 6 and set(range(5, 10)) <= set(xa.negatives)  # same speaker first


def test_speaker_falls_back_to_the_session() -> None:
    assert wb.speaker_of("ann", "3") == "ann"
    assert wb.speaker_of("unknown", "00012") == "session 00012"
    assert wb.speaker_of("", "") is None


def test_metrics() -> None:
    pos, neg = np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.6, 0.7, 0.8])
    assert wb.eer(pos, neg) == 0.0
    assert wb.tar_at_far(pos, neg, 0.01) == 1.0
    same = np.linspace(0, 1, 101)
    assert wb.eer(same, same) == pytest.approx(0.5, abs=0.02)
    neg = np.arange(100) / 100  # 0.00 .. 0.99
    pos = np.array([0.005, 0.015, 0.035, 0.5])
    assert wb.tar_at_far(pos, neg, 0.01) == 0.25  # one negative (0.00) may pass: threshold below 0.01
    assert wb.tar_at_far(pos, neg, 0.05) == 0.75


def test_batched_dtw_equals_the_reference() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(23, 12))
    bs = [rng.normal(size=(n, 12)) for n in (5, 40, 23, 17, 61)]
    expected = [ww.dtw_distance(a, b) for b in bs]
    assert np.allclose(wb.dtw_many(a, bs), expected, rtol=1e-9, atol=1e-9)


def test_long_takes_are_scored_at_every_window(speech_folder: Path) -> None:
    embedder = ww.Embedder()
    word = np.concatenate([synthesize_speech("lighthouse", 1), synthesize_speech("marmalade", 1)] * 2)
    assert len(word) > 20000
    clip = wb.Clip("x", "ann", word, word)
    wb._features(clip, embedder, dtw=True)
    # the centred window, every 0.1 s hop that fits, and the end-aligned window
    assert len(clip.windows) == 1 + (len(word) - 16000) // 1600 + 1 + 1
    assert np.allclose(clip.windows[0], embedder.embed(word))
    assert np.allclose(clip.windows[2], embedder.embed(word[1600:17600]))
    assert np.allclose(clip.windows[-1], embedder.embed(word[-16000:]))
    assert np.allclose(clip.mfcc, ww.mfcc(word))


def test_continuous_counts_the_detectors_events(speech_folder: Path) -> None:
    fed: list[int] = []

    class OneWakePerStream:
        def __init__(self, word: ww.WakeWord, embedder: ww.Embedder) -> None:
            self.fired = False

        def feed(self, pcm: np.ndarray) -> list[tuple[float, float]]:
            fed.append(len(pcm))
            if self.fired:
                return []
            self.fired = True
            return [(0.5, 0.01)]

    config = wb.BenchConfig(max_negatives=10, dtw=False, continuous=True, hours=0.004, continuous_pairs=3)
    r = wb.run_bench(speech_folder, config, detector_factory=OneWakePerStream)
    assert r["continuous_pairs"] == 3 and r["false_wakes"] == 3
    assert r["stream_hours"] == pytest.approx(0.004, abs=0.0005)
    assert r["false_wakes_per_hour"] == pytest.approx(3 / r["stream_hours"], rel=0.01)
    assert max(fed) == wb.STREAM_BLOCK and sum(fed) == pytest.approx(0.004 * 3600 * 16000, rel=0.01)


def test_continuous_with_the_stream_detector(speech_folder: Path, capsys) -> None:
    code, out, err = run_cli(
        capsys,
        str(speech_folder),
        "--json",
        "--no-dtw",
        "--max-negatives",
        "10",
        "--continuous",
        "--hours",
        "0.003",
        "--continuous-pairs",
        "2",
    )
    assert code == 0, err
    r = json.loads(out)
    assert r["false_wakes_per_hour"] >= 0 and r["continuous_pairs"] == 2


def test_no_usable_pair_is_one_clear_sentence(tmp_path: Path, capsys) -> None:
    folder = make_speech_folder(
        tmp_path / "few", {("ann", "", "lighthouse", 16000): 2, ("bob", "", "marmalade", 16000): 3}
    )
    code, out, err = run_cli(capsys, str(folder), "--json")
    assert code == 2 and out == ""
    assert str(folder) in err and "no (speaker, label) pair has 4 or more" in err and "lower --shots" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_folder_and_folder_without_audio(tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(capsys, str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere: no such folder" in err
    imu = tmp_path / "imu"
    (imu / "samples").mkdir(parents=True)
    (imu / "samples" / "a.csv").write_text("ax,ay,az\n0,0,1\n0,0,1\n")
    (imu / "manifest.csv").write_text("file,label,subject,session,kind,rate_hz\nsamples/a.csv,flick,ann,,imu,100\n")
    code, _, err = run_cli(capsys, str(imu))
    assert code == 2 and "lists no audio clips" in err
    code, _, err = run_cli(capsys, str(imu), "--shots", "0")
    assert code == 2 and "--shots must be at least 1" in err


def test_real_speakers_are_not_refused() -> None:
    fsdd = DATA / "fsdd"
    if not (fsdd / "manifest.csv").exists():
        pytest.skip(f"{fsdd} is not available (the shared speech data sets live next to the repository)")
    r = wb.run_bench(fsdd, wb.BenchConfig(max_pairs=12, max_negatives=20, dtw=False))
    # Before the checks were fixed, 27 of FSDD's 60 sets were refused ("too short" on tight cuts).
    assert r["pairs"] == 12 and r["enroll_refused"] <= 1, r["refusal_reasons"]


def test_a_model_that_is_not_one_is_named(speech_folder: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "model.tflite"
    bad.write_bytes(b"not a flatbuffer")
    code, out, err = run_cli(capsys, str(speech_folder), "--model", str(bad))
    assert code == 2 and out == "" and f"{bad}: cannot load the speech model" in err
