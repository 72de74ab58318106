"""``wandlab train-and-flash``: the GUI's one button, headless - same pipeline, same stages, printed.

    wandlab train-and-flash --port virtual: --project DIR --record-virtual 10   # a try without hardware
    wandlab train-and-flash --port serial:/dev/ttyACM0 --project DIR --hid-preset arrow-keys

TensorFlow loads only in the training child process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

VIRTUAL_GESTURES = 8
VIRTUAL_PEOPLE = (1, 2, 3, 4)


def register(sub: Any) -> None:
    from wandlab.commands.record import DEFAULT_PROJECT

    p = sub.add_parser("train-and-flash", help="train a gesture model on a project and make it the board's model")
    p.add_argument("--port", required=True, help="link spec, e.g. serial:/dev/ttyACM0 or virtual:")
    p.add_argument("--project", default=str(DEFAULT_PROJECT), metavar="DIR", help="project folder")
    p.add_argument("--epochs", type=int, help="training epochs (default: 60 from the base model, 120 from scratch)")
    p.add_argument("--hid-preset", default="media remote", metavar="NAME",
                   help="presentation-clicker, media-remote, arrow-keys, or none to keep the board's map")
    p.add_argument("--no-base", action="store_true", help="train from scratch, not from the shipped base model")
    p.add_argument("--out", metavar="BUNDLE", help="also save the model bundle here (folder or .zip)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--margin", type=float, default=0.5,
                   help="open-set margin of every gesture: 0 strict (fewer false presses) .. 1 lenient (default 0.5)")
    p.add_argument("--class-margin", action="append", default=[], metavar="LABEL=M",
                   help="open-set margin of one gesture (repeatable), e.g. --class-margin circle=0.8")
    p.add_argument("--record-virtual", type=int, default=0, metavar="N",
                   help=f"first record N takes of each of {VIRTUAL_GESTURES} virtual-wand gestures into the project")
    p.add_argument("--json", action="store_true", help="print every stage event as a JSON line")
    p.add_argument("--yes", action="store_true", help="go on even if the new model drops gestures enrolled on the "
                   "board or mapped keys (they are listed first; without --yes a terminal asks, a script stops)")
    p.set_defaults(func=_main)


def _options(args: argparse.Namespace) -> Any:
    from wandlab.board.hid_presets import preset
    from wandlab.flows.train_flash import TrainFlashOptions

    hid = None if args.hid_preset.strip().lower() == "none" else preset(args.hid_preset).name  # typo: fail now
    from wandlab.commands.ml import margins_from

    return TrainFlashOptions(epochs=args.epochs, seed=args.seed, base=None if args.no_base else "auto",
                             hid_preset=hid, bundle_out=args.out, margins=margins_from(args),
                             confirm_losses=_confirmer(getattr(args, "yes", False)))


def _confirmer(yes: bool) -> Any:
    """--yes: go on; a terminal: ask; anything else (a script, CI): None, so the pipeline stops and says why."""
    async def confirm(lines: list[str]) -> bool:
        print("Train & Flash would drop:\n  - " + "\n  - ".join(lines), file=sys.stderr)
        if yes:
            return True
        answer = await asyncio.to_thread(input, "Go on? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return confirm if yes or sys.stdin.isatty() else None


def print_event(event: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.to_dict(), default=str), flush=True)
        return
    if event.kind == "progress" and event.stage != "train":
        return  # upload chunks etc.: the bar is the GUI's; the CLI prints epochs only
    seconds = event.data.get("seconds")
    took = f" ({seconds:.2f} s)" if event.kind == "done" and seconds is not None else ""
    mark = {"start": ">", "progress": " ", "done": "+", "failed": "!"}[event.kind]
    if event.kind == "progress" and "epoch" in event.data:
        epoch, epochs = event.data["epoch"], event.data["epochs"]
        if epoch not in (1, epochs) and epoch % max(1, epochs // 10):
            return
    print(f"[{event.elapsed_s:6.1f} s {event.fraction:4.0%}] {mark} {event.stage:<8} {event.message}{took}",
          flush=True)


def print_summary(report: dict[str, Any]) -> None:
    print()
    print(f"model {report['model_id']} active on {report['board']}: {len(report['labels'])} classes, "
          f"{report['channels']} channels, {report['epochs']} epochs"
          + (f" from {Path(report['base']).name}" if report.get("base") else " from scratch"))
    fa, ia = report.get("float_accuracy"), report.get("int8_accuracy")
    if ia is not None:
        print(f"held-out takes: {report['validation_takes']}  float {fa:.3f}  int8 {ia:.3f}  "
              f"open set (int8 + thresholds) {report['open_set_accuracy']:.3f}")
    for warning in report.get("warnings", []):
        print(f"warning: {warning}")
    per = report["per_class_accuracy"]
    if per:
        print("per class:  " + "  ".join(f"{k} {v:.2f}" for k, v in per.items()))
    b = report["budget"]
    print(f"model {report['model_bytes']} B (budget {b['model_flash_bytes']}), image {report['image_bytes']} B "
          f"(board max {b['board_max_model_bytes']}), arena {report['arena_bytes']} B (budget {b['arena_bytes']}, "
          f"board {b['board_arena_bytes']}), TFLM bit-exact {report['bit_exact']}")
    for target, ms in report["latency_ms"].items():
        print(f"latency estimate {ms:.2f} ms on {target} (budget {b['latency_ms']:g} ms)")
    for label, action in report["hid"].items():
        print(f"  {label:<14} -> {action}")
    stages = "  ".join(f"{k} {v:.1f}" for k, v in report["stage_seconds"].items())
    print(f"seconds: {stages}  total {report['total_s']:.1f}")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from wandlab.board.client import BoardClient
    from wandlab.dataset.project import Project
    from wandlab.flows.connect import open_link
    from wandlab.flows.train_flash import train_and_flash

    options = _options(args)
    with Project.open(args.project, create=True) as project:
        for line in project.recovery:
            print(line, file=sys.stderr)
        if args.record_virtual:
            record_virtual(project, args.record_virtual, args.seed)
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            report: dict[str, Any] = {}
            async for event in train_and_flash(client, project, options):
                print_event(event, args.json)
                if event.stage == "report" and event.kind == "done":
                    report = event.data
            return report


def record_virtual(project: Any, takes: int, seed: int = 0) -> int:
    from wandlab.flows.virtual_project import add_virtual_takes
    from wandlab.ml.synthetic import gesture_names

    labels = gesture_names(VIRTUAL_GESTURES)
    n = add_virtual_takes(project, labels, takes, VIRTUAL_PEOPLE, seed)
    print(f"recorded {n} virtual-wand takes ({takes} each of {', '.join(labels)}; people "
          f"{', '.join(map(str, VIRTUAL_PEOPLE))}) into {project.root}", file=sys.stderr)
    return n


def _main(args: argparse.Namespace) -> int:
    report = asyncio.run(run(args))
    if report and not args.json:
        print_summary(report)
    return 0
