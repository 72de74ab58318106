"""``wandlab bench ...``: benchmarks that print a table (or one JSON object with --json).

Areas add their own benchmark with ``add_benchmark(name, help)``, which returns an argparse parser to
fill in; this module only owns the ``bench`` command itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

_registered: list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = []
_bench_sub: Any = None


def add_benchmark(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None]) -> None:
    """Declare ``wandlab bench NAME``; ``configure(parser)`` adds its arguments and set_defaults(func=...)."""
    if _bench_sub is None:
        _registered.append((name, help, configure))
    else:
        configure(_bench_sub.add_parser(name, help=help))


def register(sub: Any) -> None:
    global _bench_sub
    parser = sub.add_parser("bench", help="run a benchmark and print a table (or --json)")
    _bench_sub = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    # Importing the modules that own benchmarks makes them call add_benchmark().
    import wandlab.board.bench_streaming  # noqa: F401
    import wandlab.board.bench_transfer  # noqa: F401

    for name, help_text, configure in _registered:
        configure(_bench_sub.add_parser(name, help=help_text))
    _registered.clear()


def print_table(rows: Iterable[tuple[str, Any]], title: str = "") -> None:
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    if title:
        print(title)
        print("-" * max(len(title), width + 20))
    for key, value in rows:
        text = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {text}")
