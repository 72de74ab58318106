"""``wandlab ble-scan``: the wands advertising nearby, as the app's connect dialog will list them."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("ble-scan", help="list the wands advertising over Bluetooth LE (name, address, signal, bond)")
    p.add_argument("--seconds", type=float, default=3.0, help="how long to listen")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_scan)


def _scan(args: argparse.Namespace) -> int:
    from wandlab.link.ble_scan import scan_wands

    wands = asyncio.run(scan_wands(args.seconds))
    if args.json:
        print(json.dumps([asdict(w) for w in wands]))
        return 0
    if not wands:
        print("no wand is advertising: switch it on (or press its button to wake it) and bring it closer")
    for w in wands:
        print(f"{w.name:<24} ble:{w.address:<20} {w.rssi:4d} dBm  {'bonded' if w.bonded else 'not paired'}")
    return 0
