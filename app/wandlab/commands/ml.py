"""CLI for the ML area: ``wandlab train``, ``wandlab evaluate``, ``wandlab train-base``, ``wandlab model-header``
and the benchmarks ``wandlab bench fewshot`` / ``wandlab bench train``. TensorFlow is imported only inside handlers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.ml.shipped import base_gesture_model, models_dir


def register(sub: Any) -> None:
    p = sub.add_parser("train", help="train a gesture model from labeled folders into a model bundle")
    p.add_argument("--data", action="append", required=True, help="labeled folder (repeatable)")
    p.add_argument("--out", required=True, help="bundle folder or .zip to write")
    p.add_argument("--channels", type=int, choices=(3, 6), default=3, help="3 = accel, 6 = accel+gyro")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--base", help="start from this base bundle (e.g. models/gesture_accel)")
    p.add_argument("--val-session", action="append", default=[], help="hold out this session for validation")
    p.add_argument("--json", action="store_true", help="print progress as JSON lines")
    p.add_argument("--report", metavar="DIR", help="also write the evaluation report (JSON + HTML + SVG) here")
    p.add_argument("--margin", type=float, default=0.5,
                   help="open-set margin of every class: 0 strict (fewer false presses) .. 1 lenient (default 0.5)")
    p.add_argument("--class-margin", action="append", default=[], metavar="LABEL=M",
                   help="open-set margin of one class (repeatable), e.g. --class-margin circle=0.8")
    p.set_defaults(func=_train)

    e = sub.add_parser("evaluate", help="evaluation report of a model bundle on labeled takes (JSON + HTML/SVG)")
    e.add_argument("--bundle", required=True, help="model bundle folder or .zip")
    e.add_argument("--data", action="append", required=True, help="labeled folder of held-out takes (repeatable)")
    e.add_argument("--idle", action="append", default=[], help="folder of idle / no-motion recordings (repeatable)")
    e.add_argument("--out", required=True, help="folder for report.json, report.html and figures/")
    e.add_argument("--no-float", action="store_true", help="skip the float model (no TensorFlow import)")
    e.add_argument("--episodes", type=int, default=10, help="K-shot episodes per K")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    e.set_defaults(func=_evaluate)

    b = sub.add_parser("train-base", help="rebuild a pretrained base model in models/ (the recipe)")
    b.add_argument("--channels", type=int, choices=(3, 6), default=3)
    b.add_argument("--out", help="bundle path (default models/gesture_accel[_gyro])")
    b.add_argument("--data-root", default=None, help="folder holding cyberry_wand/ (default ../shared/data)")
    b.add_argument("--epochs", type=int, default=40)
    b.add_argument("--negatives-only", action="store_true",
                   help="no training: rebuild the existing model's negatives bank and open-set thresholds")
    b.add_argument("--leave-out", action="append", default=[], metavar="SET",
                   help="a real gesture set the model never sees (repeatable; needs --out): a fold model for "
                   "bench open-set --model on that set")
    b.set_defaults(func=_train_base)

    h = sub.add_parser("model-header", help="write a bundle's model.tflite as a C/C++ array header")
    h.add_argument("bundle")
    h.add_argument("--out", required=True, help="header file to write, e.g. model_data.h")
    h.add_argument("--name", default="g_gesture_model")
    h.set_defaults(func=_model_header)

    from wandlab.commands.bench import add_benchmark

    add_benchmark("fewshot", "N-way K-shot gesture enrollment: int8 model vs raw/DTW 1-NN", _configure_fewshot)
    add_benchmark("train", "train + int8 + verify time for 8 classes x 20 virtual-wand takes", _configure_train)
    add_benchmark("lodo", "leave one data set out: the base recipe trained without a gesture set, few-shot on it",
                  _configure_lodo)


def _print_event(ev: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({k: v for k, v in ev.items() if k != "bundle"}), flush=True)
    elif ev["event"] == "epoch":
        val = f"  val {ev['val_accuracy']:.3f}" if "val_accuracy" in ev else ""
        print(
            f"epoch {ev['epoch']:>3}/{ev['epochs']}  loss {ev['loss']:.3f}  acc {ev['accuracy']:.3f}{val}",
            flush=True,
        )
    elif ev["event"] == "verified":
        print(
            f"int8 model {ev['model_bytes']} B, arena {ev['arena_bytes']} B, ops {','.join(ev['ops'])}, "
            f"TFLM bit-exact {ev['bit_exact']}",
            flush=True,
        )
    elif ev["event"] == "saved":
        print(f"saved {ev['path']}", flush=True)
    elif ev["event"] == "done":
        acc = f", float {ev['float_accuracy']:.3f} / int8 {ev['int8_accuracy']:.3f}" if "int8_accuracy" in ev else ""
        print(f"done{acc}: {ev.get('bundle_path', '')}", flush=True)
        if "report_path" in ev:
            print(f"report: {ev['report_path']}", flush=True)


def margins_from(args: argparse.Namespace) -> dict[str, float]:
    """--margin for every label ("*"), --class-margin LABEL=M on top; a bad value is an error."""
    from wandlab.onboard.open_set import check_margin

    margins = {"*": check_margin(args.margin)}
    for item in args.class_margin:
        label, sep, value = item.rpartition("=")
        try:
            margins[label] = check_margin(float(value))
        except ValueError:
            sep = ""
        if not sep or not label:
            raise ModelError(f"--class-margin {item!r}: write LABEL=M with M between 0 and 1")
    return margins


def _train(args: argparse.Namespace) -> int:
    from wandlab.ml.train import TrainRequest, run_request

    req = TrainRequest(
        data_dirs=args.data,
        out=args.out,
        channels=args.channels,
        epochs=args.epochs,
        seed=args.seed,
        val_sessions=args.val_session,
        base=args.base,
        report_dir=args.report,
        margins=margins_from(args),
    )
    for ev in run_request(req):
        _print_event(ev, args.json)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    """``wandlab evaluate``: the int8 model + the bundle's k-NN on every take of --data (held-out takes;
    evaluating on the training takes gives optimistic figures), idle windows from --idle or from takes
    labelled idle/none/nomotion (virtual-wand data: the virtual wand's idle motion)."""
    import io

    from wandlab.dataset.folder import iter_folder
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.evaluate import evaluate, idle_windows
    from wandlab.ml.report_html import write_report
    from wandlab.ml.train import idle_for_evaluation, load_imu_folders

    bundle = load_bundle(args.bundle)
    features = bundle.features
    data = load_imu_folders(args.data, features)
    notes = [f"all {len(data.labels)} takes of {', '.join(args.data)} are the test set"]
    idle_x: np.ndarray | None
    idle_minutes: float | None
    idle_source: str | None
    if args.idle:
        takes = [
            (r.data, r.rate_hz)
            for d in args.idle
            for r in iter_folder(Path(d))
            if r.kind == "imu" and r.data.shape[1] >= features.channels
        ]
        if not takes:
            raise ModelError(f"no IMU recordings with {features.channels} columns in {', '.join(args.idle)}")
        idle_x, idle_minutes = idle_windows(takes, features)
        idle_source = f"{len(takes)} recordings in {', '.join(args.idle)}"
    else:
        idle_x, idle_minutes, idle_source = idle_for_evaluation(data, data, features, args.seed)
    report = bundle.report or {}
    if "arena_bytes" not in report:
        from wandlab.ml.verify import verify_model

        report = {**report, **verify_model(bundle.tflite, data.x, strict=False).to_dict()}
        bundle.report = report
    float_emb = None
    if not args.no_float and bundle.weights is not None and bundle.model_spec is not None:
        from wandlab.ml import gesture_model as gm

        spec = gm.ModelSpec.from_dict(bundle.model_spec)
        model = gm.build_embedding_model(features, spec)
        gm.load_weights(model, io.BytesIO(bundle.weights))
        float_emb = gm.embed(model, data.x)
    evaluation = evaluate(
        bundle,
        data.x,
        data.labels,
        idle_x,
        idle_minutes,
        float_emb,
        idle_source=idle_source,
        episodes=args.episodes,
        seed=args.seed,
        notes=notes,
    )
    evaluation["bundle"] = str(args.bundle)
    page = write_report(evaluation, args.out)
    if args.json:
        print(json.dumps(evaluation))
        return 0
    acc, idle = evaluation["accuracy"], evaluation["idle"]
    print(f"{acc['takes']} takes: open-set accuracy {_fmt(acc['open_set'])}, closed-set {_fmt(acc['closed_set'])}")
    if idle["windows"]:
        print(
            f"idle: {idle['false_accepts']} false accepts in {idle['windows']} windows "
            f"({idle['false_accepts_per_minute']:.2f} per minute of idle motion)"
        )
    if evaluation["float_vs_int8"]:
        fi = evaluation["float_vs_int8"]
        print(f"float {_fmt(fi['float_accuracy'])} / int8 {_fmt(fi['int8_accuracy'])} ({fi['protocol']})")
    for r in evaluation["kshot"]["results"]:
        print(
            f"{r['shots']}-shot {r['ways']}-way: int8 k-NN {_fmt(r['accuracy'])}, "
            f"raw 1-NN {_fmt(r['baseline_raw_1nn'])}"
        )
    print(f"report: {page}")
    return 0


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _train_base(args: argparse.Namespace) -> int:
    from wandlab.flows.base_recipe import GESTURE_SETS, build_base, negatives_recipe

    unknown = sorted(set(args.leave_out) - set(GESTURE_SETS))
    if unknown:
        raise ModelError(f"--leave-out {', '.join(unknown)}: not a gesture set of the recipe "
                         f"(known: {', '.join(GESTURE_SETS)})")
    if args.leave_out and (not args.out or args.negatives_only):
        raise ModelError("--leave-out builds a fold model: give it its own --out (never the shipped model), "
                         "without --negatives-only")
    out = Path(args.out) if args.out else base_gesture_model(args.channels)
    # From a checkout, ../shared/data beside the repository (docs/ml.md says where such data comes from).
    root = Path(args.data_root) if args.data_root else models_dir().parent.parent / "shared" / "data"
    if args.negatives_only:
        for ev in negatives_recipe(args.channels, out, root):
            if ev["event"] == "open_set":
                print(f"bank {ev['bank']} {ev['bank_sources']}, typical spread {ev['typical_spread']}, "
                      f"thresholds {ev['thresholds']} limited by {ev['limited_by']}", flush=True)
            elif ev["event"] == "saved":
                print(f"saved {ev['path']}", flush=True)
        return 0
    for ev in build_base(args.channels, out, root, epochs=args.epochs, leave_out=tuple(args.leave_out)):
        _print_event(ev, as_json=False)
    return 0


def _model_header(args: argparse.Namespace) -> int:
    from wandlab.ml.bundle import load_bundle, tflite_c_header

    bundle = load_bundle(args.bundle)
    Path(args.out).write_text(tflite_c_header(bundle.tflite, args.name), encoding="utf-8")
    print(f"{args.out}: {len(bundle.tflite)} bytes as {args.name}[]")
    return 0


# ---- benchmarks -----------------------------------------------------------------------------------


def _configure_fewshot(p: argparse.ArgumentParser) -> None:
    p.add_argument("data_dir")
    p.add_argument("--shots", type=int, default=3)
    p.add_argument("--holdout", choices=("session", "subject"), default="session")
    p.add_argument("--mode", choices=("base", "train"), default="train")
    p.add_argument("--channels", type=int, choices=(3, 6), default=3)
    p.add_argument("--episodes", type=int, default=10, help="episodes per held-out group")
    p.add_argument("--ways", type=int, default=0, help="classes per episode (0 = all)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--base", help="base bundle for --mode base (default models/gesture_accel[_gyro])")
    p.add_argument("--no-dtw", action="store_true", help="skip the (slow) DTW baseline")
    p.add_argument("--synthetic-classes", type=int, default=1000, help="extra random-stroke classes (mode train)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bench_fewshot)


def _bench_fewshot(args: argparse.Namespace) -> int:
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.fewshot import FewShotConfig, run_fewshot
    from wandlab.ml.train import load_imu_folders
    from wandlab.onboard.imu_features import FeatureConfig

    base = None
    features = FeatureConfig(channels=args.channels)
    if args.mode == "base":
        base = load_bundle(args.base or base_gesture_model(args.channels))
        features = base.features
    cfg = FewShotConfig(
        shots=args.shots,
        holdout=args.holdout,
        mode=args.mode,
        episodes=args.episodes,
        ways=args.ways,
        epochs=args.epochs,
        seed=args.seed,
        dtw=not args.no_dtw,
        synthetic_classes=args.synthetic_classes,
    )
    data = load_imu_folders([args.data_dir], features)
    log = None if args.json else (lambda ev: print(json.dumps(ev), file=sys.stderr, flush=True))
    result = run_fewshot(data, features, cfg, base.tflite if base else None, progress=log)
    result["channels"] = features.channels
    if args.json:
        print(json.dumps(result))
    else:
        from wandlab.commands.bench import print_table

        print_table(
            [(k, v) for k, v in result.items() if k != "per_group"],
            f"few-shot {args.shots}-shot, {args.holdout} held out, mode {args.mode}",
        )
    return 0


def _configure_lodo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-root", default=None, help="folder holding the gesture sets (default ../shared/data)")
    p.add_argument("--channels", type=int, choices=(3, 6), default=3)
    p.add_argument("--shots", default="1,3,5", help="comma-separated shot counts")
    p.add_argument("--sets", default="", help="comma-separated sets to leave out in turn (default: all found)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--episodes", type=int, default=10, help="episodes per held-out person/session")
    p.add_argument("--no-dtw", action="store_true", help="skip the (slow) DTW baseline")
    p.add_argument("--rigs", type=int, default=None,
                   help="simulated rigs in the training data (synth.rigs; the recipe has none: see docs/ml.md)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bench_lodo)


def _bench_lodo(args: argparse.Namespace) -> int:
    from wandlab.flows.base_recipe import Recipe
    from wandlab.flows.leave_one_dataset_out import run_lodo

    try:
        shots = tuple(int(v) for v in args.shots.split(","))
    except ValueError:
        raise ModelError(f"--shots must be comma-separated whole numbers, like 1,3,5 (got {args.shots!r})") from None
    root = Path(args.data_root) if args.data_root else models_dir().parent.parent / "shared" / "data"
    log = None if args.json else (lambda row: print(
        f"{row['held_out']} left out, {row['shots']} shots: board {_fmt(row['accuracy'])}, "
        f"embedding alone {_fmt(row['embedding_accuracy'])}, DTW {_fmt(row['baseline_dtw_1nn'])}, "
        f"raw {_fmt(row['baseline_raw_1nn'])}", file=sys.stderr, flush=True))
    recipe = Recipe(epochs=args.epochs) if args.rigs is None else Recipe(epochs=args.epochs, rigs=args.rigs)
    result = run_lodo(root, args.channels, shots, recipe, args.episodes, args.seed,
                      dtw=not args.no_dtw, only=[v for v in args.sets.split(",") if v] or None, progress=log)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"leave one data set out, {args.channels} channels, {args.epochs} epochs, seed {args.seed}")
    keys = ("accuracy", "embedding_accuracy", "baseline_dtw_1nn", "baseline_raw_1nn", "float_accuracy")
    print(f"{'held-out set':<16}{'shots':>6}{'board':>8}{'emb.':>8}{'DTW':>8}{'raw':>8}{'float':>8}  held out by")
    for r in result["rows"]:
        print(f"{r['held_out']:<16}{r['shots']:>6}" + "".join(f"{_fmt(r[k]):>8}" for k in keys)
              + f"  {r['holdout']} ({r['groups']})")
    print(f"{'mean':<16}{'':>6}" + "".join(f"{_fmt(result['mean'][k]):>8}" for k in keys))
    print("board: the int8 model's k-NN ranked by embedding + DTW on shape codes, as both boards rank "
          "(onboard.hybrid_rank); emb.: ranked by the embedding alone; float: the float model, as the board")
    q = result["int8"]
    print(f"float - int8: {q['float_minus_int8']:+.3f} on average, worst {q['worst']:+.3f}; ranked by the "
          f"embedding alone {q['embedding_float_minus_int8']:+.3f}, worst {q['embedding_worst']:+.3f} "
          f"({q['held_out_takes']} held-out takes)")
    return 0


def _configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--classes", type=int, default=8)
    p.add_argument("--takes", type=int, default=20)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--channels", type=int, choices=(3, 6), default=6)
    p.add_argument("--test-takes", type=int, default=512,
                   help="held-out takes by 4 other simulated people for float_accuracy / int8_accuracy")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bench_train)


def _bench_train(args: argparse.Namespace) -> int:
    """Time the whole click-to-model path on virtual-wand takes (the DESIGN.md 60 s budget). Float and int8
    accuracy are measured on ``--test-takes`` takes by people the training never saw: a user's own 20% split
    (32 takes here) cannot show a 1-point int8 loss."""
    t_all = time.perf_counter()
    from wandlab.ml.synthetic import gesture_names, virtual_takes
    from wandlab.ml.train import ImuData, TrainRequest, split, train_events
    from wandlab.onboard.imu_features import FeatureConfig, batch_features

    features = FeatureConfig(channels=args.channels)
    takes = virtual_takes(gesture_names(args.classes), args.takes, people=[1, 2, 3, 4], seed=7)
    data = ImuData(
        batch_features([(t.data, t.rate_hz) for t in takes], features),
        np.array([t.label for t in takes]),
        np.array([t.subject for t in takes]),
        np.array([""] * len(takes)),
    )
    if args.test_takes < args.classes:
        raise ModelError(f"--test-takes must be at least one per class ({args.classes})")
    train, _ = split(data, TrainRequest(data_dirs=[], val_fraction=0.2, seed=0))
    per_class = -(-args.test_takes // args.classes)
    unseen = virtual_takes(gesture_names(args.classes), per_class, people=[5, 6, 7, 8], seed=8)
    test = ImuData(
        batch_features([(t.data, t.rate_hz) for t in unseen], features),
        np.array([t.label for t in unseen]),
        np.array([t.subject for t in unseen]),
        np.array([""] * len(unseen)),
    )
    done: dict[str, Any] = {}
    for ev in train_events(train, test, features, epochs=args.epochs, seed=0):
        if ev["event"] == "done":
            done = ev
    if not done:
        raise ModelError("training produced no result")
    result = {
        k: done[k]
        for k in (
            "train_s",
            "convert_s",
            "verify_s",
            "model_bytes",
            "arena_bytes",
            "float_accuracy",
            "int8_accuracy",
            "bit_exact",
        )
    }
    result.update(
        {
            "total_s": time.perf_counter() - t_all,
            "classes": args.classes,
            "takes_per_class": args.takes,
            "epochs": args.epochs,
            "channels": args.channels,
            "train_takes": len(train.labels),
            "test_takes": len(test.labels),
            "data": "virtual wand (wandlab.synth.motion): training people 1-4 (80 % of their takes), "
            "test people 5-8",
        }
    )
    if args.json:
        print(json.dumps(result))
    else:
        from wandlab.commands.bench import print_table

        print_table(result.items(), "train + int8 + verify benchmark")
    return 0
