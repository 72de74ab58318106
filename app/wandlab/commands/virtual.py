"""``wandlab virtual-wand``: serve the virtual wand on a pseudo-terminal until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("virtual-wand", help="run the virtual wand on a pseudo-terminal and print its port")
    p.add_argument("--rate", type=int, default=100, help="IMU rate in Hz (25, 50, 100, 200, 400)")
    p.add_argument("--axes", type=int, choices=(3, 6), default=6, help="3: accel only, 6: accel + gyro")
    p.add_argument("--person", type=int, default=0, help="simulated person (motion style, voice)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--port-path", help="where to create the port's symlink (default: a temp path)")
    p.add_argument("--state", help="folder where the board keeps its models across restarts (like flash)")
    p.add_argument("--max-model-kbytes", type=int, default=256, help="largest model the board accepts, in KB")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from wandlab.virtual.board import VirtualBoard, VirtualWandConfig
    from wandlab.virtual.pty_server import PtyWandServer

    config = VirtualWandConfig(imu_rate_hz=args.rate, axes=args.axes, person=args.person, seed=args.seed,
                               state_dir=args.state, max_model_bytes=args.max_model_kbytes * 1000)
    server = PtyWandServer(VirtualBoard(config), args.port_path)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.stop)
        task = asyncio.create_task(server.serve())
        await server.wait_plugged()
        print(server.spec, flush=True)
        await task

    asyncio.run(main())
    return 0
