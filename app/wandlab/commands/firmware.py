"""``wandlab firmware install``: put Wandlab's firmware on a board in UF2 bootloader mode."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    from wandlab.flows.firmware_install import TARGETS

    p = sub.add_parser("firmware", help="install Wandlab's firmware on a board")
    fsub = p.add_subparsers(dest="firmware_command", metavar="ACTION", required=True)
    i = fsub.add_parser("install", help="copy the firmware to a board in UF2 bootloader mode (double-tap reset)")
    i.add_argument("--board", choices=sorted(TARGETS), default="xiao")
    i.add_argument("--drive", action="append", metavar="DIR",
                   help="look for the bootloader drive here (default: where the OS mounts USB drives)")
    i.set_defaults(func=_install)


def _install(args: argparse.Namespace) -> int:
    from wandlab.flows.firmware_install import install

    done = install(args.board, [Path(d) for d in args.drive] if args.drive else None)
    print(f"Copied {done.bytes} bytes to {done.drive}: the {done.board} restarts with Wandlab's firmware. "
          "Connect to it with its USB serial port or pair it over Bluetooth.")
    return 0
