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
