"""The board image container: round trip, and every way a hostile or damaged blob is refused."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.ml.bundle import ModelBundle
from wandlab.onboard.board_image import HEADER, MAGIC, pack, pack_parts, unpack
from wandlab.onboard.imu_features import FeatureConfig
from wandlab.onboard.knn import KnnRecognizer

FAKE_TFLITE = b"\x18\x00\x00\x00TFL3" + bytes(range(200))


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
