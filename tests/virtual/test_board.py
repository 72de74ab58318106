"""The virtual board's protocol logic, driven without any transport and with a fake clock."""

import numpy as np

from wandlab.protocol import (
    Ack,
    AudioBlock,
    ButtonEvent,
    Error,
    Hello,
    ImuBlock,
    Info,
    Sensors,
    SimButton,
    SimPerson,
    StreamStart,
    StreamStats,
    StreamStop,
)
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig


def test_hello_gets_info_and_stops_any_stream():
    board = VirtualBoard()
    board.handle(1, StreamStart(Sensors.IMU), now=0.0)
    (reply,) = board.handle(2, Hello(1, "test"), now=0.1)
    assert isinstance(reply, Info)
    assert board.poll(5.0) == []


def test_blocks_follow_the_clock_exactly():
    board = VirtualBoard(VirtualWandConfig(imu_rate_hz=400))
    assert board.handle(1, StreamStart(Sensors.IMU | Sensors.AUDIO, 400), now=0.0) == [Ack(1)]
    out = board.poll(2.0)
    imu = [m for m in out if isinstance(m, ImuBlock)]
    audio = [m for m in out if isinstance(m, AudioBlock)]
    assert sum(len(m.samples) for m in imu) == 800
    assert sum(len(m.data) for m in audio) == 2 * 16000
    assert [m.block_seq for m in imu] == list(range(len(imu)))
    assert any(isinstance(m, StreamStats) for m in out)


def test_at_rest_the_accelerometer_reads_one_g():
    board = VirtualBoard()
    board.handle(1, StreamStart(Sensors.IMU), now=0.0)
    data = np.concatenate([m.physical() for m in board.poll(1.0) if isinstance(m, ImuBlock)])
    assert 0.9 < np.linalg.norm(data[:, :3], axis=1).mean() < 1.1


def test_accel_only_board_sends_three_axes():
    board = VirtualBoard(VirtualWandConfig(axes=3))
    board.handle(1, StreamStart(Sensors.IMU), now=0.0)
    block = next(m for m in board.poll(1.0) if isinstance(m, ImuBlock))
    assert block.samples.shape[1] == 3


def test_stop_reports_final_counters_before_the_ack():
    board = VirtualBoard()
    board.handle(1, StreamStart(Sensors.IMU), now=0.0)
    sent = len([m for m in board.poll(1.0) if isinstance(m, ImuBlock)])
    stats, ack = board.handle(2, StreamStop(Sensors.IMU | Sensors.AUDIO), now=1.0)
    assert stats.imu_blocks == sent and ack == Ack(2)


def test_button_and_person_and_bad_arguments():
    board = VirtualBoard()
    assert board.handle(3, SimButton(0), now=0.0) == [Ack(3), ButtonEvent(0, 1), ButtonEvent(0, 0)]
    assert board.handle(4, SimPerson(5), now=0.0) == [Ack(4)]
    (err,) = board.handle(5, StreamStart(Sensors.IMU, 333), now=0.0)
    assert isinstance(err, Error) and "333" in err.message
