"""``wandlab record``: record takes of one label from a board into a project, without the GUI.

The same CaptureSession as the Record page does the work; this file only connects the board, feeds
it blocks and the time, and prints the prompts. With the virtual wand, ``--perform circle`` (or
``--say "hey wand"``) makes the wand act out each take, so a newcomer can try it without hardware::

    wandlab record --port virtual: --label circle --takes 3 --perform circle
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from wandlab.commands.dataset import in_sentences

TICK_S = 0.05
ARMED_PAUSE_S = 0.8  # --perform with --trigger motion: how long the wand rests before each take
DEFAULT_PROJECT = Path.home() / "Wandlab" / "default-project"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("record", help="record takes of a gesture or word from a board")
    p.add_argument("--port", default="virtual:", help="link spec, e.g. serial:/dev/ttyACM0 (default: virtual:)")
    p.add_argument("--label", required=True, help="what the takes show, e.g. circle or 'hey wand'")
    p.add_argument("--takes", type=int, default=1, help="how many takes to record (default 1)")
    p.add_argument("--seconds", type=float, default=2.0, help="length of a take (motion: the longest)")
    p.add_argument("--countdown", type=int, default=3, help="seconds counted down before each take")
    p.add_argument(
        "--trigger",
        choices=("timer", "button", "motion"),
        default="timer",
        help="timer: takes follow each other; button: press the board's button (or Enter) for each; "
        "motion: start on motion, end on stillness",
    )
    p.add_argument("--kind", choices=("imu", "audio"), default="imu", help="gesture (imu) or word (audio)")
    p.add_argument("--project", default=str(DEFAULT_PROJECT), metavar="DIR", help="project folder")
    p.add_argument("--subject", default="", help="who performs the takes")
    p.add_argument("--session", default="", help="session name (default: today's date and time)")
    p.add_argument("--perform", metavar="GESTURE", help="virtual wand only: perform GESTURE in each take")
    p.add_argument("--say", metavar="TEXT", help="virtual wand only: say TEXT in each take")
    p.set_defaults(func=in_sentences(_record))


def _record(args: argparse.Namespace) -> int:
    from wandlab.dataset.project import Project
    from wandlab.errors import DatasetError

    if (args.perform or args.say) and not args.port.startswith("virtual"):
        raise DatasetError("--perform and --say script the virtual wand; use --port virtual:")
    if args.perform:
        from wandlab.synth.gestures import GESTURES

        if args.perform not in GESTURES:
            raise DatasetError(f"unknown gesture {args.perform!r}; the virtual wand knows {', '.join(GESTURES)}")
    with Project.open(args.project, create=True) as project:
        for line in project.recovery:
            print(line, file=sys.stderr)
        saved = asyncio.run(_capture(project, args))
    print(f"Saved {saved} of {args.takes} take(s) of '{args.label}' to {args.project}")
    return 0 if saved == args.takes else 1


async def _capture(project: Any, args: argparse.Namespace) -> int:
    from wandlab.board.client import BoardClient, ConnectionState
    from wandlab.dataset import capture as cap
    from wandlab.flows.connect import open_link
    from wandlab.protocol import ButtonEvent, SensorKind, SimPerform, SimSay

    client = BoardClient(open_link(args.port))
    info = await client.connect()
    settings = cap.CaptureSettings(
        label=args.label,
        kind=args.kind,
        takes=args.takes,
        seconds=args.seconds,
        countdown_s=args.countdown,
        trigger=args.trigger,
        subject=args.subject,
        session=args.session or time.strftime("%Y-%m-%d %H:%M"),
        board=info.board_name,
        firmware=info.firmware_version,
    )
    session = cap.CaptureSession(project, settings)
    pending: set[asyncio.Task[Any]] = set()

    def act() -> None:  # script the virtual wand at the start of each take
        message = SimPerform(args.perform) if args.perform else SimSay(args.say) if args.say else None
        if message is not None:
            task = asyncio.ensure_future(client.request(message))
            pending.add(task)
            task.add_done_callback(pending.discard)

    def show(event: cap.CaptureEvent) -> None:
        if isinstance(event, cap.StateChanged) and event.state in (
            cap.COUNTDOWN,
            cap.RECORDING,
            cap.ARMED,
            cap.WAITING,
        ):
            print(event.prompt, flush=True)
            if event.state == cap.RECORDING and args.trigger != "motion":
                act()
            elif event.state == cap.ARMED:  # let the pre-roll fill with stillness first
                asyncio.get_running_loop().call_later(ARMED_PAUSE_S, act)
        elif isinstance(event, cap.CountdownTick):
            print(f"  {event.remaining}…", flush=True)
        elif isinstance(event, cap.TakeSaved):
            s = event.sample
            mark = " (cut short: kept what arrived)" if event.interrupted else ""
            print(
                f"  saved take {event.take} of {event.takes}: {s.trimmed_frames / s.rate_hz:.2f} s after "
                f"trimming ({s.duration_s:.2f} s recorded), id {s.id[:8]}{mark}",
                flush=True,
            )
        elif isinstance(event, cap.TakeDiscarded):
            print(f"  discarded: {event.reason}", flush=True)
        elif isinstance(event, cap.CaptureError):
            print(f"  {event.message}", file=sys.stderr, flush=True)

    session.subscribe(show)
    client.on_block(lambda b: session.feed(b.sensor, b.data, b.rate_hz, time.monotonic(), b.lost_before))
    client.on_event(
        lambda m: session.start(time.monotonic()) if isinstance(m, ButtonEvent) and m.pressed else None
    )

    def state_changed(state: ConnectionState, detail: str) -> None:
        if state in (ConnectionState.RECONNECTING, ConnectionState.DISCONNECTED):
            session.connection_lost(time.monotonic(), detail)

    client.on_state(state_changed)
    if args.kind == "audio" and info.sensor(SensorKind.MICROPHONE) is None:
        await client.close()
        from wandlab.errors import BoardError

        raise BoardError(f"{info.board_name} has no microphone to record words with")
    stdin_task = _watch_enter(session) if args.trigger == "button" else None
    try:
        await client.start_stream(imu=args.kind == "imu", audio=args.kind == "audio")
        session.start(time.monotonic())
        while session.running:
            await asyncio.sleep(TICK_S)
            session.tick(time.monotonic())
    except (KeyboardInterrupt, asyncio.CancelledError):
        session.stop(time.monotonic())  # Ctrl+C: keep the take in progress
        raise
    finally:
        if stdin_task is not None:
            stdin_task.cancel()
        for task in list(pending):
            task.cancel()
        await client.close()
    return len(session.saved)


def _watch_enter(session: Any) -> Any:
    """Enter on the terminal starts the next take too (a board may have no button)."""
    if not sys.stdin.isatty():
        return None
    loop = asyncio.get_running_loop()

    def line() -> None:
        sys.stdin.readline()
        session.start(time.monotonic())

    try:
        loop.add_reader(sys.stdin.fileno(), line)  # no thread: nothing to wait for at exit
    except (NotImplementedError, OSError):
        return None

    class Remove:
        def cancel(self) -> None:
            loop.remove_reader(sys.stdin.fileno())

    return Remove()
