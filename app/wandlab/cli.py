"""Command line: ``wandlab`` with no arguments opens the GUI; subcommands reuse the same core.

Each area contributes its subcommands through a ``register(subparsers)`` function in its own
``commands`` module, so this file stays a table of contents.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from wandlab.errors import WandlabError

# Modules that each expose register(subparsers) -> None. Missing ones are skipped so that a partial
# install (or an area still being built) does not break the rest of the CLI.
COMMAND_MODULES = (
    "wandlab.commands.board",
    "wandlab.commands.ble",
    "wandlab.commands.controller",
    "wandlab.commands.words",
    "wandlab.commands.virtual",
    "wandlab.commands.dataset",
    "wandlab.commands.record",
    "wandlab.commands.csv_probe",
    "wandlab.commands.ml",
    "wandlab.commands.train_flash",
    "wandlab.commands.firmware",
    "wandlab.commands.bench",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wandlab", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("--port", help="connect to this link at start, e.g. serial:/dev/ttyACM0 or virtual:")
    gui.add_argument("--project", help="open this project folder")
    gui.set_defaults(func=_run_gui)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def _version() -> str:
    from wandlab import __version__
    from wandlab.versions import version_text

    return f"wandlab {__version__}\n{version_text()}"


def _run_gui(args: argparse.Namespace) -> int:
    from wandlab.ui.app import run_app

    return run_app(port=getattr(args, "port", None), project=getattr(args, "project", None))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Options without a command are the GUI's: `wandlab --port virtual:` == `wandlab gui --port virtual:`.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except WandlabError as exc:
        print(f"wandlab: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
