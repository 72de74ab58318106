"""BLE fragmentation: any packet survives any MTU; lost, repeated or stray fragments are counted, the
stream resynchronises at the next packet, and nothing raises (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wandlab.errors import ProtocolError
from wandlab.protocol.fragments import MAX_ATT_MTU, Fragmenter, Reassembler, payload_size
from wandlab.protocol.framing import MAX_PAYLOAD, Packet

packets = st.builds(Packet, st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=MAX_PAYLOAD))
mtus = st.integers(23, MAX_ATT_MTU)


@settings(max_examples=200, deadline=None)
@given(st.lists(packets, min_size=1, max_size=6), mtus)
def test_every_packet_comes_back_whole_at_every_mtu(sent: list[Packet], mtu: int) -> None:
    out, back = Fragmenter(mtu), Reassembler()
    got = []
    for packet in sent:
        for fragment in out.fragments(packet):
            assert len(fragment) <= payload_size(mtu)
            got += back.feed(fragment)
    assert got == sent and back.stats.errors == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(packets, min_size=2, max_size=5), mtus, st.data())
def test_a_lost_fragment_costs_one_packet_and_is_counted(sent: list[Packet], mtu: int, data: st.DataObject) -> None:
    out = Fragmenter(mtu)
    per_packet = [list(out.fragments(p)) for p in sent]
    victim = data.draw(st.integers(0, len(sent) - 2))  # not the last: the loss shows at the next fragment
    lost = data.draw(st.integers(0, len(per_packet[victim]) - 1))
    back, got = Reassembler(), []
    for i, fragments in enumerate(per_packet):
        for j, fragment in enumerate(fragments):
            if (i, j) != (victim, lost):
                got += back.feed(fragment)
    assert got == [p for i, p in enumerate(sent) if i != victim]
    assert back.stats.errors >= 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40))
def test_garbage_never_raises_and_a_good_packet_after_it_gets_through(garbage: list[bytes]) -> None:
    back = Reassembler()
    for fragment in garbage:
        back.feed(fragment)
    out = Fragmenter(185)
    packet = Packet(0x10, 7, b"after the noise" * 30)  # several fragments, its counter unrelated to the noise
    got = [p for fragment in out.fragments(packet) for p in back.feed(fragment)]
    assert got == [packet]


def test_header_layout_is_the_documented_one() -> None:
    out = Fragmenter(23)
    first, second = list(out.fragments(Packet(0x01, 0x0203, bytes(20))))
    assert first[0] == 0x80 and first[1:3] == (28).to_bytes(2, "little") and len(first) == 20
    assert second[0] == 0x01 and len(second) == 1 + 28 - 17
    assert out.counter == 2


def test_mtu_below_the_minimum_is_refused() -> None:
    with pytest.raises(ProtocolError):
        Fragmenter(20)
