"""``wandlab bench transfer``: model upload throughput to a virtual wand in another process, through a
real pseudo-terminal (the USB serial path). 1 KB = 1000 bytes."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys

from wandlab.board.client import BoardClient
from wandlab.board.transfer import upload_model
from wandlab.commands.bench import add_benchmark, print_table
from wandlab.errors import BoardError
from wandlab.link.serial_link import SerialLink


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--link", choices=("serial", "ble"), default="serial",
                   help="serial: the pty; ble: the in-process BLE radio, plus a push cut by a power loss and resumed")
    p.add_argument("--kbytes", type=int, default=256, help="model size to push, in KB")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_main)


async def run_transfer(size: int) -> dict[str, object]:
    wand = subprocess.Popen([sys.executable, "-m", "wandlab.cli", "virtual-wand", "--max-model-kbytes",
                             str(size // 1000 + 1)], stdout=subprocess.PIPE, text=True)
    try:
        assert wand.stdout is not None
        spec = wand.stdout.readline().strip()
        if not spec:
            raise BoardError("the virtual wand did not start")
        async with BoardClient(SerialLink(spec.split(":", 1)[1]), reconnect=False) as client:
            blob = padded_image(size)
            last = None
            async for progress in upload_model(client, blob, "bench"):
                last = progress
    finally:
        wand.terminate()
        wand.wait(timeout=10)
    assert last is not None and last.stage == "done"
    return {"link": "serial", "bytes": len(blob), "seconds": round(last.elapsed_s, 3),
            "kbytes_per_s": round(len(blob) / 1000 / last.elapsed_s, 1)}


def padded_image(size: int) -> bytes:
    """A real board image of about ``size`` bytes (the board validates what it receives and refuses
    anything else): the shipped base model, its references repeated until the image is that large."""
    import dataclasses

    import numpy as np

    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.shipped import base_gesture_model
    from wandlab.onboard.board_image import pack_parts

    bundle = load_bundle(base_gesture_model(6))
    knn = bundle.recognizer

    def repeated(copies: int) -> bytes:  # every reference `copies` times, with its shape codes if it has them
        shapes = None if knn.shapes is None else np.concatenate([knn.shapes] * copies)
        return pack_parts(bundle.tflite, bundle.features, bundle.labels, dataclasses.replace(
            knn, references=np.concatenate([knn.references] * copies),
            ref_class=np.concatenate([knn.ref_class] * copies), shapes=shapes))

    base = len(repeated(1))
    per_ref = max(1, (len(repeated(2)) - base) // len(knn.references))
    return repeated(max(1, 1 + (size - base) // (per_ref * len(knn.references))))


def _main(args: argparse.Namespace) -> int:
    if args.link == "ble":
        from wandlab.commands.bench_ble import transfer_over_ble
        from wandlab.ml.bundle import load_bundle
        from wandlab.ml.shipped import base_gesture_model
        from wandlab.onboard.board_image import pack

        old = pack(load_bundle(base_gesture_model(6)))
        result = asyncio.run(transfer_over_ble(padded_image(args.kbytes * 1000), old))
    else:
        result = asyncio.run(run_transfer(args.kbytes * 1000))
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result.items(), f"model transfer over {args.link}: {args.kbytes} KB")
    return 0


add_benchmark("transfer", "model upload throughput to a virtual wand over the pty (or --link ble)", _configure)
