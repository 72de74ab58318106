"""One-click train-and-flash against the virtual wand on a real pty: stages in order, the board runs and
recognises with the new model; failures name their stage and leave the board's model alone; cancel
terminates the training child and leaves the previous model running."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from wandlab.board.client import BoardClient
from wandlab.board.controller import Recognition
from wandlab.board.transfer import model_slots, upload_model
from wandlab.dataset import Project
from wandlab.errors import WandlabError
from wandlab.flows.train_flash import (
    STAGE_NAMES,
    StageEvent,
    TrainFlashError,
    TrainFlashOptions,
    train_and_flash,
)
from wandlab.flows.virtual_project import add_virtual_takes
from wandlab.link.serial_link import SerialLink
from wandlab.ml.bundle import load_bundle
from wandlab.ml.shipped import models_dir
from wandlab.onboard.board_image import pack
from wandlab.protocol import SimPerform
from wandlab.protocol.controller import NO_CLASS, InferenceEvent
from wandlab.virtual.board import VirtualWandConfig
from wandlab.virtual.inprocess import VirtualWandThread

LABELS = ["circle", "flick_left", "flick_up"]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 80))


@contextlib.asynccontextmanager
async def board(**config) -> AsyncIterator[BoardClient]:
    """A virtual wand (its own thread, a real pty) and a connected client."""
    wand = VirtualWandThread(VirtualWandConfig(person=3, seed=3, **config))
    spec = wand.start()
    client = BoardClient(SerialLink(spec.split(":", 1)[1]), reconnect=False)
    try:
        await client.connect()
        yield client
    finally:
        await client.close()
        wand.stop()


def project(tmp_path: Path, labels: list[str], takes: int) -> Project:
    p = Project.open(tmp_path / "project", create=True)
    add_virtual_takes(p, labels, takes, people=[1, 2], seed=5)
    return p


async def push_previous(client: BoardClient) -> bytes:
    """Give the board a model first (the shipped base model), so 'keeps its previous model' means something."""
    blob = pack(load_bundle(models_dir() / "gesture_accel_gyro"))
    async for _ in upload_model(client, blob, "previous"):
        pass
    return hashlib.sha256(blob).digest()


async def active_sha(client: BoardClient) -> bytes | None:
    slots = await model_slots(client)
    return next((s.sha256 for s in slots.slots if s.slot == slots.active_slot), None)


def training_children() -> list[int]:
    """Live child processes of this process running ``wandlab.ml.train``."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me and fields[0] != "Z" and b"wandlab.ml.train" in cmd:
            found.append(int(entry.name))
    return found


def test_pipeline_trains_pushes_and_the_board_recognises(tmp_path):
    async def main():
        with project(tmp_path, LABELS, 6) as p:
            async with board() as client:
                events: list[StageEvent] = []
                async for ev in train_and_flash(client, p, TrainFlashOptions(epochs=3)):
                    events.append(ev)
                assert [e.stage for e in events if e.kind == "done"] == list(STAGE_NAMES)
                assert not [e for e in events if e.kind == "failed"]
                fractions = [e.fraction for e in events]
                assert fractions == sorted(fractions) and fractions[-1] == 1.0
                assert any(e.stage == "train" and e.kind == "progress" and "loss" in e.data for e in events)
                report = events[-1].data
                assert report["labels"] == sorted(LABELS) and report["bit_exact"] is True
                assert report["model_bytes"] <= 16 * 1024 and report["arena_bytes"] <= client.info.arena_bytes
                assert len(report["confusion"]) == 3 and report["predicted_labels"][-1] == "none"
                assert set(report["stage_seconds"]) == set(STAGE_NAMES) and report["total_s"] > 0
                assert set(report["hid"]) <= set(LABELS) and report["hid"]
                slots = await model_slots(client)
                active = next(s for s in slots.slots if s.slot == slots.active_slot)
                assert active.model_id == report["model_id"]
                # The board recognises on its own with the new model: scripted takes, its own events.
                accepted = []
                async with Recognition(client) as live:
                    for gesture in LABELS:
                        await client.request(SimPerform(gesture))
                        end = time.monotonic() + 2.8
                        while time.monotonic() < end:
                            d = await live.next(timeout_s=max(0.01, end - time.monotonic()))
                            if isinstance(d, InferenceEvent) and d.class_id != NO_CLASS:
                                accepted.append((gesture, d.label))
                        if accepted:
                            break
                assert accepted and all(label in LABELS for _, label in accepted)

    run(main())


def test_one_label_fails_at_prepare_and_the_board_keeps_its_model(tmp_path):
    async def main():
        with project(tmp_path, ["circle"], 5) as p:
            async with board() as client:
                previous = await push_previous(client)
                events = []
                with pytest.raises(TrainFlashError) as info:
                    async for ev in train_and_flash(client, p):
                        events.append(ev)
                assert isinstance(info.value, WandlabError) and info.value.stage == "prepare"
                assert "at least 2 gesture labels" in str(info.value) and "'circle'" in str(info.value)
                assert events[-1].kind == "failed" and events[-1].stage == "prepare"
                assert "at least 2" in events[-1].message
                assert await active_sha(client) == previous

    run(main())


def test_too_few_takes_per_label_is_refused_before_training(tmp_path):
    async def main():
        with project(tmp_path, ["circle", "v"], 2) as p:
            async with board() as client:
                with pytest.raises(TrainFlashError, match="at least 3 takes: 'circle' has 2, 'v' has 2"):
                    async for _ in train_and_flash(client, p):
                        pass

    run(main())


def test_cancel_during_training_terminates_the_child_and_keeps_the_model(tmp_path):
    async def main():
        with project(tmp_path, LABELS, 6) as p:
            async with board() as client:
                previous = await push_previous(client)
                stages = []
                pipeline = train_and_flash(client, p, TrainFlashOptions(epochs=100_000))
                async for ev in pipeline:
                    stages.append(ev.stage)
                    if ev.stage == "train" and "epoch" in ev.data:
                        assert training_children(), "the training child should be running"
                        break
                t0 = time.monotonic()
                await pipeline.aclose()
                assert time.monotonic() - t0 < 10
                assert training_children() == []
                assert "upload" not in stages
                assert await active_sha(client) == previous

    run(main())


def test_a_board_too_small_for_the_model_fails_at_fit_and_nothing_is_sent(tmp_path):
    async def main():
        with project(tmp_path, LABELS, 6) as p:
            async with board(max_model_bytes=12 * 1024) as client:
                events = []
                with pytest.raises(TrainFlashError) as info:
                    async for ev in train_and_flash(client, p, TrainFlashOptions(epochs=1)):
                        events.append(ev)
                assert info.value.stage == "fit"
                assert "takes at most 12288 bytes" in info.value.reason
                assert events[-1].kind == "failed" and events[-1].stage == "fit"
                assert "upload" not in {e.stage for e in events}
                slots = await model_slots(client)
                assert slots.active_slot == 255 and slots.transfer_id == 0

    run(main())


def test_cancel_during_upload_aborts_it_and_keeps_the_model(tmp_path):
    async def main():
        with project(tmp_path, LABELS, 6) as p:
            async with board() as client:
                previous = await push_previous(client)
                pipeline = train_and_flash(client, p, TrainFlashOptions(epochs=1))
                async for ev in pipeline:
                    if ev.stage == "upload" and ev.kind == "progress":
                        break  # the board has accepted ModelBegin: a transfer is in flight
                await pipeline.aclose()
                slots = await model_slots(client)
                assert slots.transfer_id == 0  # aborted, not left half-done
                assert await active_sha(client) == previous

    run(main())
