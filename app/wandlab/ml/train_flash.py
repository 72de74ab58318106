"""One-click train-and-flash (DESIGN.md flow 2), Qt-free: an async generator of ``StageEvent``.

    prepare -> train -> convert -> verify -> fit -> upload -> activate -> hid -> report

``train_and_flash(client, project, options)`` exports the project's IMU takes (trimmed) to a temporary
labeled folder, trains in a child process (``runner.TrainingProcess``; TensorFlow never loads here)
starting from the shipped base model for the board's channel count, relays epochs, conversion and TFLM
verification, checks the result against *this* board's limits (its Info), pushes the board image,
waits for the board to verify and activate it, pushes a HID map and ends with a report.

Every stage yields 'start', maybe 'progress', then 'done'; a failure yields one 'failed' event naming
the stage and the reason and then raises ``TrainFlashError``. Cancel = close the generator
(``aclose()``, or cancel the task iterating it): the training child is terminated, an upload in flight
is aborted, and the board keeps running its previous model (it only switches after a verified finish).
The GUI runs this in its asyncio loop; the CLI prints the same events.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wandlab.errors import WandlabError

# Stages in order, with their share of the progress bar (measured: 8 classes x 20 takes, 2 cores;
# "train" includes the child's start and TensorFlow import, ~5 s of it).
STAGES: tuple[tuple[str, float], ...] = (
    ("prepare", 0.05),
    ("train", 0.62),
    ("convert", 0.10),
    ("verify", 0.06),
    ("fit", 0.01),
    ("upload", 0.06),
    ("activate", 0.03),
    ("hid", 0.02),
    ("report", 0.05),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)
MIN_LABELS = 2
MIN_TAKES_PER_LABEL = 3
# Epochs: from the shipped base model the embedding is already good and fine-tuning only has to fit the
# user's classes; from scratch it takes longer. An epoch of 8 x 20 takes is ~0.1 s on 2 cores.
DEFAULT_EPOCHS_WARM = 60
DEFAULT_EPOCHS_COLD = 120
DEFAULT_HID_PRESET = "media remote"
# A decision should be ready within one feature frame (50 Hz) after a gesture ends.
LATENCY_BUDGET_MS = 20.0


class TrainFlashError(WandlabError, RuntimeError):
    """Train-and-flash stopped at ``stage`` for the reason in the message."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage, self.reason = stage, message


@dataclass(frozen=True)
class StageEvent:
    stage: str  # one of STAGE_NAMES
    kind: str  # "start" | "progress" | "done" | "failed"
    fraction: float  # 0..1 of the whole job, stages weighted by their typical time
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0  # since the job started

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainFlashOptions:
    epochs: int | None = None  # None: DEFAULT_EPOCHS_WARM from a base model, else DEFAULT_EPOCHS_COLD
    seed: int = 0
    base: str | None = "auto"  # "auto": the shipped base model for the channel count; None: from scratch
    hid_map: Sequence[Any] | None = None  # HidActions to push; None: hid_preset over the labels in order
    hid_preset: str | None = DEFAULT_HID_PRESET  # None (and no hid_map): leave the board's map alone
    enable_hid: bool = True  # the board presses keys on its own afterwards
    model_id: str | None = None  # default: project folder name + time
    bundle_out: str | None = None  # also keep the model bundle here (folder or .zip)
    val_fraction: float = 0.2
    python: str | None = None  # interpreter for the training child (default: this one)


def board_channels(info: Any) -> int:
    """3 for an accel-only board, 6 with a gyroscope."""
    from wandlab.protocol import SensorKind

    if info is None or info.sensor(SensorKind.ACCEL) is None:
        raise TrainFlashError("prepare", "the board reports no accelerometer: it cannot run a gesture model")
    return 6 if info.sensor(SensorKind.GYRO) is not None else 3


def base_model_for(channels: int) -> Path | None:
    from wandlab.ml.commands import BASE_NAMES, MODELS_DIR

    path = MODELS_DIR / BASE_NAMES[channels]
    return path if (path / "manifest.json").is_file() else None


class _Clock:
    """Turns stage transitions into StageEvents with an overall fraction and per-stage seconds."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.stage = STAGE_NAMES[0]
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.weights = dict(STAGES)

    def _base(self, stage: str) -> float:
        return sum(w for name, w in STAGES[: STAGE_NAMES.index(stage)])

    def event(self, kind: str, inner: float, message: str, data: dict[str, Any] | None) -> StageEvent:
        inner = min(1.0, max(0.0, inner))
        frac = self._base(self.stage) + self.weights[self.stage] * inner
        return StageEvent(self.stage, kind, round(min(1.0, frac), 4), message, data or {},
                          round(time.perf_counter() - self.t0, 3))

    def start(self, stage: str, message: str = "", data: dict[str, Any] | None = None) -> StageEvent:
        self.stage = stage
        self.started[stage] = time.perf_counter()
        return self.event("start", 0.0, message, data)

    def progress(self, inner: float, message: str = "", data: dict[str, Any] | None = None) -> StageEvent:
        return self.event("progress", inner, message, data)

    def done(self, message: str = "", data: dict[str, Any] | None = None) -> StageEvent:
        s = round(time.perf_counter() - self.started[self.stage], 3)
        self.seconds[self.stage] = s
        return self.event("done", 1.0, message, {**(data or {}), "seconds": s})

    def failed(self, message: str) -> StageEvent:
        return self.event("failed", 0.0, message, {"reason": message})

    @property
    def total_s(self) -> float:
        return time.perf_counter() - self.t0


async def train_and_flash(client: Any, project: Any, options: TrainFlashOptions | None = None
                          ) -> AsyncIterator[StageEvent]:
    """Train a gesture model on ``project`` and make it ``client``'s board's active model."""
    options = options or TrainFlashOptions()
    clock = _Clock()
    work = Path(tempfile.mkdtemp(prefix="wandlab-train-flash-"))
    job = _Job(client, project, options, clock, work)
    try:
        async with contextlib.aclosing(job.run()) as events:
            async for event in events:
                yield event
    except TrainFlashError as exc:
        clock.stage = exc.stage
        yield clock.failed(exc.reason)
        raise
    except Exception as exc:  # anything else still ends in one 'failed' event and a WandlabError
        reason = str(exc) if isinstance(exc, WandlabError) else f"{type(exc).__name__}: {exc}"
        yield clock.failed(reason)
        raise TrainFlashError(clock.stage, reason) from exc
    finally:
        await job.cleanup()
        shutil.rmtree(work, ignore_errors=True)


class _Job:
    def __init__(self, client: Any, project: Any, options: TrainFlashOptions, clock: _Clock, work: Path) -> None:
        self.client, self.project, self.options, self.clock, self.work = client, project, options, clock, work
        self.proc: Any = None
        self.upload: Any = None
        self.blob = b""
        self.upload_finished = False
        self.info = client.info

    # -- the stages ---------------------------------------------------------------------------
    async def run(self) -> AsyncIterator[StageEvent]:
        c = self.clock
        yield c.start("prepare", "exporting the project's IMU takes")
        prep = await self.prepare()
        yield c.done(f"{prep['takes']} takes of {len(prep['labels'])} labels, {prep['channels']} channels"
                     + (f", starting from {Path(prep['base']).name}" if prep["base"] else ", from scratch"), prep)

        done: dict[str, Any] = {}
        async with contextlib.aclosing(self.train(prep, done)) as training:
            async for event in training:
                yield event
        bundle = done["bundle"]

        yield c.start("fit", f"checking the model against {self.info.board_name}")
        fit = self.fit(bundle, prep["channels"])
        yield c.done(f"image {fit['image_bytes']} of {fit['max_model_bytes']} bytes, arena "
                     f"{fit['arena_bytes']} of {fit['board_arena_bytes']} bytes", fit)

        activated: dict[str, Any] = {}
        async with contextlib.aclosing(self.push(prep, activated)) as pushing:
            async for event in pushing:
                yield event

        yield c.start("hid", "pushing the HID map")
        hid = await self.push_hid(activated["classes"])
        yield c.done(hid.pop("message"), hid)

        yield c.start("report", "evaluating the int8 model on held-out takes")
        report = await asyncio.to_thread(self.evaluate, prep, done, fit, activated, hid)
        report["stage_seconds"] = {**c.seconds, "report": round(time.perf_counter() - c.started["report"], 3)}
        report["total_s"] = round(c.total_s, 3)
        yield c.done(f"open-set accuracy {report['open_set_accuracy']:.3f} on {report['validation_takes']} held-out "
                     f"takes; model active on {self.info.board_name} after {report['total_s']:.1f} s", report)

    async def prepare(self) -> dict[str, Any]:
        from wandlab.dataset import export_project, run_job

        if self.info is None:
            raise TrainFlashError("prepare", "not connected to a board (no board Info)")
        counts = self.project.label_counts(kind="imu")
        if len(counts) < MIN_LABELS:
            have = f"only '{next(iter(counts))}'" if counts else "no IMU takes at all"
            raise TrainFlashError("prepare", f"training needs at least {MIN_LABELS} gesture labels; the project has "
                                  f"{have}. Record another gesture first")
        few = {label: n for label, n in counts.items() if n < MIN_TAKES_PER_LABEL}
        if few:
            listed = ", ".join(f"'{label}' has {n}" for label, n in few.items())
            raise TrainFlashError("prepare", f"every label needs at least {MIN_TAKES_PER_LABEL} takes: {listed}. "
                                  "Record more takes (or delete the label)")
        samples = self.project.samples(kind="imu")
        channels = board_channels(self.info)
        note = ""
        if channels == 6 and min(len(s.axes) for s in samples) < 6:
            channels, note = 3, " (some takes are accel-only, so the model is too)"
        data = self.work / "data"
        n = await asyncio.to_thread(run_job, export_project(self.project, data, "folder", True, samples))
        base = self.options.base
        base_path = base_model_for(channels) if base == "auto" else Path(base) if base else None
        epochs = self.options.epochs or (DEFAULT_EPOCHS_WARM if base_path else DEFAULT_EPOCHS_COLD)
        return {"takes": n, "labels": counts, "channels": channels, "base": str(base_path) if base_path else None,
                "epochs": epochs, "note": note, "data_dir": str(data)}

    async def train(self, prep: dict[str, Any], done: dict[str, Any]) -> AsyncIterator[StageEvent]:
        from wandlab.errors import ModelError
        from wandlab.ml.bundle import load_bundle
        from wandlab.ml.runner import TrainingProcess
        from wandlab.ml.train import TrainRequest

        c = self.clock
        request = TrainRequest(data_dirs=[prep["data_dir"]], out=str(self.work / "bundle"), channels=prep["channels"],
                               epochs=prep["epochs"], seed=self.options.seed, val_fraction=self.options.val_fraction,
                               base=prep["base"])
        yield c.start("train", f"training {prep['epochs']} epochs in a child process")
        self.proc = TrainingProcess(request, self.options.python)
        events = self.proc.events()
        last_epoch: dict[str, Any] = {}
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
                        yield c.done(f"trained {ev['epochs']} epochs", last_epoch)
                        yield c.start("convert", "full-integer int8 conversion")
                elif kind == "converted":
                    if c.stage == "train":  # no epoch events (0 epochs): still report the stages in order
                        yield c.done("trained", last_epoch)
                        yield c.start("convert", "full-integer int8 conversion")
                    yield c.done(f"int8 model {ev['model_bytes']} bytes", ev)
                    yield c.start("verify", "TFLM vs LiteRT, arena, ops; k-NN references and thresholds")
                elif kind == "verified":
                    if not ev["bit_exact"]:
                        raise TrainFlashError("verify", f"TFLM and LiteRT outputs differ (max {ev['max_abs_diff']} "
                                              "LSB): the board would not compute what was evaluated")
                    done["verified"] = ev
                    yield c.progress(0.7, f"TFLM bit-exact, arena {ev['arena_bytes']} bytes, ops "
                                     f"{', '.join(sorted(set(ev['ops'])))}; calibrating k-NN thresholds for "
                                     "people not in the data", ev)
                elif kind == "done":
                    done.update(ev)
        except ModelError as exc:
            raise TrainFlashError(c.stage, str(exc)) from None
        if "bundle_path" not in done:
            raise TrainFlashError(c.stage, "training ended without a model")
        done["bundle"] = load_bundle(done["bundle_path"])  # thresholds already calibrated by the training
        if self.options.bundle_out:
            from wandlab.ml.bundle import save_bundle

            save_bundle(done["bundle"], self.options.bundle_out)
        acc = (f"float {done['float_accuracy']:.3f} / int8 {done['int8_accuracy']:.3f} on held-out takes"
               if "int8_accuracy" in done else "no held-out takes")
        if done.get("calibration"):
            acc += f"; thresholds from {done['calibration']['inputs']} calibration inputs"
        yield c.done(acc, {k: v for k, v in done.items() if k not in ("bundle", "verified")})

    def fit(self, bundle: Any, channels: int) -> dict[str, Any]:
        from wandlab.ml.board_image import pack

        info = self.info
        self.blob = pack(bundle)
        arena = int(bundle.report["arena_bytes"]) if bundle.report else 0
        fit = {"image_bytes": len(self.blob), "model_bytes": len(bundle.tflite),
               "max_model_bytes": info.max_model_bytes, "arena_bytes": arena,
               "board_arena_bytes": info.arena_bytes, "board": info.board_name}
        problems = []
        if len(self.blob) > info.max_model_bytes:
            problems.append(f"the board image is {len(self.blob)} bytes (model {len(bundle.tflite)} + references and "
                            f"labels) but {info.board_name} takes at most {info.max_model_bytes} bytes")
        if arena > info.arena_bytes:
            problems.append(f"the model needs a {arena} byte tensor arena, {info.board_name} has {info.arena_bytes}")
        if channels > board_channels(info):
            problems.append(f"the model needs {channels} IMU axes, {info.board_name} has {board_channels(info)}")
        if problems:
            raise TrainFlashError("fit", "the model does not fit this board: " + "; ".join(problems)
                                  + ". Nothing was sent; the board keeps its current model")
        return fit

    async def push(self, prep: dict[str, Any], out: dict[str, Any]) -> AsyncIterator[StageEvent]:
        from wandlab.board.enroll import list_refs
        from wandlab.board.transfer import model_slots, upload_model
        from wandlab.protocol import Log, Message

        c = self.clock
        model_id = self.options.model_id or _model_id(self.project.root.name)
        meta = {"source": "train-and-flash", "labels": sorted(prep["labels"]), "channels": prep["channels"]}
        logs: list[str] = []

        def on_log(message: Message) -> None:
            if isinstance(message, Log):
                logs.append(message.text)

        yield c.start("upload", f"sending {len(self.blob)} bytes as '{model_id}'")
        self.client.on_event(on_log)
        try:
            self.upload = upload_model(self.client, self.blob, model_id, meta)
            async for p in self.upload:
                if p.stage in ("begin", "sending"):
                    yield c.progress(p.fraction, f"{p.acked_bytes}/{p.total_bytes} bytes", {
                        "acked_bytes": p.acked_bytes, "total_bytes": p.total_bytes, "resumed_from": p.resumed_from})
                elif p.stage == "verifying":
                    yield c.done(f"{p.total_bytes} bytes at {p.kbytes_per_s:.0f} KB/s",
                                 {"bytes": p.total_bytes, "kbytes_per_s": round(p.kbytes_per_s, 1)})
                    yield c.start("activate", "the board verifies the image and switches slots")
                elif p.stage == "done":
                    out["slot"] = p.slot
            self.upload_finished = True
            self.upload = None
            slots = await model_slots(self.client)
            digest = hashlib.sha256(self.blob).digest()
            active = next((s for s in slots.slots if s.slot == slots.active_slot), None)
            if active is None or active.sha256 != digest:
                raise TrainFlashError("activate", "the board reported success but is not running the new model")
            refs = await list_refs(self.client)
            await asyncio.sleep(0)  # let Log messages that followed the result arrive
        finally:
            self.client.off_event(on_log)
        if refs.dim == 0:
            why = "; ".join(logs) or "it reports no classes"
            raise TrainFlashError("activate", f"the board stored the model but cannot run it: {why}")
        out.update(model_id=model_id, classes={r.class_id: r.label for r in refs.classes}, board_notes=logs)
        yield c.done(f"slot {slots.active_slot} active: {len(refs.classes)} classes, {refs.dim}-D embeddings",
                     {"slot": slots.active_slot, "model_id": model_id, "classes": out["classes"], "board_notes": logs})

    async def push_hid(self, classes: dict[int, str]) -> dict[str, Any]:
        from wandlab.board.controller import enable_hid, set_hid_map
        from wandlab.board.hid_presets import describe, map_labels, preset

        opts = self.options
        if opts.hid_map is not None:
            actions = list(opts.hid_map)
            names = [describe(a) for a in actions]
            source = "given map"
        elif opts.hid_preset:
            mapping = map_labels(preset(opts.hid_preset), sorted(classes.items()))
            actions, names = [a for a, _ in mapping], [n for _, n in mapping]
            source = f"preset '{preset(opts.hid_preset).name}'"
        else:
            return {"message": "HID map left as it was", "mapping": {}, "enabled": None}
        await set_hid_map(self.client, actions)
        await enable_hid(self.client, opts.enable_hid)
        mapping_out = {classes.get(a.class_id, str(a.class_id)): n for a, n in zip(actions, names, strict=True)}
        return {"message": f"{source}: {len(actions)} of {len(classes)} classes mapped, HID "
                           f"{'on' if opts.enable_hid else 'off'}", "mapping": mapping_out, "enabled": opts.enable_hid}

    def evaluate(self, prep: dict[str, Any], done: dict[str, Any], fit: dict[str, Any], activated: dict[str, Any],
                 hid: dict[str, Any]) -> dict[str, Any]:
        """Per-class accuracy and confusion of the int8 model + k-NN on the same held-out takes as training."""
        import numpy as np

        from wandlab.ml.budgets import GESTURE_BUDGET
        from wandlab.ml.train import TrainRequest, load_imu_folders, split
        from wandlab.ml.verify import int8_embeddings

        bundle = done["bundle"]
        data = load_imu_folders([prep["data_dir"]], bundle.features)
        _, val = split(data, TrainRequest(data_dirs=[], seed=self.options.seed, val_fraction=self.options.val_fraction))
        labels = list(bundle.labels)
        cols = labels + ["none"]
        matrix = np.zeros((len(labels), len(cols)), int)
        if len(val.labels):
            pred = bundle.recognizer.predict(int8_embeddings(bundle.tflite, val.x))
            for truth, p in zip(val.labels, pred, strict=True):
                if truth in labels:
                    matrix[labels.index(truth), cols.index(p if p is not None else "none")] += 1
        # Classes with no held-out take have no accuracy to show (left out rather than faked as 0 or 1).
        per_class = {lab: round(float(matrix[i, i] / matrix[i].sum()), 4)
                     for i, lab in enumerate(labels) if matrix[i].sum()}
        verified = done.get("verified", {})
        latency = verified.get("latency_ms", {})
        return {
            "model_id": activated["model_id"],
            "board": fit["board"],
            "labels": labels,
            "takes": prep["takes"],
            "validation_takes": int(matrix.sum()),
            "channels": prep["channels"],
            "base": prep["base"],
            "epochs": prep["epochs"],
            "per_class_accuracy": per_class,
            "confusion": matrix.tolist(),  # rows: true label; columns: predicted_labels
            "predicted_labels": cols,
            "open_set_accuracy": float(np.trace(matrix) / matrix.sum()) if matrix.sum() else 0.0,
            "float_accuracy": done.get("float_accuracy"),
            "int8_accuracy": done.get("int8_accuracy"),
            "accuracy_loss_points": (round(100 * (done["float_accuracy"] - done["int8_accuracy"]), 2)
                                     if "int8_accuracy" in done else None),
            "bit_exact": verified.get("bit_exact"),
            "model_bytes": fit["model_bytes"],
            "image_bytes": fit["image_bytes"],
            "arena_bytes": fit["arena_bytes"],
            "budget": {"model_flash_bytes": GESTURE_BUDGET.model_flash_bytes, "arena_bytes": GESTURE_BUDGET.arena_bytes,
                       "board_max_model_bytes": fit["max_model_bytes"], "board_arena_bytes": fit["board_arena_bytes"],
                       "latency_ms": LATENCY_BUDGET_MS},
            "latency_ms": latency,
            "latency_within_budget": {k: v <= LATENCY_BUDGET_MS for k, v in latency.items()},
            "macs": verified.get("macs"),
            "hid": hid.get("mapping", {}),
            "board_notes": activated.get("board_notes", []),
            "thresholds": done.get("calibration", {}),
        }

    # -- cancel / failure ---------------------------------------------------------------------
    async def cleanup(self) -> None:
        """Stop whatever is still running: the training child, an upload in flight."""
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


def _model_id(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:32] or "gestures"
    return f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
