"""``wandlab enroll``, ``wandlab hid``, ``wandlab refs`` and ``wandlab recognize``: the board as a controller.

With the virtual wand, ``--perform`` scripts the gestures (SimPerform) so the whole loop runs headless;
give it a state folder (``virtual:?state=DIR``) to keep what was enrolled between commands.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from wandlab.board.client import BoardClient
from wandlab.flows.connect import open_link
from wandlab.protocol import Log, Message, SimPerform
from wandlab.protocol.controller import NO_CLASS, HidReport, InferenceEvent
from wandlab.protocol.enroll import ALL_CLASSES, EnrollState

PERFORM_GAP_S = 2.5  # one scripted gesture, then stillness long enough for the board to end the segment
SOURCES = {0: "model", 1: "enrolled", 2: "uploaded"}


def register(sub: Any) -> None:
    e = sub.add_parser("enroll", help="teach the board a gesture from a few takes (no training)")
    e.add_argument("--port", required=True, help="link spec, e.g. serial:/dev/ttyACM0 or virtual:?state=DIR")
    e.add_argument("--label", required=True, help="name of the gesture")
    e.add_argument("--shots", type=int, default=3, help="takes to capture (default 3)")
    e.add_argument("--class-id", type=int, help="class id to use (default: the board picks)")
    e.add_argument("--timeout", type=float, default=15.0, help="seconds allowed per take")
    e.add_argument("--perform", metavar="GESTURE", help="virtual wand: perform this gesture for each take")
    e.add_argument("--project", metavar="DIR", help="keep the takes in this project, so the next training includes "
                   "the gesture (default: ~/Wandlab/default-project)")
    e.add_argument("--no-save", action="store_true", help="do not keep the takes in a project")
    e.set_defaults(func=_enroll)

    h = sub.add_parser("hid", help="show or set what the board presses for each class")
    h.add_argument("--port", required=True)
    group = h.add_mutually_exclusive_group(required=True)
    group.add_argument("--preset", help="presentation-clicker, media-remote or arrow-keys (maps and enables)")
    group.add_argument("--show", action="store_true", help="print the board's HID map")
    group.add_argument("--off", action="store_true", help="stop sending HID reports")
    group.add_argument("--on", action="store_true", help="send HID reports with the stored map")
    h.set_defaults(func=_hid)

    r = sub.add_parser("refs", help="list the classes the board recognises, or clear one")
    r.add_argument("--port", required=True)
    r.add_argument("--clear", metavar="ID|all", help="forget a class (or all of them)")
    r.set_defaults(func=_refs)

    g = sub.add_parser("recognize", help="watch the board recognise gestures on its own")
    g.add_argument("--port", required=True)
    g.add_argument("--seconds", type=float, default=10.0)
    g.add_argument("--perform", metavar="G1,G2,..", help="virtual wand: perform these gestures, one by one")
    g.set_defaults(func=_recognize)


def _print_log(message: Message) -> None:
    if isinstance(message, Log):
        print(f"board: {message.text}")


def _enroll(args: argparse.Namespace) -> int:
    import contextlib

    from wandlab.board.enroll import enroll_gesture
    from wandlab.commands.record import DEFAULT_PROJECT
    from wandlab.dataset.project import Project
    from wandlab.flows.enroll_takes import enroll_and_keep

    async def main() -> int:
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(BoardClient(open_link(args.port), reconnect=False))
            client.on_event(_print_log)
            timeout_ms = int(args.timeout * 1000)
            if args.no_save:
                progress = enroll_gesture(client, args.label, args.shots, args.class_id, timeout_ms)
            else:
                project = stack.enter_context(Project.open(args.project or DEFAULT_PROJECT, create=True))
                progress = enroll_and_keep(client, project, args.label, args.shots, args.class_id, timeout_ms)
            state = EnrollState.FAILED
            async for p in progress:
                state = EnrollState(p.state)
                print(f"[{state.name.lower():>8}] {p.shot}/{p.shots} {p.message}")
                if state == EnrollState.WAITING and args.perform:
                    await client.request(SimPerform(args.perform))
            return 0 if state == EnrollState.DONE else 1

    return asyncio.run(main())


def _hid(args: argparse.Namespace) -> int:
    from wandlab.board.controller import enable_hid, get_hid_map, set_gesture_keys
    from wandlab.board.enroll import list_refs
    from wandlab.board.hid_presets import describe, map_labels, preset

    chosen = preset(args.preset) if args.preset else None  # a typo fails before connecting

    async def main() -> int:
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            refs = await list_refs(client)
            labels = {c.class_id: c.label for c in refs.classes}
            if chosen is not None:
                mapping = map_labels(chosen, sorted(labels.items()))
                await set_gesture_keys(client, [a for a, _ in mapping])  # the wake words' keys stay
                await enable_hid(client, True)
                print(f"{chosen.name}: {len(mapping)} of {len(labels)} classes mapped, HID on")
            elif args.on or args.off:
                await enable_hid(client, bool(args.on))
            hid = await get_hid_map(client)
            print(f"HID {'on' if hid.enabled else 'off'}")
            for a in hid.actions:
                name = labels.get(a.class_id, "(no such class)")
                print(f"  {a.class_id:3d} {name:<16} -> {describe(a)}")
            return 0

    return asyncio.run(main())


def _refs(args: argparse.Namespace) -> int:
    from wandlab.board.enroll import clear_refs, list_refs

    async def main() -> int:
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            if args.clear:
                await clear_refs(client, ALL_CLASSES if args.clear == "all" else int(args.clear))
            refs = await list_refs(client)
            print(f"{len(refs.classes)} classes, {refs.dim}-D embeddings")
            for c in refs.classes:
                print(f"  {c.class_id:3d} {c.label:<16} {c.count:2d} refs  threshold {c.threshold:8.0f}  "
                      f"{SOURCES.get(c.source, '?')}")
            return 0

    return asyncio.run(main())


# HidReport.sent 0: HID output is off, or no bonded computer is connected over BLE to receive the key.
NOT_SENT = "not sent: HID off or no paired computer connected"


def format_decision(message: InferenceEvent | HidReport) -> str:
    from wandlab.board.hid_presets import describe
    from wandlab.protocol.controller import HidAction

    if isinstance(message, HidReport):
        action = HidAction(message.class_id, message.kind, message.code, message.modifiers)
        return f"  -> HID {describe(action)} ({'sent' if message.sent else NOT_SENT})"
    name = message.label if message.class_id != NO_CLASS else f"none (nearest {message.label or '-'})"
    return (f"#{message.sample_index:<8} {name:<24} distance {message.distance:8.0f}  margin {message.margin:+8.0f}"
            f"  {message.latency_us / 1000:.2f} ms")


def _recognize(args: argparse.Namespace) -> int:
    from wandlab.board.controller import Recognition

    gestures = [g for g in (args.perform or "").split(",") if g]

    async def main() -> int:
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            client.on_event(_print_log)
            end = time.monotonic() + args.seconds
            next_perform = time.monotonic()
            async with Recognition(client) as live:
                while time.monotonic() < end:
                    if gestures and time.monotonic() >= next_perform:
                        await client.request(SimPerform(gestures.pop(0)))
                        next_perform = time.monotonic() + PERFORM_GAP_S
                    decision = await live.next(timeout_s=min(0.2, max(0.01, end - time.monotonic())))
                    if decision is not None:
                        print(format_decision(decision), flush=True)
            return 0

    return asyncio.run(main())
