"""Notes the board sends when a new model changes its own classes always fit a Log message.

A note listing every dropped class grew past a protocol string's 255 bytes with ten long labels, and
encoding the Log then raised ProtocolError inside the board (found by the C++ twin's golden session)."""

from __future__ import annotations

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

from tests.virtual.gesture_models import gesture_bundle, image
from wandlab.onboard.board_image import pack_parts
from wandlab.protocol import Log, encode_message
from wandlab.protocol.enroll import RefUpload
from wandlab.virtual.recognizer import BoardRecognizer


def _other_network_image() -> bytes:
    """The gesture image with one weight nudged: same shapes and dim, another network (another sha256)."""
    bundle = gesture_bundle()
    model = schema.ModelT.InitFromPackedBuf(bytearray(bundle.tflite), 0)
    weights = max((b for b in model.buffers if b.data is not None), key=lambda b: len(b.data))
    weights.data = np.array(weights.data, np.uint8)
    weights.data[0] ^= 1
    builder = flatbuffers.Builder(len(bundle.tflite) * 2)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return pack_parts(bytes(builder.Output()), bundle.features, bundle.labels, bundle.recognizer)


def test_a_note_naming_many_dropped_classes_is_cut_to_fit_a_log(tmp_path):
    brain = BoardRecognizer(tmp_path, 64 * 1024, 6)
    assert not [m for m in brain.set_model(image(), "a") if not isinstance(m, Log)]
    dim = brain.refs.dim
    for i in range(10):
        label = f"a gesture with a long descriptive name number {i:02d} ".ljust(60, "x")
        ref = RefUpload(40 + i, label, 3000.0, dim, bytes(np.full(dim, i, np.int8).tobytes()))
        assert type(brain.handle(i + 1, ref, 0.0)[0]).__name__ == "Ack"
    logs = brain.set_model(_other_network_image(), "b")
    dropped = [m for m in logs if isinstance(m, Log) and "dropped" in m.text]
    assert dropped, [m.text for m in logs]
    for m in logs:
        assert len(m.text.encode()) <= 255
        encode_message(m, 1)  # raised ProtocolError before the fix
    assert not brain.refs.board  # the classes are gone, as the (cut) note says
