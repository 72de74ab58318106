"""A model bundle: everything a board (or the virtual wand) needs to recognise, in one folder or zip.

    manifest.json     format, version, kind, versions of the tools, metrics, sha256 of every other file
    model.tflite      the int8 flatbuffer
    labels.json       class names, index = class id on the board
    features.json     FeatureConfig (imu_features)
    recognizer.json   k-NN references (int8) and per-class thresholds (knn.KnnRecognizer)
    model_spec.json   architecture, so weights.npz can seed further training
    weights.npz       float weights (optional; plain arrays, loaded with allow_pickle=False)
    report.json       VerifyReport (optional)
    negatives.npz     feature windows of motion that is no gesture (optional; ``ml.open_set``): a model
                      trained from this one embeds them again for its own negatives bank

Loading verifies every hash and refuses unknown/missing files; a zip is read member by member by exact
name, never extracted, so hostile paths inside it cannot write anywhere. No TensorFlow here.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wandlab.errors import ModelError
from wandlab.onboard.imu_features import FeatureConfig
from wandlab.onboard.knn import KnnRecognizer

BUNDLE_FORMAT = "wandlab-model-bundle"
BUNDLE_VERSION = 1
REQUIRED = ("model.tflite", "labels.json", "features.json", "recognizer.json")
OPTIONAL = ("model_spec.json", "weights.npz", "report.json", "negatives.npz")
MAX_BUNDLE_FILE = 16 * 1024 * 1024


@dataclass
class ModelBundle:
    tflite: bytes
    labels: list[str]
    features: FeatureConfig
    recognizer: KnnRecognizer
    kind: str = "gesture"
    model_spec: dict[str, Any] | None = None
    weights: bytes | None = None  # weights.npz content
    report: dict[str, Any] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    negatives: bytes | None = None  # negatives.npz content

    def files(self) -> dict[str, bytes]:
        out = {
            "model.tflite": self.tflite,
            "labels.json": _json(self.labels),
            "features.json": _json(self.features.to_dict()),
            "recognizer.json": _json(self.recognizer.to_dict()),
        }
        if self.model_spec is not None:
            out["model_spec.json"] = _json(self.model_spec)
        if self.weights is not None:
            out["weights.npz"] = self.weights
        if self.report is not None:
            out["report.json"] = _json(self.report)
        if self.negatives is not None:
            out["negatives.npz"] = self.negatives
        return out

    def manifest(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "version": BUNDLE_VERSION,
            "kind": self.kind,
            "versions": {"wandlab": _wandlab_version(), **self.versions},
            "metrics": self.metrics,
            "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(self.files().items())},
        }


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode()


def _wandlab_version() -> str:
    from wandlab import __version__

    return __version__


def save_bundle(bundle: ModelBundle, path: str | Path) -> Path:
    """Write a folder, or a zip when ``path`` ends in .zip. Atomic: written beside, then renamed."""
    path = Path(path)
    files = {**bundle.files(), "manifest.json": _json(bundle.manifest())}
    tmp = path.with_name(path.name + ".partial")
    if path.suffix == ".zip":
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        os.replace(tmp, path)
        return path
    tmp.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    if path.exists():  # replace an older bundle only once the new one is complete
        old = path.with_name(path.name + ".old")
        os.replace(path, old)
        os.replace(tmp, path)
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    else:
        os.replace(tmp, path)
    return path


def _read_files(path: Path) -> dict[str, bytes]:
    names = ("manifest.json", *REQUIRED, *OPTIONAL)
    out: dict[str, bytes] = {}
    if path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as z:
                members = {i.filename: i for i in z.infolist()}
                for name in names:
                    info = members.get(name)
                    if info is not None:
                        if info.file_size > MAX_BUNDLE_FILE:
                            raise ModelError(f"bundle member {name} is too large ({info.file_size} bytes)")
                        out[name] = z.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            # A directory that is intact over members that are not: cut or damaged after it was written.
            raise ModelError(f"{path}: damaged zip ({exc}); save or download the bundle again") from None
    elif path.is_dir():
        for name in names:
            f = path / name
            if f.is_file():
                if f.stat().st_size > MAX_BUNDLE_FILE:
                    raise ModelError(f"bundle file {name} is too large")
                out[name] = f.read_bytes()
    else:
        raise ModelError(f"{path}: not a model bundle folder or zip")
    return out


def load_bundle(path: str | Path) -> ModelBundle:
    """Read and verify a bundle; raises ModelError naming the file that is missing or altered."""
    files = _read_files(Path(path))
    if "manifest.json" not in files:
        raise ModelError(f"{path}: no manifest.json - not a model bundle")
    try:
        manifest = json.loads(files["manifest.json"])
        if manifest.get("format") != BUNDLE_FORMAT or manifest.get("version") != BUNDLE_VERSION:
            raise ModelError(
                f"{path}: unsupported bundle format {manifest.get('format')!r} v{manifest.get('version')!r}"
            )
        hashes: dict[str, str] = manifest["sha256"]
        for name in REQUIRED:
            if name not in hashes or name not in files:
                raise ModelError(f"{path}: bundle is missing {name}")
        for name, digest in hashes.items():
            if name not in files:
                raise ModelError(f"{path}: bundle lists {name} but it is missing")
            if hashlib.sha256(files[name]).hexdigest() != digest:
                raise ModelError(f"{path}: {name} does not match its sha256 in manifest.json (altered?)")
        extra = set(files) - set(hashes) - {"manifest.json"}
        if extra:
            raise ModelError(f"{path}: files not covered by the manifest: {sorted(extra)}")
        labels = [str(v) for v in json.loads(files["labels.json"])]
        recognizer = KnnRecognizer.from_json(files["recognizer.json"].decode())
        if recognizer.labels != labels:
            raise ModelError(f"{path}: labels.json and recognizer.json disagree")
        return ModelBundle(
            tflite=files["model.tflite"],
            labels=labels,
            features=FeatureConfig.from_json(files["features.json"].decode()),
            recognizer=recognizer,
            kind=str(manifest.get("kind", "gesture")),
            model_spec=json.loads(files["model_spec.json"]) if "model_spec.json" in files else None,
            weights=files.get("weights.npz"),
            report=json.loads(files["report.json"]) if "report.json" in files else None,
            metrics=dict(manifest.get("metrics") or {}),
            versions=dict(manifest.get("versions") or {}),
            negatives=files.get("negatives.npz"),
        )
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, ModelError):
            raise
        raise ModelError(f"{path}: malformed bundle ({exc})") from None


def tflite_c_header(blob: bytes, name: str = "g_gesture_model") -> str:
    """The flatbuffer as a C++ array for Arduino IDE users (alignas(16): TFLM requires aligned data)."""
    if not name.isidentifier():
        raise ModelError(f"{name!r} is not a C identifier")
    rows = [", ".join(f"0x{b:02x}" for b in blob[i : i + 12]) for i in range(0, len(blob), 12)]
    body = ",\n  ".join(rows)
    digest = hashlib.sha256(blob).hexdigest()
    return (
        f"// Generated by wandlab.ml.bundle.tflite_c_header - do not edit.\n"
        f"// int8 TFLite model, {len(blob)} bytes, sha256 {digest}\n#pragma once\n#include <cstdint>\n\n"
        f"alignas(16) inline constexpr unsigned char {name}[] = {{\n  {body}\n}};\n"
        f"inline constexpr unsigned int {name}_len = {len(blob)};\n"
    )


def blob_for_path(path: str | Path) -> bytes:
    """The board image to push for the file or folder the user named, checked before anything is sent.

    A bundle (folder or zip) becomes its board image; any other file must already be a complete, valid
    board image. Everything else - a damaged zip, a folder without a manifest, a bare .tflite, a cut or
    foreign file - raises ModelError naming the path and the problem: a board must never be handed bytes
    that are not a model (the board checks again, but a refusal there costs the whole transfer)."""
    from wandlab.onboard.board_image import TFLITE_IDENTIFIER, pack, unpack

    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such file or folder")
    if path.is_dir() or path.suffix.lower() == ".zip" or (path.is_file() and zipfile.is_zipfile(path)):
        if path.is_file() and not zipfile.is_zipfile(path):
            raise ModelError(f"{path}: not a readable zip file (truncated or damaged?); save or download the "
                             "bundle again")
        bundle = load_bundle(path)  # its errors name the path
        try:
            return pack(bundle)
        except ModelError as exc:
            raise ModelError(f"{path}: the bundle cannot become a board image: {exc}") from None
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror}") from None
    if blob[4:8] == TFLITE_IDENTIFIER:
        raise ModelError(f"{path} is a bare .tflite model; flash its bundle (folder or .zip), which carries "
                         "the features, labels and references the board needs with it")
    try:
        unpack(blob)
    except ModelError as exc:
        raise ModelError(f"{path} is not a model the board can take: {exc}. Flash a model bundle (folder or "
                         ".zip) or a board image written by wandlab") from None
    return blob
