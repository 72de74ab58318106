"""Golden vectors for the C++ k-NN, open-set thresholds, board image JSON sections and reference store.

Python computes every expected value here with the app's own code (onboard.knn, onboard.open_set,
onboard.board_image, virtual.refs / recognizer / hid_map); the C++ host tests read the files
(firmware_sketches/wandlab_core/tests/test_knn.cpp, test_json_reader.cpp, test_ref_store.cpp) and
require the same numbers, texts and encoded replies. tests/firmware/test_knn_twin.py writes them into a
temporary folder; ``python -m tests.firmware.knn_vectors DIR`` writes them for a manual run:

    knn_cases.txt        recognisers (random and the shipped models') and queries -> decisions
    threshold_cases.txt  enrolled thresholds for random shot sets against the shipped banks
    section_cases.txt    board images (parsed sections dumped) and damaged FEAT/LABL/REFS sections
    json_cases.txt       damaged JSON texts and whether Python's json.loads accepts them
    float_cases.txt      doubles and their repr()
    ref_store_script.txt a board session: model changes, Ref*/Hid* requests, enrollment, decisions,
                         reloads from the persisted state, each with the Python board's answers

Every file is plain text, one case per line, binary as hex; the C++ side needs no JSON library.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.ml.bundle import ModelBundle, load_bundle
from wandlab.ml.shipped import base_gesture_model
from wandlab.onboard.board_image import pack_parts, unpack
from wandlab.onboard.hybrid_rank import shape_codes
from wandlab.onboard.imu_features import FeatureConfig
from wandlab.onboard.knn import KnnRecognizer
from wandlab.onboard.open_set import NegativesBank, bank_share, margin_factor
from wandlab.protocol import Ack, Log, LogLevel, Message
from wandlab.protocol.controller import (
    ActionKind,
    HidAction,
    HidEnable,
    HidMapGet,
    HidMapSet,
)
from wandlab.protocol.enroll import EnrollStart, RefClear, RefDownload, RefList, RefUpload
from wandlab.virtual.enrollment import EnrollSession
from wandlab.virtual.image_check import fit_text
from wandlab.virtual.recognizer import BoardRecognizer
from wandlab.virtual.refs import enrolled_threshold

ROOT = Path(__file__).resolve().parents[2]
# The smallest flatbuffer head board_image accepts (tests/onboard/test_board_image.py): not a model, so
# only images the Python board never runs use it - the reference store is driven without TFLM here.
FAKE_TFLITE = struct.pack("<I4sHHi", 12, b"TFL3", 4, 4, 12 - 8) + bytes(range(200))
FAKE_TFLITE_2 = struct.pack("<I4sHHi", 12, b"TFL3", 4, 4, 12 - 8) + bytes(range(200, 0, -1))
MARGINS = (0.0, 0.25, 0.5, 1.0)


def _hex(data: bytes | np.ndarray) -> str:
    raw = data.astype(np.int8).tobytes() if isinstance(data, np.ndarray) else bytes(data)
    return raw.hex() if raw else "-"


def f32_bits(value: float) -> str:
    return struct.pack("<f", value).hex()


def f64_bits(value: float) -> str:
    return struct.pack("<d", value).hex()


def shipped() -> dict[str, ModelBundle]:
    return {"accel": load_bundle(base_gesture_model(3)), "accel_gyro": load_bundle(base_gesture_model(6))}


# -- k-NN decisions ---------------------------------------------------------------------------------------


def _random_recognizer(rng: np.random.Generator, classes: int, dim: int, k: int, *, empty_class: bool = False,
                       ties: bool = False, unicode: bool = False) -> KnnRecognizer:
    counts = rng.integers(1, 7, classes)
    if empty_class:
        counts[int(rng.integers(classes))] = 0
    labels = [f"class {i}" for i in range(classes)]
    if unicode:
        labels[0], labels[-1] = "caf\u00e9 \"\\/", "\U0001f600 \u3000 tab\there"
    refs = rng.integers(-128, 128, (int(counts.sum()), dim)).astype(np.int8)
    ref_class = rng.permutation(np.repeat(np.arange(classes), counts)).astype(np.int64)
    if ties and classes > 1:  # the same reference in two classes: equal distances, the lower class wins
        a, b = np.flatnonzero(ref_class == ref_class[0])[0], np.flatnonzero(ref_class != ref_class[0])[0]
        refs[b] = refs[a]
    thresholds = rng.integers(0, dim * 255 * 255 // 6, classes).astype(np.int64)
    margins = np.round(rng.uniform(0, 1, classes), 3)
    return KnnRecognizer(labels, refs, ref_class, thresholds, k, int(rng.integers(1000, 30000)), margins=margins)


def _queries(rng: np.random.Generator, knn: KnnRecognizer, extra: np.ndarray | None = None) -> np.ndarray:
    dim = knn.references.shape[1]
    out = [rng.integers(-128, 128, (12, dim))]
    if len(knn.references):
        picks = knn.references[rng.integers(0, len(knn.references), 12)].astype(np.int64)
        out += [picks, np.clip(picks + rng.integers(-12, 13, picks.shape), -128, 127)]
    if extra is not None:
        out.append(extra)
    return np.concatenate(out).astype(np.int8)


def _decision_line(knn: KnnRecognizer, q: np.ndarray) -> str:
    cd = knn.class_distances(q[None])[0]
    best = int(np.argmin(cd))
    dist, threshold = int(cd[best]), int(knn.thresholds[best])
    accepted = dist <= threshold
    return (f"query {_hex(q)} {int(accepted)} {best} {dist} {threshold} {f32_bits(float(dist))} "
            f"{f32_bits(float(threshold - dist))} {len(cd)} " + " ".join(str(int(v)) for v in cd))


def write_knn_cases(folder: Path) -> int:
    rng = np.random.default_rng(1313)
    lines, count = ["# recognizer NAME FILE, then query HEX ACCEPTED NEAREST DIST THRESHOLD DIST_F32 "
                    "MARGIN_F32 CLASSES CLASS_DISTANCES..."], 0
    cases: list[tuple[str, KnnRecognizer, str, np.ndarray | None]] = []
    for i, (classes, dim, k, flags) in enumerate([
        (1, 8, 1, {}), (2, 8, 1, {"ties": True}), (5, 16, 2, {}), (10, 32, 1, {"empty_class": True}),
        (32, 32, 1, {}), (32, 32, 4, {"ties": True}), (7, 64, 3, {"unicode": True}), (12, 64, 4, {}),
        (3, 255, 2, {}), (20, 1, 1, {"ties": True}),
    ]):
        knn = _random_recognizer(rng, classes, dim, k, **flags)
        name = f"random{i}"
        (folder / f"knn_{name}.json").write_text(knn.to_json())
        cases.append((name, knn, f"knn_{name}.json", None))
    for name in shipped():
        source = base_gesture_model(3 if name == "accel" else 6) / "recognizer.json"
        knn = KnnRecognizer.from_json(source.read_text())
        assert knn.bank is not None
        (folder / f"knn_{name}.json").write_bytes(source.read_bytes())  # as shipped: indented JSON
        cases.append((name, knn, f"knn_{name}.json", knn.bank.embeddings[:120]))
    for name, knn, file, extra in cases:
        lines.append(f"recognizer {name} {file}")
        for q in _queries(rng, knn, extra):
            lines.append(_decision_line(knn, q))
            count += 1
    (folder / "knn_cases.txt").write_text("\n".join(lines) + "\n")
    return count


# -- enrolled thresholds -----------------------------------------------------------------------------------


def _closeness(shots: np.ndarray, count: int, typical: int, margin: float, bank: NegativesBank | None) -> float:
    """How near the float steps come to a rounding boundary (the board's libm may differ in the last bit)."""
    from wandlab.onboard.open_set import shot_spread

    spread = shot_spread(shots)
    if spread is None or count < 2:
        s = float(typical)
    else:
        w = count / (count + 3)
        s = math.exp(w * math.log(max(1, spread)) + (1 - w) * math.log(max(1, typical)))
    x = 2.0 * margin_factor(margin) * s
    near = abs(x - math.floor(x) - 0.5)
    if bank is not None:
        y = bank_share(margin) * len(bank.embeddings)
        near = min(near, abs(y - round(y)))
    return near


def write_threshold_cases(folder: Path) -> tuple[int, float]:
    rng = np.random.default_rng(2024)
    lines = ["# bank FILE|none; case MARGIN TYPICAL DIM N SHOTS M OTHERS -> VALUE LIMITED_BY SPREAD HAS_NEG NEG "
             "HAS_OTHER OTHER ACCEPTED SIZE WARNING"]
    count, nearest = 0, 1.0
    banks: list[tuple[str, KnnRecognizer | None]] = [
        (f"knn_{name}.json", KnnRecognizer.from_json((base_gesture_model(3 if name == "accel" else 6)
                                                      / "recognizer.json").read_text()))
        for name in ("accel", "accel_gyro")
    ] + [("none", None)]
    for file, knn in banks:
        lines.append(f"bank {file}")
        dim = knn.references.shape[1] if knn is not None else 32
        bank = knn.bank if knn is not None else None
        for _ in range(60):
            n = int(rng.choice([1, 2, 3, 4, 5, 10, 16]))
            if knn is not None and rng.random() < 0.7:  # takes of a real class: references plus noise
                c = int(rng.integers(len(knn.labels)))
                base = knn.references[knn.ref_class == c].astype(np.int64)
                shots = base[rng.integers(0, len(base), n)] + rng.integers(-25, 26, (n, dim))
            else:
                shots = rng.integers(-60, 61, (n, dim))
            shots = np.clip(shots, -128, 127).astype(np.int8)
            others: list[np.ndarray] = []
            if knn is not None and rng.random() < 0.7:
                for c in rng.choice(len(knn.labels), int(rng.integers(1, 4)), replace=False):
                    others.append(knn.references[knn.ref_class == c])
            elif rng.random() < 0.5:
                others.append(rng.integers(-128, 128, (int(rng.integers(1, 6)), dim)).astype(np.int8))
            typical = bank.typical_spread if bank is not None and rng.random() < 0.7 else int(rng.integers(1, 40000))
            for margin in (*MARGINS, float(np.round(rng.uniform(0, 1), 4))):
                t = enrolled_threshold(shots, others, bank, typical, margin)
                joined = np.concatenate(others) if others else np.zeros((0, dim), np.int8)
                warning = t.warning("x")
                kind = 0 if not warning else 1 if "everyday" in warning else 2
                lines.append(
                    f"case {margin!r} {typical} {dim} {n} {_hex(shots)} {len(joined)} {_hex(joined)} -> {t.value} "
                    f"{['spread', 'negatives', 'other class'].index(t.limited_by)} {t.spread_bound} "
                    f"{int(t.negatives_bound is not None)} {t.negatives_bound or 0} {int(t.other_bound is not None)} "
                    f"{t.other_bound or 0} {t.bank_accepted} {t.bank_size} {kind}")
                nearest = min(nearest, _closeness(shots, n, typical, margin, bank))
                count += 1
    (folder / "threshold_cases.txt").write_text("\n".join(lines) + "\n")
    return count, nearest


# -- board image sections ----------------------------------------------------------------------------------


def dump_image(blob: bytes) -> list[str]:
    """What test_json_reader.cpp prints for an image whose sections it reads."""
    image = unpack(blob)
    f, knn = image.features, image.recognizer
    out = [f"features {f.channels} {f64_bits(float(f.rate_hz))} {f.window} {f64_bits(float(f.accel_full_scale_g))} "
           f"{f64_bits(float(f.gyro_full_scale_dps))} {f64_bits(float(f.clip))} {int(bool(f.remove_accel_mean))} "
           f"{0 if f.window_fit == 'stretch' else 1}"]
    out.append(f"labels {len(image.labels)} " + " ".join(_hex(v.encode()) for v in image.labels))
    bank = knn.bank
    out.append(f"refs {len(knn.labels)} {len(knn.references)} {knn.references.shape[1]} {knn.k} "
               f"{knn.default_threshold} {0 if bank is None else len(bank.embeddings)} "
               f"{0 if bank is None else bank.typical_spread}")
    assert knn.margins is not None
    for c in range(len(knn.labels)):
        out.append(f"class {c} {_hex(knn.labels[c].encode())} {int(knn.thresholds[c])} "
                   f"{f64_bits(float(knn.margins[c]))}")
    for r, row in enumerate(knn.references):
        out.append(f"ref {r} {int(knn.ref_class[r])} {_hex(row)}")
    if bank is not None:
        out.append(f"bank {_hex(bank.embeddings)}")
    return out


def _images() -> dict[str, bytes]:
    """Board images: the shipped models', and made-up ones (fake TFLM section) exercising the rest."""
    images = {}
    for name, bundle in shipped().items():
        images[name] = pack_parts(bundle.tflite, bundle.features, list(bundle.labels), bundle.recognizer)
    rng = np.random.default_rng(77)
    base = shipped()["accel"].recognizer
    # Same network, other classes: the accel model's references, renamed, reordered and partly dropped.
    keep = [7, 0, 3, 9, 5]
    labels = ["w", "circle", "spin", "z", "v"]
    rows = np.isin(base.ref_class, keep)
    ref_class = np.array([keep.index(int(c)) for c in base.ref_class[rows]])
    knn = KnnRecognizer(labels, base.references[rows], ref_class, base.thresholds[keep], 1, base.default_threshold,
                        margins=np.array([0.5, 0.25, 0.5, 1.0, 0.75]), bank=base.bank)
    images["accel_renamed"] = pack_parts(shipped()["accel"].tflite, shipped()["accel"].features, labels, knn)
    # A 16-D network with a small bank, k = 2, one class without references and non-ASCII names.
    labels = ["tap", "caf\u00e9", "\u3042\u3044", "empty"]
    refs = rng.integers(-128, 128, (9, 16)).astype(np.int8)
    ref_class = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    bank = NegativesBank(rng.integers(-128, 128, (40, 16)).astype(np.int8), 900, {"test": 40}, "made up")
    knn = KnnRecognizer(labels, refs, ref_class, np.array([3000, 2500, 4000, 100]), 2, 2000,
                        margins=np.array([0.5, 0.1, 0.9, 0.5]), bank=bank)
    images["small16"] = pack_parts(FAKE_TFLITE, FeatureConfig(channels=3, window_fit="centre", rate_hz=40.0),
                                   labels, knn)
    # Another 16-D network without a bank, written before the open-set rule (no open_set in REFS).
    labels = ["up", "down", "left"]
    knn = KnnRecognizer(labels, rng.integers(-128, 128, (6, 16)).astype(np.int8), np.array([0, 1, 2, 2, 1, 0]),
                        np.array([5000, 6000, 7000]), 1, 6000)
    images["plain16"] = pack_parts(FAKE_TFLITE_2, FeatureConfig(channels=6, window=32, clip=2.5), labels, knn)
    # Shape codes for embedding + DTW ranking: the accel model with its references' codes; the renamed one
    # with codes of another size than its features give (so a board ranks by embedding alone).
    accel = shipped()["accel"]
    shaped = KnnRecognizer(list(base.labels), base.references, base.ref_class, base.thresholds, 1,
                           base.default_threshold, margins=base.margins, bank=base.bank,
                           shapes=_codes(rng, len(base.references), 32, 3))
    images["accel_shapes"] = pack_parts(accel.tflite, accel.features, list(base.labels), shaped)
    odd = KnnRecognizer(list(base.labels), base.references, base.ref_class, base.thresholds, 1,
                        base.default_threshold, shapes=_codes(rng, len(base.references), 16, 3))
    images["accel_odd_shapes"] = pack_parts(accel.tflite, accel.features, list(base.labels), odd)
    return images


def _sections(blob: bytes) -> dict[bytes, bytes]:
    out, at = {}, 8
    while at < len(blob):
        tag, n = struct.unpack_from("<4sI", blob, at)
        out[tag] = blob[at + 8 : at + 8 + n]
        at += 8 + n
    return out


def _python_reads(tag: bytes, data: bytes) -> bool:
    from wandlab.errors import ModelError

    try:
        text = data.decode()
        if tag == b"FEAT":
            FeatureConfig.from_json(text)
        elif tag == b"LABL":
            labels = json.loads(text)
            if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
                return False
        else:
            KnnRecognizer.from_json(text)
        return True
    except (ModelError, ValueError, TypeError, KeyError, OverflowError):
        return False


def _damaged_sections(images: dict[str, bytes]) -> list[tuple[bytes, bytes, bool]]:
    """(tag, bytes, does the C++ refuse it): Python's verdict, and a few on purpose stricter in C++."""
    good = _sections(images["small16"])
    feat, labl, refs = (json.loads(good[t]) for t in (b"FEAT", b"LABL", b"REFS"))
    cases: list[tuple[bytes, Any]] = []
    for key, value in [("channels", 5), ("channels", "3"), ("rate_hz", 0.5), ("rate_hz", 1000.5), ("window", 7),
                       ("window", 2000), ("clip", 0), ("accel_full_scale_g", -1.0), ("window_fit", "zigzag"),
                       ("window_fit", 3), ("gyro_full_scale_dps", "x"), ("extra", 1), ("rate_hz", 1000),
                       ("window", 8), ("clip", 1e-300)]:
        cases.append((b"FEAT", {**feat, key: value}))
    cases.append((b"FEAT", {k: v for k, v in feat.items() if k != "window_fit"}))
    cases.append((b"FEAT", {}))
    cases.append((b"FEAT", []))
    cases += [(b"LABL", v) for v in ([1, 2], {"a": 1}, "tap", [], ["a", None], ["x" * 100])]
    bank = refs["open_set"]["bank"]
    edits: list[dict[str, Any]] = [
        {"version": 2}, {"metric": "l2"}, {"references": [[1, 2], [3]]}, {"references": [[200] * 16] * 9},
        {"references": [[-129] * 16] * 9}, {"ref_class": [0] * 8}, {"ref_class": [0, 1, 2, 0, 1, 2, 0, 1, 4]},
        {"ref_class": [0, 1, 2, 0, 1, 2, 0, 1, -1]}, {"thresholds": [1, 2, 3]}, {"labels": ["a", "b"]},
        {"open_set": []}, {"open_set": {"margins": [0.5] * 3, "bank": None}},
        {"open_set": {"margins": [0.5, 0.5, 0.5, 1.5], "bank": None}},
        {"open_set": {"margins": [0.5] * 4, "bank": {**bank, "version": 2}}},
        {"open_set": {"margins": [0.5] * 4, "bank": {**bank, "count": 41}}},
        {"open_set": {"margins": [0.5] * 4, "bank": {**bank, "embeddings": bank["embeddings"][:-2]}}},
        {"open_set": {"margins": [0.5] * 4, "bank": {**bank, "embeddings": "zz" + bank["embeddings"][2:]}}},
        {"open_set": {"margins": [0.5] * 4, "bank": {**bank, "typical_spread": 0}}},
        {"open_set": {"margins": [0.5] * 4, "bank": {**bank, "dim": 8, "count": 80}}},
        {"open_set": {"margins": [0.5] * 4, "bank": {k: v for k, v in bank.items() if k != "typical_spread"}}},
        {"open_set": {"margins": [0.5] * 4}}, {"open_set": None}, {"calibration": None},
        {"references": [], "ref_class": []}, {"default_threshold": "x"},
    ]
    codes = "0a" * (9 * 4 * 3)  # small16's 9 references, 4 frames x 3 channels each
    shapes = {"frames": 4, "channels": 3, "hex": codes}
    edits += [{"shapes": shapes}, {"shapes": None}, {"shapes": []}, {"shapes": "0a"},
              {"shapes": {**shapes, "frames": 0}}, {"shapes": {**shapes, "frames": 33, "hex": "0a" * (9 * 33 * 3)}},
              {"shapes": {**shapes, "frames": 4.0}}, {"shapes": {**shapes, "frames": True}},
              {"shapes": {**shapes, "channels": 7, "hex": "0a" * (9 * 4 * 7)}},
              {"shapes": {**shapes, "hex": codes[:-2]}},
              {"shapes": {**shapes, "hex": "zz" + codes[2:]}}, {"shapes": {**shapes, "hex": 5}},
              {"shapes": {k: v for k, v in shapes.items() if k != "hex"}},
              {"shapes": {k: v for k, v in shapes.items() if k != "channels"}},
              {"shapes": {"frames": 32, "channels": 6, "hex": "7f" * (9 * 32 * 6)}}]
    for edit in edits:
        cases.append((b"REFS", {**refs, **edit}))
    for drop in ("version", "k", "labels", "references", "default_threshold"):
        cases.append((b"REFS", {k: v for k, v in refs.items() if k != drop}))
    out = [(tag, json.dumps(value).encode(), not _python_reads(tag, json.dumps(value).encode()))
           for tag, value in cases]
    for tag in (b"FEAT", b"LABL", b"REFS"):  # broken JSON and UTF-8
        for raw in (b"", b"{", good[tag][:-1], good[tag] + b"x", b"\xff" + good[tag], good[tag].replace(b":", b"=", 1)):
            out.append((tag, raw, not _python_reads(tag, raw)))
    # Stricter than Python on purpose (json.dumps never writes these; image_sections.h lists them).
    strict = [(b"FEAT", {**feat, "window": 64.0}), (b"FEAT", {**feat, "remove_accel_mean": 1}),
              (b"REFS", {**refs, "k": 2.0}), (b"REFS", {**refs, "labels": [1, 2, 3, 4]}),
              (b"REFS", {**refs, "k": 0}), (b"REFS", {**refs, "k": 5})]
    for tag, value in strict:
        raw = json.dumps(value).encode()
        assert _python_reads(tag, raw), f"{tag!r} {value} is no longer a case where Python is laxer"
        out.append((tag, raw, True))
    return out


def write_section_cases(folder: Path) -> int:
    lines = ["# image FILE DUMPFILE | section TAG REFUSED HEX"]
    for name, blob in _images().items():
        (folder / f"image_{name}.bin").write_bytes(blob)
        (folder / f"image_{name}.dump").write_text("\n".join(dump_image(blob)) + "\n")
        lines.append(f"image image_{name}.bin image_{name}.dump")
    damaged = _damaged_sections(_images())
    for tag, raw, refused in damaged:
        lines.append(f"section {tag.decode()} {int(refused)} {_hex(raw)}")
    (folder / "section_cases.txt").write_text("\n".join(lines) + "\n")
    return len(damaged)


# -- JSON texts ---------------------------------------------------------------------------------------------

SMALL_DOCS = [
    b'{"a": [1, 2.5, -3e-2, true, false, null], "b": {"c": "d\\u00e9\\n"}, "e": []}',
    b'[{"x": -0, "y": 1E+3, "z": "\\ud83d\\ude00"}, [[[]]], "\\"\\\\\\/\\b\\f\\r\\t"]',
    b'  {"k": 12345678901234567890, "f": 0.1, "g": 1e400, "h": -1e-400}  ',
    b'"just a string"', b"42", b"null", b'{"a":{"a":{"a":{"a":[1,{"b":2}]}}}}',
]


def _python_json_verdict(raw: bytes) -> bool | None:
    """True/False as Python's json.loads; None where json_reader.h documents a difference."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    odd = []

    def constant(_: str) -> float:
        odd.append("constant")
        return 0.0

    def number(token: str) -> float:
        if len(token) > 64:
            odd.append("long")
        return 0.0

    try:
        value = json.loads(text, parse_constant=constant, parse_int=number, parse_float=number)
    except (ValueError, RecursionError):
        return False

    def walk(v: Any, depth: int) -> None:
        if isinstance(v, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in v):
            odd.append("surrogate")
        elif isinstance(v, dict):
            if depth >= 32:
                odd.append("deep")
            for key, item in v.items():
                walk(key, depth + 1)
                walk(item, depth + 1)
        elif isinstance(v, list):
            if depth >= 32:
                odd.append("deep")
            for item in v:
                walk(item, depth + 1)

    walk(value, 0)
    return None if odd else True


def write_json_cases(folder: Path, images: dict[str, bytes]) -> tuple[int, int]:
    rng = np.random.default_rng(99)
    alphabet = b'{}[],:"\\ \t\n0123456789-+.eEtrufalsn\xc3\xa9\xff\x00\x7fu'
    docs = SMALL_DOCS + [s for name in ("small16", "plain16") for t, s in _sections(images[name]).items()
                         if t != b"TFLM"]
    docs += [_sections(images["accel"])[t] for t in (b"FEAT", b"LABL")]
    lines, accepted = ["# ACCEPTED HEX (Python's json.loads on the UTF-8 text)"], 0
    extra = [b"[" * 33 + b"]" * 33, b"[" * 32 + b"]" * 32, b"1" * 65, b"1" * 64, b'"\\ud800"', b'"\\udc00x"',
             b"NaN", b"[Infinity]", b"-Infinity", b"\xef\xbb\xbf{}", b"", b" ", b"01", b"1.", b".5", b"-", b"+1",
             b"1e", b"[1,]", b'{"a":1,}', b'{"a"}', b'{1:2}', b'"\x01"', b"tru", b"nul", b"[1 2]", b'"\\x"',
             b'"\\u12"', b'"\xed\xa0\x80"', b'"\xc0\xaf"', b'"\xf4\x90\x80\x80"']
    cases: list[bytes] = list(extra)
    for i in range(2200):
        doc = docs[i % len(docs)] if i % 50 else docs[int(rng.integers(len(docs)))]
        raw = bytearray(doc)
        for _ in range(int(rng.integers(1, 4))):
            op = rng.integers(4)
            at = int(rng.integers(0, len(raw) + 1))
            if op == 0 and raw:
                raw[min(at, len(raw) - 1)] = alphabet[int(rng.integers(len(alphabet)))]
            elif op == 1:
                raw.insert(at, alphabet[int(rng.integers(len(alphabet)))])
            elif op == 2 and raw:
                del raw[min(at, len(raw) - 1)]
            else:
                raw = raw[:at]
        cases.append(bytes(raw))
    for raw in cases:
        verdict = _python_json_verdict(raw)
        if verdict is None:
            if raw in extra:  # the documented differences: C++ refuses
                lines.append(f"0 {_hex(raw)}")
            continue
        accepted += int(verdict)
        lines.append(f"{int(verdict)} {_hex(raw)}")
    for doc in docs:
        assert _python_json_verdict(doc), doc[:40]
    (folder / "json_cases.txt").write_text("\n".join(lines) + "\n")
    return len(lines) - 1, accepted


def write_float_cases(folder: Path) -> int:
    rng = np.random.default_rng(5)
    values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, 1e16, 1e15, 123456789012345678.0, 1e-4, 1e-5, 0.0001234,
              2147483648.0, 2147483647.0, 3e9, 1e20, 1e100, 1e-300, 5e-324, 1.7976931348623157e308, float("nan"),
              float("inf"), float("-inf"), 2.0**-20, 2.0**-1074, 2.0**1023, 9007199254740993.0, 0.3, 1 / 3]
    scales = np.float32(10.0) ** rng.integers(-12, 12, 300).astype(np.float32)
    f32 = rng.standard_normal(300).astype(np.float32) * scales
    values += [float(v) for v in f32]
    values += [float(v) for v in rng.standard_normal(200) * 10.0 ** rng.integers(-300, 300, 200)]
    values += [float(np.float32(2.0) ** int(e)) for e in range(-149, 128, 7)]
    lines = [f"{f64_bits(v)} {repr(v)}" for v in values]
    (folder / "float_cases.txt").write_text("\n".join(lines) + "\n")
    return len(lines)


# -- the reference store, driven like the Python board ------------------------------------------------------


@dataclass
class Session:
    """The Python board's recogniser state (no TFLM: images are adopted as BoardRecognizer.set_model
    adopts one that loaded) and the script the C++ test replays."""

    state: Path
    images: dict[str, bytes]
    axes: int = 6
    lines: list[str] = field(default_factory=list)
    seq: int = 0
    brain: BoardRecognizer = field(init=False)
    blob: bytes | None = None
    key: str = ""

    def __post_init__(self) -> None:
        self.brain = BoardRecognizer(self.state, arena_bytes=0, axes=self.axes)

    def _expect(self, messages: list[Message]) -> None:
        self.lines += [f"reply {m.TYPE:02x} {_hex(m.encode())}" for m in messages] + ["end"]

    def image(self, name: str | None, key: str | None = None) -> None:
        brain = self.brain
        if name is None:
            self.blob, self.key = None, ""
            brain.image, brain.problem = None, "no model"
            notes = brain.refs.set_model(None, "")
            self.lines.append("noimage")
        else:
            self.blob, self.key = self.images[name], key or hashlib.sha256(self.images[name]).hexdigest()
            brain.image, brain.problem = unpack(self.blob), ""
            notes = brain.refs.set_model(brain.image, self.key)
            network = hashlib.sha256(brain.image.model_tflite).hexdigest()
            self.lines.append(f"image image_{name}.bin {_hex(self.key.encode())} {network}")
        # fit_text: the Python board sends these notes uncut and fails to encode one over 255 bytes (a long
        # "dropped" list); the C++ board cuts it as fit_text does.
        self.lines += [f"log {_hex(Log(int(LogLevel.WARNING), fit_text(n)).encode())}" for n in notes] + ["end"]

    def reload(self) -> None:
        """A power cycle: a new recogniser on the same state directory, the same model adopted again."""
        self.brain = BoardRecognizer(self.state, arena_bytes=0, axes=self.axes)
        self.lines.append("reload")
        if self.blob is not None:
            self.brain.image = unpack(self.blob)
            notes = self.brain.refs.set_model(self.brain.image, self.key)
            assert not notes, notes
        self.lines.append("end")

    def request(self, m: Message) -> list[Message]:
        self.seq += 1
        decoded = type(m).decode(m.encode())  # what the board receives: f32 thresholds as the wire has them
        self.lines.append(f"request {self.seq} {m.TYPE:02x} {_hex(m.encode())}")
        replies = self.brain.handle(self.seq, decoded, 0.0)
        self._expect(replies)
        return replies

    def enroll_check(self, m: EnrollStart) -> None:
        self.seq += 1
        self.lines.append(f"enroll_check {self.seq} {self.axes} {_hex(m.encode())}")
        replies = self.brain._start_enrollment(self.seq, type(m).decode(m.encode()), 0.0)
        self.brain.session = None
        self._expect(replies[:1])  # Ack or Error; the first EnrollProgress is the session's

    def codes(self, n: int, rng: np.random.Generator) -> np.ndarray | None:
        """n takes' shape codes of the size this board's model computes (None: it computes none)."""
        geometry = self.brain._shape_geometry()
        return None if geometry is None else _codes(rng, n, *geometry)

    def enroll(self, class_id: int, label: str, shots: np.ndarray, shapes: np.ndarray | None = None) -> None:
        shots = np.asarray(shots, np.int8)
        codes = "-" if shapes is None else _hex(np.asarray(shapes, np.int8))
        self.lines.append(f"enroll {class_id} {_hex(label.encode())} {len(shots)} {_hex(shots)} {codes}")
        session = EnrollSession(EnrollStart(class_id, label, len(shots), 15000), 0.0,
                                [row.copy() for row in shots],
                                [None] * len(shots) if shapes is None else list(np.asarray(shapes, np.int8)))
        self._expect([self.brain._store_enrollment(session)])

    def decide(self, embedding: np.ndarray, codes: np.ndarray | None = None) -> None:
        q = None if codes is None else np.asarray(codes, np.int8)
        class_id, label, dist, margin = self.brain.decide(np.asarray(embedding, np.int8), q)
        self.lines.append(f"decide {_hex(np.asarray(embedding, np.int8))}" + ("" if q is None else f" {_hex(q)}"))
        self.lines += [f"decision {class_id} {_hex(label.encode())} {f32_bits(dist)} {f32_bits(margin)}", "end"]


def _codes(rng: np.random.Generator, n: int, frames: int, channels: int) -> np.ndarray:
    """Shape codes of n random smooth takes (as hybrid_rank.shape_codes makes them from feature windows)."""
    return shape_codes(rng.normal(size=(n, 2 * frames, channels)).cumsum(axis=1))


def _upload(class_id: int, label: str, threshold: float, emb: np.ndarray, dim: int | None = None,
            shapes: np.ndarray | bytes = b"") -> RefUpload:
    emb = np.asarray(emb, np.int8)
    codes = shapes if isinstance(shapes, bytes) else np.asarray(shapes, np.int8).tobytes()
    return RefUpload(class_id, label, threshold, dim if dim is not None else emb.shape[-1], emb.tobytes(), codes)


def _scripted(s: Session, rng: np.random.Generator) -> None:
    accel = unpack(s.images["accel"]).recognizer
    assert accel.bank is not None
    emb32 = lambda n: rng.integers(-40, 41, (n, 32)).astype(np.int8)  # noqa: E731
    s.request(RefList())
    s.request(_upload(1, "x", 100.0, emb32(1)))  # no model, no dimension yet
    s.image("accel")
    s.request(RefList())
    s.request(RefDownload(3))
    s.request(RefDownload(255))
    s.request(RefDownload(200))
    s.request(_upload(20, "mine", 5000.0, emb32(2)))
    s.request(_upload(21, "circle", 5000.0, emb32(1)))
    s.request(_upload(3, "flick_right", 1234.5, emb32(3)))
    s.request(_upload(4, "brand new", 2500.5, emb32(16)))
    for threshold in (-1.0, 0.0, float("nan"), float("inf"), 3e9, 2147483648.0, 0.1, 1.5, 2.5, 0.4999, 1e-30):
        s.request(_upload(22, "t", threshold, emb32(1)))
    s.request(_upload(23, "bad dim", 10.0, emb32(2), dim=16))
    s.request(RefUpload(23, "bad size", 10.0, 32, bytes(33)))
    s.request(RefUpload(23, "empty", 10.0, 32, b""))
    s.request(_upload(255, "none", 10.0, emb32(1)))
    s.request(_upload(24, "", 10.0, emb32(1)))
    s.request(_upload(24, "y" * 65, 10.0, emb32(1)))
    s.request(_upload(24, "\u00e9" * 32, 10.0, emb32(1)))
    s.request(_upload(25, "many", 10.0, emb32(17)))
    s.request(RefClear(2))
    s.request(RefClear(200))
    s.request(RefClear(20))
    s.request(RefList())
    s.request(RefDownload(255))
    actions = (HidAction(0, int(ActionKind.KEY), 0x04, 0x02), HidAction(4, int(ActionKind.NONE), 0, 0),
               HidAction(3, int(ActionKind.MOUSE_MOVE), 0, 0, -127, 127),
               HidAction(1, int(ActionKind.CONSUMER), 0xE9, 0))
    s.request(HidMapGet())
    s.request(HidMapSet(actions))
    s.request(HidMapGet())
    s.request(HidEnable(1))
    for bad in [HidAction(255, 1, 4, 0), HidAction(9, 9, 4, 0), HidAction(9, 1, 4, 0x10), HidAction(9, 1, 3, 0),
                HidAction(9, 1, 0xE8, 0), HidAction(9, 2, 0, 0), HidAction(9, 2, 0x400, 0), HidAction(9, 3, 0, 0),
                HidAction(9, 3, 8, 0), HidAction(9, 4, 0, 0, 128, 0), HidAction(9, 4, 0, 0, 0, -128),
                HidAction(0, 1, 5, 0)]:
        s.request(HidMapSet((HidAction(0, 1, 4, 0), bad)))
    s.request(HidMapSet(tuple(HidAction(i, 1, 4, 0) for i in range(33))))
    s.request(HidMapGet())
    s.reload()
    s.request(RefList())
    s.request(HidMapGet())
    s.request(HidEnable(0))
    s.reload()
    s.request(HidMapGet())
    # enrollment: checks, then new classes, more takes of an image class and of an own class
    for m in [EnrollStart(30, "zig", 0, 15000), EnrollStart(30, "zig", 11, 15000),
              EnrollStart(30, "  \u3000", 3, 15000), EnrollStart(30, "y" * 65, 3, 15000),
              EnrollStart(30, "zig", 3, 499), EnrollStart(255, "circle", 3, 15000),
              EnrollStart(255, "zig", 3, 15000), EnrollStart(0, "zig", 3, 15000), EnrollStart(30, "circle", 3, 15000),
              EnrollStart(30, "zig", 3, 15000), EnrollStart(5, "shake", 3, 500)]:
        s.enroll_check(m)
    base = accel.references[accel.ref_class == 7].astype(np.int64)
    s.enroll(30, "zig", np.clip(base[:3] + rng.integers(-20, 21, (3, 32)), -128, 127))
    s.enroll(0, "circle", np.clip(accel.references[:2].astype(np.int64) + 3, -128, 127))
    s.enroll(4, "brand new", emb32(10))
    s.enroll(31, "lonely", emb32(1))
    s.enroll(32, "near v", np.clip(base[:4] + rng.integers(-3, 4, (4, 32)), -128, 127))
    s.request(RefList())
    for q in [*accel.bank.embeddings[:20], *accel.references[::5], *emb32(5)]:
        s.decide(q)
    _between_bank_and_classes(s, accel.bank.embeddings[20:26], accel.references[::9])
    s.reload()
    for q in accel.references[::7]:
        s.decide(q)
    # model changes: same network renamed, back, another network, another dimension, none. Own "circle" at
    # 0 and "spin" at 1: the renamed model calls 1 "circle" and 2 "spin" - "circle" cannot take 1 (taken
    # by "spin" until "spin" moves), so it moves to a free id.
    s.request(_upload(1, "spin", 4000.0, emb32(2)))
    s.image("accel_renamed")
    s.request(RefList())
    for q in accel.references[::6]:
        s.decide(q)
    s.image("accel")
    s.request(RefList())
    s.image("accel_renamed", key="same key")
    s.reload()
    s.image("accel_renamed", key="same key")
    s.request(RefList())
    s.image("accel_gyro")
    s.request(RefList())
    s.request(_upload(12, "gyro own", 3000.0, emb32(2)))
    s.enroll(13, "gyro enrolled", emb32(3))
    s.axes = s.brain.axes = 3
    s.enroll_check(EnrollStart(14, "needs gyro", 3, 15000))
    s.axes = s.brain.axes = 6
    s.image("small16")
    s.request(RefList())
    s.request(RefDownload(255))
    emb16 = lambda n: rng.integers(-128, 128, (n, 16)).astype(np.int8)  # noqa: E731
    s.enroll(1, "caf\u00e9", emb16(2))
    s.enroll(3, "empty", emb16(3))
    s.enroll(8, "fresh", emb16(3))
    for q in emb16(12):
        s.decide(q)
    small = unpack(s.images["small16"]).recognizer
    assert small.bank is not None
    _between_bank_and_classes(s, small.bank.embeddings[:6], small.references)
    s.image(None)
    s.request(RefList())
    s.request(_upload(9, "no model", 77.0, emb16(2)))
    s.request(RefDownload(255))
    s.reload()
    s.image("plain16")
    s.request(RefList())
    s.enroll(9, "plain", emb16(2))
    for i in range(40):  # fill the board: 32 classes at most
        s.request(_upload(10 + i, f"fill {i}", 1000.0 + i, emb16(1 + i % 16)))
    s.enroll(60, "one too many", emb16(2))
    s.enroll_check(EnrollStart(255, "one too many", 3, 15000))
    s.request(RefList())
    s.reload()
    s.request(RefList())
    s.request(RefClear(255))
    s.request(RefList())
    s.request(RefDownload(255))
    s.request(RefClear(255))
    _scripted_shapes(s, rng)


def _between_bank_and_classes(s: Session, bank: np.ndarray, refs: np.ndarray) -> None:
    """Queries on the way from bank entries to references: the bank's veto (nearest bank entry within
    (1.5 - margin) x the class distance) is decided on both sides of its edge, at each class's margin."""
    for b in bank.astype(np.float64):
        for r in refs.astype(np.float64):
            for a in (0.35, 0.45, 0.5, 0.55, 0.6, 0.7):
                s.decide(np.clip(np.round(a * b + (1 - a) * r), -128, 127).astype(np.int8))


def _scripted_shapes(s: Session, rng: np.random.Generator) -> None:
    """Embedding + DTW ranking: an image with its references' codes, own classes with and without them."""
    shaped = unpack(s.images["accel_shapes"]).recognizer
    assert shaped.shapes is not None
    s.request(_upload(40, "no model yet", 900.0, rng.integers(-40, 41, (2, 32)), shapes=_codes(rng, 2, 32, 3)))
    s.image("accel_shapes")
    for i in range(0, len(shaped.references), 3):  # near a reference: its take's codes, a little moved
        s.decide(shaped.references[i], np.clip(shaped.shapes[i].astype(np.int64) + rng.integers(-9, 10, (32, 3)),
                                               -127, 127))
    for q in shaped.bank.embeddings[:10] if shaped.bank is not None else []:
        s.decide(q, s.codes(1, rng)[0])
    s.decide(shaped.references[4])  # no query codes: by embedding
    s.enroll(30, "zag", shaped.references[:3], s.codes(3, rng))
    s.enroll(30, "zag", shaped.references[3:5], s.codes(2, rng))  # more takes of an own class with codes
    s.enroll(2, shaped.labels[2], shaped.references[6:8], s.codes(2, rng))  # more takes of an image class
    s.request(_upload(31, "with codes", 1500.0, rng.integers(-40, 41, (2, 32)), shapes=_codes(rng, 2, 32, 3)))
    s.request(_upload(32, "bad codes", 1500.0, rng.integers(-40, 41, (2, 32)), shapes=_codes(rng, 1, 32, 3)))
    s.request(_upload(32, "odd codes", 1500.0, rng.integers(-40, 41, (2, 32)), shapes=_codes(rng, 2, 32, 6)))
    s.request(RefDownload(255))
    for i in range(0, len(shaped.references), 4):
        s.decide(shaped.references[i], s.codes(1, rng)[0])
    s.reload()
    for i in range(1, len(shaped.references), 4):
        s.decide(shaped.references[i], s.codes(1, rng)[0])
    s.request(_upload(33, "no codes", 1500.0, rng.integers(-40, 41, (2, 32))))  # the board ranks by embedding
    for i in range(2, len(shaped.references), 4):
        s.decide(shaped.references[i], s.codes(1, rng)[0])
    s.request(RefClear(33))
    s.enroll(34, "renumbered", rng.integers(-40, 41, (2, 32)), s.codes(2, rng))
    s.image("accel_odd_shapes")  # codes of another size than the features': by embedding
    s.request(RefList())
    for i in range(0, len(shaped.references), 5):
        s.decide(shaped.references[i], s.codes(1, rng)[0])
    s.image("accel_shapes")
    s.request(RefDownload(255))
    s.request(RefClear(255))

def _random_walk(s: Session, rng: np.random.Generator, steps: int) -> None:
    names = ["accel", "accel_renamed", "accel_gyro", "small16", "plain16", "accel_shapes", "accel_odd_shapes", None]
    labels = ["circle", "w", "v", "spin", "tap", "mine", "ours", "caf\u00e9", "z", "up"]
    ids = [0, 1, 2, 3, 4, 7, 9, 12, 20, 21, 22, 30]
    for _ in range(steps):
        pick = rng.random()
        dim = s.brain.image.embedding_dim if s.brain.image is not None else (s.brain.refs.dim or 32)
        if pick < 0.05:
            name = names[int(rng.integers(len(names)))]
            # A board's key is its image's sha256: one key never names two images.
            s.image(name, key=None if rng.random() < 0.8 else f"fixed {name}")
        elif pick < 0.1:
            s.reload()
        elif pick < 0.35:
            n = int(rng.choice([0, 1, 2, 5, 16, 17]))
            codes = s.codes(n + (rng.random() < 0.1), rng) if rng.random() < 0.6 else None
            s.request(_upload(int(rng.choice(ids)), str(rng.choice(labels)), float(rng.choice([0.7, 900.0, 5e3, -2.0])),
                              rng.integers(-128, 128, (n, dim)), dim=dim if rng.random() < 0.9 else dim + 1,
                              shapes=b"" if codes is None else codes))
        elif pick < 0.45:
            s.request(RefClear(int(rng.choice(ids + [255]))))
        elif pick < 0.55:
            s.request(RefDownload(int(rng.choice(ids + [255]))))
        elif pick < 0.62:
            s.request(RefList())
        elif pick < 0.75 and s.brain.image is not None:
            label = str(rng.choice(labels))
            m = EnrollStart(int(rng.choice(ids + [255])), label, int(rng.integers(1, 5)), 15000)
            s.enroll_check(m)
            problem = s.brain._start_enrollment(0, m, 0.0)
            s.brain.session = None
            if isinstance(problem[0], Ack):
                class_id = m.class_id
                if class_id == 255:
                    same = s.brain.refs.by_label(label)
                    class_id = same.class_id if same else s.brain.refs.next_free_id()
                s.enroll(class_id, label, rng.integers(-128, 128, (m.shots, dim)),
                         s.codes(m.shots, rng) if rng.random() < 0.8 else None)
        elif pick < 0.85 and s.brain.refs.classes():
            codes = s.codes(1, rng) if rng.random() < 0.8 else None
            s.decide(rng.integers(-128, 128, dim), None if codes is None else codes[0])
        elif pick < 0.95:
            n = int(rng.integers(0, 5))
            s.request(HidMapSet(tuple(HidAction(int(rng.integers(0, 12)), int(rng.integers(0, 6)),
                                                int(rng.integers(0, 0x500)), int(rng.integers(0, 20)),
                                                int(rng.integers(-130, 131)), int(rng.integers(-130, 131)))
                                      for _ in range(n))))
        else:
            s.request(HidMapGet() if rng.random() < 0.7 else HidEnable(int(rng.integers(0, 2))))


def write_ref_store_script(folder: Path, state: Path, steps: int = 500) -> int:
    images = _images()
    for name, blob in images.items():
        (folder / f"image_{name}.bin").write_bytes(blob)
    s = Session(state / "scripted", images)
    s.lines.append("# a scripted session")
    _scripted(s, np.random.default_rng(11))
    s.lines.append("fresh")  # a new board: no record, no model
    s.lines.append("end")
    walk = Session(state / "walk", images)
    walk.lines = s.lines
    _random_walk(walk, np.random.default_rng(12), steps)
    (folder / "ref_store_script.txt").write_text("\n".join(walk.lines) + "\n")
    return sum(1 for line in walk.lines if line.split(" ")[0] in ("request", "enroll", "enroll_check", "decide"))


def write_all(folder: Path, state: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    queries = write_knn_cases(folder)
    thresholds, nearest = write_threshold_cases(folder)
    sections = write_section_cases(folder)
    json_cases, json_accepted = write_json_cases(folder, _images())
    floats = write_float_cases(folder)
    steps = write_ref_store_script(folder, state)
    return {"queries": queries, "thresholds": thresholds, "nearest_to_rounding": nearest, "sections": sections,
            "json_cases": json_cases, "json_accepted": json_accepted, "floats": floats, "store_steps": steps}


if __name__ == "__main__":
    import tempfile

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("knn_vectors")
    with tempfile.TemporaryDirectory() as tmp:
        print(write_all(out, Path(tmp)))
