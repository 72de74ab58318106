"""BoardClient against the virtual wand over a real pty: handshake, streaming, errors, unplug/replug."""

import asyncio

import numpy as np
import pytest

from wandlab.board import BoardClient, ConnectionState
from wandlab.board.blocks import SensorCounters, account
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link
from wandlab.protocol import SensorKind, SimPerform, SimUnplug


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_handshake_reports_the_board():
    async def main():
        async with BoardClient(open_link("virtual:?rate=200&axes=6")) as client:
            return client.info

    info = run(main())
    assert info.board_name == "Virtual wand"
    assert info.sensor(SensorKind.ACCEL).rate_hz == 200
    assert info.sensor(SensorKind.MICROPHONE).rate_hz == 16000
    assert info.model_slots == 2


def test_streams_imu_and_audio_in_real_time_without_loss():
    async def main():
        async with BoardClient(open_link("virtual:")) as client:
            await client.start_stream(imu=True, audio=True, imu_rate_hz=400)
            imu_shapes = []
            async for block in client.blocks():
                if block.sensor == "imu":
                    imu_shapes.append(block.data.shape)
                if client.counters.imu.last_at - client.counters.imu.first_at > 1.5:
                    break
            await client.stop_stream()
            return client.counters, imu_shapes

    counters, shapes = run(main())
    assert counters.lost == 0
    assert counters.imu.rate_hz == pytest.approx(400, rel=0.08)
    assert counters.audio.rate_hz == pytest.approx(16000, rel=0.08)
    assert all(s[1] == 6 for s in shapes)
    # The board's own count, sent with the stop, matches what arrived.
    assert counters.board_imu_sent == counters.imu.blocks


def test_gesture_shows_up_as_rotation_in_the_gyro():
    async def main():
        async with BoardClient(open_link("virtual:")) as client:
            gyro = []
            client.on_block(lambda b: gyro.append(np.abs(b.data[:, 3:]).max()) if b.sensor == "imu" else None)
            await client.start_stream(imu=True)
            await asyncio.sleep(0.5)
            quiet = max(gyro)
            await client.request(SimPerform("circle"))
            await asyncio.sleep(2.0)
            return quiet, max(gyro)

    quiet, during = run(main())
    assert during > 5 * max(quiet, 5.0)


def test_board_errors_are_raised_with_the_boards_reason():
    async def main():
        async with BoardClient(open_link("virtual:")) as client:
            with pytest.raises(BoardError, match="unknown gesture|not a known|Unknown"):
                await client.request(SimPerform("moonwalk"))
            with pytest.raises(BoardError, match="IMU rate 333 Hz not supported"):
                await client.start_stream(imu=True, imu_rate_hz=333)

    run(main())


def test_unplug_reports_disconnect_then_reconnects_and_resumes_streaming():
    async def main():
        link = open_link("virtual:")
        client = BoardClient(link, reconnect_interval_s=0.1)
        states = []
        client.on_state(lambda state, detail: states.append(state))
        await client.connect()
        await client.start_stream(imu=True)
        await asyncio.sleep(0.3)
        await client.request(SimUnplug(600))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if client.reconnects:
                break
        blocks_after = client.counters.imu.blocks
        await asyncio.sleep(0.5)
        resumed = client.counters.imu.blocks > blocks_after
        await client.close()
        return states, resumed

    states, resumed = run(main())
    assert ConnectionState.DISCONNECTED in states
    assert ConnectionState.RECONNECTING in states
    assert states[-2] == ConnectionState.CONNECTED  # reconnected before the final close
    assert resumed


def test_connecting_to_a_missing_port_fails_cleanly():
    async def main():
        client = BoardClient(open_link("serial:/dev/no-such-board"))
        with pytest.raises(LinkError, match="cannot open"):
            await client.connect()
        assert client.state == ConnectionState.DISCONNECTED

    run(main())


def test_sequence_gaps_are_counted_as_lost_blocks():
    c = SensorCounters()
    assert [account(c, s, 4, t) for t, s in enumerate([0, 1, 2, 5, 6, 9])] == [0, 0, 0, 2, 0, 2]
    assert c.lost == 4
    assert account(c, 0, 4, 7.0) == 0  # the board restarted its stream: no phantom loss


def test_a_message_the_board_does_not_know_fails_fast_with_its_reason():
    from wandlab.protocol import Packet

    async def main():
        async with BoardClient(open_link("virtual:")) as client:
            seq = 4242
            future = asyncio.get_running_loop().create_future()
            client._acks[seq] = future
            await client.link.send_packet(Packet(0x2F, seq, b""))
            return await asyncio.wait_for(future, 2)

    reply = run(main())
    assert reply.code == 1 and "unknown message type 0x2f" in reply.message


# -- a tiny board on the far end of a loopback pair ------------------------------------------------


def fake_info(name):
    from wandlab.protocol import PROTOCOL_VERSION, Info, SensorInfo

    return Info(name, "test", PROTOCOL_VERSION, "uid", (SensorInfo(SensorKind.ACCEL, 100, 4.0, 4.0 / 32768, "g"),),
                2, 65536, 16384, 180000, "", (), 255)


class FakeBoard:
    """Answers Hello with Info, Ping with Pong, RefList with RefListReply(dim = how many it was asked)
    and anything else with Ack. Before answering the next packet it first sends ``owed``: replies still
    due to requests of an earlier session (or to ones the host gave up on)."""

    def __init__(self, link, owed=(), late_first_reflist=False):
        self.link, self.owed, self.late_first_reflist = link, list(owed), late_first_reflist
        self.received = []
        self.reflists = 0
        self.seq = 0

    async def send(self, message):
        from wandlab.protocol import to_packet

        self.seq += 1
        await self.link.send_packet(to_packet(message, self.seq))

    async def serve(self):
        from wandlab.protocol import Ack, Hello, MessageDecoder, Ping, Pong
        from wandlab.protocol.enroll import RefList, RefListReply

        decoder = MessageDecoder()
        await self.link.open()
        try:
            while True:
                for seq, message in decoder.decode_packets(await self.link.read_packets()):
                    self.received.append((seq, message))
                    for reply in self.owed:
                        await self.send(reply)
                    self.owed.clear()
                    if isinstance(message, Hello):
                        await self.send(fake_info("Fake board"))
                    elif isinstance(message, Ping):
                        await self.send(Pong(message.token))
                    elif isinstance(message, RefList):
                        self.reflists += 1
                        if self.late_first_reflist and self.reflists == 1:
                            self.owed.append(RefListReply(1, ()))  # answered only after the host gave up
                        else:
                            await self.send(RefListReply(self.reflists, ()))
                    else:
                        await self.send(Ack(seq))
        except LinkError:
            return


async def with_fake_board(body, **board_options):
    from wandlab.link import loopback_pair

    host, board_end = loopback_pair()
    board = FakeBoard(board_end, **board_options)
    server = asyncio.create_task(board.serve())
    client = BoardClient(host, reconnect=False)
    try:
        return await body(client, board)
    finally:
        await client.close()
        await asyncio.wait_for(server, 2)


def imu_block(seq):
    from wandlab.protocol import ImuBlock

    return ImuBlock(seq, seq * 2, 100, 3, 4.0 / 32768, 1.0, np.arange(6, dtype=np.int16))


async def until(condition, timeout_s=2.0):
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


# -- stale replies -----------------------------------------------------------------------------------


def test_replies_still_owed_to_an_earlier_session_do_not_answer_the_new_one(monkeypatch):
    from wandlab.board import client as client_module
    from wandlab.protocol import Ack, Error, ErrorCode, Pong, SimButton

    # A fixed start keeps the stale ref_seqs below from ever naming a request of this session.
    monkeypatch.setattr(client_module, "random_seq", lambda: 500, raising=False)
    owed = [fake_info("Old board"), Ack(1), Error(2, ErrorCode.BAD_ARGUMENT, "old"), Pong(7)]

    async def body(client, board):
        info = await client.connect()
        await client.request(SimButton(0))  # the board's own Ack is still matched
        return info, client.stats().get("stale_replies")

    info, stale = run(with_fake_board(body, owed=owed))
    assert info.board_name == "Fake board"
    assert stale == 4


def test_each_session_numbers_its_requests_from_a_random_start():
    async def body(client, board):
        await client.connect()
        return board.received[0][0]

    firsts = [run(with_fake_board(body)) for _ in range(3)]
    assert all(0 < seq < 0xFFFF for seq in firsts)
    assert len(set(firsts)) > 1  # three equal random starts: odds of 1 in 4 billion


def test_a_late_reply_the_client_gave_up_on_does_not_answer_the_next_request():
    from wandlab.protocol.enroll import RefList, RefListReply

    async def body(client, board):
        await client.connect()
        with pytest.raises(BoardError, match="no RefListReply"):
            await client.ask(RefList(), RefListReply, timeout_s=0.2)
        second = await client.ask(RefList(), RefListReply)
        return second.dim, client.stats().get("stale_replies")

    dim, stale = run(with_fake_board(body, late_first_reflist=True))
    assert dim == 2  # the answer to the second RefList, not the late one to the first
    assert stale == 1


# -- listeners that raise ------------------------------------------------------------------------------


def test_a_listener_that_raises_is_reported_once_and_the_others_keep_getting_data(caplog):
    from wandlab.protocol import ButtonEvent

    def broken_block(block):
        raise ValueError("plot went away")

    def broken_event(message):
        raise KeyError("button")

    def broken_state(state, detail):
        raise RuntimeError("status bar went away")

    async def body(client, board):
        blocks, events, reports = [], [], []
        client.on_block(broken_block)
        client.on_block(lambda block: blocks.append(block.seq))
        client.on_event(broken_event)
        client.on_event(events.append)
        client.on_state(broken_state)
        client.on_listener_error(lambda listener, exc: reports.append((listener, exc)))
        await client.connect()  # a state listener that raises does not fail the connection
        for seq in range(5):
            await board.send(imu_block(seq))
        await board.send(ButtonEvent(0, 1))
        await until(lambda: len(blocks) == 5 and events)
        await client.ping()  # the reader is alive and answers still arrive
        return blocks, events, reports, client.state, client.stats()["listener_errors"]

    with caplog.at_level("ERROR", logger="wandlab.board.client"):
        blocks, events, reports, state, errors = run(with_fake_board(body))
    assert blocks == [0, 1, 2, 3, 4]
    assert events == [ButtonEvent(0, 1)]
    assert state == ConnectionState.CONNECTED
    # Each broken listener reported once (the state listener fails at connect and again at close).
    assert [listener for listener, _ in reports] == [broken_state, broken_block, broken_event]
    assert str(reports[1][1]) == "plot went away"
    assert errors == 2 + 5 + 1
    logged = [r for r in caplog.records if r.exc_info and "broken_block" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info[0] is ValueError


def test_a_listener_is_reported_again_only_after_it_worked_in_between(monkeypatch):
    from wandlab.board import client as client_module
    from wandlab.board.client import ListenerGuard

    monkeypatch.setattr(client_module, "REPORT_AGAIN_S", 0.0)
    guard = ListenerGuard()
    reports = []
    guard.on_error(lambda listener, exc: reports.append(str(exc)))

    def flaky(n):
        if n in (0, 1, 3):
            raise ValueError(f"block {n}")

    for n in range(5):
        guard.call([flaky], n)
    assert reports == ["block 0", "block 3"]
    assert guard.errors == 3


def test_a_reader_that_dies_unexpectedly_leaves_the_client_disconnected_with_the_reason():
    from wandlab.protocol import SimButton

    async def body(client, board):
        states = []
        client.on_state(lambda state, detail: states.append((state, detail)))
        await client.connect()

        def decoder_bug(packets):
            raise RuntimeError("decoder bug")

        client.decoder.decode_packets = decoder_bug
        await board.send(imu_block(0))
        await until(lambda: client.state != ConnectionState.CONNECTED)
        with pytest.raises(LinkError):
            await client.request(SimButton(0), timeout_s=0.5)
        return client.state, client.state_detail, list(states)  # before close() adds CLOSED

    state, detail, states = run(with_fake_board(body))
    assert state == ConnectionState.DISCONNECTED
    assert "RuntimeError: decoder bug" in detail
    assert states[-1] == (ConnectionState.DISCONNECTED, detail)
