"""``wandlab virtual-wand``: serve the virtual wand on a pseudo-terminal until interrupted;
``wandlab virtual-takes DIR``: write simulated people's gestures as a labeled folder (benchmarks, demos)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
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
    p.add_argument("--mic", nargs="?", const="default", metavar="DEVICE",
                   help="hear this computer's microphone instead of synthetic room noise: the default input, "
                        "or DEVICE (a number or part of its name; a 16-bit WAV file plays as the microphone). "
                        "Needs PortAudio (Debian/Ubuntu: libportaudio2)")
    p.set_defaults(func=_run)

    v = sub.add_parser("virtual-takes", help="write virtual-wand gestures by simulated people as a labeled folder "
                       "(manifest.csv), trimmed as the recorder trims takes")
    v.add_argument("out", help="folder to create")
    v.add_argument("--classes", type=int, default=10, help="how many of the virtual gestures (at most 10)")
    v.add_argument("--takes", type=int, default=60, help="takes per gesture, spread over the people")
    v.add_argument("--people", default="21-26", help="simulated people, e.g. 21-26 or 3,5,8 (base models saw 1-16)")
    v.add_argument("--seed", type=int, default=2024)
    v.add_argument("--untrimmed", action="store_true", help="keep the rest before and after each gesture")
    v.add_argument("--everyday", type=float, metavar="SECONDS",
                   help="instead of gestures: SECONDS of everyday handling of the wand per person (waving, "
                        "pointing, lifting, twisting, walking; label 'everyday'), e.g. for bench open-set")
    v.set_defaults(func=_virtual_takes)


def _run(args: argparse.Namespace) -> int:
    from wandlab.virtual.board import VirtualBoard, VirtualWandConfig
    from wandlab.virtual.pty_server import PtyWandServer

    config = VirtualWandConfig(imu_rate_hz=args.rate, axes=args.axes, person=args.person, seed=args.seed,
                               state_dir=args.state, max_model_bytes=args.max_model_kbytes * 1000,
                               microphone=args.mic)
    board = VirtualBoard(config)  # a microphone that cannot be opened stops here, with the reason
    server = PtyWandServer(board, args.port_path)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.stop)
        task = asyncio.create_task(server.serve())
        await server.wait_plugged()
        print(server.spec, flush=True)
        if board.audio.source is not None:
            # stderr: scripts read the port from the first line of stdout
            print(f"microphone: {board.audio.source.name} ({board.audio.source.rate_hz} Hz)", file=sys.stderr)
        await task

    asyncio.run(main())
    return 0


def _people(text: str) -> list[int]:
    from wandlab.errors import WandlabError

    people: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.partition("-")
            people += list(range(int(first), int(last or first) + 1))
    except ValueError:
        raise WandlabError(f"--people {text!r}: write numbers and ranges, e.g. 21-26 or 3,5,8") from None
    return people


def _virtual_takes(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wandlab.errors import WandlabError
    from wandlab.ml.synthetic import Take, gesture_names, virtual_takes, write_folder
    from wandlab.onboard.trim import auto_trim_imu

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise WandlabError(f"{out} is not empty: choose a new folder")
    if args.everyday is not None:
        import numpy as np

        from wandlab.synth.everyday import everyday_motion

        if not 1 <= args.everyday <= 600:
            raise WandlabError(f"--everyday takes 1-600 seconds per person, not {args.everyday:g}")
        people = _people(args.people)
        write_folder(out, [Take(everyday_motion(args.everyday, 100.0, p, args.seed).astype(np.float32), 100.0,
                                "everyday", f"virtual-{p}") for p in people])
        print(f"{args.everyday:g} s of everyday motion by each of {len(people)} people in {out}")
        return 0
    try:
        labels = gesture_names(args.classes)
    except ValueError as exc:
        raise WandlabError(str(exc)) from None
    takes = virtual_takes(labels, args.takes, _people(args.people), seed=args.seed)
    if not args.untrimmed:
        trimmed = []
        for take in takes:
            start, end = auto_trim_imu(take.data, take.rate_hz)
            trimmed.append(Take(take.data[start:end], take.rate_hz, take.label, take.subject))
        takes = trimmed
    write_folder(out, takes)
    print(f"{len(takes)} takes of {len(labels)} gestures by {len(_people(args.people))} people in {out}")
    return 0
