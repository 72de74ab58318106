"""``wandlab stream`` and ``wandlab board info``: the board client from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from wandlab.board.client import BoardClient
from wandlab.flows.connect import open_link
from wandlab.protocol import Message


def register(sub: Any) -> None:
    p = sub.add_parser("stream", help="stream sensors from a board and print rates and losses")
    p.add_argument("--port", default="virtual:", help="link spec, e.g. serial:/dev/ttyACM0 (default: virtual:)")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--rate", type=int, default=0, help="IMU rate in Hz (default: the board's)")
    p.add_argument("--no-audio", action="store_true", help="stream the IMU only")
    p.add_argument("--trace", action="store_true", help="hex-dump every message (not sample blocks)")
    p.set_defaults(func=_stream)

    b = sub.add_parser("board", help="talk to a board")
    bsub = b.add_subparsers(dest="board_command", required=True)
    info = bsub.add_parser("info", help="print what the board reports about itself")
    info.add_argument("--port", default="virtual:")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=_info)
    models = bsub.add_parser("models", help="list the model slots and which one is active")
    models.add_argument("--port", default="virtual:")
    models.set_defaults(func=_models)
    back = bsub.add_parser("rollback", help="activate the previously flashed model")
    back.add_argument("--port", default="virtual:")
    back.set_defaults(func=_rollback)
    forget = bsub.add_parser("forget-hosts", help="make the wand forget every paired computer and app (its BLE bonds)")
    forget.add_argument("--port", required=True, help="link spec; over USB (serial:...) it frees a wand that is "
                        "paired with a computer that is gone")
    forget.set_defaults(func=_forget_hosts)

    f = sub.add_parser("flash", help="push a model to the board; it checks that it can run it, then activates it")
    f.add_argument("--port", required=True, help="link spec, e.g. serial:/dev/ttyACM0")
    f.add_argument("model", help="model bundle (folder or .zip; sent as a board image) or a board image file")
    f.add_argument("--model-id", help="name shown on the board (default: the file name)")
    f.set_defaults(func=_flash)


def _tracer(direction: str, seq: int, message: Message) -> None:
    if type(message).__name__ not in ("ImuBlock", "AudioBlock"):
        print(f"{direction} #{seq:<5} {type(message).__name__} {message.encode().hex()}")


def _stream(args: argparse.Namespace) -> int:
    async def main() -> None:
        client = BoardClient(open_link(args.port), trace=_tracer if args.trace else None)
        client.on_state(lambda state, detail: print(f"[{state.value}] {detail}"))
        info = await client.connect()
        print(f"connected to {info.board_name} (firmware {info.firmware_version})")
        await client.start_stream(imu=True, audio=not args.no_audio, imu_rate_hz=args.rate)
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            await asyncio.sleep(min(1.0, max(0.0, end - time.monotonic())))
            s = client.stats()
            print(f"imu {s['imu_hz']:7.1f} Hz  audio {s['audio_hz']:8.1f} Hz  lost {s['blocks_lost']}  "
                  f"board dropped {s['board_dropped']}  decode errors {s['decode_errors']}")
        await client.stop_stream()
        await client.close()

    asyncio.run(main())
    return 0


def _info(args: argparse.Namespace) -> int:
    async def main() -> None:
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            info = client.info
            assert info is not None
            if args.json:
                data = {k: getattr(info, k) for k in info.__dataclass_fields__}
                data["sensors"] = [vars(s) if hasattr(s, "__dict__") else s.__dict__ for s in info.sensors]
                print(json.dumps(data, default=str, indent=2))
            else:
                print(f"{info.board_name}  firmware {info.firmware_version}  protocol v{info.protocol_version}")
                for s in info.sensors:
                    print(f"  sensor {s.kind}: {s.rate_hz} Hz, range {s.range:g} {s.units}")
                print(f"  model slots {info.model_slots}, max model {info.max_model_bytes} B, "
                      f"arena {info.arena_bytes} B, free RAM {info.free_ram_bytes} B")

    asyncio.run(main())
    return 0


def _flash(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wandlab.board.transfer import upload_model
    from wandlab.errors import WandlabError
    from wandlab.ml.bundle import blob_for_path

    path = Path(args.model)
    # Checked before connecting: a file that is not a bundle or a valid board image is never sent.
    blob = blob_for_path(path)
    model_id = args.model_id or path.stem

    progress_shown = False

    async def main() -> None:
        nonlocal progress_shown
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            async for p in upload_model(client, blob, model_id, {"file": path.name}):
                progress_shown = True
                bar = "#" * int(30 * p.fraction)
                print(f"\r{p.stage:<9} [{bar:<30}] {p.acked_bytes}/{p.total_bytes} B "
                      f"{p.kbytes_per_s:7.1f} KB/s", end="", flush=True)
                if p.stage == "begin" and p.resumed_from:
                    print(f"\nresuming an interrupted upload at byte {p.resumed_from}")
            print(f"\n{model_id} is active in slot {'AB'[p.slot]} ({len(blob)} bytes)")

    try:
        asyncio.run(main())
    except WandlabError:
        if progress_shown:
            print(flush=True)  # end the progress line, so the reason (printed by the CLI) stands on its own
        raise
    return 0


def _models(args: argparse.Namespace) -> int:
    from wandlab.board.transfer import model_slots

    async def main() -> None:
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            slots = await model_slots(client)
            for s in slots.slots:
                mark = "*" if s.slot == slots.active_slot else " "
                text = f"{s.model_id}  {s.size} B  sha256 {s.sha256.hex()[:16]}" if s.valid else "(empty)"
                print(f"{mark} slot {'AB'[s.slot]}: {text}")
            if slots.transfer_id:
                print(f"  an upload is in progress: {slots.transfer_received} bytes received")

    asyncio.run(main())
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from wandlab.board.transfer import rollback

    async def main() -> None:
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            slot = await rollback(client)
            print(f"slot {'AB'[slot]} is active again")

    asyncio.run(main())
    return 0


def _forget_hosts(args: argparse.Namespace) -> int:
    from wandlab.protocol.controller import ForgetHosts

    async def main() -> None:
        async with BoardClient(open_link(args.port), reconnect=False) as client:
            await client.request(ForgetHosts())
            name = client.info.board_name if client.info else "the wand"
            print(f"{name} forgot every paired computer and app: pair them again to use it over Bluetooth")

    asyncio.run(main())
    return 0
