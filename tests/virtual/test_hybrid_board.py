"""The board ranks its classes by embedding + DTW when every class holds its takes' shape codes, and by
embedding alone otherwise; the codes come with the image, with enrolled takes and with uploads, and
survive a power cycle. (The C++ board's twin of each decision: tests/firmware/test_knn_twin.py.)"""

from __future__ import annotations

import numpy as np

from tests.virtual.gesture_models import gesture_bundle
from wandlab.onboard.board_image import pack_parts, unpack
from wandlab.onboard.hybrid_rank import shape_codes
from wandlab.onboard.knn import KnnRecognizer
from wandlab.protocol.controller import NO_CLASS
from wandlab.protocol.enroll import EnrollStart, RefClear, RefData, RefDownload, RefUpload
from wandlab.protocol.session import Ack, Error
from wandlab.virtual.enrollment import EnrollSession
from wandlab.virtual.recognizer import BoardRecognizer

T = np.linspace(0, 1, 64)
CIRCLE = np.stack([np.sin(2 * np.pi * T), np.cos(2 * np.pi * T), T], axis=1)
LINE = np.stack([T, T ** 2, -T], axis=1)
ZIGZAG = np.stack([np.abs((T * 4) % 2 - 1), T, np.zeros_like(T) + T ** 3], axis=1)


def _unit(v: list[float]) -> np.ndarray:
    a = np.zeros(32)
    a[: len(v)] = v
    return np.round(a / np.linalg.norm(a) * 127).astype(np.int8)


def _brain(state, shapes: bool = True) -> BoardRecognizer:
    """A board whose image holds "circle" and "line", each one take, with or without the takes' codes."""
    bundle = gesture_bundle()
    knn = KnnRecognizer(["circle", "line"], np.stack([_unit([1, 0.1, 0]), _unit([1, 0, 0.1])]), np.array([0, 1]),
                        np.array([20_000, 20_000], np.int64),
                        shapes=shape_codes(np.stack([CIRCLE, LINE])) if shapes else None)
    blob = pack_parts(bundle.tflite, bundle.features, ["circle", "line"], knn)
    brain = BoardRecognizer(state, arena_bytes=0, axes=6)
    brain.image = unpack(blob)  # as the board adopts an image that passed its checks (TFLM not needed here)
    brain.problem = ""
    brain.refs.set_model(brain.image, "key")
    return brain


# A take whose embedding is a hair nearer "line", but whose shape is a circle (bigger and offset).
QUERY = _unit([1, 0.02, 0.05])
CIRCLE_TAKE = shape_codes(CIRCLE[None] * 1.3 + 0.2)[0]


def test_the_shape_decides_between_close_embeddings_and_the_embedding_still_accepts(tmp_path) -> None:
    brain = _brain(tmp_path)
    class_id, label, dist, _ = brain.decide(QUERY, CIRCLE_TAKE)
    assert (class_id, label) == (0, "circle")
    assert dist == float(((QUERY.astype(int) - _unit([1, 0.1, 0])) ** 2).sum())  # the embedding distance
    assert brain.decide(QUERY)[1] == "line"  # no codes for the take: by embedding
    assert _brain(tmp_path / "old", shapes=False).decide(QUERY, CIRCLE_TAKE)[1] == "line"  # an image without codes


def test_a_class_uploaded_without_codes_makes_the_board_rank_by_embedding_until_it_goes(tmp_path) -> None:
    brain = _brain(tmp_path)
    far = _unit([0, 0, 0, 1])[None]
    assert isinstance(brain.handle(1, RefUpload(5, "far", 900.0, 32, far.tobytes()), 0.0)[0], Ack)
    assert brain.decide(QUERY, CIRCLE_TAKE)[1] == "line"
    assert isinstance(brain.handle(2, RefClear(5), 0.0)[0], Ack)
    assert brain.decide(QUERY, CIRCLE_TAKE)[1] == "circle"
    codes = shape_codes(ZIGZAG[None])
    assert isinstance(brain.handle(3, RefUpload(5, "far", 900.0, 32, far.tobytes(), codes.tobytes()), 0.0)[0], Ack)
    assert brain.decide(QUERY, CIRCLE_TAKE)[1] == "circle"
    data = [m for m in brain.handle(4, RefDownload(255), 0.0) if isinstance(m, RefData)]
    assert [len(d.shapes) for d in data] == [96, 96, 96]  # 32 frames x 3 channels, as uploaded and as imaged
    assert data[2].shapes == codes.tobytes()
    wrong = brain.handle(5, RefUpload(6, "wrong", 900.0, 32, far.tobytes(), codes.tobytes()[:95]), 0.0)[0]
    assert isinstance(wrong, Error) and wrong.message == (
        "shape codes must be 32 x 3 bytes per reference (got 95 bytes for 1 references)")
    assert brain.refs.get(6) is None


def test_enrolled_takes_keep_their_codes_across_a_power_cycle(tmp_path) -> None:
    brain = _brain(tmp_path)
    session, _ = EnrollSession.start(EnrollStart(7, "zigzag", 2, 15000), 0.0)
    for i in range(2):
        session.on_segment(_unit([0, 1, 0, 0.1 * i]), 1.0, False, 0.0, shape_codes(ZIGZAG[None] + 0.05 * i)[0])
    assert "is class 7" in brain._store_enrollment(session).message
    reborn = _brain(tmp_path)  # the same state directory: refs.json read back
    zigzag = reborn.refs.get(7)
    assert zigzag is not None and zigzag.shapes is not None and zigzag.shapes.shape == (2, 32, 3)
    assert reborn.decide(QUERY, CIRCLE_TAKE)[1] == "circle"  # still ranked by embedding + DTW
    near_zigzag = reborn.decide(_unit([0.1, 1, 0, 0.05]), shape_codes(ZIGZAG[None] * 0.9)[0])
    assert near_zigzag[:2] == (7, "zigzag")
    session, _ = EnrollSession.start(EnrollStart(7, "zigzag", 1, 15000), 0.0)
    session.on_segment(_unit([0, 1, 0.1]), 1.0, False, 0.0)  # a take without codes: the class loses them
    reborn._store_enrollment(session)
    assert reborn.refs.get(7).shapes is None  # type: ignore[union-attr]
    assert reborn.decide(QUERY, CIRCLE_TAKE)[1] == "line"
    assert reborn.decide(_unit([-1]), None)[0] == NO_CLASS


def test_a_class_whose_stored_codes_do_not_read_is_kept_without_them(tmp_path) -> None:
    import json

    brain = _brain(tmp_path)
    codes = shape_codes(ZIGZAG[None])
    far = _unit([0, 0, 0, 1])[None]
    assert isinstance(brain.handle(1, RefUpload(5, "far", 900.0, 32, far.tobytes(), codes.tobytes()), 0.0)[0], Ack)
    doc = json.loads((tmp_path / "refs.json").read_text())
    doc["classes"][0]["shapes"] = "zz" + doc["classes"][0]["shapes"][2:]
    (tmp_path / "refs.json").write_text(json.dumps(doc))
    reborn = _brain(tmp_path)
    far_class = reborn.refs.get(5)
    assert far_class is not None and far_class.label == "far" and far_class.shapes is None
    assert reborn.decide(QUERY, CIRCLE_TAKE)[1] == "line"  # ranked by embedding while "far" has no codes
