"""The open set on the board (issue 12): after Train & Flash with 4 gestures the other gestures and a wand
waved about press nothing, while a person the model never saw still gets the 4 gestures; enrolment on the
board sets a threshold by the same rule, with the negatives bank the image carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.virtual.gesture_models import SimBoard, gesture_bundle, image
from wandlab.ml.bundle import load_bundle
from wandlab.ml.shipped import base_gesture_model
from wandlab.ml.synthetic import gesture_names, virtual_takes
from wandlab.ml.train import ImuData, train_events
from wandlab.onboard.board_image import pack
from wandlab.onboard.imu_features import batch_features
from wandlab.onboard.open_set import DEFAULT_MARGIN, class_threshold, shot_spread
from wandlab.onboard.trim import auto_trim_imu
from wandlab.protocol import SimPerform
from wandlab.protocol.controller import NO_CLASS, InferenceEvent, RecognizeStart
from wandlab.protocol.enroll import ALL_CLASSES, EnrollProgress, EnrollStart, EnrollState
from wandlab.synth.everyday import everyday_motion
from wandlab.virtual.board import ACCEL_SCALE, GYRO_SCALE, VirtualBoard, VirtualWandConfig

TRAINED = ["circle", "flick_left", "flick_right", "shake"]  # circle: the user's Play/Pause
OTHERS = [g for g in gesture_names(10) if g not in TRAINED]  # v and tap among them, as in the issue
GAP_S = 2.8
UNSEEN = 21  # neither the base model (people 1-16) nor this training (1-4) saw this person


def _takes(labels: list[str], n: int, seed: int, features: Any) -> ImuData:
    takes = virtual_takes(labels, n, [1, 2, 3, 4], seed)
    trimmed = []
    for t in takes:
        start, end = auto_trim_imu(t.data, t.rate_hz)  # as the recorder stores a take
        trimmed.append((t.data[start:end], t.rate_hz))
    return ImuData(
        batch_features(trimmed, features),
        np.array([t.label for t in takes]),
        np.array([t.subject for t in takes]),
        np.array([""] * len(takes)),
    )


@pytest.fixture(scope="module")
def trained() -> Any:
    """What Train & Flash trains for a 6-axis board: the shipped base model fine-tuned on the project's takes
    (4 gestures x 12 takes by people 1-4; fewer epochs than the app's 60 to keep the test short)."""
    base = load_bundle(base_gesture_model(6))
    train = _takes(TRAINED, 12, 1, base.features)
    val = _takes(TRAINED, 3, 2, base.features)
    done = [e for e in train_events(train, val, base.features, epochs=8, seed=0, base=base)][-1]
    return done["bundle"]


def _decisions(sim: SimBoard, gesture: str) -> list[InferenceEvent]:
    sim.send(SimPerform(gesture))
    return [m for m in sim.run(GAP_S) if isinstance(m, InferenceEvent)]


def test_after_train_and_flash_other_gestures_and_waving_press_nothing(trained: Any) -> None:
    sim = SimBoard(VirtualBoard(VirtualWandConfig(person=UNSEEN, seed=UNSEEN)))
    sim.flash(pack(trained))
    sim.send(RecognizeStart(1))
    sim.run(1.0)
    rng = np.random.default_rng(UNSEEN)
    right = sum(
        [e.label for e in _decisions(sim, str(g)) if e.class_id != NO_CLASS] == [g]
        for g in rng.permutation(TRAINED * 4)
    )
    pressed_by: dict[str, int] = {}
    for g in rng.permutation(OTHERS * 3):
        for e in _decisions(sim, str(g)):
            if e.class_id != NO_CLASS:
                pressed_by[f"{g}->{e.label}"] = pressed_by.get(f"{g}->{e.label}", 0) + 1
    idle = sum(e.class_id != NO_CLASS for _ in range(6) for e in _decisions(sim, "idle"))
    # Five minutes of the wand waved about, pointed, lifted, twisted, carried: the board's own path.
    brain, waved = sim.board.brain, 0
    motion = everyday_motion(300, 100.0, UNSEEN, seed=9)
    scale = np.array([ACCEL_SCALE] * 3 + [GYRO_SCALE] * 3)
    counts = np.round(motion / scale) * scale  # what the IMU's int16 counts say
    for i in range(0, len(counts), 4):
        sim.now += 0.04
        waved += sum(
            isinstance(m, InferenceEvent) and m.class_id != NO_CLASS
            for m in brain.feed(counts[i : i + 4], 100.0, 10**6 + i, sim.now)
        )
    print(
        f"\nright {right}/16, other gestures pressed {pressed_by} of {3 * len(OTHERS)}, idle {idle}/6, "
        f"waving pressed {waved} in 5 min ({brain.segments_skipped} segments not decided)"
    )
    # Measured with the board ranking by embedding + DTW: 16/16 right; 0 of 18 other gestures, 0/6 idle, 0
    # presses in 5 min of waving (ranked by the embedding alone: 1 of 18, a w taken for circle). The same
    # model with the calibration before issue 12 (augmented takes vs random strokes): 16/16 right, but 10 of
    # 18 other gestures and 8 waves pressed a key (person 22: 15 of 36, 9 more waves). The slack below is
    # for TensorFlow's training, which is not bit-identical across CPUs.
    assert right >= 14
    assert sum(pressed_by.values()) <= 2 and idle == 0
    assert waved <= 3


def test_enrolment_on_the_board_uses_the_images_negatives_bank(tmp_path: Path) -> None:
    knn = gesture_bundle().recognizer
    assert knn.bank is not None  # the shipped base model carries it into its board image
    sim = SimBoard(VirtualBoard(VirtualWandConfig(person=7, seed=57, state_dir=str(tmp_path))))
    sim.flash(image(drop=("w",)))
    progress = [m for m in sim.send(EnrollStart(ALL_CLASSES, "w", 3)) if isinstance(m, EnrollProgress)]
    for _ in range(3):
        sim.send(SimPerform("w"))
        progress += [m for m in sim.run(GAP_S) if isinstance(m, EnrollProgress)]
    assert progress[-1].state == EnrollState.DONE, [p.message for p in progress]
    stored = sim.board.brain.refs.by_label("w")
    assert stored is not None and stored.margin == DEFAULT_MARGIN
    others = np.concatenate([c.embeddings for c in sim.board.brain.refs.classes() if c.label != "w"])
    rule = class_threshold(
        stored.embeddings,
        spread=shot_spread(stored.embeddings),
        count=3,
        typical=knn.bank.typical_spread,
        others=others,
        bank=knn.bank.embeddings,
    )
    assert stored.threshold == rule.value and f"threshold {rule.value}" in progress[-1].message
    saved = json.loads((tmp_path / "refs.json").read_text())
    assert [c["margin"] for c in saved["classes"] if c["label"] == "w"] == [DEFAULT_MARGIN]
