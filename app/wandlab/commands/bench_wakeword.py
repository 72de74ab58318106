"""``wandlab bench wakeword DATA_DIR``: personal wake word (k-shot enrolment) on a labeled speech folder,
int8 speech embedding model vs the DTW-on-MFCC baseline; what ``enroll()`` would refuse; optionally
false wakes per hour on continuous speech. The logic and the meaning of every field:
``wandlab.ml.wakeword_bench`` and docs/audio.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from wandlab.commands.bench import add_benchmark, print_table

EXIT_BAD_INPUT = 2


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("data_dir", help="labeled speech folder (manifest.csv + samples)")
    p.add_argument("--shots", type=int, default=3, help="takes enrolled per (speaker, word)")
    p.add_argument("--model", help="speech embedding .tflite (default: the shipped model)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-pairs", type=int, help="run a seeded random sample of this many (speaker, word) pairs")
    p.add_argument("--max-negatives", type=int, default=400, help="negative takes per pair")
    p.add_argument("--sensitivity", type=float, default=0.5, help="for the calibrated thresholds (0..1)")
    p.add_argument("--no-dtw", action="store_true", help="skip the DTW-on-MFCC baseline")
    p.add_argument("--continuous", action="store_true", help="also count false wakes per hour on a stream")
    p.add_argument("--hours", type=float, default=0.25, help="stream length for --continuous, over all its pairs")
    p.add_argument("--continuous-pairs", type=int, default=20, help="pairs that listen to a stream")
    p.add_argument("--detector", choices=("board", "sliding"), default="board",
                   help="--continuous: the board's detector (2-of-3 hops), or a sliding window that wakes on one hop")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from wandlab.ml.wakeword_bench import DETECTORS, BenchConfig, BenchInputError, run_bench

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    problems = [
        msg
        for bad, msg in (
            (args.shots < 1, "--shots must be at least 1"),
            (args.max_pairs is not None and args.max_pairs < 1, "--max-pairs must be at least 1"),
            (args.max_negatives < 1, "--max-negatives must be at least 1"),
            (not 0.0 <= args.sensitivity <= 1.0, "--sensitivity must be between 0 and 1"),
            (args.hours <= 0, "--hours must be positive"),
            (args.continuous_pairs < 1, "--continuous-pairs must be at least 1"),
        )
        if bad
    ]
    if problems:
        print(f"wandlab: {problems[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    config = BenchConfig(
        shots=args.shots,
        seed=args.seed,
        max_pairs=args.max_pairs,
        max_negatives=args.max_negatives,
        sensitivity=args.sensitivity,
        dtw=not args.no_dtw,
        continuous=args.continuous,
        hours=args.hours,
        continuous_pairs=args.continuous_pairs,
    )
    try:
        detector = DETECTORS[args.detector]
        result = run_bench(args.data_dir, config, args.model, progress=progress, detector_factory=detector)
        if args.continuous:
            result["continuous_detector"] = args.detector
    except BenchInputError as exc:
        print(f"wandlab: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(result))
    else:
        print_table(_rows(result), f"wake word, {args.shots}-shot enrolment: {args.data_dir}")
    return 0


def _rows(result: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in result.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        rows.append((key, "-" if value is None else value))
    return rows


add_benchmark("wakeword", "personal wake word: k-shot enrolment on a speech folder, int8 model vs DTW", _configure)
