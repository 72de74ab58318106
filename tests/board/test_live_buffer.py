"""LiveBuffer: the model behind the live plots (ring wrap-around, levels, counters)."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.board.blocks import SampleBlock
from wandlab.board.live_buffer import SILENCE_DBFS, LiveBuffer, Ring, audio_levels, envelope


def test_ring_keeps_the_newest_rows_in_order_across_wrap_around() -> None:
    ring = Ring(10, 2)
    stream = np.arange(74, dtype=np.float32).reshape(37, 2)
    for start in range(0, 37, 3):  # blocks of 3 rows never line up with a capacity of 10
        ring.append(stream[start : start + 3])
    assert len(ring) == 10 and ring.total == 37
    np.testing.assert_array_equal(ring.latest(), stream[-10:])
    np.testing.assert_array_equal(ring.latest(4), stream[-4:])
    assert ring.latest(0).shape == (0, 2)


def test_ring_block_larger_than_capacity_then_small_blocks() -> None:
    ring = Ring(5)
    ring.append(np.arange(12, dtype=np.float32))
    np.testing.assert_array_equal(ring.latest(), [7, 8, 9, 10, 11])
    ring.append(np.array([12, 13], dtype=np.float32))
    np.testing.assert_array_equal(ring.latest(), [9, 10, 11, 12, 13])


def test_partly_filled_ring_returns_only_what_it_holds() -> None:
    ring = Ring(100, 6)
    ring.append(np.ones((7, 6), dtype=np.float32))
    assert ring.latest().shape == (7, 6)
    assert ring.latest(50).shape == (7, 6)


def _imu_block(data: np.ndarray, seq: int = 0, rate: int = 100, lost: int = 0) -> SampleBlock:
    return SampleBlock("imu", seq, 0, rate, data.astype(np.float32), lost, 1.0)


def test_blocks_bump_version_and_total_lost_blocks() -> None:
    buf = LiveBuffer(seconds=2.0, imu_rate_hz=100)
    v0 = buf.version
    buf.on_block(_imu_block(np.zeros((4, 6))))
    buf.on_block(_imu_block(np.zeros((4, 6)), seq=3, lost=2))
    buf.on_block(SampleBlock("audio", 0, 0, 16000, np.zeros(256, np.int16), 1, 1.0))
    assert buf.version == v0 + 3
    assert (buf.lost_imu, buf.lost_audio, buf.lost_blocks) == (2, 1, 3)
    t, data = buf.imu_window()
    assert data.shape == (8, 6) and t[-1] == 0.0 and t[0] == pytest.approx(-0.07)


def test_window_holds_the_configured_seconds() -> None:
    buf = LiveBuffer(seconds=1.5, imu_rate_hz=100, audio_rate_hz=16000)
    for _ in range(50):
        buf.append_imu(np.zeros((4, 6), np.float32), 100)
        buf.append_audio(np.zeros(640, np.int16), 16000)
    assert buf.imu_window()[1].shape == (150, 6)
    assert buf.audio_window().shape == (24000,)
    assert buf.audio_window(0.5).shape == (8000,)


def test_three_axis_board_leaves_gyro_empty() -> None:
    buf = LiveBuffer()
    buf.append_imu(np.ones((5, 3), np.float32), 100)
    _, data = buf.imu_window()
    assert np.all(data[:, :3] == 1) and np.all(np.isnan(data[:, 3:]))
    assert buf.gyro_peak_dps() == 0.0


def test_rate_change_restarts_the_imu_window() -> None:
    buf = LiveBuffer(seconds=1.0, imu_rate_hz=100)
    buf.append_imu(np.zeros((50, 6), np.float32), 100)
    buf.append_imu(np.zeros((8, 6), np.float32), 400)
    assert buf.imu_rate_hz == 400 and buf.imu.capacity == 400 and len(buf.imu) == 8


def test_gyro_peak_sees_recent_motion_only() -> None:
    buf = LiveBuffer(seconds=5.0, imu_rate_hz=100)
    moving = np.zeros((100, 6), np.float32)
    moving[50, 3:6] = (300.0, 400.0, 0.0)
    buf.append_imu(moving, 100)
    assert buf.gyro_peak_dps(1.0) == pytest.approx(500.0)
    buf.append_imu(np.zeros((200, 6), np.float32), 100)
    assert buf.gyro_peak_dps(1.0) == 0.0


def test_levels_of_silence_sine_and_clipping() -> None:
    assert audio_levels(np.zeros(800, np.int16)).rms_dbfs == SILENCE_DBFS
    assert audio_levels(np.zeros(0, np.int16)).peak_dbfs == SILENCE_DBFS
    t = np.arange(1600) / 16000
    half = (16384 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    levels = audio_levels(half)
    assert levels.peak_dbfs == pytest.approx(-6.02, abs=0.05)
    assert levels.rms_dbfs == pytest.approx(-9.03, abs=0.05)  # sine RMS is 3 dB under its peak
    assert not levels.clipped
    assert audio_levels(np.array([0, -32768, 100], np.int16)).clipped


def test_buffer_levels_use_the_newest_audio() -> None:
    buf = LiveBuffer()
    buf.append_audio(np.full(16000, 20000, np.int16), 16000)
    buf.append_audio(np.zeros(1600, np.int16), 16000)  # 100 ms of silence after a loud second
    assert buf.audio_levels(0.05).rms_dbfs == SILENCE_DBFS
    assert buf.audio_levels(0.5).peak_dbfs > -5


def test_envelope_keeps_peaks_and_bounds_points() -> None:
    x = np.zeros(16000, np.int16)
    x[12345] = 30000
    x[333] = -30000
    lo, hi = envelope(x, 500)
    assert len(lo) == len(hi) == 500
    assert hi.max() == 30000 and lo.min() == -30000
    short_lo, short_hi = envelope(x[:10], 500)
    assert len(short_lo) == 10
