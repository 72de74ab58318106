"""``wandlab bench hid``: gestures in, key presses out, over real HID over GATT.

The virtual wand (with the shipped base model and a HID map of every action kind) serves on the
in-process BLE radio; a paired computer (``virtual.paired_computer``) bonds with it and decodes its input
reports. Gestures are performed on the wand (SimPerform, in real time); for each one the benchmark checks
which key the computer saw and how long after **the end of the gesture** (the last IMU sample of its
motion) the input report arrived (``latency_ms``; ``press_to_report_ms`` is the BLE part alone, from the
board's decision to the report). Then the wand is power-cycled from its state folder and must type into
the same computer without pairing again, and an unbonded app must be refused (ATT 0x05) a protected write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from wandlab.commands.bench import add_benchmark, print_table
from wandlab.protocol import SimPerform
from wandlab.protocol.controller import ActionKind, HidAction, HidMapSet, Modifier

if TYPE_CHECKING:  # the BLE stacks load only when the benchmark runs, not for `wandlab --help`
    from wandlab.virtual.board import VirtualBoard
    from wandlab.virtual.inprocess_ble import VirtualBleWandLink
    from wandlab.virtual.paired_computer import PairedComputer

# (gesture, action kind, code, modifiers, dx, dy, the key the computer shows)
PLAN = (
    ("flick_left", ActionKind.KEY, 0x50, int(Modifier.CTRL), 0, 0, "Ctrl+Left arrow"),
    ("circle", ActionKind.CONSUMER, 0xCD, 0, 0, 0, "Play/Pause"),
    ("tap", ActionKind.MOUSE_CLICK, 1, 0, 0, 0, "left"),
    ("flick_right", ActionKind.MOUSE_MOVE, 0, 0, 40, -25, "move +40 -25"),
)
SETTLE_S = 1.2  # after the gesture ends: the segment closes after 0.3 s of stillness, then recognition


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--takes", type=int, default=12, help="gestures to perform (cycling through the four actions)")
    p.add_argument("--person", type=int, default=3, help="simulated person performing them")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_main)


def _actions(labels: list[str]) -> tuple[HidAction, ...]:
    return tuple(HidAction(labels.index(g), kind, code, mods, dx, dy) for g, kind, code, mods, dx, dy, _ in PLAN)


async def _wait_gesture_end(board: VirtualBoard, before: int) -> float:
    """Poll until the board starts reading the gesture's samples; returns when its last sample is due.

    The gesture starts at the first sample of the IMU block the board reads next (it waits for an idle
    synth), and a block is read when its last sample is due; so the gesture's last sample is due
    ``(length - block) / rate`` after that read."""
    while len(board.motion.events) == before:
        await asyncio.sleep(0.001)
    read_at = time.monotonic()
    start, end, _ = board.motion.events[-1]
    rate = float(board.motion.rate_hz)
    block = max(1, int(rate) // 25)
    return read_at + (end - start - block) / rate


async def _unbonded_write_rejected(board: VirtualBoard, address: str) -> bool:
    from wandlab.board.client import BoardClient
    from wandlab.link.ble_backend import bumble_backend
    from wandlab.link.ble_link import BleAccessRefused, BleLink

    link = BleLink(address, bumble_backend(air="bench-hid", memory_keys=True), pair_when_refused=False)
    async with BoardClient(link, reconnect=False) as client:
        try:
            await client.request(HidMapSet((HidAction(0, ActionKind.KEY, 0x04, 0),)))
        except BleAccessRefused as refused:
            return refused.att_error == 0x05 and not board.brain.hid.actions
    return False


async def run_hid(takes: int, person: int, folder: Path) -> dict[str, object]:
    from wandlab.board.client import BoardClient
    from wandlab.board.controller import enable_hid, set_hid_map
    from wandlab.board.transfer import upload_model
    from wandlab.link.bleak_bumble import close_adapters
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.shipped import base_gesture_model
    from wandlab.onboard.board_image import pack
    from wandlab.virtual.inprocess_ble import VirtualBleWandLink
    from wandlab.virtual.paired_computer import PairedComputer

    bundle = load_bundle(base_gesture_model(3))
    options = {"air": "bench-hid", "person": str(person), "seed": str(person), "state": str(folder / "wand")}
    link = VirtualBleWandLink(options)
    computer = PairedComputer(folder / "computer", air="bench-hid")
    latencies: list[float] = []
    radio: list[float] = []  # from the board's press to the computer's input report: the BLE part
    received = wrong = 0
    try:
        server = await link.start_wand()
        rejected = await _unbonded_write_rejected(link.board, server.address)
        async with BoardClient(link, reconnect=False) as client:
            async for _ in upload_model(client, pack(bundle), "base"):
                pass
            await set_hid_map(client, _actions(bundle.labels))
            await enable_hid(client, True)
            await computer.pair_with(server.address)
            for i in range(takes):
                gesture, *_, expected = PLAN[i % len(PLAN)]
                while link.board.motion.busy:
                    await asyncio.sleep(0.01)
                seen, before = len(computer.keys), len(link.board.motion.events)
                await client.request(SimPerform(gesture))
                gesture_end = await _wait_gesture_end(link.board, before)
                await asyncio.sleep(max(0.0, gesture_end - time.monotonic()) + SETTLE_S)
                keys = computer.keys[seen:]
                hits = [k for k in keys if k.text == expected]
                received += bool(hits)
                wrong += len(keys) - len(hits[:1])
                if hits:
                    latencies.append(1000 * (hits[0].time - gesture_end))
                    pressed = [t for t in server.press_times if t <= hits[0].time]
                    if pressed:
                        radio.append(1000 * (hits[0].time - pressed[-1]))
        repaired = await _power_cycle(link, computer, options)
    finally:
        await computer.close()
        await link.close()
        await close_adapters()
    return {
        "performed": takes,
        "received": received,
        "wrong": wrong,
        "latency_ms": _percentiles(latencies),
        "press_to_report_ms": _percentiles(radio),
        "reconnect_without_repair": repaired,
        "unbonded_write_rejected": rejected,
    }


def _percentiles(values: list[float]) -> dict[str, float | None]:
    import numpy as np

    if not values:
        return {"p50": None, "p95": None}
    return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1)}


async def _power_cycle(link: VirtualBleWandLink, computer: PairedComputer, options: dict[str, str]) -> bool:
    """Switch the wand off and on (a new board from the same state folder): the computer must come back
    by itself, encrypt with its stored bond, and get the next gesture's key."""
    from wandlab.virtual.inprocess_ble import VirtualBleWandLink

    await link.close()  # powers the wand off
    pairings, encryptions = computer.stats.pairings, computer.stats.encryptions
    again = VirtualBleWandLink(options)
    try:
        server = await again.start_wand()
        await computer.wait_connected(5.0)
        gesture, *_, expected = PLAN[0]
        seen = len(computer.keys)
        again.board.handle(1, SimPerform(gesture), server.clock())
        await computer.wait_keys(seen + 1, 4.0)
        typed = any(k.text == expected for k in computer.keys[seen:])
        return typed and computer.stats.pairings == pairings and computer.stats.encryptions == encryptions + 1
    finally:
        await again.close()


def _main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="wandlab-bench-hid-") as folder:
        result = asyncio.run(run_hid(args.takes, args.person, Path(folder)))
    if args.json:
        print(json.dumps(result))
    else:
        rows: list[tuple[str, object]] = []
        for key, value in result.items():
            rows += [(f"{key} {p}", v) for p, v in value.items()] if isinstance(value, dict) else [(key, value)]
        print_table(rows, f"HID over GATT: {args.takes} gestures by person {args.person} into a paired computer")
    return 0


add_benchmark("hid", "gestures to key presses over BLE HID: keys received, latency, bonds across a power cycle",
              _configure)
