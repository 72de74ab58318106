"""``wandlab bench streaming``: 16 kHz audio + 6-axis IMU from a virtual wand in another process,
through a real pseudo-terminal and pyserial, counting every block (``--link ble``: over the in-process
BLE radio instead, see ``bench_ble``).

decode_realtime_factor is measured by decoding the exact bytes received during the run again in a
tight loop: (samples decoded per CPU second) / (samples produced per real second). 50 means decoding
takes 2 % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time

from wandlab.board.blocks import StreamCounters, to_sample_block
from wandlab.board.client import BoardClient
from wandlab.commands.bench import add_benchmark, print_table
from wandlab.link.serial_link import SerialLink
from wandlab.protocol import AudioBlock, ImuBlock, MessageDecoder, SensorKind
from wandlab.virtual.board import AUDIO_RATE_HZ


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--link", choices=("serial", "ble"), default="serial",
                   help="serial: a virtual wand in another process on a pty; ble: the virtual wand on the in-process "
                        "BLE radio (Bumble) through the app's BleLink (both ends in this process)")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--rate", type=int, default=400, help="IMU rate in Hz")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=_main)


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def decode_cost(raw: bytes, repeat: int = 3) -> tuple[float, int]:
    """(best seconds to decode ``raw``, samples in it) - the same path the client runs."""
    best, samples = float("inf"), 0
    for _ in range(repeat):
        decoder, counters, samples = MessageDecoder(), StreamCounters(), 0
        start = time.perf_counter()
        for offset in range(0, len(raw), 4096):  # chunked like serial reads
            for _, message in decoder.feed(raw[offset : offset + 4096]):
                if isinstance(message, (ImuBlock, AudioBlock)):
                    samples += to_sample_block(message, counters).samples
        best = min(best, time.perf_counter() - start)
    return best, samples


async def run_streaming(seconds: float, imu_rate: int) -> dict[str, object]:
    wand = subprocess.Popen(
        [sys.executable, "-m", "wandlab.cli", "virtual-wand", "--rate", str(imu_rate)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert wand.stdout is not None
        spec = wand.stdout.readline().strip()
        link = SerialLink(spec.split(":", 1)[1])
        raw = bytearray()
        read = link.read_bytes

        async def recording_read() -> bytes:
            data = await read()
            raw.extend(data)
            return data

        link.read_bytes = recording_read  # type: ignore[method-assign]
        client = BoardClient(link, reconnect=False)
        await client.connect()
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await client.start_stream(imu=True, audio=True, imu_rate_hz=imu_rate)
        await asyncio.sleep(seconds)
        await client.stop_stream()
        cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
        await client.close()
    finally:
        wand.terminate()
        wand.wait(timeout=10)
    decode_s, samples = decode_cost(bytes(raw))
    return streaming_result(client, "serial", wall, cpu, len(raw), decode_s, samples, imu_rate)


def streaming_result(client: BoardClient, link: str, wall: float, cpu: float, nbytes: int, decode_s: float,
                     samples: int, imu_rate: int) -> dict[str, object]:
    """The figures both links report, from the client's counters and the recorded bytes' decode cost."""
    c = client.counters
    return {
        "link": link,
        "seconds": round(wall, 2),
        "audio_hz": round(c.audio.rate_hz, 1),
        "imu_hz": round(c.imu.rate_hz, 1),
        "imu_axes": imu_axes(client),
        "blocks_sent": c.board_imu_sent + c.board_audio_sent,
        "blocks_received": c.imu.blocks + c.audio.blocks,
        "blocks_lost": c.lost,
        "board_dropped": c.board_imu_dropped + c.board_audio_dropped,
        "decode_errors": client.stats()["decode_errors"],
        "bytes": nbytes,
        "decode_realtime_factor": (
            round(samples / decode_s / (AUDIO_RATE_HZ + imu_rate), 1) if decode_s > 0 else None
        ),
        "host_cpu_percent": round(100 * cpu / wall, 2),
    }


def imu_axes(client: BoardClient) -> int:
    sensors = client.info.sensors if client.info else ()
    return 3 * sum(1 for s in sensors if s.kind in (SensorKind.ACCEL, SensorKind.GYRO))


def _main(args: argparse.Namespace) -> int:
    if args.link == "ble":
        from wandlab.commands.bench_ble import streaming_over_ble

        result = asyncio.run(streaming_over_ble(args.seconds, args.rate))
    else:
        result = asyncio.run(run_streaming(args.seconds, args.rate))
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result.items(), f"streaming over {args.link}: 16 kHz audio + IMU at {args.rate} Hz for "
                                    f"{args.seconds:g} s")
    return 0


add_benchmark("streaming", "audio + IMU through the pty (or --link ble): rates, losses, decode cost", _configure)
