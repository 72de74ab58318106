"""Training as a generator of progress events: fit -> int8 -> verify -> k-NN + thresholds -> bundle.

``train_events`` is Qt-free and yields plain dicts ({"event": "epoch", ...}) that the CLI prints and the
UI shows; ``wandlab.ml.runner`` runs ``python -m wandlab.ml.train`` in a subprocess and streams the same
events as JSON lines (TensorFlow must not share a process with the GUI: 5 s import, 700 MB, GIL).
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard.imu_features import FeatureConfig, batch_features


@dataclass
class TrainRequest:
    """Everything one training run needs; JSON round-trip for the subprocess protocol."""

    data_dirs: list[str]
    out: str | None = None  # bundle path (folder or .zip); None = do not write
    channels: int = 3
    epochs: int = 30
    seed: int = 0
    val_fraction: float = 0.2
    val_sessions: list[str] = field(default_factory=list)  # hold these out instead of a random split
    base: str | None = None  # a bundle with weights.npz to start from
    max_refs_per_class: int = 5
    # Open-set margin per label, 0 strict .. 1 lenient; "*" for every label not named (default 0.5).
    margins: dict[str, float] = field(default_factory=dict)
    report_dir: str | None = None  # also write the evaluation report (report.json + report.html) here

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TrainRequest:
        return cls(**json.loads(text))


@dataclass
class ImuData:
    x: np.ndarray  # (n, window, channels) float32 features
    labels: np.ndarray  # (n,) str
    subjects: np.ndarray
    sessions: np.ndarray

    def subset(self, mask: np.ndarray) -> ImuData:
        return ImuData(self.x[mask], self.labels[mask], self.subjects[mask], self.sessions[mask])


def concat(parts: list[ImuData]) -> ImuData:
    return ImuData(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("x", "labels", "subjects", "sessions")))


def load_imu_folders(dirs: list[str], features: FeatureConfig) -> ImuData:
    from wandlab.dataset.folder import iter_folder

    takes, labels, subjects, sessions = [], [], [], []
    for d in dirs:
        for rec in iter_folder(Path(d)):
            if rec.kind == "imu" and rec.data.shape[1] >= features.channels:
                takes.append((rec.data, rec.rate_hz))
                labels.append(rec.label)
                subjects.append(rec.subject)
                sessions.append(rec.session)
    if not takes:
        raise ModelError(f"no IMU takes with {features.channels} columns in {', '.join(dirs)}")
    return ImuData(batch_features(takes, features), np.array(labels), np.array(subjects), np.array(sessions))


def split(data: ImuData, req: TrainRequest) -> tuple[ImuData, ImuData]:
    if req.val_sessions:
        held = np.isin(data.sessions, req.val_sessions)
    else:  # stratified random split, deterministic per seed
        rng = np.random.default_rng(req.seed)
        held = np.zeros(len(data.labels), bool)
        for label in np.unique(data.labels):
            idx = np.flatnonzero(data.labels == label)
            held[rng.permutation(idx)[: int(round(len(idx) * req.val_fraction))]] = True
    return data.subset(~held), data.subset(held)


def train_events(
    train: ImuData,
    val: ImuData,
    features: FeatureConfig,
    epochs: int = 30,
    seed: int = 0,
    base: Any = None,
    max_refs_per_class: int = 5,
    spec: Any = None,
    margins: dict[str, float] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield progress events; the last one is {"event": "done", ..., "bundle": ModelBundle}."""
    from wandlab.ml import gesture_model as gm
    from wandlab.ml.bundle import ModelBundle
    from wandlab.ml.export import representative_subset, strip_tflite, to_int8_tflite
    from wandlab.ml.open_set import pack_windows
    from wandlab.ml.verify import int8_embeddings, verify_model
    from wandlab.onboard.hybrid_rank import take_codes
    from wandlab.onboard.knn import KnnRecognizer, quantize_embedding

    names = sorted(set(train.labels.tolist()))
    if len(names) < 2:
        raise ModelError("training needs at least two gesture classes")
    y = np.array([names.index(v) for v in train.labels])
    spec = spec or gm.ModelSpec()
    if base is not None:  # warm start: the base model fixes architecture and features
        if base.features != features or base.model_spec is None or base.weights is None:
            raise ModelError("the base model has different features or no float weights to start from")
        spec = gm.ModelSpec.from_dict(base.model_spec)
    t0 = time.perf_counter()
    model = gm.build_embedding_model(features, spec)
    if base is not None:
        gm.load_weights(model, io.BytesIO(base.weights))
    yield {"event": "start", "classes": names, "train": len(y), "val": len(val.labels), "epochs": epochs}
    val_y = np.array([names.index(v) if v in names else -1 for v in val.labels])
    known = val_y >= 0
    fit = gm.FitConfig(epochs=epochs, seed=seed)
    for ev in gm.fit(model, train.x, y, len(names), fit, val=(val.x[known], val_y[known]) if known.any() else None):
        yield {"event": "epoch", **ev}
    train_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    blob = strip_tflite(to_int8_tflite(gm.export_copy(model, features, spec), representative_subset(train.x, seed)))
    convert_s = time.perf_counter() - t0
    yield {"event": "converted", "model_bytes": len(blob), "seconds": convert_s}

    t0 = time.perf_counter()
    report = verify_model(blob, val.x if len(val.labels) else train.x)
    verify_s = time.perf_counter() - t0
    yield {"event": "verified", **report.to_dict(), "seconds": verify_s}

    # k-NN references from training data; thresholds for people who are not in the data (never from the
    # held-out known-class takes, so the evaluation's open-set figures stay honest).
    e8_train, e8_val = int8_embeddings(blob, train.x), int8_embeddings(blob, val.x)
    knn = KnnRecognizer.fit(e8_train, train.labels, max_refs_per_class, seed=seed, shapes=take_codes(train.x))
    neg_x, neg_sources, neg_origin = negative_windows(features, base, seed)
    calibration = calibrate_thresholds(knn, blob, train, val, features, seed, (neg_x, neg_sources), margins)
    calibration["negatives_from"] = neg_origin
    metrics: dict[str, Any] = {
        "train_s": train_s,
        "convert_s": convert_s,
        "verify_s": verify_s,
        "model_bytes": len(blob),
        "arena_bytes": report.arena_bytes,
        "bit_exact": report.bit_exact,
        "classes": len(names),
        "calibration": calibration,
    }
    f_train = f_val = None
    if known.any():
        f_train, f_val = gm.embed(model, train.x), gm.embed(model, val.x)
        ef_train = quantize_embedding(f_train)
        ef_val = quantize_embedding(f_val[known])
        knn_f = KnnRecognizer.fit(ef_train, train.labels, max_refs_per_class, seed=seed)
        truth = val.labels[known]
        metrics["float_accuracy"] = float(np.mean(np.array(knn_f.predict(ef_val, False)) == truth))
        metrics["int8_accuracy"] = float(np.mean(np.array(knn.predict(e8_val[known], False)) == truth))
    weights = io.BytesIO()
    np.savez(weights, *model.get_weights())
    bundle = ModelBundle(
        tflite=blob,
        labels=knn.labels,
        features=features,
        recognizer=knn,
        model_spec=spec.to_dict(),
        weights=weights.getvalue(),
        report=report.to_dict(),
        metrics=metrics,
        versions=_versions(),
        # The bank's windows travel on, so a model trained from this one embeds them for its own bank.
        negatives=base.negatives if base is not None and base.negatives and neg_origin.startswith("the base")
        else pack_windows(neg_x, neg_sources),
    )
    evaluation = _evaluation(bundle, train, val, features, seed, e8_train, e8_val, f_train, f_val, calibration)
    bundle.report = {**report.to_dict(), "evaluation": evaluation}
    yield {"event": "done", **metrics, "evaluation": evaluation, "bundle": bundle}


def calibrate_thresholds(
    knn: Any, blob: bytes, train: ImuData, val: ImuData, features: FeatureConfig, seed: int = 0,
    negatives: tuple[np.ndarray, list[str]] | None = None, margins: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Set ``knn``'s per-class thresholds (in place) by the open-set rule (``onboard.open_set``), the one
    enrollment on the board and ``bench open-set`` use: the spread of each class's training takes against
    its references (shrunk towards the model's typical 3-shot spread), the negatives bank (``negatives``:
    feature windows of motion that is no gesture, embedded by this model; default ``negative_windows``)
    and the other classes' references. ``margins``: per label, 0 strict .. 1 lenient (default 0.5).

    Replaced (issue 12): maximising accepted augmented takes minus accepted random strokes and resting
    windows. Its thresholds covered everything the wide augmentation reached, and nothing that looked like
    everyday motion or an unknown gesture pushed back: after Train & Flash with 4 gestures the other
    virtual gestures were accepted at ~40x the typical same-class distance. Held-out takes (known classes
    or idle) are never used, so the evaluation's figures are not inflated by the calibration.
    Returns what was used, for ``metrics["calibration"]``.
    """
    from wandlab.ml.open_set import calibrate_open_set
    from wandlab.ml.verify import int8_embeddings

    x, sources, origin = (*negatives, "given") if negatives is not None else negative_windows(features, None, seed)
    emb = int8_embeddings(blob, train.x)
    info = calibrate_open_set(knn, blob, emb, train.labels, train.subjects, x, sources, margins, seed)
    info["negatives_from"] = origin
    return info


def negative_windows(features: FeatureConfig, base: Any, seed: int = 0) -> tuple[np.ndarray, list[str], str]:
    """The negatives bank's windows for a model with ``features``: the base bundle's (``negatives.npz``),
    else the shipped base model's for this channel count, else synthetic ones (no real everyday motion)."""
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.open_set import synthetic_negatives, unpack_windows
    from wandlab.ml.shipped import base_gesture_model

    if base is not None and getattr(base, "negatives", None) and base.features == features:
        x, sources = unpack_windows(base.negatives, features)
        return x, sources, "the base model's negatives"
    shipped = base_gesture_model(features.channels)
    if (shipped / "manifest.json").is_file():
        bundle = load_bundle(shipped)
        if bundle.negatives and bundle.features == features:
            x, sources = unpack_windows(bundle.negatives, features)
            return x, sources, f"the shipped {shipped.name} negatives"
    x, sources = synthetic_negatives(features, [1, 2, 3, 4], 30.0, strokes=60, resting=30, idle_takes=8, seed=seed)
    return x, sources, "synthetic negatives only (no base model with a negatives bank)"


def resting_windows(n: int, features: FeatureConfig, rng: np.random.Generator) -> np.ndarray:
    """(n, window, channels) feature windows of a wand held still: half sensor noise alone, half small slow
    strokes (2-12 % of a gesture's size) with noise. In feature units a resting wand is ~10x quieter than
    a gesture, but the embedding is L2-normalised, so its direction can land anywhere."""
    from wandlab.ml.synthetic import random_shape_classes

    n_noise, n_drift = n // 2, n - n // 2
    noise = rng.normal(0.0, 1.0, (n_noise, *features.shape)) * rng.uniform(0.002, 0.01, (n_noise, 1, 1))
    drift, _ = random_shape_classes(n_drift, 1, features, rng)
    drift = drift * rng.uniform(0.02, 0.12, (n_drift, 1, 1)) + rng.normal(0.0, 0.003, drift.shape)
    return np.concatenate([noise, drift]).astype(np.float32)


SYNTHETIC_IDLE_TAKES = 60


def idle_for_evaluation(
    train: ImuData, val: ImuData, features: FeatureConfig, seed: int = 0
) -> tuple[np.ndarray | None, float | None, str | None]:
    """Idle / no-motion windows for the open-set false-accept figures: held-out takes labelled idle, none,
    nomotion, ...; else, for virtual-wand data, the virtual wand's own idle motion; else none."""
    from wandlab.ml.evaluate import idle_windows, is_idle_label

    mask = np.array([is_idle_label(v) for v in val.labels], bool)
    if mask.any():
        names = sorted(set(val.labels[mask].tolist()))
        return val.x[mask], None, f"{int(mask.sum())} held-out takes labelled {', '.join(names)}"
    subjects = [str(s) for s in np.concatenate([train.subjects, val.subjects])]
    if subjects and all(s.startswith("virtual") for s in subjects):
        from wandlab.ml.synthetic import virtual_takes

        people = sorted({int(s.rsplit("-", 1)[1]) for s in subjects if s.rsplit("-", 1)[-1].isdigit()}) or [1, 2]
        takes = virtual_takes(["idle"], SYNTHETIC_IDLE_TAKES, people, seed + 101)
        x, minutes = idle_windows([(t.data, t.rate_hz) for t in takes], features)
        return x, minutes, f"virtual wand idle motion ({len(takes)} synthetic takes, people {people})"
    return None, None, None


def _evaluation(
    bundle: Any,
    train: ImuData,
    val: ImuData,
    features: FeatureConfig,
    seed: int,
    e8_train: np.ndarray,
    e8_val: np.ndarray,
    f_train: Any,
    f_val: Any,
    calibration: dict[str, Any],
) -> dict[str, Any]:
    """The evaluation report (wandlab.ml.evaluate) on the held-out split; never fails the training run."""
    from wandlab.ml.evaluate import EVALUATION_VERSION, evaluate

    try:
        idle_x, idle_minutes, idle_source = idle_for_evaluation(train, val, features, seed)
        return evaluate(
            bundle,
            val.x,
            val.labels,
            idle_x,
            idle_minutes,
            f_val,
            val_emb=e8_val,
            float_references=(f_train, train.labels) if f_train is not None else None,
            int8_references=(e8_train, train.labels),
            idle_source=idle_source,
            seed=seed,
            notes=_calibration_notes(calibration),
        )
    except Exception as exc:  # the report must not cost the user the trained model
        return {"version": EVALUATION_VERSION, "error": f"{type(exc).__name__}: {exc}"}


def _calibration_notes(calibration: dict[str, Any]) -> list[str]:
    return [
        f"per-class thresholds follow the open-set rule: the spread of {calibration['positives']} training takes, "
        f"a bank of {calibration['bank']} windows of motion that is no gesture ({calibration['negatives_from']}) "
        "and the other classes; no held-out take (of a trained class or idle) was used, so the open-set and "
        "idle figures are not inflated by the calibration (held-out takes by the people who recorded the "
        "training takes may still be easier than a new person's)"
    ]


def _versions() -> dict[str, str]:
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "features": str(FeatureConfig().version)}


def run_request(req: TrainRequest) -> Iterator[dict[str, Any]]:
    """Load data, split, train, write the bundle; yields JSON-able events only."""
    from wandlab.ml.bundle import load_bundle, save_bundle

    base = load_bundle(req.base) if req.base else None
    features = base.features if base is not None else FeatureConfig(channels=req.channels)
    data = load_imu_folders(req.data_dirs, features)
    train, val = split(data, req)
    for ev in train_events(train, val, features, req.epochs, req.seed, base, req.max_refs_per_class,
                           margins=req.margins):
        if ev["event"] == "done":
            bundle = ev.pop("bundle")
            if req.out:
                ev["bundle_path"] = str(save_bundle(bundle, req.out))
            if req.report_dir and "evaluation" in ev:
                from wandlab.ml.report_html import write_report

                ev["report_path"] = str(write_report(ev["evaluation"], req.report_dir))
        yield ev


def main(argv: list[str] | None = None) -> int:
    """Subprocess entry: ``python -m wandlab.ml.train REQUEST_JSON``; one JSON event per stdout line."""
    import os

    args = sys.argv[1:] if argv is None else argv
    # TF and the converter print to stdout, some of it from C++: keep a private copy of fd 1 for the
    # JSON lines and point fd 1 (and sys.stdout) at stderr so nothing else can corrupt the channel.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        for ev in run_request(TrainRequest.from_json(args[0])):
            out.write(json.dumps(ev, default=_plain) + "\n")
            out.flush()
    except ModelError as exc:
        out.write(json.dumps({"event": "error", "message": str(exc)}) + "\n")
        return 1
    finally:
        out.flush()
    return 0


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


if __name__ == "__main__":
    sys.exit(main())
