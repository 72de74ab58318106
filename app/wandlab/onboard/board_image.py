"""The board image: the one blob the host pushes to a board's model slot.

A bundle is a folder/zip for people and tools; firmware wants one flat buffer it can walk with a few
lines of C and no JSON-in-zip. Layout (all integers little-endian)::

    "WLBI"            4-byte magic
    u16 version       IMAGE_VERSION
    u16 sections      how many sections follow
    sections, each:   4-byte ASCII tag, u32 length, then ``length`` bytes of data
        TFLM          the int8 .tflite flatbuffer (copied to a 16-byte aligned buffer by firmware)
        FEAT          FeatureConfig as JSON (imu_features)
        LABL          class names as a JSON list; index = class id on the board
        REFS          KnnRecognizer as JSON (int8 references, per-class thresholds, k)

Every section is required exactly once, in any order; unknown tags are refused rather than skipped, so a
board never silently ignores something the host meant (a new section means a new version). No trailing
bytes. ``unpack`` raises ModelError saying what is wrong; it never returns a half-valid image.

``unpack`` checks in the order the firmware's validator does (firmware_sketches/wandlab_core/src/
board_image.cpp: layout, then the TFLM section's identifier and root table), then what only Python reads
so far: the JSON sections and that labels and references agree. Whether the model runs on a board (a
verified flatbuffer, its ops, the tensor arena) is the board's check: ``wandlab.virtual.image_check``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from wandlab.errors import ModelError
from wandlab.onboard.imu_features import FeatureConfig
from wandlab.onboard.knn import KnnRecognizer

MAGIC = b"WLBI"
IMAGE_VERSION = 1
TAGS = (b"TFLM", b"FEAT", b"LABL", b"REFS")
HEADER = struct.Struct("<4sHH")
SECTION = struct.Struct("<4sI")
# Far above anything a microcontroller holds (1 MB flash boards); a length past it is corruption.
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_SECTIONS = 16
TFLITE_IDENTIFIER = b"TFL3"  # flatbuffer file identifier at offset 4 of every .tflite


@dataclass(frozen=True)
class BoardImage:
    model_tflite: bytes
    features: FeatureConfig
    labels: list[str]
    recognizer: KnnRecognizer

    @property
    def embedding_dim(self) -> int:
        return int(self.recognizer.references.shape[1])


def pack(bundle: object) -> bytes:
    """A ModelBundle (or anything with tflite/features/labels/recognizer) -> board image bytes."""
    tflite = getattr(bundle, "tflite", None) or getattr(bundle, "model_tflite", None)
    features, labels, recognizer = (getattr(bundle, n, None) for n in ("features", "labels", "recognizer"))
    if (
        not isinstance(tflite, bytes)
        or not isinstance(features, FeatureConfig)
        or not isinstance(recognizer, KnnRecognizer)
        or not isinstance(labels, list)
    ):
        raise ModelError("a board image needs a bundle with tflite, features, labels and recognizer")
    return pack_parts(tflite, features, labels, recognizer)


def pack_parts(tflite: bytes, features: FeatureConfig, labels: list[str], recognizer: KnnRecognizer) -> bytes:
    _check_consistent(tflite, labels, recognizer)
    sections = {
        b"TFLM": tflite,
        b"FEAT": features.to_json().encode(),
        b"LABL": json.dumps(list(labels)).encode(),
        b"REFS": recognizer.to_json().encode(),
    }
    out = bytearray(HEADER.pack(MAGIC, IMAGE_VERSION, len(sections)))
    for tag, data in sections.items():
        out += SECTION.pack(tag, len(data)) + data
    if len(out) > MAX_IMAGE_BYTES:
        raise ModelError(f"board image would be {len(out)} bytes, more than {MAX_IMAGE_BYTES}")
    return bytes(out)


def is_board_image(blob: bytes) -> bool:
    return blob[:4] == MAGIC


def unpack(blob: bytes) -> BoardImage:
    """Parse and validate; raises ModelError naming the first problem found."""
    if len(blob) > MAX_IMAGE_BYTES:
        raise ModelError(f"board image is {len(blob)} bytes, more than {MAX_IMAGE_BYTES}: not an image")
    if len(blob) < HEADER.size:
        raise ModelError(f"board image truncated: {len(blob)} bytes, the header alone is {HEADER.size}")
    magic, version, count = HEADER.unpack_from(blob, 0)
    if magic != MAGIC:
        raise ModelError(f"not a Wandlab board image (starts with {magic!r}, expected {MAGIC!r})")
    if version != IMAGE_VERSION:
        raise ModelError(f"board image version {version} is not supported (this side reads v{IMAGE_VERSION})")
    if count > MAX_SECTIONS:
        raise ModelError(f"board image claims {count} sections; at most {MAX_SECTIONS} are plausible")
    sections: dict[bytes, bytes] = {}
    at = HEADER.size
    for i in range(count):
        if at + SECTION.size > len(blob):
            raise ModelError(f"board image truncated in the header of section {i + 1} of {count}")
        tag, length = SECTION.unpack_from(blob, at)
        at += SECTION.size
        name = tag.decode("ascii", "replace")
        if tag not in TAGS:
            raise ModelError(f"board image has an unknown section {name!r} (known: TFLM, FEAT, LABL, REFS)")
        if tag in sections:
            raise ModelError(f"board image has section {name} twice")
        if length > len(blob) - at:
            raise ModelError(f"board image truncated: section {name} says {length} bytes, only {len(blob) - at} remain")
        sections[tag] = blob[at : at + length]
        at += length
    if at != len(blob):
        raise ModelError(f"board image has {len(blob) - at} unexpected bytes after its last section")
    missing = [t.decode() for t in TAGS if t not in sections]
    if missing:
        raise ModelError(f"board image is missing section(s) {', '.join(missing)}")
    _check_tflite(sections[b"TFLM"])
    try:
        features = FeatureConfig.from_json(sections[b"FEAT"].decode())
        labels_raw = json.loads(sections[b"LABL"].decode())
        recognizer = KnnRecognizer.from_json(sections[b"REFS"].decode())
    except ModelError:
        raise
    except (TypeError, ValueError) as exc:  # JSON and UTF-8 errors are ValueErrors
        raise ModelError(f"board image has a malformed JSON section: {exc}") from None
    if not isinstance(labels_raw, list) or not all(isinstance(v, str) for v in labels_raw):
        raise ModelError("board image LABL section must be a JSON list of class names")
    _check_consistent(sections[b"TFLM"], labels_raw, recognizer)
    return BoardImage(sections[b"TFLM"], features, labels_raw, recognizer)


def _check_tflite(tflite: bytes) -> None:
    """The flatbuffer's identifier, and its root table and that table's vtable inside the section: what a
    board can check in a few lines before it hands the bytes to a full flatbuffer verifier."""
    if len(tflite) < 8 or tflite[4:8] != TFLITE_IDENTIFIER:
        raise ModelError("board image TFLM section is not a .tflite flatbuffer (no TFL3 identifier)")
    (root,) = struct.unpack_from("<I", tflite, 0)
    if root < 8 or root > len(tflite) - 4:  # after the offset and identifier; its vtable offset inside
        raise ModelError(f"board image TFLM section is damaged: root table offset {root} is outside bytes "
                         f"8..{len(tflite) - 4} of the flatbuffer")
    (back,) = struct.unpack_from("<i", tflite, root)
    vtable = root - back
    vtable_ok = 0 <= vtable <= len(tflite) - 4
    if vtable_ok:
        vtable_size, table_size = struct.unpack_from("<HH", tflite, vtable)
        vtable_ok = (vtable_size >= 4 and vtable_size % 2 == 0 and vtable + vtable_size <= len(tflite)
                     and 4 <= table_size <= len(tflite) - root)
    if not vtable_ok:
        raise ModelError("board image TFLM section is damaged: its root table's vtable is outside the section")


def _check_consistent(tflite: bytes, labels: list[str], recognizer: KnnRecognizer) -> None:
    _check_tflite(tflite)
    if list(labels) != list(recognizer.labels):
        raise ModelError("board image labels and recogniser labels disagree")
    if len(labels) > 254:  # class ids are u8 and 255 means "none of these"
        raise ModelError(f"board image has {len(labels)} classes; a board takes at most 254")
    if len(set(labels)) != len(labels) or any(not v or len(v.encode()) > 64 for v in labels):
        raise ModelError("class names must be unique, non-empty and at most 64 bytes")
    if recognizer.references.ndim != 2 or not 1 <= recognizer.references.shape[1] <= 255:
        raise ModelError("recogniser references must be (count, dim) with 1 <= dim <= 255")
