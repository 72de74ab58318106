"""Wake-word benchmark: 3-shot enrolment on FSDD people the model never saw, int8 model vs DTW-MFCC.

Run: .venv/bin/python benchmarks/bench_wakeword.py [--reps 3] [--model PATH] [--json OUT]

For each held-out speaker and each digit, ``reps`` random sets of 3 takes are enrolled. The other takes
of the same person and word should be accepted; every take of another word (same person, other person)
should be rejected. Thresholds come from the enrolment alone (``calibrate_threshold``, sensitivity 0.5;
DTW uses the same leave-one-out rule, unclamped). Also reported: closed-set word-ID accuracy (each take
labelled by its nearest enrolled word of that person, 10 words) and the equal error rate (threshold
free). Digits 0-4 were training words (spoken by other people); digits 5-9 were never trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from wandlab.dataset.folder import iter_folder  # noqa: E402
from wandlab.ml import wakeword as ww  # noqa: E402

FSDD = ROOT.parent / "shared" / "data" / "fsdd"
TEST_SPEAKERS = ("theo", "yweweler")  # never seen in training (models/speech_embedding/recipe.py)
GROUPS = {"seen words 0-4": "01234", "unseen words 5-9": "56789", "all": "0123456789"}


def load_clips(speakers: tuple[str, ...]) -> list[tuple[np.ndarray, str, str]]:
    out = []
    for rec in iter_folder(FSDD):
        if rec.subject in speakers:
            x = resample_poly(rec.data.astype(np.float64), 16000, int(rec.rate_hz))
            pcm = np.clip(np.round(x), -32768, 32767).astype(np.int16)
            word = ww.trim_voiced(pcm)
            out.append((word if len(word) >= 3200 else pcm, rec.label, rec.subject))  # VAD miss: keep all
    return out


def eer(pos: np.ndarray, neg: np.ndarray) -> float:
    """Equal error rate of distances (accept when distance <= t)."""
    ts = np.unique(np.concatenate([pos, neg]))
    frr = np.array([np.mean(pos > t) for t in ts])
    far = np.array([np.mean(neg <= t) for t in ts])
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


def run_method(name: str, clips: list, dist_fn, thr_fn, reps: int, seed: int) -> dict[str, dict[str, float]]:
    """dist_fn(enrol_idx, test_idx) -> distances (n_test,); thr_fn(enrol_idx) -> threshold."""
    labels = np.array([c[1] for c in clips])
    people = np.array([c[2] for c in clips])
    rng = np.random.default_rng(seed)
    rows: dict[str, list[dict[str, float]]] = {g: [] for g in GROUPS}
    pos_d: dict[str, list[np.ndarray]] = {g: [] for g in GROUPS}
    neg_d: dict[str, list[np.ndarray]] = {g: [] for g in GROUPS}
    everything = np.arange(len(clips))
    for person in sorted(set(people)):
        for _ in range(reps):
            enrolled = {
                d: rng.choice(np.nonzero((labels == d) & (people == person))[0], 3, replace=False)
                for d in "0123456789"
            }
            used = np.concatenate(list(enrolled.values()))
            tests = np.setdiff1d(everything, used)
            dists = {d: dist_fn(idx, tests) for d, idx in enrolled.items()}
            own = people[tests] == person
            nearest = np.array(list(dists))[np.argmin(np.stack(list(dists.values())), axis=0)]
            for d, idx in enrolled.items():
                dist, thr = dists[d], thr_fn(idx)
                same_word = labels[tests] == d
                pos, neg_own, neg_other = same_word & own, ~same_word & own, ~same_word & ~own
                res = {
                    "true_accept": np.mean(dist[pos] <= thr),
                    "fa_same_person": np.mean(dist[neg_own] <= thr),
                    "fa_other_person": np.mean(dist[neg_other] <= thr),
                    "same_word_other_person": np.mean(dist[same_word & ~own] <= thr),
                    "word_id_acc": np.mean(nearest[pos] == d),
                }
                for g, digits in GROUPS.items():
                    if d in digits:
                        rows[g].append(res)
                        pos_d[g].append(dist[pos])
                        neg_d[g].append(dist[neg_own])
    return {
        g: {k: float(np.mean([r[k] for r in rows[g]])) for k in rows[g][0]}
        | {"eer": eer(np.concatenate(pos_d[g]), np.concatenate(neg_d[g]))}
        for g in GROUPS
    }


def benchmark(
    model: Path,
    reps: int = 3,
    seed: int = 0,
    speakers: tuple[str, ...] = TEST_SPEAKERS,
    sensitivity: float = 0.5,
) -> dict[str, object]:
    t0 = time.time()
    clips = load_clips(speakers)
    embedder = ww.Embedder(model)
    emb = np.stack([embedder.embed(c[0]) for c in clips])
    mfccs = [ww.mfcc(c[0]) for c in clips]
    t_embed = time.time() - t0

    def emb_dist(idx: np.ndarray, tests: np.ndarray) -> np.ndarray:
        return np.min(ww.cosine_distance(emb[idx], emb[tests]), axis=0)

    def dtw_dist(idx: np.ndarray, tests: np.ndarray) -> np.ndarray:
        return np.array([min(ww.dtw_distance(mfccs[i], mfccs[j]) for i in idx) for j in tests])

    def dtw_thr(idx: np.ndarray) -> float:
        loo = [min(ww.dtw_distance(mfccs[i], mfccs[j]) for j in idx if j != i) for i in idx]
        return max(loo) * ww.DTW_MARGIN

    def emb_thr(idx: np.ndarray) -> float:
        return ww.calibrate_threshold(emb[idx], sensitivity)

    t1 = time.time()
    model_res = run_method("model", clips, emb_dist, emb_thr, reps, seed)
    t2 = time.time()
    dtw_res = run_method("dtw", clips, dtw_dist, dtw_thr, reps, seed)
    return {
        "speakers": TEST_SPEAKERS,
        "clips": len(clips),
        "reps": reps,
        "model": model_res,
        "dtw_mfcc": dtw_res,
        "seconds": {
            "features": round(t_embed, 1),
            "model": round(t2 - t1, 1),
            "dtw": round(time.time() - t2, 1),
        },
    }


def table(res: dict) -> str:
    names = {
        "word_id_acc": "word-ID accuracy (1-NN, 10 words)",
        "true_accept": "true accept (same person+word)",
        "fa_same_person": "false accept: other word, same person",
        "fa_other_person": "false accept: other word, other person",
        "same_word_other_person": "accept: same word, other person",
        "eer": "equal error rate",
    }
    lines = [
        f"| metric | {' | '.join(f'{g}: model / DTW' for g in GROUPS)} |",
        "|---" * (len(GROUPS) + 1) + "|",
    ]
    for key, label in names.items():
        cells = [f"{100 * res['model'][g][key]:.1f}% / {100 * res['dtw_mfcc'][g][key]:.1f}%" for g in GROUPS]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description="wake-word benchmark: int8 embedding model vs DTW-MFCC")
    p.add_argument("--model", type=Path, default=ww.DEFAULT_MODEL)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--json", type=Path)
    p.add_argument("--speakers", default=",".join(TEST_SPEAKERS), help="FSDD speakers (default: held out)")
    p.add_argument("--sensitivity", type=float, default=0.5)
    args = p.parse_args()
    res = benchmark(
        args.model, args.reps, speakers=tuple(args.speakers.split(",")), sensitivity=args.sensitivity
    )
    print(
        f"FSDD speakers {', '.join(res['speakers'])}: {res['clips']} clips, {args.reps} enrolments "
        f"of 3 takes per person x word; thresholds calibrated from the enrolment (sensitivity 0.5)"
    )
    print(table(res))
    print(f"time: {res['seconds']}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
