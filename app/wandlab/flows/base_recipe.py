"""The recipe for the pretrained gesture base models in ``models/`` (``wandlab train-base``).

Training data (``training_data``): every real gesture set in ``GESTURE_SETS`` that the data root holds and
that has the model's channels (cyberry_wand: 13 classes, real MPU6050 wand; nanguoyu_wand: 5 spells, a
Nano 33 BLE Sense wand; magic_wand_tf: 3 gestures by 10 people, accel only, so not in the 6-channel model),
labels prefixed with the set's name, takes labelled as no gesture left out; plus virtual-wand takes of 10
gestures by 12 simulated people (``wandlab.virtual``), plus 1000 random stroke classes x 6 takes
(``synthetic.random_shape_classes``), which teach generic shape discrimination. ``flows.leave_one_dataset_out``
trains the same recipe without one real set and tests few-shot enrollment on it (``wandlab bench lodo``):
the model card's table of how the model does on a data set it never saw.
The bundle's recogniser holds references for the virtual-wand gestures (so the virtual wand works out of
the box); their thresholds follow the open-set rule (``onboard.open_set``) with the negatives bank that
``negatives_recipe`` builds; the gestures and idle takes of 4 further simulated people measure the open
set. On a real board users enroll their own gestures from a few takes.

``negatives_recipe`` (also alone: ``wandlab train-base --negatives-only``): the bank's windows are
everyday motion streamed through the board's segmenter - sp_sw_har people s01-s11 (phone and watch; s12-s23
stay unseen for ``bench open-set``) and, for the accel model, magic_wand_tf's negative logs 1-3 and ccw_1
(the others stay unseen) - plus the virtual wand handled between gestures by people 1-12
(``synth.everyday``), its idle takes, random strokes and a resting wand; 256 of them by fixed shares.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.ml.train import ImuData, concat, load_imu_folders
from wandlab.onboard.imu_features import FeatureConfig, batch_features

# Real gesture sets the recipe trains on when the data root has them (the label prefix keeps their classes apart)
GESTURE_SETS = {"cyberry_wand": "cyberry", "nanguoyu_wand": "nanguoyu", "magic_wand_tf": "magic"}
TRAIN_PEOPLE = list(range(1, 13))
# The negatives bank (negatives_recipe): which recordings it may use (the rest stay unseen for benchmarks)
BANK_HAR_SUBJECTS = [f"s{i:02d}" for i in range(1, 12)]
BANK_MAGIC_SESSIONS = ["negative_1", "negative_2", "negative_3", "negative_ccw_1"]
BANK_SHARES = {"sp_sw_har": 0.35, "magic_wand_tf _negative_": 0.15, "virtual everyday": 0.25,
               "random strokes": 0.15, "virtual idle": 0.05, "resting wand": 0.05}
VAL_PEOPLE = [13, 14, 15, 16]
VIRTUAL_TAKES_PER_CLASS = 60
SYNTHETIC_CLASSES, SYNTHETIC_TAKES = 1000, 6  # random stroke "gestures": generic shape discrimination
STROKE_FILL = (0.95, 1.0)  # share of the window a stroke spans: trimmed takes, stretched, fill the window
RIGS, RIG_TAKES = 0, 4  # simulated rigs (synth.rigs), 10 gestures x 4 takes each: off, see docs/ml.md "What moved it"


@dataclass(frozen=True)
class Recipe:
    """The amounts of generated data and training; the defaults are the shipped models' recipe."""

    virtual_takes_per_class: int = VIRTUAL_TAKES_PER_CLASS
    synthetic_classes: int = SYNTHETIC_CLASSES
    synthetic_takes: int = SYNTHETIC_TAKES
    stroke_fill: tuple[float, float] = STROKE_FILL
    rigs: int = RIGS
    rig_takes: int = RIG_TAKES
    epochs: int = 40


@dataclass
class RecipeData:
    real: ImuData  # the real gesture sets, labels prefixed "<set>:"
    virtual: ImuData
    synthetic: ImuData
    rigs: ImuData | None  # one class per (gesture, rig)
    sets: list[str]  # which real sets are in ``real``

    @property
    def train(self) -> ImuData:
        return concat([self.real, self.virtual, self.synthetic] + ([self.rigs] if self.rigs is not None else []))


def load_gesture_set(folder: Path, features: FeatureConfig) -> ImuData:
    """One real set's takes as feature windows, without the takes labelled as no gesture (``_negative_``)."""
    from wandlab.ml.open_set import gesture_mask

    data = load_imu_folders([str(folder)], features)
    return data.subset(gesture_mask(data.labels))


def real_gesture_data(features: FeatureConfig, data_root: Path, exclude: tuple[str, ...] = ()) -> tuple[ImuData,
                                                                                                     list[str]]:
    """Every set of ``GESTURE_SETS`` under ``data_root`` with the model's channels, except ``exclude``."""
    parts, used = [], []
    for name, prefix in GESTURE_SETS.items():
        folder = data_root / name
        if name in exclude or not (folder / "manifest.csv").exists():
            continue
        try:
            data = load_gesture_set(folder, features)
        except ModelError:  # no take with the model's channels (magic_wand_tf has no gyro)
            continue
        data.labels = np.array([f"{prefix}:{v}" for v in data.labels])
        parts.append(data)
        used.append(name)
    if not parts:
        wanted = ", ".join(n for n in GESTURE_SETS if n not in exclude)
        raise ModelError(f"{data_root}: none of the real gesture sets {wanted} with {features.channels} channels "
                         "(see ../shared/data)")
    return concat(parts), used


@dataclass
class GeneratedData:
    """The recipe's generated training data: it does not depend on which real sets are used."""

    virtual: ImuData
    synthetic: ImuData
    rigs: ImuData | None


def generated_data(features: FeatureConfig, seed: int = 0, recipe: Recipe = Recipe()) -> GeneratedData:
    from wandlab.ml.synthetic import gesture_names, random_shape_data

    virtual = _virtual(features, gesture_names(10), recipe.virtual_takes_per_class, TRAIN_PEOPLE, seed + 1)
    synthetic = random_shape_data(recipe.synthetic_classes, recipe.synthetic_takes, features, seed + 5,
                                  recipe.stroke_fill)
    rigs = _rig_data(features, recipe.rigs, recipe.rig_takes, seed + 21) if recipe.rigs else None
    return GeneratedData(virtual, synthetic, rigs)


def training_data(features: FeatureConfig, data_root: Path, seed: int = 0, recipe: Recipe = Recipe(),
                  exclude: tuple[str, ...] = (), generated: GeneratedData | None = None) -> RecipeData:
    real, sets = real_gesture_data(features, data_root, exclude)
    gen = generated or generated_data(features, seed, recipe)
    return RecipeData(real, gen.virtual, gen.synthetic, gen.rigs, sets)


def _rig_data(features: FeatureConfig, rigs: int, takes: int, seed: int) -> ImuData:
    """Virtual-wand gestures by ``rigs`` simulated people on their own boards (``synth.rigs``: rate, mounting,
    ranges, noise, gravity or not), trimmed as the recorder trims; a class per gesture and rig, so the model
    tells gestures apart in any sensor frame instead of learning to ignore the frame."""
    from wandlab.ml.synthetic import gesture_names
    from wandlab.onboard.trim import auto_trim_imu
    from wandlab.synth.rigs import random_rig, rig_take

    rng = np.random.default_rng(seed)
    windows, labels = [], []
    for i in range(rigs):
        rig = random_rig(i, rng)
        for gesture in gesture_names(10):
            for _ in range(takes):
                data = rig_take(gesture, rig, rng)
                start, end = auto_trim_imu(data, rig.rate_hz)
                windows.append((data[start:end], rig.rate_hz))
                labels.append(f"{gesture}@rig{i}")
    tag = np.array(["rig"] * len(labels))
    return ImuData(batch_features(windows, features), np.array(labels), tag, tag)


def _virtual(features: FeatureConfig, labels: list[str], per_class: int, people: list[int], seed: int) -> ImuData:
    """Virtual-wand takes auto-trimmed as the recorder stores them and as the board's segmenter cuts
    gestures: with stretched windows the rest either side must be in the same proportion everywhere."""
    from wandlab.ml.synthetic import virtual_takes
    from wandlab.onboard.trim import auto_trim_imu

    takes = virtual_takes(labels, per_class, people, seed)
    trimmed = []
    for t in takes:
        start, end = auto_trim_imu(t.data, t.rate_hz)
        trimmed.append((t.data[start:end], t.rate_hz))
    return ImuData(
        batch_features(trimmed, features),
        np.array([t.label for t in takes]),
        np.array([t.subject for t in takes]),
        np.array(["virtual"] * len(takes)),
    )


def build_base(channels: int, out: Path, data_root: Path, epochs: int = 40, seed: int = 0,
               leave_out: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Train, convert, verify, build the recogniser, write the bundle and its MODEL_CARD.md. ``leave_out``:
    real sets the model never sees, not even their negative recordings in the bank (a fold model for
    ``bench open-set --model`` on a set it never saw)."""
    from wandlab.ml.bundle import save_bundle
    from wandlab.ml.synthetic import gesture_names
    from wandlab.ml.train import train_events
    from wandlab.ml.verify import int8_embeddings
    from wandlab.onboard.hybrid_rank import take_codes
    from wandlab.onboard.knn import KnnRecognizer

    features = FeatureConfig(channels=channels)
    data = training_data(features, data_root, seed, Recipe(epochs=epochs), exclude=leave_out)
    virt_train = data.virtual
    virt_val = _virtual(features, gesture_names(10) + ["idle"], 12, VAL_PEOPLE, seed + 2)
    train = data.train
    t0 = time.perf_counter()
    bundle = None
    for ev in train_events(train, virt_val, features, epochs=epochs, seed=seed):
        if ev["event"] == "done":
            bundle = ev.pop("bundle")
            # Its float/int8 figures rank among all training classes (see _float_vs_int8): not shown
            ev = {k: v for k, v in ev.items() if k not in ("float_accuracy", "int8_accuracy")}
        yield ev
    assert bundle is not None
    # Recogniser for the virtual wand's gestures only; thresholds by the open-set rule with the bank.
    bundle.recognizer = KnnRecognizer.fit(int8_embeddings(bundle.tflite, virt_train.x), virt_train.labels, 5,
                                          seed=seed, shapes=take_codes(virt_train.x))
    bundle.labels = list(bundle.recognizer.labels)
    bundle.metrics.update({
        **_float_vs_int8(bundle, features, virt_train, virt_val),
        "train_takes": int(len(train.labels)),
        "train_classes": int(len(set(train.labels.tolist()))),
        "train_sets": data.sets,
        "recipe": f"wandlab train-base --channels {channels} --epochs {epochs}"
                  + "".join(f" --leave-out {name}" for name in leave_out),
    })
    yield from _open_set(bundle, features, data_root, data.real, virt_train, virt_val, seed, leave_out)
    bundle.metrics["total_s"] = time.perf_counter() - t0
    save_bundle(bundle, out)
    yield {"event": "saved", "path": str(out), **bundle.metrics}


def _float_vs_int8(bundle: Any, features: FeatureConfig, virt_train: ImuData, virt_val: ImuData) -> dict[str, Any]:
    """Float and int8 k-NN accuracy of the shipped recogniser's classes (references from the training
    people, 4 unseen people tested). Training's own figures rank among all 2,000 training classes, where a
    virtual "circle" take loses to the rigs' "circle@rig7": no measure of quantisation. The real-data
    comparison is ``wandlab bench lodo``'s ``int8`` block."""
    import io

    from wandlab.ml import gesture_model as gm
    from wandlab.ml.verify import int8_embeddings
    from wandlab.onboard.knn import KnnRecognizer, quantize_embedding

    model = gm.build_embedding_model(features, gm.ModelSpec.from_dict(bundle.model_spec))
    gm.load_weights(model, io.BytesIO(bundle.weights))
    known = virt_val.labels != "idle"
    truth = virt_val.labels[known]
    knn_f = KnnRecognizer.fit(quantize_embedding(gm.embed(model, virt_train.x)), virt_train.labels, 5)
    knn_8 = KnnRecognizer.fit(int8_embeddings(bundle.tflite, virt_train.x), virt_train.labels, 5)
    f = np.array(knn_f.predict(quantize_embedding(gm.embed(model, virt_val.x[known])), False)) == truth
    q = np.array(knn_8.predict(int8_embeddings(bundle.tflite, virt_val.x[known]), False)) == truth
    return {"float_accuracy": float(f.mean()), "int8_accuracy": float(q.mean()),
            "float_int8_test_takes": int(known.sum())}


def negatives_recipe(channels: int, path: Path, data_root: Path, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Rebuild an existing base bundle's negatives bank and open-set thresholds (no training)."""
    from wandlab.ml.bundle import load_bundle, save_bundle
    from wandlab.ml.synthetic import gesture_names

    t0 = time.perf_counter()
    bundle = load_bundle(path)
    features = bundle.features
    if features.channels != channels:
        raise ModelError(f"{path} is a {features.channels}-channel model, not {channels}")
    real, _ = real_gesture_data(features, data_root)
    gestures = gesture_names(10)
    virt_train = _virtual(features, gestures, VIRTUAL_TAKES_PER_CLASS, TRAIN_PEOPLE, seed + 1)
    virt_val = _virtual(features, gestures + ["idle"], 12, VAL_PEOPLE, seed + 2)
    yield from _open_set(bundle, features, data_root, real, virt_train, virt_val, seed)
    bundle.metrics["negatives_recipe_s"] = round(time.perf_counter() - t0, 1)
    save_bundle(bundle, path)
    yield {"event": "saved", "path": str(path), **bundle.metrics}


def negative_pool(features: FeatureConfig, data_root: Path, seed: int = 0,
                  leave_out: tuple[str, ...] = ()) -> tuple[np.ndarray, list[str], dict[str, list[str]]]:
    """Every candidate window of the bank, its source, and the recordings used (``NegativesBank.used``);
    none from a set in ``leave_out``."""
    from wandlab.ml.open_set import matches, read_streams, segment_streams, synthetic_negatives

    parts: list[tuple[str, np.ndarray]] = []
    used: dict[str, list[str]] = {}
    har = data_root / "sp_sw_har"
    if not (har / "manifest.csv").exists():
        raise ModelError(f"{har}: sp_sw_har (everyday motion) not found (see ../shared/data)")
    used["sp_sw_har"] = [f"{s}/*" for s in BANK_HAR_SUBJECTS]
    streams = read_streams(har, features.channels, keep=lambda name: matches(name, used["sp_sw_har"]))
    parts.append(("sp_sw_har", segment_streams(streams).features(features)))
    magic = data_root / "magic_wand_tf"
    if features.channels == 3 and (magic / "manifest.csv").exists() and "magic_wand_tf" not in leave_out:
        used["magic_wand_tf"] = [f"*/{s}" for s in BANK_MAGIC_SESSIONS]
        streams = read_streams(magic, 3, keep=lambda name: matches(name, used["magic_wand_tf"]))
        parts.append(("magic_wand_tf _negative_", segment_streams(streams).features(features)))
    x, sources = synthetic_negatives(features, TRAIN_PEOPLE, 60.0, strokes=300, resting=100, idle_takes=24,
                                     seed=seed + 7)
    parts.append(("", x))
    windows = np.concatenate([p for _, p in parts]).astype(np.float32)
    names = [name for name, p in parts[:-1] for _ in range(len(p))] + sources
    return windows, names, used


def _open_set(bundle: Any, features: FeatureConfig, data_root: Path, real: ImuData, virt_train: ImuData,
              virt_val: ImuData, seed: int, leave_out: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Bank (windows + embeddings), typical spread, the shipped classes' thresholds, the report: in place."""
    from wandlab.ml.open_set import apply_rule, choose, counts, pack_windows, summary
    from wandlab.ml.verify import int8_embeddings
    from wandlab.onboard.open_set import MAX_BANK, NegativesBank, typical_spread

    t0 = time.perf_counter()
    pool, sources, used = negative_pool(features, data_root, seed, leave_out)
    yield {"event": "negatives", "pool": len(pool), "sources": counts(sources), "seconds": time.perf_counter() - t0}
    picked = choose(sources, BANK_SHARES, MAX_BANK, seed)
    windows, picked_sources = pool[picked], [sources[i] for i in picked]
    # What a board embeds is the window the bundle stores (int8 codes): embed those, not the float ones.
    bundle.negatives = pack_windows(windows, picked_sources)
    from wandlab.ml.open_set import unpack_windows

    stored, _ = unpack_windows(bundle.negatives, features)
    e_real = int8_embeddings(bundle.tflite, real.x)
    e_virtual = int8_embeddings(bundle.tflite, virt_train.x)
    # One person's or session's takes of one gesture: what a user enrolls
    real_groups = np.char.add(np.char.add(real.subjects.astype(str), "/"), real.sessions.astype(str))
    typical = typical_spread(np.concatenate([e_real, e_virtual]),
                             np.concatenate([real.labels, virt_train.labels]),
                             np.concatenate([real_groups, virt_train.subjects]), seed=seed)
    knn = bundle.recognizer
    knn.bank = NegativesBank(int8_embeddings(bundle.tflite, stored), typical, counts(picked_sources),
                             "everyday motion cut by the board's segmenter, the virtual wand handled between "
                             "gestures, its idle takes, random strokes, a resting wand", used)
    chosen = apply_rule(knn, e_virtual, virt_train.labels, positive_groups=virt_train.subjects)
    e_val = int8_embeddings(bundle.tflite, virt_val.x)
    known = virt_val.labels != "idle"
    closed = float(np.mean(np.array(knn.predict(e_val[known], open_set=False)) == virt_val.labels[known]))
    pred = np.array(knn.predict(e_val), dtype=object)
    bundle.report = {**(bundle.report or {}), "evaluation": shipped_evaluation(bundle, virt_val, seed)}
    calibration = {
        "method": "open-set rule (onboard.open_set): spread of people 1-12's takes against other people's "
        "references, negatives bank, other classes",
        "bank": len(picked), "bank_sources": counts(picked_sources), "typical_spread": typical,
        "thresholds": [int(t) for t in knn.thresholds], **summary(chosen, knn.labels),
    }
    bundle.metrics.update({
        "virtual_unseen_people_closed_set_accuracy": closed,
        "virtual_unseen_people_open_set_accuracy": float(np.mean(pred[known] == virt_val.labels[known])),
        "virtual_idle_rejected_as_none": float(np.mean([p is None for p in pred[~known]])),
        "calibration": calibration,
    })
    yield {"event": "open_set", **calibration, "seconds": time.perf_counter() - t0}


def shipped_evaluation(bundle: Any, virt_val: ImuData, seed: int = 0) -> dict[str, Any]:
    """The evaluation report of the recogniser the bundle ships (the virtual-wand gestures), on the 4 unseen
    simulated people. Training's own report covers its 1,023 training classes (a 9 MB confusion matrix)
    and a recogniser that the bundle does not keep."""
    from wandlab.ml.evaluate import evaluate
    from wandlab.ml.verify import int8_embeddings

    emb = int8_embeddings(bundle.tflite, virt_val.x)
    idle = virt_val.labels == "idle"
    return evaluate(
        bundle,
        virt_val.x[~idle],
        virt_val.labels[~idle],
        val_emb=emb[~idle],
        idle_emb=emb[idle],
        idle_source=f"{int(idle.sum())} idle takes of simulated people {VAL_PEOPLE}",
        seed=seed,
        notes=["thresholds by the open-set rule: spread of people 1-12's takes, the negatives bank, the other "
               "classes; neither these people's gestures nor their idle takes were used for them"],
    )
