"""``wandlab bench open-set``: does the board reject what it was not taught?

Per episode (``ml.open_set.run_open_set``): one person or session of DATA_DIR; all but K of its gestures
are enrolled from ``--shots`` takes each with the shipped base model (matching ``--channels``) and the
open-set rule (``onboard.open_set``, the rule enrollment on the board uses); the test is the enrolled
gestures' other takes (``recall``: accepted as the right class), the K held-out gestures' takes
(``unknown_accept_rate``: accepted as anything) and continuous everyday motion from NEG_DIR, resampled to
the gestures' rate and streamed through the board's segmenter (``false_triggers_per_hour``: accepted
decisions per hour of motion). DTW 1-NN on the same windows, its distance threshold set to the same recall
in the same run, is the baseline. The figures are what a board decides: the classes ranked by embedding +
DTW on the takes' shape codes (``onboard.hybrid_rank``), accepted by the embedding thresholds;
``embedding_*``: ranked by the embedding alone (a board's rule for classes without codes); ``fused_*``: the
fused distance as the rejection score too, its one threshold set to the board's recall as DTW's is.
Recordings the model's negatives bank was built from are left out of NEG_DIR (``negatives_excluded_streams``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from wandlab.commands.bench import add_benchmark, print_table
from wandlab.errors import WandlabError

TARGETS = {"recall": 0.95, "false_triggers_per_hour": 1.0, "unknown_accept_rate": 0.05}


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("data_dir", help="labeled folder of gesture takes (manifest.csv)")
    p.add_argument(
        "--negatives",
        action="append",
        required=True,
        metavar="NEG_DIR",
        help="labeled folder of everyday motion (repeatable); a folder that also holds gestures "
        "contributes only its takes labelled idle/none/nomotion/_negative_",
    )
    p.add_argument("--shots", type=int, default=3, help="takes enrolled per gesture")
    p.add_argument("--unknown-classes", type=int, help="gestures held out per episode (default: a third)")
    p.add_argument(
        "--channels", type=int, choices=(3, 6), help="3 = accel, 6 = accel + gyro (default: 6 if every take has a gyro)"
    )
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--margin", type=float, default=0.5, help="open-set margin of every enrolled class (0..1)")
    p.add_argument("--model", help="model bundle (default: the shipped base model for the channels)")
    p.add_argument("--no-dtw", action="store_true", help="skip the DTW baseline")
    p.add_argument(
        "--no-bank-veto", action="store_true",
        help="decide by the thresholds alone, without the negatives bank's veto the boards apply (to compare)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_main)


def _problem(args: argparse.Namespace) -> str:
    """A sentence saying what is wrong with the arguments, or ''."""
    for folder in [args.data_dir, *args.negatives]:
        if not (Path(folder) / "manifest.csv").is_file():
            return f"{folder} is not a labeled folder: it has no manifest.csv"
    if args.shots < 1:
        return f"--shots must be at least 1, not {args.shots}"
    if args.episodes < 1:
        return f"--episodes must be at least 1, not {args.episodes}"
    if args.unknown_classes is not None and args.unknown_classes < 0:
        return f"--unknown-classes cannot be negative ({args.unknown_classes})"
    if not 0.0 <= args.margin <= 1.0:
        return f"--margin must be between 0 (strict) and 1 (lenient), not {args.margin}"
    if args.model and not Path(args.model).exists():
        return f"--model {args.model}: no such bundle"
    return ""


def _columns(folder: str, negatives_only: bool) -> int:
    from wandlab.dataset.folder import iter_folder
    from wandlab.ml.open_set import is_negative_label

    recs = [r for r in iter_folder(Path(folder)) if r.kind == "imu"]
    if negatives_only and any(is_negative_label(r.label) for r in recs):
        recs = (
            [r for r in recs if is_negative_label(r.label)]
            if not all(is_negative_label(r.label) for r in recs)
            else recs
        )
    return min((r.data.shape[1] for r in recs), default=0)


def run(args: argparse.Namespace, log: Any = None) -> dict[str, Any]:
    from wandlab.errors import ModelError
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.open_set import OpenSetConfig, matches, read_gestures, read_streams, run_open_set, segment_streams
    from wandlab.ml.shipped import base_gesture_model

    channels = args.channels or (
        6 if min(_columns(args.data_dir, False), *(_columns(n, True) for n in args.negatives)) >= 6 else 3
    )
    model = Path(args.model) if args.model else base_gesture_model(channels)
    bundle = load_bundle(model)
    features = bundle.features
    if features.channels != channels:
        raise ModelError(f"{model} is a {features.channels}-channel model; --channels {channels} needs another")
    say = log or (lambda text: None)
    say(f"gestures: {args.data_dir} ({channels} channels, model {model.name})")
    gestures = read_gestures(args.data_dir, features)
    bank = bundle.recognizer.bank
    used = bank.used if bank is not None else {}
    streams, excluded = [], {}
    for folder in args.negatives:
        patterns = used.get(Path(folder).resolve().name, [])
        found = read_streams(folder, channels, gestures.rate_hz)
        kept = [s for s in found if not matches(s.name, patterns)]
        excluded[str(folder)] = len(found) - len(kept)
        streams += kept
        say(
            f"everyday motion: {folder}: {len(kept)} streams"
            + (
                f" ({len(found) - len(kept)} left out: the model's negatives bank was cut from them)"
                if len(found) > len(kept)
                else ""
            )
        )
    if not streams:
        raise ModelError("no everyday motion left to test on (every stream was used for the model's bank)")
    segments = segment_streams(streams)
    say(
        f"segmenter: {len(segments.windows)} segments in {segments.seconds / 3600:.2f} h, "
        f"{sum(segments.decidable)} decided"
    )
    cfg = OpenSetConfig(
        shots=args.shots,
        unknown_classes=args.unknown_classes,
        episodes=args.episodes,
        seed=args.seed,
        margin=args.margin,
        dtw=not args.no_dtw,
        bank_veto=not args.no_bank_veto,
    )

    def progress(ev: dict[str, Any]) -> None:
        say(
            f"episode {ev['episode']}/{ev['of']} {ev['group']}: recall {ev['recall']:.3f}, unknown accepted "
            f"{ev['unknown_accept_rate']:.3f} (held out: {', '.join(ev['unknown'])})"
        )

    result = run_open_set(gestures, segments, segments.features(features), bundle, cfg, progress)
    dtw_unknown = result.get("baseline_dtw_unknown_accept_rate")
    dtw_ft = result.get("baseline_dtw_false_triggers_per_hour")
    result.update(
        {
            "data": str(args.data_dir),
            "negatives": [str(n) for n in args.negatives],
            "negatives_excluded_streams": excluded,
            "channels": channels,
            "model": str(model),
            "rate_hz": gestures.rate_hz,
            "target_recall_ge_0.95": result["recall"] >= TARGETS["recall"],
            "target_false_triggers_le_1_per_hour": (result["false_triggers_per_hour"] or 0.0)
            <= TARGETS["false_triggers_per_hour"],
            "target_unknown_accept_le_0.05": result["unknown_accept_rate"] <= TARGETS["unknown_accept_rate"],
        }
    )
    if dtw_unknown is not None:
        result["better_than_dtw_at_same_recall"] = bool(
            result["unknown_accept_rate"] < dtw_unknown
            and (result["false_triggers_per_hour"] or 0.0) <= (dtw_ft or 0.0)
        )
    return result


def _main(args: argparse.Namespace) -> int:
    problem = _problem(args)
    if problem:
        print(f"wandlab bench open-set: {problem}", file=sys.stderr)
        return 2
    try:
        result = run(args, log=lambda text: print(text, file=sys.stderr, flush=True))
    except WandlabError as exc:  # bad data: a sentence, not a traceback
        print(f"wandlab bench open-set: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
        return 0
    keys = (
        "ranking",
        "recall",
        "wrong_class_rate",
        "unknown_accept_rate",
        "false_triggers_per_hour",
        "false_triggers_per_hour_if_every_segment_decided",
        "baseline_dtw_recall",
        "baseline_dtw_unknown_accept_rate",
        "baseline_dtw_false_triggers_per_hour",
        "embedding_recall",
        "embedding_wrong_class_rate",
        "embedding_unknown_accept_rate",
        "embedding_false_triggers_per_hour",
        "fused_recall",
        "fused_unknown_accept_rate",
        "fused_false_triggers_per_hour",
        "bank_accept_rate",
        "negatives_hours",
        "negatives_segments_per_hour",
        "negatives_decided_segments_per_hour",
        "known_test_takes",
        "unknown_test_takes",
        "episodes",
        "shots",
        "margin",
        "channels",
        "seconds",
    )
    print()
    print_table(
        [(k, result[k]) for k in keys if k in result],
        f"open set: {Path(args.data_dir).name}, {args.shots}-shot, everyday motion from "
        + ", ".join(Path(n).name for n in args.negatives),
    )
    return 0


add_benchmark(
    "open-set",
    "enrolled gestures accepted, unknown gestures and everyday motion rejected: "
    "the open-set rule vs DTW at the same recall",
    _configure,
)
