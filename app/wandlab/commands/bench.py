"""``wandlab bench ...``: benchmarks that print a table (or one JSON object with --json).

Areas declare their own benchmark with ``add_benchmark(name, help, configure)``; this module only owns
the ``bench`` command itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

Configure = Callable[[argparse.ArgumentParser], None]
# name -> (help, configure). A dict, so declaring twice (e.g. building the parser twice) is harmless.
_BENCHMARKS: dict[str, tuple[str, Configure]] = {}


def add_benchmark(name: str, help: str, configure: Configure) -> None:
    """Declare ``wandlab bench NAME``; ``configure(parser)`` adds its arguments and set_defaults(func=...)."""
    _BENCHMARKS[name] = (help, configure)


def register(sub: Any) -> None:
    parser = sub.add_parser("bench", help="run a benchmark and print a table (or --json)")
    bench_sub = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    # Importing the modules that own benchmarks makes them call add_benchmark().
    import wandlab.commands.bench_hid  # noqa: F401
    import wandlab.commands.bench_open_set  # noqa: F401
    import wandlab.commands.bench_streaming  # noqa: F401
    import wandlab.commands.bench_train_flash  # noqa: F401
    import wandlab.commands.bench_transfer  # noqa: F401
    import wandlab.commands.bench_wake_latency  # noqa: F401
    import wandlab.commands.bench_wakeword  # noqa: F401

    for name, (help_text, configure) in sorted(_BENCHMARKS.items()):
        configure(bench_sub.add_parser(name, help=help_text))


def print_table(rows: Iterable[tuple[str, Any]], title: str = "") -> None:
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    if title:
        print(title)
        print("-" * max(len(title), width + 20))
    for key, value in rows:
        text = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {text}")
