"""Every registered message round-trips, matches the golden vectors, and rejects malformed payloads."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wandlab.errors import ProtocolError
from wandlab.protocol import FAMILIES, MESSAGES, Packet, decode_message, encode_message, to_packet
from wandlab.protocol.vectors import examples, jsonable, write_vectors

VECTORS = Path(__file__).parents[1] / "vectors"


def test_every_registered_message_has_an_example():
    assert {type(m) for m in examples()} == set(MESSAGES.values())


def test_type_bytes_sit_in_their_family_range():
    for type_byte, cls in MESSAGES.items():
        assert type_byte in FAMILIES[cls.FAMILY], cls.__name__


@pytest.mark.parametrize("message", examples(), ids=lambda m: type(m).__name__)
def test_round_trip(message):
    packet = to_packet(message, 9)
    decoded = decode_message(packet)
    assert type(decoded) is type(message)
    assert decoded.encode() == message.encode()


def test_golden_vectors_are_current(tmp_path):
    write_vectors(tmp_path)
    for name in ("protocol_messages.txt", "protocol_messages.json"):
        assert (tmp_path / name).read_text() == (VECTORS / name).read_text(), (
            f"{name} changed: the wire format moved. Bump PROTOCOL_VERSION if it is incompatible, "
            "then regenerate with: python -m wandlab.protocol.vectors tests/vectors"
        )


def test_golden_frames_decode_to_their_fields():
    from wandlab.protocol import MessageDecoder

    records = json.loads((VECTORS / "protocol_messages.json").read_text())
    decoder = MessageDecoder()
    received = decoder.feed(b"".join(bytes.fromhex(r["frame"]) for r in records))
    assert [type(r.message).__name__ for r in received] == [r["name"] for r in records]
    for record, (seq, message) in zip(records, received, strict=True):
        assert seq == record["seq"]
        for name, value in record["fields"].items():
            got = jsonable(getattr(message, name))
            assert got == pytest.approx(value) if isinstance(value, float) else got == value, name


@pytest.mark.parametrize("message", examples(), ids=lambda m: type(m).__name__)
def test_truncated_and_padded_payloads_are_refused(message):
    payload = message.encode()
    if payload:
        with pytest.raises(ProtocolError):
            decode_message(Packet(message.TYPE, 1, payload[:-1]))
    with pytest.raises(ProtocolError, match="trailing"):
        decode_message(Packet(message.TYPE, 1, payload + b"\x00"))


def test_unknown_type_is_refused():
    with pytest.raises(ProtocolError, match="unknown message type 0x7f"):
        decode_message(Packet(0x7F, 1, b""))


def test_text_fields_must_fit():
    from wandlab.protocol import SimSay

    with pytest.raises(ProtocolError, match="longer than 255"):
        encode_message(SimSay("x" * 300), 1)


@given(
    gesture=st.text(max_size=60),
    token=st.integers(0, 2**32 - 1),
    samples=st.lists(st.integers(-32768, 32767), max_size=300),
    block_seq=st.integers(0, 2**32 - 1),
)
def test_random_field_values_round_trip(gesture, token, samples, block_seq):
    import numpy as np

    from wandlab.protocol import AudioBlock, Ping, SimPerform

    audio = AudioBlock(block_seq, 0, 16000, np.array(samples, np.int16))
    for message in (SimPerform(gesture), Ping(token), audio):
        if len(message.encode()) > 255 + 2 and isinstance(message, SimPerform):
            continue
        decoded = decode_message(to_packet(message, 1))
        assert decoded.encode() == message.encode()
