"""BoardClient, unchanged, over ``virtual:?link=ble``: what it does over the pty it does over BLE -
handshake, streams with loss accounting, A/B model pushes that resume after the link drops, enrollment,
the HID map and recognition events."""

from __future__ import annotations

import asyncio

import pytest

from tests.link.ble_helpers import run
from tests.virtual.gesture_models import gesture_bundle, image
from wandlab.board.client import BoardClient
from wandlab.board.controller import Recognition, get_hid_map, set_hid_map
from wandlab.board.enroll import enroll_gesture, list_refs
from wandlab.board.transfer import model_slots, rollback, upload_model
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link
from wandlab.protocol import SimPerform
from wandlab.protocol.controller import ActionKind, HidAction, InferenceEvent
from wandlab.protocol.enroll import EnrollState
from wandlab.protocol.model import ChunkAck
from wandlab.virtual.inprocess_ble import VirtualBleWandLink

SPEED = 4.0
GESTURE_S = 2.8 / SPEED + 0.15


def test_handshake_and_full_rate_streams_over_ble_lose_nothing():
    async def main():
        link = open_link("virtual:?link=ble&rate=400")
        assert isinstance(link, VirtualBleWandLink)
        async with BoardClient(link, reconnect=False) as client:
            await client.start_stream(imu=True, audio=True, imu_rate_hz=400)
            await asyncio.sleep(1.5)
            await client.stop_stream()
            return client.info, client.stats(), client.counters

    info, stats, counters = run(main())
    assert info.board_name == "Virtual wand" and [s.rate_hz for s in info.sensors][:2] == [400, 400]
    assert stats["blocks_lost"] == 0 and stats["board_dropped"] == 0 and stats["decode_errors"] == 0
    assert counters.board_audio_sent == stats["audio_blocks"] and counters.board_imu_sent == stats["imu_blocks"]
    assert stats["audio_hz"] == pytest.approx(16000, rel=0.05) and stats["imu_hz"] == pytest.approx(400, rel=0.05)


def test_an_interrupted_push_resumes_and_the_old_model_runs_until_the_new_one_verifies():
    old, new = image(), image(drop=("w",))

    async def main():
        link = open_link("virtual:?link=ble")
        async with BoardClient(link, reconnect_interval_s=0.05) as client:
            async for _ in upload_model(client, old, "old"):
                pass
            acks: list[ChunkAck] = []
            cuts = []

            def on_event(message):
                if isinstance(message, ChunkAck):
                    acks.append(message)
                    if len(acks) == 12:  # the wand loses power mid-push, after 12 of ~44 chunks
                        cuts.append(asyncio.ensure_future(link.server.power_cut(0.2)))

            client.on_event(on_event)
            with pytest.raises((LinkError, BoardError)):
                async for _ in upload_model(client, new, "new", chunk_bytes=512, window=2):
                    pass
            client.off_event(on_event)
            await cuts[0]
            interrupted_at = acks[-1].next_chunk * 512
            while client.state.value != "connected":
                await asyncio.sleep(0.05)
            during = await model_slots(client)
            async for p in upload_model(client, new, "new", chunk_bytes=512, window=2):
                if p.stage == "begin":
                    resumed_from = p.resumed_from
            after = await model_slots(client)
            back = await rollback(client)
            return interrupted_at, during, resumed_from, after, back

    interrupted_at, during, resumed_from, after, back = run(main(), 40)
    active_during = next(s for s in during.slots if s.slot == during.active_slot)
    assert active_during.model_id == "old" and during.transfer_received > 0  # old runs; the push is kept
    assert 0 < resumed_from <= during.transfer_received and interrupted_at > 0
    assert next(s for s in after.slots if s.slot == after.active_slot).model_id == "new"
    assert {s.model_id for s in after.slots if s.valid} == {"old", "new"}  # A/B: both kept
    assert back != after.active_slot  # and rolling back to the old one works


def test_enrollment_hid_map_and_recognition_events_over_ble():
    labels = gesture_bundle().labels
    tap = labels.index("tap")

    async def main():
        link = open_link(f"virtual:?link=ble&person=7&seed=7&speed={SPEED}")
        async with BoardClient(link, reconnect=False) as client:
            async for _ in upload_model(client, image(drop=("w",)), "base"):
                pass
            progress = []
            async for p in enroll_gesture(client, "w", shots=3):
                progress.append(EnrollState(p.state).name)
                if p.state == EnrollState.WAITING:
                    await client.request(SimPerform("w"))
            refs = await list_refs(client)
            await set_hid_map(client, [HidAction(tap, ActionKind.KEY, 0x2C, 0)])
            hid = await get_hid_map(client)
            async with Recognition(client) as live:
                for gesture in ("tap", "w"):
                    await client.request(SimPerform(gesture))
                    await asyncio.sleep(GESTURE_S)
                decisions = [m for m in live.drain() if isinstance(m, InferenceEvent)]
            return progress, refs, hid, decisions

    progress, refs, hid, decisions = run(main(), 40)
    assert progress == ["WAITING", "CAPTURED"] * 3 + ["DONE"]
    assert "w" in [c.label for c in refs.classes]
    assert [(a.class_id, a.code) for a in hid.actions] == [(tap, 0x2C)]
    assert [d.label for d in decisions if d.class_id != 255] == ["tap", "w"]
