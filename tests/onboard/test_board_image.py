"""The board image container: round trip, and every way a hostile or damaged blob is refused."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.ml.bundle import ModelBundle
from wandlab.onboard.board_image import HEADER, MAGIC, pack, pack_parts, unpack
from wandlab.onboard.imu_features import FeatureConfig
from wandlab.onboard.knn import KnnRecognizer

# The smallest flatbuffer head a board accepts: root offset 12, "TFL3", an empty vtable at 8 (4 bytes, table 4
# bytes), the root table at 12 pointing back to it; then filler. Not a model: unpack does not run it.
FAKE_TFLITE = struct.pack("<I4sHHi", 12, b"TFL3", 4, 4, 12 - 8) + bytes(range(200))


def _bundle() -> ModelBundle:
    rng = np.random.default_rng(0)
    emb = rng.integers(-128, 128, (12, 16)).astype(np.int8)
    knn = KnnRecognizer.fit(emb, ["circle"] * 6 + ["tap"] * 6, max_refs_per_class=3)
    knn.thresholds[:] = [4000, 5000]
    return ModelBundle(FAKE_TFLITE, list(knn.labels), FeatureConfig(channels=3), knn)


def test_round_trip_keeps_model_features_labels_and_references():
    bundle = _bundle()
    image = unpack(pack(bundle))
    assert image.model_tflite == bundle.tflite
    assert image.features == bundle.features
    assert image.labels == ["circle", "tap"]
    assert np.array_equal(image.recognizer.references, bundle.recognizer.references)
    assert image.recognizer.thresholds.tolist() == [4000, 5000]
    assert image.embedding_dim == 16


def test_layout_is_what_firmware_walks():
    blob = pack(_bundle())
    magic, version, count = HEADER.unpack_from(blob)
    assert (magic, version, count) == (MAGIC, 1, 4)
    tag, length = struct.unpack_from("<4sI", blob, HEADER.size)
    assert tag == b"TFLM" and blob[HEADER.size + 8 : HEADER.size + 8 + length] == FAKE_TFLITE


def _sections(blob: bytes) -> list[tuple[bytes, bytes]]:
    out, at = [], HEADER.size
    while at < len(blob):
        tag, n = struct.unpack_from("<4sI", blob, at)
        out.append((tag, blob[at + 8 : at + 8 + n]))
        at += 8 + n
    return out


def _build(sections: list[tuple[bytes, bytes]], version: int = 1, count: int | None = None) -> bytes:
    body = b"".join(struct.pack("<4sI", t, len(d)) + d for t, d in sections)
    return struct.pack("<4sHH", MAGIC, version, len(sections) if count is None else count) + body


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: _build(s)[:5], "truncated"),
        (lambda s: _build(s)[:-3], "truncated"),
        (lambda s: b"PK\x03\x04" + _build(s)[4:], "not a Wandlab board image"),
        (lambda s: _build(s, version=2), "version 2"),
        (lambda s: _build(s, count=900), "900 sections"),
        (lambda s: _build(s) + b"\x00", "unexpected bytes"),
        (lambda s: _build(s[:3]), "missing section(s) REFS"),
        (lambda s: _build(s + [s[0]]), "twice"),
        (lambda s: _build(s[:3] + [(b"EVIL", b"x")]), "unknown section 'EVIL'"),
        (lambda s: _build([(b"TFLM", b"not a model")] + s[1:]), "not a .tflite"),
        (lambda s: _build(s[:1] + [(b"FEAT", b"{")] + s[2:]), "malformed JSON"),
        (lambda s: _build(s[:1] + [(b"FEAT", b'{"channels": 5}')] + s[2:]), "channels"),
        (lambda s: _build(s[:2] + [(b"LABL", b'["circle", "w"]')] + s[3:]), "disagree"),
        (lambda s: _build(s[:2] + [(b"LABL", b'{"a": 1}')] + s[3:]), "JSON list"),
        (lambda s: _build(s[:3] + [(b"REFS", b'{"version": 1}')]), "invalid recogniser"),
        (lambda s: _build(s[:3] + [(b"REFS", b"\xff\xfe")]), "malformed JSON"),
    ],
)
def test_hostile_images_are_refused_with_a_clear_reason(mutate, message):
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        unpack(mutate(_sections(pack(_bundle()))))


def test_absurd_section_length_is_refused_without_allocating():
    blob = bytearray(pack(_bundle()))
    struct.pack_into("<I", blob, HEADER.size + 4, 0xFFFFFFFF)
    with pytest.raises(ModelError, match="truncated: section TFLM says 4294967295 bytes"):
        unpack(bytes(blob))


def test_random_bytes_never_crash():
    rng = np.random.default_rng(1)
    good = pack(_bundle())
    for i in range(300):
        blob = bytearray(good)
        for _ in range(1 + i % 5):
            blob[int(rng.integers(0, len(blob)))] = int(rng.integers(0, 256))
        try:
            unpack(bytes(blob))
        except ModelError:
            pass
    for n in range(0, 40):
        with pytest.raises(ModelError):
            unpack(MAGIC + bytes(rng.integers(0, 256, n, dtype=np.uint8)))


def test_pack_refuses_inconsistent_parts():
    b = _bundle()
    with pytest.raises(ModelError, match="disagree"):
        pack_parts(b.tflite, b.features, ["x", "y"], b.recognizer)
    with pytest.raises(ModelError, match="needs a bundle"):
        pack(object())


# -- golden images for the C++ validator (firmware_sketches/wandlab_core/tests/test_board_image.cpp) ------------

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
MANIFEST = VECTORS / "board_image_cases.txt"
# file -> (the C++ reason_name(), what Python's ModelError says): the same refusal on both sides.
GOLDEN = {
    "board_image_valid.bin": ("ok", ""),
    "board_image_truncated.bin": ("truncated_section", "truncated: section TFLM says"),
    "board_image_bad_magic.bin": ("bad_magic", "not a Wandlab board image"),
    "board_image_random.bin": ("bad_magic", "not a Wandlab board image"),
    "board_image_duplicate_section.bin": ("duplicate_section", "has section LABL twice"),
    "board_image_trailing_bytes.bin": ("trailing_bytes", "unexpected bytes after its last section"),
}


def damaged_images(valid: bytes) -> dict[str, bytes]:
    """Every golden image but the valid one, made from it."""
    magic, version, count = HEADER.unpack_from(valid)
    tag, labels = next(s for s in _sections(valid) if s[0] == b"LABL")
    return {
        "board_image_truncated.bin": valid[: len(valid) // 2],  # cut inside the TFLM section
        "board_image_bad_magic.bin": b"WLBX" + valid[4:],
        "board_image_random.bin": np.random.default_rng(2024).integers(0, 256, 1024, dtype=np.uint8).tobytes(),
        "board_image_duplicate_section.bin": HEADER.pack(magic, version, count + 1) + valid[HEADER.size :]
        + struct.pack("<4sI", tag, len(labels)) + labels,
        "board_image_trailing_bytes.bin": valid + b"\0\0\0\0",
    }


def write_golden_images(folder: Path) -> list[Path]:
    """Regenerate tests/vectors/board_image_*: python -m tests.onboard.test_board_image [FOLDER]."""
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.shipped import base_gesture_model

    valid = pack(load_bundle(base_gesture_model(3)))  # models/gesture_accel
    files = {"board_image_valid.bin": valid, **damaged_images(valid)}
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    lines = ["# board image golden cases: FILE REASON (reason_name() in board_image.h); written by",
             "# python -m tests.onboard.test_board_image, checked by tests/test_board_image.cpp"]
    (folder / MANIFEST.name).write_text("\n".join(lines + [f"{n} {GOLDEN[n][0]}" for n in files]) + "\n")
    return [*paths, folder / MANIFEST.name]


def test_golden_images_are_the_valid_image_and_its_damage_and_python_judges_them_as_the_manifest_says():
    listed = [line.split() for line in MANIFEST.read_text().splitlines() if line and not line.startswith("#")]
    assert {name: reason for name, reason in listed} == {name: g[0] for name, g in GOLDEN.items()}
    valid = (VECTORS / "board_image_valid.bin").read_bytes()
    image = unpack(valid)
    assert image.labels[0] == "circle" and image.model_tflite[4:8] == b"TFL3"
    for name, data in damaged_images(valid).items():
        assert (VECTORS / name).read_bytes() == data, f"{name} is stale: python -m tests.onboard.test_board_image"
        with pytest.raises(ModelError, match=GOLDEN[name][1]):
            unpack(data)


@pytest.mark.parametrize(
    "tflite, message",
    [
        (struct.pack("<I4s", 4, b"TFL3") + bytes(20), "root table offset 4 is outside bytes 8..24"),
        (struct.pack("<I4s", 4000, b"TFL3") + bytes(20), "root table offset 4000 is outside"),
        (struct.pack("<I4sHHi", 12, b"TFL3", 4, 4, -100) + bytes(8), "vtable is outside"),
        (struct.pack("<I4sHHi", 12, b"TFL3", 3, 4, 4) + bytes(8), "vtable is outside"),
        (struct.pack("<I4sHHi", 12, b"TFL3", 4, 400, 4) + bytes(8), "vtable is outside"),
    ],
)
def test_a_tflm_section_whose_flatbuffer_head_points_outside_it_is_refused(tflite: bytes, message: str):
    s = _sections(pack(_bundle()))
    with pytest.raises(ModelError, match=message):
        unpack(_build([(b"TFLM", tflite)] + s[1:]))


if __name__ == "__main__":
    import sys

    for written in write_golden_images(Path(sys.argv[1]) if len(sys.argv) > 1 else VECTORS):
        print(written)
