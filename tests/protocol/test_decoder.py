"""The serial decoder survives any input, counts what it drops, and resynchronises at the next frame."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wandlab.protocol import AudioBlock, ImuBlock, MessageDecoder, Ping, encode_message
from wandlab.protocol.cobs import cobs_decode, cobs_encode
from wandlab.protocol.framing import MAX_ENCODED_FRAME
from wandlab.protocol.vectors import examples

FRAMES = [encode_message(m, i) for i, m in enumerate(examples(), start=1)]


@given(st.binary(max_size=2000))
def test_cobs_round_trip_and_no_zero_bytes(data):
    encoded = cobs_encode(data)
    assert 0 not in encoded
    assert cobs_decode(encoded) == data


def feed_in_chunks(decoder, data, rng):
    out, i = [], 0
    while i < len(data):
        n = rng.randint(1, 64)
        out += decoder.feed(data[i : i + n])
        i += n
    return out


@given(st.binary(max_size=5000))
@settings(max_examples=300)
def test_random_bytes_never_raise(data):
    decoder = MessageDecoder()
    decoder.feed(data)
    decoder.feed(b"\x00")  # whatever was pending is judged too


@given(st.binary(min_size=1, max_size=200), st.integers(0, 10**6))
@settings(max_examples=200)
def test_resynchronises_after_garbage(garbage, seed):
    rng = random.Random(seed)
    decoder = MessageDecoder()
    stream = garbage + b"\x00" + b"".join(FRAMES)
    received = feed_in_chunks(decoder, stream, rng)
    # The garbage can at most cost itself; every real frame after the delimiter arrives.
    names = [type(r.message).__name__ for r in received]
    assert names[-len(FRAMES):] == [type(m).__name__ for m in examples()]


@given(st.data())
@settings(max_examples=200)
def test_mutated_frames_are_counted_and_the_next_frame_survives(data):
    index = data.draw(st.integers(0, len(FRAMES) - 1))
    frame = bytearray(FRAMES[index])
    pos = data.draw(st.integers(0, len(frame) - 2))  # keep the delimiter
    flip = data.draw(st.integers(1, 255))
    frame[pos] ^= flip
    decoder = MessageDecoder()
    received = decoder.feed(bytes(frame) + FRAMES[0])
    assert received, "the frame after the corrupt one must decode"
    assert type(received[-1].message).__name__ == type(examples()[0]).__name__
    if 0 not in frame[:-1]:
        # A corrupted frame is never accepted as valid: CRC-32 catches every single-byte error.
        assert len(received) == 1
        assert decoder.errors == 1


def test_crc_errors_are_counted():
    frame = bytearray(encode_message(Ping(7), 1))
    frame[3] ^= 0x10
    decoder = MessageDecoder()
    assert decoder.feed(bytes(frame)) == []
    assert decoder.stats.crc_errors + decoder.stats.cobs_errors == 1


def test_endless_garbage_without_delimiter_is_bounded_and_counted():
    decoder = MessageDecoder()
    junk = bytes(range(1, 256)) * 200  # no zero byte: one endless "frame"
    for _ in range(5):
        assert decoder.feed(junk) == []
    assert len(decoder.frames._pending) <= MAX_ENCODED_FRAME
    assert decoder.stats.oversize_frames == 1
    received = decoder.feed(b"\x00" + FRAMES[2])
    assert [type(r.message).__name__ for r in received] == ["Ping"]


def test_sample_blocks_survive_one_byte_at_a_time():
    rng = np.random.default_rng(1)
    imu = ImuBlock(0, 0, 400, 6, 1 / 8192, 1 / 16.4, rng.integers(-32768, 32767, 16 * 6, dtype=np.int16))
    audio = AudioBlock(0, 0, 16000, rng.integers(-32768, 32767, 256, dtype=np.int16))
    stream = encode_message(imu, 1) + encode_message(audio, 2)
    decoder = MessageDecoder()
    out = [r for b in stream for r in decoder.feed(bytes([b]))]
    assert np.array_equal(out[0].message.samples, imu.samples)
    assert np.array_equal(out[1].message.data, audio.data)


def test_one_huge_chunk_after_a_delimiter_is_not_kept():
    decoder = MessageDecoder()
    decoder.feed(FRAMES[2] + bytes(range(1, 256)) * 100)
    assert len(decoder.frames._pending) <= MAX_ENCODED_FRAME
    assert [type(r.message).__name__ for r in decoder.feed(b"\x00" + FRAMES[2])] == ["Ping"]


def test_imu_block_with_impossible_shape_is_counted_not_raised():
    from wandlab.protocol import Packet, encode_frame
    from wandlab.protocol.codec import Struct

    good = ImuBlock(0, 0, 100, 6, 1.0, 1.0, np.zeros(12, np.int16))
    payload = bytearray(good.encode())
    payload[10] = 5  # axes byte: 5-axis samples do not exist
    decoder = MessageDecoder()
    assert decoder.feed(encode_frame(Packet(ImuBlock.TYPE, 1, bytes(payload)))) == []
    assert decoder.messages.malformed == 1
    assert isinstance(good, Struct)
