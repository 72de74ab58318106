"""One-click train-and-flash (DESIGN.md flow 2), Qt-free: an async generator of ``StageEvent``.

    prepare -> train -> convert -> verify -> fit -> upload -> activate -> hid -> report

``train_and_flash(client, project, options)`` exports the project's IMU takes (trimmed) to a temporary
labeled folder, trains in a child process (``ml.runner.TrainingProcess``; TensorFlow never loads here)
starting from the shipped base model for the board's channel count, relays epochs, conversion and TFLM
verification, checks the result against *this* board's limits (its Info), pushes the board image,
waits for the board to verify and activate it, pushes a HID map and ends with a report built from the
training child's own evaluation.

One function per stage; each returns a typed result (``train_flash_results``) that the next stages take
as arguments, and its DONE event carries it. A failure yields one FAILED event naming the stage and the
reason and then raises ``TrainFlashError``. Cancel = close the generator (``aclose()``, or cancel the
task iterating it): the training child is terminated, an upload in flight is aborted, and the board
keeps running its previous model (it only switches after a verified finish).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wandlab.errors import WandlabError
from wandlab.flows.train_flash_events import (
    DEFAULT_EPOCHS_COLD,
    DEFAULT_EPOCHS_WARM,
    DONE,
    FAILED,
    MIN_LABELS,
    MIN_TAKES_PER_LABEL,
    PROGRESS,
    STAGE_NAMES,
    STAGE_WEIGHTS,
    START,
    StageEvent,
    TrainFlashError,
    TrainFlashOptions,
)
from wandlab.flows.train_flash_results import Activated, Fitted, HidResult, Prepared, Trained, build_report

__all__ = ["STAGE_NAMES", "StageEvent", "TrainFlashError", "TrainFlashOptions", "board_channels",
           "base_model_for", "train_and_flash"]

Events = AsyncGenerator[StageEvent, None]
KEPT_FOLDER = "models"  # inside the project: every trained model, as a bundle .zip + what its report needs


def board_channels(info: Any) -> int:
    """3 for an accel-only board, 6 with a gyroscope."""
    from wandlab.protocol import SensorKind

    if info is None or info.sensor(SensorKind.ACCEL) is None:
        raise TrainFlashError("prepare", "the board reports no accelerometer: it cannot run a gesture model")
    return 6 if info.sensor(SensorKind.GYRO) is not None else 3


def base_model_for(channels: int) -> Path | None:
    from wandlab.ml.shipped import base_gesture_model

    path = base_gesture_model(channels)
    return path if (path / "manifest.json").is_file() else None


class _Clock:
    """Turns stage transitions into StageEvents with an overall fraction and per-stage seconds."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.stage = STAGE_NAMES[0]
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def _event(self, kind: str, inner: float, message: str, data: dict[str, Any] | None,
               result: Any = None) -> StageEvent:
        inner = min(1.0, max(0.0, inner))
        before = sum(STAGE_WEIGHTS[name] for name in STAGE_NAMES[: STAGE_NAMES.index(self.stage)])
        frac = before + STAGE_WEIGHTS[self.stage] * inner
        return StageEvent(self.stage, kind, round(min(1.0, frac), 4), message, data or {},
                          round(time.perf_counter() - self.t0, 3), result)

    def start(self, stage: str, message: str = "") -> StageEvent:
        self.stage = stage
        self.started[stage] = time.perf_counter()
        return self._event(START, 0.0, message, None)

    def progress(self, inner: float, message: str = "", data: dict[str, Any] | None = None) -> StageEvent:
        return self._event(PROGRESS, inner, message, data)

    def done(self, message: str = "", result: Any = None, data: dict[str, Any] | None = None) -> StageEvent:
        s = round(time.perf_counter() - self.started[self.stage], 3)
        self.seconds[self.stage] = s
        payload = result.to_dict() if result is not None else dict(data or {})
        return self._event(DONE, 1.0, message, {**payload, "seconds": s}, result)

    def failed(self, message: str, kept_model: str = "") -> StageEvent:
        data = {"reason": message, **({"kept_model": kept_model} if kept_model else {})}
        return self._event(FAILED, 0.0, message, data)

    @property
    def total_s(self) -> float:
        return time.perf_counter() - self.t0


@dataclass
class BoardBefore:
    """The user's own state on the board before Train & Flash: enrolled classes and mapped keys."""

    enrolled: dict[str, int] = field(default_factory=dict)  # label -> class id, classes not from the model
    keys: dict[str, Any] = field(default_factory=dict)  # label -> HidAction mapped to that label's class

    def losses(self, new_labels: set[str]) -> list[str]:
        """One line per thing the new model would drop (its labels are ``new_labels``)."""
        from wandlab.board.hid_presets import describe

        lines = [f"the gesture '{label}' you enrolled on the board (no takes of it in the project)"
                 for label in sorted(self.enrolled) if label not in new_labels]
        lines += [f"the key {describe(action)} mapped to '{label}'"
                  for label, action in sorted(self.keys.items()) if label not in new_labels]
        return lines


async def read_board(client: Any) -> BoardBefore:
    from wandlab.board.controller import get_hid_map
    from wandlab.board.enroll import list_refs
    from wandlab.protocol.enroll import RefSource

    refs = await list_refs(client)
    names = {c.class_id: c.label for c in refs.classes}
    enrolled = {c.label: c.class_id for c in refs.classes if c.source != RefSource.BUNDLE}
    hid = await get_hid_map(client)
    keys = {names[a.class_id]: a for a in hid.actions if a.class_id in names}
    return BoardBefore(enrolled, keys)


class _Running:
    """What a cancel or a failure must stop: the training child, an upload in flight."""

    def __init__(self, client: Any, options: TrainFlashOptions, work: Path) -> None:
        self.client, self.options, self.work = client, options, work
        self.clock = _Clock()
        self.proc: Any = None
        self.upload: Any = None
        self.blob = b""
        self.upload_finished = False
        self.before = BoardBefore()
        self.kept_model = ""  # the trained model kept in the project, once training is over

    async def stop(self) -> None:
        from wandlab.board.transfer import abort_upload
        from wandlab.errors import BoardError, LinkError

        if self.proc is not None and self.proc.running:
            await asyncio.to_thread(self.proc.cancel)
        if self.upload is not None:
            upload, self.upload = self.upload, None
            with contextlib.suppress(Exception):
                await upload.aclose()
            if not self.upload_finished:
                with contextlib.suppress(BoardError, LinkError, TimeoutError):
                    await asyncio.wait_for(abort_upload(self.client, self.blob), 3.0)


async def train_and_flash(client: Any, project: Any, options: TrainFlashOptions | None = None) -> Events:
    """Train a gesture model on ``project`` and make it ``client``'s board's active model."""
    run = _Running(client, options or TrainFlashOptions(), Path(tempfile.mkdtemp(prefix="wandlab-train-flash-")))
    clock = run.clock
    try:
        async with contextlib.aclosing(_stages(run, project)) as events:
            async for event in events:
                yield event
    except TrainFlashError as exc:
        clock.stage = exc.stage
        yield clock.failed(_with_kept(exc.reason, run.kept_model), run.kept_model)
        raise TrainFlashError(exc.stage, exc.reason, run.kept_model) from None
    except Exception as exc:  # anything else still ends in one FAILED event and a WandlabError
        reason = str(exc) if isinstance(exc, WandlabError) else f"{type(exc).__name__}: {exc}"
        yield clock.failed(_with_kept(reason, run.kept_model), run.kept_model)
        raise TrainFlashError(clock.stage, reason, run.kept_model) from exc
    finally:
        await run.stop()
        shutil.rmtree(run.work, ignore_errors=True)


async def send_kept_model(client: Any, project: Any, kept_model: str, options: TrainFlashOptions | None = None
                          ) -> Events:
    """Send a model that an earlier run trained and kept (``TrainFlashError.kept_model``) without training
    again: the fit, upload, activate, hid and report stages, with the same events."""
    import json

    run = _Running(client, options or TrainFlashOptions(), Path(tempfile.mkdtemp(prefix="wandlab-send-")))
    run.kept_model = kept_model
    try:
        doc = json.loads(Path(kept_model).read_text(encoding="utf-8"))
        prepared, trained = Prepared(**doc["prepared"]), Trained(**doc["trained"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrainFlashError("fit", f"cannot read the kept model {kept_model}: {exc}. Train again") from None
    run.clock.stage = "fit"
    try:
        run.before = await read_board(client)
        async with contextlib.aclosing(_deliver(run, project, prepared, trained)) as events:
            async for event in events:
                yield event
    except TrainFlashError as exc:
        yield run.clock.failed(_with_kept(exc.reason, kept_model), kept_model)
        raise TrainFlashError(exc.stage, exc.reason, kept_model) from None
    except Exception as exc:
        reason = str(exc) if isinstance(exc, WandlabError) else f"{type(exc).__name__}: {exc}"
        yield run.clock.failed(_with_kept(reason, kept_model), kept_model)
        raise TrainFlashError(run.clock.stage, reason, kept_model) from exc
    finally:
        await run.stop()
        shutil.rmtree(run.work, ignore_errors=True)


def kept_models(project: Any) -> list[Path]:
    """Models trained for ``project`` and kept in it, newest first (their .json files)."""
    folder = Path(project.root) / KEPT_FOLDER
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.is_dir() else []


def _with_kept(reason: str, kept_model: str) -> str:
    return reason + ("; the trained model is kept in the project: send it to the board when it is back, "
                     "no need to train again" if kept_model else "")


def _keep(project: Any, prepared: Prepared, trained: Trained, bundle: Any) -> tuple[Trained, str]:
    """Save the trained bundle and what the report needs in the project's models/ folder."""
    import json

    from wandlab.ml.bundle import save_bundle

    folder = Path(project.root) / KEPT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    zip_path = save_bundle(bundle, folder / f"{prepared.model_id}.zip")
    trained = replace(trained, bundle_path=str(zip_path))
    doc = {"prepared": prepared.to_dict(), "trained": trained.to_dict()}
    json_path = folder / f"{prepared.model_id}.json"
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(json_path)
    return trained, str(json_path)


async def _stages(run: _Running, project: Any) -> Events:
    c = run.clock
    yield c.start("prepare", "exporting the project's IMU takes")
    prepared = await prepare(run, project)
    yield c.done(f"{prepared.takes} takes of {len(prepared.labels)} labels, {prepared.channels} channels"
                 + (f", starting from {Path(prepared.base).name}" if prepared.base else ", from scratch")
                 + prepared.note, prepared)

    trained: Trained | None = None
    async with contextlib.aclosing(train(run, prepared)) as training:
        async for event in training:
            yield event
            if isinstance(event.result, Trained):
                trained = event.result
    assert trained is not None  # train() raises rather than end without a model
    from wandlab.ml.bundle import load_bundle

    # Kept in the project at once: whatever happens to the board from here on, the training is not lost.
    trained, run.kept_model = _keep(project, prepared, trained, load_bundle(trained.bundle_path))
    async with contextlib.aclosing(_deliver(run, project, prepared, trained)) as delivering:
        async for event in delivering:
            yield event


async def _deliver(run: _Running, project: Any, prepared: Prepared, trained: Trained) -> Events:
    """fit -> upload -> activate -> hid -> report, for a model trained now or earlier."""
    from wandlab.ml.bundle import load_bundle, save_bundle

    c = run.clock
    bundle = load_bundle(trained.bundle_path)  # thresholds already calibrated by the training
    if run.options.bundle_out:
        save_bundle(bundle, run.options.bundle_out)

    yield c.start("fit", f"checking the model against {run.client.info.board_name}")
    fitted = fit(run, bundle, prepared.channels)
    yield c.done(f"image {fitted.image_bytes} of {fitted.max_model_bytes} bytes, arena "
                 f"{fitted.arena_bytes} of {fitted.board_arena_bytes} bytes", fitted)

    activated: Activated | None = None
    async with contextlib.aclosing(push(run, project, prepared)) as pushing:
        async for event in pushing:
            yield event
            if isinstance(event.result, Activated):
                activated = event.result
    assert activated is not None

    yield c.start("hid", "pushing the HID map")
    hid = await push_hid(run, activated.classes)
    yield c.done(hid.message, hid)

    yield c.start("report", "the report of the training's own evaluation")
    seconds = {**c.seconds, "report": round(time.perf_counter() - c.started["report"], 3)}
    report = build_report(prepared, trained, fitted, activated, hid, seconds, c.total_s)
    accuracy = (f"open-set accuracy {report.open_set_accuracy:.3f} on {report.validation_takes} held-out takes"
                if report.open_set_accuracy is not None else "no held-out takes to test on")
    yield c.done(f"{accuracy}; model active on {report.board} after {report.total_s:.1f} s", report)


async def prepare(run: _Running, project: Any) -> Prepared:
    """Check the project has enough to train on, and export its IMU takes for the training child."""
    from wandlab.dataset import export_project, run_job

    info = run.client.info
    if info is None:
        raise TrainFlashError("prepare", "not connected to a board (no board Info)")
    counts = project.label_counts(kind="imu")
    if len(counts) < MIN_LABELS:
        have = f"only '{next(iter(counts))}'" if counts else "no IMU takes at all"
        raise TrainFlashError("prepare", f"training needs at least {MIN_LABELS} gesture labels; the project has "
                              f"{have}. Record another gesture first")
    few = {label: n for label, n in counts.items() if n < MIN_TAKES_PER_LABEL}
    if few:
        listed = ", ".join(f"'{label}' has {n}" for label, n in few.items())
        raise TrainFlashError("prepare", f"every label needs at least {MIN_TAKES_PER_LABEL} takes: {listed}. "
                              "Record more takes (or delete the label)")
    run.before = await read_board(run.client)
    losses = run.before.losses(set(counts))
    if losses:
        confirm = run.options.confirm_losses
        if confirm is None or not await confirm(losses):
            raise TrainFlashError("prepare", "nothing was changed: the new model would drop " + "; ".join(losses)
                                  + ". Record takes of those gestures first, or confirm that they may go")
    samples = project.samples(kind="imu")
    channels = board_channels(info)
    note = ""
    if channels == 6 and min(len(s.axes) for s in samples) < 6:
        channels, note = 3, " (some takes are accel-only, so the model is too)"
    data = run.work / "data"
    n = await asyncio.to_thread(run_job, export_project(project, data, "folder", True, samples))
    base = run.options.base
    base_path = base_model_for(channels) if base == "auto" else Path(base) if base else None
    epochs = run.options.epochs or (DEFAULT_EPOCHS_WARM if base_path else DEFAULT_EPOCHS_COLD)
    return Prepared(takes=n, labels=dict(counts), channels=channels, base=str(base_path) if base_path else None,
                    epochs=epochs, note=note, data_dir=str(data), losses=losses,
                    model_id=run.options.model_id or _model_id(project.root.name))


async def train(run: _Running, prepared: Prepared) -> Events:
    """Train, convert and verify in the child; the verify stage's DONE event carries ``Trained``."""
    from wandlab.errors import ModelError
    from wandlab.ml.runner import TrainingProcess
    from wandlab.ml.train import TrainRequest

    c = run.clock
    request = TrainRequest(data_dirs=[prepared.data_dir], out=str(run.work / "bundle"), channels=prepared.channels,
                           epochs=prepared.epochs, seed=run.options.seed, val_fraction=run.options.val_fraction,
                           base=prepared.base, margins=dict(run.options.margins))
    yield c.start("train", f"training {prepared.epochs} epochs in a child process")
    run.proc = TrainingProcess(request, run.options.python)
    events = run.proc.events()
    last_epoch: dict[str, Any] = {}
    verified: dict[str, Any] = {}
    trained: Trained | None = None
    try:
        while True:
            ev = await asyncio.to_thread(next, events, None)
            if ev is None:
                break
            kind = ev.get("event")
            if kind == "start":
                yield c.progress(0.0, f"{ev['train']} training / {ev['val']} held-out takes, "
                                 f"classes {', '.join(ev['classes'])}", ev)
            elif kind == "epoch":
                last_epoch = ev
                val = f", held-out {ev['val_accuracy']:.3f}" if "val_accuracy" in ev else ""
                yield c.progress(ev["epoch"] / ev["epochs"], f"epoch {ev['epoch']}/{ev['epochs']} loss "
                                 f"{ev['loss']:.3f} accuracy {ev['accuracy']:.3f}{val}", ev)
                if ev["epoch"] == ev["epochs"]:
                    yield c.done(f"trained {ev['epochs']} epochs", data=last_epoch)
                    yield c.start("convert", "full-integer int8 conversion")
            elif kind == "converted":
                if c.stage == "train":  # no epoch events (0 epochs): still report the stages in order
                    yield c.done("trained", data=last_epoch)
                    yield c.start("convert", "full-integer int8 conversion")
                yield c.done(f"int8 model {ev['model_bytes']} bytes", data=ev)
                yield c.start("verify", "TFLM vs LiteRT, arena, ops; k-NN references and thresholds")
            elif kind == "verified":
                if not ev["bit_exact"]:
                    raise TrainFlashError("verify", f"TFLM and LiteRT outputs differ (max {ev['max_abs_diff']} "
                                          "LSB): the board would not compute what was evaluated")
                verified = ev
                yield c.progress(0.7, f"TFLM bit-exact, arena {ev['arena_bytes']} bytes, ops "
                                 f"{', '.join(sorted(set(ev['ops'])))}; calibrating k-NN thresholds for "
                                 "people not in the data", ev)
            elif kind == "done" and "bundle_path" in ev:
                trained = _trained(ev, verified, prepared.epochs)
    except ModelError as exc:
        raise TrainFlashError(c.stage, str(exc)) from None
    if trained is None:
        raise TrainFlashError(c.stage, "training ended without a model")
    yield c.done(_accuracy_text(trained), trained)


def _trained(ev: dict[str, Any], verified: dict[str, Any], epochs: int) -> Trained:
    return Trained(bundle_path=str(ev["bundle_path"]), epochs=epochs, float_accuracy=ev.get("float_accuracy"),
                   int8_accuracy=ev.get("int8_accuracy"), model_bytes=int(ev["model_bytes"]),
                   arena_bytes=int(ev["arena_bytes"]), bit_exact=bool(ev["bit_exact"]), verified=verified,
                   calibration=dict(ev.get("calibration") or {}), evaluation=dict(ev.get("evaluation") or {}))


def _accuracy_text(trained: Trained) -> str:
    text = (f"float {trained.float_accuracy:.3f} / int8 {trained.int8_accuracy:.3f} on held-out takes"
            if trained.float_accuracy is not None and trained.int8_accuracy is not None else "no held-out takes")
    if trained.calibration:
        cal = trained.calibration
        text += (f"; open-set thresholds from {cal.get('positives', 0)} training takes and {cal.get('bank', 0)} "
                 "negatives")
    return text


def fit(run: _Running, bundle: Any, channels: int) -> Fitted:
    """Refuse, before anything is sent, a model that this board cannot hold or run."""
    from wandlab.onboard.board_image import pack

    info = run.client.info
    run.blob = pack(bundle)
    arena = int(bundle.report["arena_bytes"]) if bundle.report else 0
    problems = []
    if len(run.blob) > info.max_model_bytes:
        problems.append(f"the board image is {len(run.blob)} bytes (model {len(bundle.tflite)} + references and "
                        f"labels) but {info.board_name} takes at most {info.max_model_bytes} bytes")
    if arena > info.arena_bytes:
        problems.append(f"the model needs a {arena} byte tensor arena, {info.board_name} has {info.arena_bytes}")
    if channels > board_channels(info):
        problems.append(f"the model needs {channels} IMU axes, {info.board_name} has {board_channels(info)}")
    if problems:
        raise TrainFlashError("fit", "the model does not fit this board: " + "; ".join(problems)
                              + ". Nothing was sent; the board keeps its current model")
    return Fitted(image_bytes=len(run.blob), model_bytes=len(bundle.tflite), max_model_bytes=info.max_model_bytes,
                  arena_bytes=arena, board_arena_bytes=info.arena_bytes, board=info.board_name)


async def push(run: _Running, project: Any, prepared: Prepared) -> Events:
    """Upload the image, let the board verify and activate it; the activate DONE event carries ``Activated``."""
    from wandlab.board.enroll import list_refs
    from wandlab.board.transfer import model_slots, upload_model
    from wandlab.protocol import Log, Message

    c, client = run.clock, run.client
    model_id = prepared.model_id or run.options.model_id or _model_id(project.root.name)
    meta = {"source": "train-and-flash", "labels": sorted(prepared.labels), "channels": prepared.channels}
    logs: list[str] = []

    def on_log(message: Message) -> None:
        if isinstance(message, Log):
            logs.append(message.text)

    yield c.start("upload", f"sending {len(run.blob)} bytes as '{model_id}'")
    client.on_event(on_log)
    try:
        run.upload = upload_model(client, run.blob, model_id, meta)
        async for p in run.upload:
            if p.stage in ("begin", "sending"):
                yield c.progress(p.fraction, f"{p.acked_bytes}/{p.total_bytes} bytes", {
                    "acked_bytes": p.acked_bytes, "total_bytes": p.total_bytes, "resumed_from": p.resumed_from})
            elif p.stage == "verifying":
                yield c.done(f"{p.total_bytes} bytes at {p.kbytes_per_s:.0f} KB/s",
                             data={"bytes": p.total_bytes, "kbytes_per_s": round(p.kbytes_per_s, 1)})
                yield c.start("activate", "the board verifies the image and switches slots")
        run.upload_finished = True
        run.upload = None
        slots = await model_slots(client)
        digest = hashlib.sha256(run.blob).digest()
        active = next((s for s in slots.slots if s.slot == slots.active_slot), None)
        if active is None or active.sha256 != digest:
            raise TrainFlashError("activate", "the board reported success but is not running the new model")
        refs = await list_refs(client)
        await asyncio.sleep(0)  # let Log messages that followed the result arrive
    finally:
        client.off_event(on_log)
    if refs.dim == 0:
        why = "; ".join(logs) or "it reports no classes"
        raise TrainFlashError("activate", f"the board stored the model but cannot run it: {why}")
    activated = Activated(slot=slots.active_slot, model_id=model_id,
                          classes={r.class_id: r.label for r in refs.classes}, board_notes=logs)
    yield c.done(f"slot {slots.active_slot} active: {len(refs.classes)} classes, {refs.dim}-D embeddings", activated)


async def push_hid(run: _Running, classes: dict[int, str]) -> HidResult:
    """Map the new classes to keys (the options' map or preset) and switch HID on or off."""
    from wandlab.board.controller import enable_hid, set_gesture_keys, set_hid_map
    from wandlab.board.hid_presets import describe, map_labels, preset

    opts = run.options
    if opts.hid_map is not None:
        actions = list(opts.hid_map)
        names = [describe(a) for a in actions]
        source = "given map"
    elif opts.hid_preset:
        mapping = map_labels(preset(opts.hid_preset), sorted(classes.items()))
        actions, names = [a for a, _ in mapping], [n for _, n in mapping]
        source = f"preset '{preset(opts.hid_preset).name}'"
    else:
        return HidResult("HID map left as it was", {}, None)
    kept: list[str] = []
    if opts.hid_map is None:
        # The user's own keys win over the preset for gestures the new model still has (by label: the
        # class ids may have changed).
        by_id = {a.class_id: a for a in actions}
        for class_id, label in classes.items():
            own = run.before.keys.get(label)
            if own is not None:
                by_id[class_id] = replace(own, class_id=class_id)
                kept.append(label)
        actions = [by_id[c] for c in sorted(by_id)]
        names = [describe(a) for a in actions]
        await set_gesture_keys(run.client, actions)  # the wake words' keys stay
    else:
        await set_hid_map(run.client, actions)  # a whole map the user gave
    await enable_hid(run.client, opts.enable_hid)
    mapping_out = {classes.get(a.class_id, str(a.class_id)): n for a, n in zip(actions, names, strict=True)}
    kept_text = f"; your keys kept for {', '.join(sorted(kept))}" if kept else ""
    return HidResult(f"{source}: {len(actions)} of {len(classes)} classes mapped, HID "
                     f"{'on' if opts.enable_hid else 'off'}{kept_text}", mapping_out, opts.enable_hid, sorted(kept))


def _model_id(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:32] or "gestures"
    return f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
