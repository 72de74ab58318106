"""Import benchmark: how long a real labeled folder takes to import into a fresh project, and back out.

Run: .venv/bin/python benchmarks/bench_import.py [--data cyberry_wand nanguoyu_wand fsdd] [--repeat 3]

For each data set, in a fresh temporary project: import (split into checking = read + validate every
file, writing = sample files, commit = one SQLite transaction; the flush to disk is in commit), then a
second import of the same folder (all skipped as duplicates: the cost of checking alone), an export to
the labeled-folder format, and a re-import of that export, verified to hold the identical data.
Times are the median of ``--repeat`` runs, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from wandlab.dataset.export import export_project  # noqa: E402
from wandlab.dataset.importer import import_source  # noqa: E402
from wandlab.dataset.jobs import Progress, run_job  # noqa: E402
from wandlab.dataset.project import Project  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
COLUMNS = (
    "data set",
    "samples",
    "check",
    "write",
    "commit",
    "import",
    "/s",
    "re-import",
    "export",
    "round trip",
)


def timed_import(project: Project, src: Path) -> tuple[dict[str, float], int]:
    """Import with phase times taken from the job's own progress messages."""
    start = time.perf_counter()
    marks: dict[str, float] = {}

    def on(p: Progress) -> None:
        marks[p.message.split(" ", 1)[0]] = time.perf_counter() - start

    result = run_job(import_source(project, src), on)
    total = time.perf_counter() - start
    checked = marks.get("checking", 0.0)
    written = marks.get("writing", checked)
    phases = {"check": checked, "write": written - checked, "commit": total - written, "import": total}
    return phases, len(result.added)


def run_once(src: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with Project.open(tmp_path / "a", create=True) as project:
            phases, count = timed_import(project, src)
            again, _ = timed_import(project, src)
            start = time.perf_counter()
            run_job(export_project(project, tmp_path / "out"))
            exported = time.perf_counter() - start
            original = sorted((s.label, s.subject, s.session, s.sha256) for s in project.samples())
        with Project.open(tmp_path / "b", create=True) as copy:
            run_job(import_source(copy, tmp_path / "out"))
            same = sorted((s.label, s.subject, s.session, s.sha256) for s in copy.samples()) == original
    return {**phases, "samples": count, "re-import": again["import"], "export": exported, "same": float(same)}


def _row(cells: tuple[str, ...] | list[str]) -> str:
    return " | ".join([f"{cells[0]:>13}", *(f"{c:>10}" for c in cells[1:])])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["cyberry_wand", "nanguoyu_wand", "fsdd"])
    parser.add_argument("--repeat", type=int, default=1, help="runs per data set (median reported)")
    args = parser.parse_args()
    print(_row(COLUMNS))
    print("-" * len(_row(COLUMNS)))
    for name in args.data:
        src = DATA / name
        if not (src / "manifest.csv").exists():
            print(f"{name:>13} | not found at {src}")
            continue
        runs = [run_once(src) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        cells = [
            name,
            f"{int(med['samples'])}",
            f"{med['check']:.2f}",
            f"{med['write']:.2f}",
            f"{med['commit']:.2f}",
            f"{med['import']:.2f}",
            f"{med['samples'] / med['import']:.0f}",
            f"{med['re-import']:.2f}",
            f"{med['export']:.2f}",
            "exact" if all(r["same"] for r in runs) else "DIFFERS",
        ]
        print(_row(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
