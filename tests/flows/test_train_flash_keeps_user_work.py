"""A second Train & Flash keeps what the user made on the board: enrolled gestures (their takes are in the
project, so the new model learns them), keys they mapped, and it asks before dropping anything."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.flows.test_train_flash import LABELS, active_sha, board, project
from wandlab.board.controller import get_hid_map, set_hid_map
from wandlab.board.enroll import enroll_gesture, list_refs
from wandlab.board.hid_presets import describe
from wandlab.flows.enroll_takes import enroll_and_keep
from wandlab.flows.train_flash import TrainFlashError, TrainFlashOptions, train_and_flash
from wandlab.protocol import SimPerform
from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.protocol.enroll import EnrollState

NEW = "w"
CTRL_S = HidAction(0, int(ActionKind.KEY), 0x16, int(Modifier.CTRL))  # class id set below


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 170))


async def _flash(client, p, **options):  # type: ignore[no-untyped-def]
    events = [ev async for ev in train_and_flash(client, p, TrainFlashOptions(epochs=2, **options))]
    return events[-1]


async def _perform_when_waiting(client, progress) -> None:  # type: ignore[no-untyped-def]
    async for step in progress:
        if step.state == EnrollState.WAITING:
            await client.request(SimPerform(NEW))


def test_enrolled_gesture_and_own_key_survive_retraining(tmp_path: Path) -> None:
    async def main():  # type: ignore[no-untyped-def]
        with project(tmp_path, LABELS, 6) as p:
            async with board() as client:
                await _flash(client, p)
                await _perform_when_waiting(client, enroll_and_keep(client, p, NEW, shots=3))
                circle = next(c.class_id for c in (await list_refs(client)).classes if c.label == "circle")
                hid = await get_hid_map(client)
                await set_hid_map(client, [a for a in hid.actions if a.class_id != circle]
                                  + [HidAction(circle, CTRL_S.kind, CTRL_S.code, CTRL_S.modifiers)])
                report = await _flash(client, p)
                refs = await list_refs(client)
                hid_after = await get_hid_map(client)
        return report, refs, hid_after

    report, refs, hid_after = run(main())
    assert NEW in report.data["labels"]  # trained from the takes enroll_and_keep saved
    classes = {c.label: c for c in refs.classes}
    assert classes[NEW].source == 0  # the model's class, not the old network's embeddings
    circle = classes["circle"].class_id
    assert [describe(a) for a in hid_after.actions if a.class_id == circle] == ["Ctrl+S"]
    assert report.data["hid"]["circle"] == "Ctrl+S"


def test_it_asks_before_dropping_a_gesture_it_has_no_takes_of(tmp_path: Path) -> None:
    asked: list[list[str]] = []

    async def refuse(lines: list[str]) -> bool:
        asked.append(lines)
        return False

    async def main():  # type: ignore[no-untyped-def]
        with project(tmp_path, LABELS, 6) as p:
            async with board() as client:
                await _flash(client, p)
                await _perform_when_waiting(client, enroll_gesture(client, NEW, shots=3))  # takes not kept
                before = await active_sha(client)
                errors = []
                for options in ({}, {"confirm_losses": refuse}):
                    try:
                        await _flash(client, p, **options)
                    except TrainFlashError as exc:
                        errors.append(exc)
                unchanged = await active_sha(client) == before
                labels = [c.label for c in (await list_refs(client)).classes]
        return errors, unchanged, labels

    errors, unchanged, labels = run(main())
    assert len(errors) == 2 and all(e.stage == "prepare" and "nothing was changed" in e.reason for e in errors)
    assert f"the gesture '{NEW}' you enrolled" in errors[0].reason
    assert asked and any(NEW in line for line in asked[0])
    assert unchanged and NEW in labels  # the board still has the model and the enrolled gesture


def test_a_board_lost_during_training_keeps_the_model_to_send_when_it_is_back(tmp_path: Path) -> None:
    from wandlab.board import BoardClient
    from wandlab.errors import LinkError
    from wandlab.flows.train_flash import kept_models, send_kept_model
    from wandlab.link.serial_link import SerialLink
    from wandlab.protocol import SimUnplug
    from wandlab.virtual.board import VirtualWandConfig
    from wandlab.virtual.inprocess import VirtualWandThread

    wand = VirtualWandThread(VirtualWandConfig(person=3, seed=3))
    port = wand.start().split(":", 1)[1]

    async def main():  # type: ignore[no-untyped-def]
        with project(tmp_path, LABELS, 6) as p:
            failed = None
            async with BoardClient(SerialLink(port), reconnect=False) as client:
                try:
                    async for ev in train_and_flash(client, p, TrainFlashOptions(epochs=2)):
                        if ev.stage == "verify" and ev.kind == "done":  # trained: now the cable is pulled
                            await client.request(SimUnplug(2000))
                            for _ in range(300):  # the pipeline goes on only once the link is really gone
                                if client.state.value == "disconnected":
                                    break
                                await asyncio.sleep(0.01)
                except TrainFlashError as exc:
                    failed = exc
            kept = kept_models(p)
            await asyncio.sleep(2.5)  # the cable goes back in
            for _ in range(50):  # under load the virtual wand may take a moment longer to come back
                probe = SerialLink(port)
                try:
                    await probe.open()
                    await probe.close()
                    break
                except LinkError:  # not there yet
                    await asyncio.sleep(0.1)
            async with BoardClient(SerialLink(port), reconnect=False) as client:
                events = [ev async for ev in send_kept_model(client, p, failed.kept_model)] if failed else []
                active = await active_sha(client)
        return failed, kept, events, active

    try:
        failed, kept, events, active = run(main())
    finally:
        wand.stop()
    assert failed is not None and failed.stage in ("upload", "activate"), failed
    assert "the trained model is kept" not in failed.reason  # the event says it, the reason stays the cause
    assert failed.kept_model and [str(k) for k in kept] == [failed.kept_model]
    assert events and events[-1].stage == "report" and events[-1].kind == "done" and active is not None
