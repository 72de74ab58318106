"""The ``--link ble`` halves of ``wandlab bench streaming`` and ``wandlab bench transfer``: the virtual
wand served on this process's in-process BLE radio (Bumble), reached by the app's own BleLink through
bleak-on-Bumble - scan, connect, MTU 247, bonding, fragments - with the same BoardClient as over serial.

Bumble has no radio timing: these numbers are what the Python stacks on both ends sustain (both run in
this process, so ``host_cpu_percent`` includes the wand). What a real radio allows is worked out in
docs/ble.md.
"""

from __future__ import annotations

import asyncio
import time

from wandlab.board.blocks import StreamCounters, to_sample_block
from wandlab.board.client import BoardClient
from wandlab.board.transfer import model_slots, upload_model
from wandlab.commands.bench_streaming import cpu_seconds, streaming_result
from wandlab.errors import BoardError, LinkError
from wandlab.link.bleak_bumble import close_adapters
from wandlab.protocol import AudioBlock, ImuBlock, MessageDecoder
from wandlab.protocol.fragments import Reassembler
from wandlab.protocol.model import ChunkAck
from wandlab.virtual.inprocess_ble import VirtualBleWandLink


def decode_cost_fragments(fragments: list[bytes], repeat: int = 3) -> tuple[float, int]:
    """(best seconds to reassemble and decode ``fragments``, samples in them): the client's path."""
    best, samples = float("inf"), 0
    for _ in range(repeat):
        reassembler, decoder, counters, samples = Reassembler(), MessageDecoder(), StreamCounters(), 0
        start = time.perf_counter()
        for fragment in fragments:
            for _, message in decoder.decode_packets(reassembler.feed(fragment)):
                if isinstance(message, (ImuBlock, AudioBlock)):
                    samples += to_sample_block(message, counters).samples
        best = min(best, time.perf_counter() - start)
    return best, samples


async def streaming_over_ble(seconds: float, imu_rate: int) -> dict[str, object]:
    link = VirtualBleWandLink({"rate": str(imu_rate)})
    try:
        client = BoardClient(link, reconnect=False)
        await client.connect()
        fragments: list[bytes] = []
        link.ble.received = fragments
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await client.start_stream(imu=True, audio=True, imu_rate_hz=imu_rate)
        await asyncio.sleep(seconds)
        await client.stop_stream()
        cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
        await client.close()
    finally:
        await link.close()
        await close_adapters()
    decode_s, samples = decode_cost_fragments(fragments)
    nbytes = sum(len(f) for f in fragments)
    return streaming_result(client, "ble", wall, cpu, nbytes, decode_s, samples, imu_rate) | {
        "att_mtu": link.ble.att_mtu,
        "notifications": len(fragments),
    }


async def transfer_over_ble(blob: bytes, old: bytes) -> dict[str, object]:
    """Push ``blob`` once for throughput; then push ``old``, and ``blob`` again with a power cut a third of
    the way through, checking that ``old`` stays active until the resumed ``blob`` verifies."""
    link = VirtualBleWandLink({})
    try:
        client = BoardClient(link, reconnect=True, reconnect_interval_s=0.05)
        await client.connect()
        last = None
        async for progress in upload_model(client, blob, "bench"):
            last = progress
        assert last is not None and last.stage == "done"
        resume = await _interrupted_push(client, link, old, blob)
        await client.close()
    finally:
        await link.close()
        await close_adapters()
    return {"link": "ble", "bytes": len(blob), "seconds": round(last.elapsed_s, 3),
            "kbytes_per_s": round(len(blob) / 1000 / last.elapsed_s, 1), "att_mtu": link.ble.att_mtu, **resume}


async def _interrupted_push(client: BoardClient, link: VirtualBleWandLink, old: bytes, new: bytes) -> dict[str, object]:
    async for _ in upload_model(client, old, "old"):
        pass
    assert link.server is not None
    server = link.server
    acked: list[int] = []
    cut: list[asyncio.Future[None]] = []
    chunks = (len(new) + 2047) // 2048

    def on_event(message: object) -> None:
        if isinstance(message, ChunkAck):
            acked.append(message.next_chunk)
            if len(acked) == max(1, chunks // 3) and not cut:
                cut.append(asyncio.ensure_future(server.power_cut(0.3)))

    client.on_event(on_event)
    try:
        async for _ in upload_model(client, new, "new"):
            pass
        interrupted = False
    except (LinkError, BoardError):
        interrupted = True
    finally:
        client.off_event(on_event)
    if cut:
        await cut[0]
    while client.state.value != "connected":
        await asyncio.sleep(0.05)
    during = await model_slots(client)
    active_during = next((s.model_id for s in during.slots if s.slot == during.active_slot), "")
    resumed_from = 0
    async for progress in upload_model(client, new, "new"):
        if progress.stage == "begin":
            resumed_from = progress.resumed_from
    after = await model_slots(client)
    active_after = next((s.model_id for s in after.slots if s.slot == after.active_slot), "")
    return {"interrupted_at_bytes": max(acked, default=0) * 2048 if interrupted else 0,
            "resumed_from_bytes": resumed_from,
            "old_model_active_until_verified": interrupted and active_during == "old" and active_after == "new"}
