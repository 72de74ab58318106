"""``wandlab dataset ...``: import, export, ls, stats and check, over the same core the GUI uses.

Reading commands open the project read-only, so they work while the GUI has it open for recording.
Progress goes to stderr; results go to stdout (``--json`` for scripts).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wandlab.dataset.jobs import Progress
    from wandlab.dataset.model import Sample

# The core (numpy, scipy, sqlite) is imported inside each command, so `wandlab --help` and the GUI's
# start-up do not pay for it. These mirror sources.FORMATS and export.EXPORT_FORMATS (a test checks).
IMPORT_FORMATS = ("folder", "edge-impulse", "files")
EXPORT_FORMATS = ("folder", "edge-impulse")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dataset", help="manage a project's recordings (import, export, list)")
    sub = parser.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="import a labeled folder, Edge Impulse JSON, or CSV/WAV files")
    _project_arg(imp, "project folder (created if it does not exist)")
    imp.add_argument("src", help="folder or file to import")
    imp.add_argument("--format", choices=IMPORT_FORMATS, help="source format (default: detected)")
    imp.add_argument("--label", help="label for every imported sample (default: from the source)")
    imp.add_argument("--rate-hz", type=float, help="IMU rate for CSV files without a timestamp column")
    imp.add_argument("--subject", default="", help="subject (person) where the source names none")
    imp.add_argument("--session", default="", help="session where the source names none")
    imp.add_argument("--auto-trim", action="store_true", help="trim each take to its motion / voice")
    imp.add_argument("--keep-duplicates", action="store_true", help="import takes already in the project")
    imp.set_defaults(func=in_sentences(_import))

    exp = sub.add_parser("export", help="export to the labeled-folder format or Edge Impulse JSON")
    _project_arg(exp)
    exp.add_argument("out", help="new (or empty) folder to write")
    exp.add_argument("--format", choices=EXPORT_FORMATS, default="folder")
    exp.add_argument("--trimmed", action="store_true", help="write only each take's trim range")
    exp.add_argument("--label", action="append", help="only this label (repeatable)")
    exp.set_defaults(func=in_sentences(_export))

    ls = sub.add_parser("ls", help="list samples")
    _project_arg(ls)
    ls.add_argument("--label", help="only this label")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=in_sentences(_ls))

    stats = sub.add_parser("stats", help="counts per label, kind, split and subject")
    _project_arg(stats)
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(func=in_sentences(_stats))

    check = sub.add_parser("check", help="flag outliers, near-duplicates, clipped or silent takes")
    _project_arg(check)
    check.add_argument("--json", action="store_true", help="print a JSON list")
    check.set_defaults(func=in_sentences(_check))


def in_sentences(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A disk or index failure the core did not foresee still ends in one sentence, not a traceback.

    The core turns the failures it knows (full or read-only disk, a refusing index) into DatasetError
    itself; this is the net under it, shared with ``wandlab record``.
    """

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        import sqlite3

        from wandlab.dataset.files import disk_error
        from wandlab.dataset.schema import INDEX_NAME, index_error
        from wandlab.errors import WandlabError

        try:
            return command(args)
        except (WandlabError, BrokenPipeError):
            raise  # already a sentence (a LinkError is an OSError too); a closed pipe is the reader's doing
        except OSError as exc:
            raise disk_error(exc, None, "read or write it") from None
        except sqlite3.Error as exc:
            raise index_error(exc, Path(args.project) / INDEX_NAME, "use the project index") from None

    return run


def _project_arg(parser: argparse.ArgumentParser, text: str = "project folder") -> None:
    parser.add_argument("--project", required=True, metavar="DIR", help=text)


def _import(args: argparse.Namespace) -> int:
    from wandlab.dataset.importer import import_source
    from wandlab.dataset.jobs import run_job
    from wandlab.dataset.project import Project
    from wandlab.dataset.sources import ImportOptions

    options = ImportOptions(
        label=args.label,
        rate_hz=args.rate_hz,
        subject=args.subject,
        session=args.session,
        skip_duplicates=not args.keep_duplicates,
        auto_trim=args.auto_trim,
    )
    fresh = not Path(args.project).exists()
    try:
        with Project.open(args.project, create=True) as project:
            for line in project.recovery:
                print(line, file=sys.stderr)
            result = run_job(import_source(project, args.src, options, fmt=args.format), _printer())
    except BaseException:
        if fresh:  # a failed first import should not leave an empty project behind
            shutil.rmtree(args.project, ignore_errors=True)
        raise
    print(result.summary())
    return 0


def _export(args: argparse.Namespace) -> int:
    from wandlab.dataset.export import export_project
    from wandlab.dataset.jobs import run_job
    from wandlab.dataset.project import Project

    with Project.open(args.project, read_only=True) as project:
        chosen = [s for s in project.samples() if not args.label or s.label in args.label]
        count = run_job(export_project(project, args.out, args.format, args.trimmed, chosen), _printer())
    print(f"Exported {count} sample(s) to {args.out} ({args.format})")
    return 0


def _ls(args: argparse.Namespace) -> int:
    from wandlab.dataset.project import Project

    with Project.open(args.project, read_only=True) as project:
        samples = project.samples(label=args.label)
    try:
        return _print_samples(samples, args.json)
    except BrokenPipeError:  # `wandlab dataset ls | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _print_samples(samples: list[Sample], as_json: bool) -> int:
    if as_json:
        for s in samples:
            print(json.dumps({**s.__dict__, "axes": list(s.axes)}))
        return 0
    print(
        f"{'id':8}  {'label':16} {'kind':5} {'rate':>7} {'secs':>6} {'trim':>13} {'split':10} "
        f"{'subject':10} {'session':10} flags"
    )
    for s in samples:
        flags = ",".join(f for f, on in (("interrupted", s.interrupted), ("gaps", s.lost_blocks)) if on)
        print(
            f"{s.id[:8]}  {s.label[:16]:16} {s.kind:5} {s.rate_hz:7g} {s.duration_s:6.2f} "
            f"{f'{s.trim_start}-{s.trim_end}':>13} {s.split:10} {s.subject[:10]:10} {s.session[:10]:10} "
            f"{flags}"
        )
    print(f"{len(samples)} sample(s)")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from wandlab.dataset.project import Project

    with Project.open(args.project, read_only=True) as project:
        stats = project.stats()
    if args.json:
        print(json.dumps(stats))
        return 0
    print(f"{stats['samples']} sample(s), {stats['duration_s']:.1f} s")
    for label, count in stats["labels"].items():
        print(f"  {label:24} {count:6}")
    print("splits: " + ", ".join(f"{k} {v}" for k, v in stats["splits"].items()))
    return 0


def _check(args: argparse.Namespace) -> int:
    from wandlab.dataset.problems import find_problems
    from wandlab.dataset.project import Project

    with Project.open(args.project, read_only=True) as project:
        problems = find_problems(project)
    if args.json:
        print(json.dumps([p.as_dict() for p in problems]))
    else:
        for p in problems:
            print(f"{p.kind:14} {p.label[:16]:16} {p.message}")
        print(f"{len(problems)} problem(s)")
    return 0


def _printer() -> Any:
    """Progress on stderr, at most a few lines a second, so a 3,000-file import stays readable."""
    last = [0.0]

    def show(p: Progress) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or p.done == p.total:
            last[0] = now
            pct = 100 * p.done // max(1, p.total)
            print(f"[{pct:3d}%] {p.message}", file=sys.stderr, flush=True)

    return show
