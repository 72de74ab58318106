"""``wandlab csv-probe PORT``: what a board running its own sketch prints, as the ``csv:`` spec to record with.

Detection is a guess from a second or two of lines (see wandlab.link.csv_detect); the printed spec
states every guess (columns, rate, units), so it can be checked, edited and passed to ``--port`` of any
command, which then skips detection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
from typing import Any

from wandlab.link.csv_format import DEFAULT_BAUD


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "csv-probe",
        help="detect what a board running its own sketch prints (text lines) and print the csv: spec for it",
    )
    p.add_argument("port", help="serial port, e.g. /dev/ttyACM0 (serial:... and csv:... specs work too)")
    p.add_argument("--baud", type=int, default=0, help=f"the sketch's Serial.begin() speed (default {DEFAULT_BAUD})")
    p.add_argument("--seconds", type=float, default=1.5, help="how long to listen after the first line")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=_probe)


def _probe(args: argparse.Namespace) -> int:
    from wandlab.link import parse_spec
    from wandlab.link.csv_detect import probe

    _, port, options = parse_spec(args.port)
    baud = args.baud or int(options.get("baud", DEFAULT_BAUD))
    if not args.json:
        print(f"Listening to {port} at {baud} baud…", flush=True)
    found = asyncio.run(probe(port, baud, args.seconds))
    spec, fmt = found.spec(port, baud), found.format
    if args.json:
        print(json.dumps({
            "spec": spec, "columns": list(fmt.columns), "rate_hz": fmt.rate_hz,
            "measured_hz": round(found.measured_hz, 2), "accel": fmt.accel, "gyro": fmt.gyro,
            "separator": found.separator, "timestamp": found.timestamp, "lines": found.lines,
            "skipped": list(found.skipped), "notes": list(found.notes),
        }))  # fmt: skip
        return 0
    print(found.summary())
    print(f"  columns {','.join(fmt.columns)}; measured {found.measured_hz:.1f} Hz over {found.lines} lines")
    for line in found.skipped:
        print(f"  skipped (not a sample): {line[:70]!r}")
    for note in found.notes:
        print(f"  check: {note}")
    print("This spec skips detection; edit columns, rate, accel or gyro if a guess is wrong:")
    print(f"  {spec}")
    print(f"  e.g. wandlab record --port {shlex.quote(spec)} --label circle --takes 10")
    return 0
