"""Sample blocks as the host sees them, with loss accounted per sensor from sequence numbers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from wandlab.protocol import AudioBlock, ImuBlock


@dataclass(frozen=True, eq=False)
class SampleBlock:
    sensor: str  # "imu" or "audio"
    seq: int
    first_sample: int
    rate_hz: int
    data: np.ndarray  # imu: (n, 3|6) float32 in g / deg/s; audio: (n,) int16 PCM
    lost_before: int  # blocks missing between the previous block of this sensor and this one
    received_at: float  # time.monotonic() on arrival

    @property
    def samples(self) -> int:
        return int(self.data.shape[0])


@dataclass
class SensorCounters:
    blocks: int = 0
    samples: int = 0
    lost: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    first_block_samples: int = 0
    next_seq: int | None = None

    @property
    def rate_hz(self) -> float:
        """Measured sample rate over the stream so far."""
        span = self.last_at - self.first_at
        # The first block's samples were taken before first_at: they do not count toward the span.
        return (self.samples - self.first_block_samples) / span if span > 0.5 else 0.0


@dataclass
class StreamCounters:
    imu: SensorCounters = field(default_factory=SensorCounters)
    audio: SensorCounters = field(default_factory=SensorCounters)
    board_imu_dropped: int = 0
    board_audio_dropped: int = 0
    board_imu_sent: int = 0
    board_audio_sent: int = 0

    def reset(self) -> None:
        self.imu = SensorCounters()
        self.audio = SensorCounters()
        self.board_imu_dropped = self.board_audio_dropped = 0
        self.board_imu_sent = self.board_audio_sent = 0

    @property
    def lost(self) -> int:
        return self.imu.lost + self.audio.lost


def account(counters: SensorCounters, block_seq: int, n: int, now: float) -> int:
    """Record one arriving block; returns how many blocks were lost just before it."""
    lost = 0
    if counters.next_seq is None:
        lost = block_seq  # the board numbers each stream from 0
    elif block_seq >= counters.next_seq:
        lost = block_seq - counters.next_seq
    # A lower number means the board restarted the stream (e.g. after a reset): count from there.
    counters.next_seq = block_seq + 1
    counters.lost += lost
    counters.blocks += 1
    counters.samples += n
    if counters.first_at == 0.0:
        counters.first_at = now
        counters.first_block_samples = n
    counters.last_at = now
    return lost


def to_sample_block(message: ImuBlock | AudioBlock, counters: StreamCounters) -> SampleBlock:
    now = time.monotonic()
    if isinstance(message, ImuBlock):
        data = message.physical()
        lost = account(counters.imu, message.block_seq, len(data), now)
        return SampleBlock("imu", message.block_seq, message.first_sample, message.rate_hz, data, lost, now)
    lost = account(counters.audio, message.block_seq, len(message.data), now)
    return SampleBlock("audio", message.block_seq, message.first_sample, message.rate_hz, message.data, lost, now)
