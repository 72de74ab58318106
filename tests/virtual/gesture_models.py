"""Shared by the recogniser and enrollment tests: a gesture model as a board image, and a board
driven in simulated time (no pty, no waiting) for the statistics that need many takes."""

from __future__ import annotations

import functools
import hashlib
import zlib

import numpy as np

from wandlab.ml.bundle import ModelBundle, load_bundle
from wandlab.ml.shipped import base_gesture_model
from wandlab.onboard.board_image import pack, pack_parts
from wandlab.onboard.knn import KnnRecognizer
from wandlab.protocol import Message
from wandlab.protocol.model import ModelBegin, ModelChunk, ModelFinish
from wandlab.virtual.board import VirtualBoard

BASE_MODEL = base_gesture_model(3)
TICK_S = 0.004  # the pty server's poll period


@functools.cache
def gesture_bundle() -> ModelBundle:
    """The shipped accel base model; without it (a checkout before models/ landed), a small one
    trained here on the virtual wand's gestures (TensorFlow in the test process, not in the board)."""
    if (BASE_MODEL / "manifest.json").exists():
        return load_bundle(BASE_MODEL)
    from tests.virtual.tiny_model import train_bundle

    return train_bundle(embedding_dim=32, epochs=12, takes=16)


def image(drop: tuple[str, ...] = ()) -> bytes:
    """The board image of the gesture bundle, without the classes in ``drop`` (the board has never
    seen them: enrolling one is enrolling a new gesture)."""
    bundle = gesture_bundle()
    if not drop:
        return pack(bundle)
    k = bundle.recognizer
    keep = [c for c, name in enumerate(k.labels) if name not in drop]
    rows = np.isin(k.ref_class, keep)
    ref_class = np.searchsorted(np.asarray(keep), k.ref_class[rows])
    labels = [k.labels[c] for c in keep]
    margins = k.margins[keep] if k.margins is not None else None
    knn = KnnRecognizer(labels, k.references[rows], ref_class, k.thresholds[keep], k.k, k.default_threshold,
                        margins=margins, bank=k.bank, shapes=None if k.shapes is None else k.shapes[rows])
    return pack_parts(bundle.tflite, bundle.features, labels, knn)


def image_with_op(op: str = "TANH", replaces: str = "L2_NORMALIZATION") -> bytes:
    """A valid board image whose model uses ``op`` where the gesture model has ``replaces``: LiteRT and
    TFLM load it, so only a board that checks its ops against the firmware's refuses it."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    bundle = gesture_bundle()
    model = schema.ModelT.InitFromPackedBuf(bytearray(bundle.tflite), 0)
    old, new = getattr(schema.BuiltinOperator, replaces), getattr(schema.BuiltinOperator, op)
    codes = [c for c in model.operatorCodes if c.builtinCode == old]
    assert codes, f"the gesture model has no {replaces}"
    for code in codes:
        code.builtinCode, code.deprecatedBuiltinCode = new, min(new, 127)
    builder = flatbuffers.Builder(len(bundle.tflite) * 2)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return pack_parts(bytes(builder.Output()), bundle.features, bundle.labels, bundle.recognizer)


class SimBoard:
    """A VirtualBoard whose clock the test advances: seconds of gestures in milliseconds of CPU."""

    def __init__(self, board: VirtualBoard) -> None:
        self.board, self.now, self.seq = board, 0.0, 0

    def send(self, message: Message) -> list[Message]:
        self.seq += 1
        return self.board.handle(self.seq, message, self.now)

    def run(self, seconds: float) -> list[Message]:
        out: list[Message] = []
        end = self.now + seconds
        while self.now < end:
            self.now += TICK_S
            out += self.board.poll(self.now)
        return out

    def flash(self, blob: bytes, model_id: str = "test") -> list[Message]:
        tid, size = zlib.crc32(blob) or 1, 4000
        begin = ModelBegin(tid, len(blob), zlib.crc32(blob), hashlib.sha256(blob).digest(), size, model_id, b"{}")
        out = self.send(begin)
        for i in range(0, len(blob), size):
            out += self.send(ModelChunk(tid, i // size, zlib.crc32(blob[i : i + size]), blob[i : i + size]))
        return out + self.send(ModelFinish(tid))
