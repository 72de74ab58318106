"""Typed results of train-and-flash's stages, and the report built from them.

Each stage returns one of these; the next stage takes it as an argument, and the DONE event of the stage
carries it (``StageEvent.result``) and its ``to_dict()`` (``StageEvent.data``, JSON for the CLI). The
report is assembled from the training child's own evaluation: nothing is re-split or re-embedded here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from wandlab.flows.train_flash_events import FEW_TEST_TAKES
from wandlab.onboard.budgets import GESTURE_BUDGET, LATENCY_BUDGET_MS, ranking_ms

NONE = "none"


class _Result:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Prepared(_Result):
    takes: int
    labels: dict[str, int]  # label -> number of IMU takes
    channels: int
    base: str | None  # base bundle the training starts from; None: from scratch
    epochs: int
    note: str
    data_dir: str
    losses: list[str] = field(default_factory=list)  # what the user confirmed would be dropped
    model_id: str = ""


@dataclass(frozen=True)
class Trained(_Result):
    bundle_path: str
    epochs: int
    float_accuracy: float | None
    int8_accuracy: float | None
    model_bytes: int
    arena_bytes: int
    bit_exact: bool
    verified: dict[str, Any]  # the child's TFLM verification: arena, ops, macs, latency_ms, bit_exact
    calibration: dict[str, Any]  # how the k-NN thresholds were calibrated
    evaluation: dict[str, Any]  # the child's evaluation report (wandlab.ml.evaluate) on held-out takes
    seconds: float = 0.0


@dataclass(frozen=True)
class Fitted(_Result):
    image_bytes: int
    model_bytes: int
    max_model_bytes: int
    arena_bytes: int
    board_arena_bytes: int
    board: str


@dataclass(frozen=True)
class Activated(_Result):
    slot: int
    model_id: str
    classes: dict[int, str]
    board_notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HidResult(_Result):
    message: str
    mapping: dict[str, str]  # label -> action name
    enabled: bool | None  # None: the board's HID map was left alone
    kept: list[str] = field(default_factory=list)  # labels whose own key survived the retraining


@dataclass(frozen=True)
class Report(_Result):
    model_id: str
    board: str
    labels: list[str]
    takes: int
    validation_takes: int
    channels: int
    base: str | None
    epochs: int
    per_class_accuracy: dict[str, float]
    confusion: list[list[int]]  # rows: true label (labels); columns: predicted_labels
    predicted_labels: list[str]
    open_set_accuracy: float | None
    float_accuracy: float | None
    int8_accuracy: float | None
    accuracy_loss_points: float | None
    bit_exact: bool
    model_bytes: int
    image_bytes: int
    arena_bytes: int
    budget: dict[str, Any]
    latency_ms: dict[str, float]
    latency_within_budget: dict[str, bool]
    macs: int | None
    hid: dict[str, str]
    board_notes: list[str]
    thresholds: dict[str, Any]
    warnings: list[str]
    evaluation: dict[str, Any]
    stage_seconds: dict[str, float]
    total_s: float


def build_report(prepared: Prepared, trained: Trained, fitted: Fitted, activated: Activated, hid: HidResult,
                 stage_seconds: dict[str, float], total_s: float) -> Report:
    """The report of one run, from the stages' results (the confusion is the child's evaluation's)."""
    evaluation = trained.evaluation
    labels = [str(v) for v in evaluation.get("labels", sorted(prepared.labels))]
    columns = labels + [NONE]
    matrix = [[0] * len(columns) for _ in labels]
    confusion = evaluation.get("confusion")
    if confusion:  # rows and columns are labels + "none"; a "none" row (unknown takes) is not a class
        for i, row in enumerate(confusion["matrix"][: len(labels)]):
            matrix[i] = [int(v) for v in row]
    counted = sum(map(sum, matrix))
    correct = sum(matrix[i][i] for i in range(len(labels)))
    # Classes with no held-out take have no accuracy to show (left out rather than faked as 0 or 1).
    per_class = {lab: round(matrix[i][i] / sum(matrix[i]), 4) for i, lab in enumerate(labels) if sum(matrix[i])}
    warnings = []
    if "error" in evaluation:
        warnings.append(f"the evaluation failed ({evaluation['error']}); the model was still sent")
    if counted < FEW_TEST_TAKES:
        warnings.append(f"the test figures rest on {counted} held-out takes: record more takes per gesture "
                        "for figures you can trust")
    shapes = _shapes_of(trained.bundle_path)  # read once, for every latency target
    latency = {k: float(v) + ranking_ms(k, shapes) for k, v in (trained.verified.get("latency_ms") or {}).items()}
    loss = (round(100 * (trained.float_accuracy - trained.int8_accuracy), 2)
            if trained.float_accuracy is not None and trained.int8_accuracy is not None else None)
    return Report(
        model_id=activated.model_id,
        board=fitted.board,
        labels=labels,
        takes=prepared.takes,
        validation_takes=counted,
        channels=prepared.channels,
        base=prepared.base,
        epochs=prepared.epochs,
        per_class_accuracy=per_class,
        confusion=matrix,
        predicted_labels=columns,
        open_set_accuracy=correct / counted if counted else None,
        float_accuracy=trained.float_accuracy,
        int8_accuracy=trained.int8_accuracy,
        accuracy_loss_points=loss,
        bit_exact=trained.bit_exact,
        model_bytes=fitted.model_bytes,
        image_bytes=fitted.image_bytes,
        arena_bytes=fitted.arena_bytes,
        budget={"model_flash_bytes": GESTURE_BUDGET.model_flash_bytes, "arena_bytes": GESTURE_BUDGET.arena_bytes,
                "board_max_model_bytes": fitted.max_model_bytes, "board_arena_bytes": fitted.board_arena_bytes,
                "latency_ms": LATENCY_BUDGET_MS},
        latency_ms=latency,
        latency_within_budget={k: v <= LATENCY_BUDGET_MS for k, v in latency.items()},
        macs=trained.verified.get("macs"),
        hid=hid.mapping,
        board_notes=activated.board_notes,
        thresholds=trained.calibration,
        warnings=warnings,
        evaluation=evaluation,
        stage_seconds=stage_seconds,
        total_s=round(total_s, 3),
    )


def _shapes_of(bundle_path: str) -> tuple[int, ...] | None:
    """(references, frames, channels) of the trained recogniser's shape codes, whose ranking a board adds
    to the model's latency; None without codes, or when the bundle cannot be read here."""
    from wandlab.errors import ModelError
    from wandlab.ml.bundle import load_bundle

    try:
        shapes = load_bundle(bundle_path).recognizer.shapes
    except (ModelError, OSError):
        return None
    return None if shapes is None else tuple(shapes.shape)
