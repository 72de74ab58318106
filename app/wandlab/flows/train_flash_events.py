"""What train-and-flash tells its viewers: stage names and weights, minimums, options, events, errors.

Light on purpose (no numpy, no board, no TensorFlow): the Train page and the CLI import it to show
stages and check minimums before the pipeline (``wandlab.flows.train_flash``) is even loaded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from wandlab.errors import WandlabError

# (name, title, share of the progress bar). Shares measured: 8 classes x 20 takes, 2 cores; "train"
# includes the child's start and TensorFlow import, ~5 s of it.
STAGES: tuple[tuple[str, str, float], ...] = (
    ("prepare", "Prepare data", 0.05),
    ("train", "Train", 0.62),
    ("convert", "Convert to int8", 0.10),
    ("verify", "Verify in TFLM", 0.06),
    ("fit", "Fits the board?", 0.01),
    ("upload", "Upload", 0.06),
    ("activate", "Board verifies + activates", 0.03),
    ("hid", "HID map", 0.02),
    ("report", "Report", 0.05),
)
STAGE_NAMES = tuple(name for name, _, _ in STAGES)
STAGE_TITLES = {name: title for name, title, _ in STAGES}
STAGE_WEIGHTS = {name: weight for name, _, weight in STAGES}
MIN_LABELS = 2
MIN_TAKES_PER_LABEL = 3
# From the shipped base model the embedding is already good and fine-tuning only has to fit the user's
# classes; from scratch it takes longer. An epoch of 8 x 20 takes is ~0.1 s on 2 cores.
DEFAULT_EPOCHS_WARM = 60
DEFAULT_EPOCHS_COLD = 120
DEFAULT_HID_PRESET = "media remote"
# Held-out figures resting on fewer takes than this get a warning in the report.
FEW_TEST_TAKES = 30

START, PROGRESS, DONE, FAILED = "start", "progress", "done", "failed"


class TrainFlashError(WandlabError, RuntimeError):
    """Train-and-flash stopped at ``stage`` for the reason in the message.

    ``kept_model``: when it stopped after training (e.g. the board went away during the upload), the
    trained model kept in the project (``flows.train_flash.kept_models``), to send again later.
    """

    def __init__(self, stage: str, message: str, kept_model: str = "") -> None:
        super().__init__(f"{stage}: {message}")
        self.stage, self.reason, self.kept_model = stage, message, kept_model


@dataclass(frozen=True)
class StageEvent:
    stage: str  # one of STAGE_NAMES
    kind: str  # START | PROGRESS | DONE | FAILED
    fraction: float  # 0..1 of the whole job, stages weighted by their typical time
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # JSON-able; a DONE event's is its result's to_dict()
    elapsed_s: float = 0.0  # since the job started
    result: Any = None  # a DONE event's typed result (train_flash_results), for viewers that want it

    @property
    def failed(self) -> bool:
        return self.kind == FAILED

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["result"]
        return out


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
    # Open-set margin per label, 0 strict .. 1 lenient; "*" for every label not named (default 0.5 each).
    margins: dict[str, float] = field(default_factory=dict)
    python: str | None = None  # interpreter for the training child (default: this one)
    # Asked, before anything changes, with one line per thing of the user's that the new model would
    # drop (a gesture enrolled on the board that the project has no takes of, a key mapped to a gesture
    # that is gone); True goes on. None: stop and say what would be lost.
    confirm_losses: Callable[[list[str]], Awaitable[bool]] | None = None
