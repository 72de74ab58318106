"""Links: pyserial over a real pseudo-terminal, loopback pairs, spec parsing."""

import asyncio
import os
import tty

import pytest

from wandlab.errors import LinkError
from wandlab.flows.connect import open_link
from wandlab.link import loopback_pair, parse_spec
from wandlab.link.serial_link import SerialLink
from wandlab.protocol import Packet, encode_frame


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    yield master, name
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def test_serial_link_reads_and_writes_through_a_real_pty(pty_pair):
    master, name = pty_pair

    async def main():
        link = SerialLink(name)
        await link.open()
        os.write(master, b"from board")
        got = b""
        while len(got) < 10:
            got += await asyncio.wait_for(link.read_bytes(), 2)
        await link.write_bytes(b"from host")
        await asyncio.sleep(0.05)
        echoed = os.read(master, 100)
        await link.close()
        return got, echoed

    got, echoed = asyncio.run(main())
    assert got == b"from board"
    assert echoed == b"from host"


def test_board_end_closing_is_reported_as_link_error(pty_pair):
    master, name = pty_pair

    async def main():
        link = SerialLink(name)
        await link.open()
        os.close(master)
        with pytest.raises(LinkError, match="disconnected"):
            await asyncio.wait_for(link.read_bytes(), 2)
        assert not link.is_open

    asyncio.run(main())


def test_missing_port_gives_a_clear_error():
    async def main():
        with pytest.raises(LinkError, match="cannot open /dev/does-not-exist"):
            await SerialLink("/dev/does-not-exist").open()

    asyncio.run(main())


def test_loopback_pair_carries_packets_both_ways_and_reports_close():
    async def main():
        host, board = loopback_pair()
        await host.open()
        await board.open()
        await host.send_packet(Packet(0x01, 7, b"ping"))
        assert await board.read_packets() == [Packet(0x01, 7, b"ping")]
        await board.send_packet(Packet(0x02, 8, b"pong"))
        assert await host.read_packets() == [Packet(0x02, 8, b"pong")]
        await board.close()
        with pytest.raises(LinkError):
            await host.read_packets()

    asyncio.run(main())


def test_a_stream_link_frames_packets_and_counts_garbage_without_passing_it_up():
    async def main():
        host, board = loopback_pair()
        await host.open()
        await board.open()
        frame = encode_frame(Packet(0x10, 3, bytes(range(40))))
        # Garbage, a frame with a flipped bit, then a good frame split in two writes.
        await host.write_bytes(b"\x17\x42garbage\x00" + frame[:5] + b"\xff" + frame[6:])
        await host.write_bytes(frame[:9])
        await host.write_bytes(frame[9:])
        packets = []
        while not packets:
            packets += await board.read_packets()
        assert packets == [Packet(0x10, 3, bytes(range(40)))]
        assert board.framing.errors == 2 and board.framing.frames == 1
        await host.resync()  # a lone delimiter: the other side drops any half frame
        assert await board.read_bytes() == b"\x00"

    asyncio.run(main())


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("serial:/dev/ttyACM0", ("serial", "/dev/ttyACM0", {})),
        ("/dev/ttyUSB1", ("serial", "/dev/ttyUSB1", {})),
        ("virtual:", ("virtual", "", {})),
        ("virtual:?rate=400&person=3", ("virtual", "", {"rate": "400", "person": "3"})),
        ("ble:AA:BB:CC:DD:EE:FF", ("ble", "AA:BB:CC:DD:EE:FF", {})),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["nonsense", "carrier-pigeon:1", "serial:"])
def test_bad_specs_are_refused_with_a_hint(spec):
    with pytest.raises(LinkError):
        open_link(spec)


def test_port_list_leaves_out_legacy_uarts_without_usb(monkeypatch):
    from types import SimpleNamespace

    from serial.tools import list_ports

    from wandlab.link.serial_link import list_serial_ports

    fake = [SimpleNamespace(device="/dev/ttyS0", description="ttyS0", vid=None),
            SimpleNamespace(device="/dev/ttyACM0", description="Nano 33 BLE", vid=0x2341)]
    monkeypatch.setattr(list_ports, "comports", lambda: fake)
    assert list_serial_ports() == [("serial:/dev/ttyACM0", "Nano 33 BLE")]
    assert [s for s, _ in list_serial_ports(include_legacy=True)] == ["serial:/dev/ttyACM0", "serial:/dev/ttyS0"]
