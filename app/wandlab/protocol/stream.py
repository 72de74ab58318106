"""Streaming family: start/stop per sensor, IMU and audio blocks, board-side counters, button events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag
from typing import ClassVar

import numpy as np

from wandlab.errors import ProtocolError
from wandlab.protocol.codec import wire
from wandlab.protocol.registry import Message, register


class Sensors(IntFlag):
    IMU = 1
    AUDIO = 2


@register
@dataclass(frozen=True)
class StreamStart(Message):
    TYPE = 0x10
    FAMILY = "stream"
    sensors: int = wire("u8", enum=Sensors)
    imu_rate_hz: int = wire("u16", default=0)  # 0: the board's default rate


@register
@dataclass(frozen=True)
class StreamStop(Message):
    TYPE = 0x11
    FAMILY = "stream"
    sensors: int = wire("u8", enum=Sensors)


@register
@dataclass(frozen=True, eq=False)
class ImuBlock(Message):
    """Consecutive IMU samples, interleaved per sample: ax ay az [gx gy gz]."""

    TYPE = 0x12
    FAMILY = "stream"
    block_seq: int = wire("u32")  # per sensor, +1 per block: a gap is a lost block
    first_sample: int = wire("u32")  # index of the first sample since streaming started (mod 2^32)
    rate_hz: int = wire("u16")
    axes: int = wire("u8")  # 3 (accel) or 6 (accel + gyro)
    accel_scale: float = wire("f32")  # g per LSB
    gyro_scale: float = wire("f32")  # deg/s per LSB
    data: np.ndarray = wire("i16array")  # samples * axes values

    # The C++ twin of __post_init__: only whole 3- or 6-axis samples exist.
    CPP_REJECT: ClassVar[str] = "(axes != 3 && axes != 6) || data.count % axes != 0"

    def __post_init__(self) -> None:
        if self.axes not in (3, 6) or np.size(self.data) % self.axes:
            raise ProtocolError(f"ImuBlock: {np.size(self.data)} values do not make {self.axes}-axis samples")

    @property
    def samples(self) -> np.ndarray:
        """(n, axes) int16 counts."""
        return self.data.reshape(-1, self.axes)

    def physical(self) -> np.ndarray:
        """(n, axes) float32 in g and deg/s."""
        scale = np.array([self.accel_scale] * 3 + [self.gyro_scale] * (self.axes - 3), dtype=np.float32)
        return self.samples.astype(np.float32) * scale


@register
@dataclass(frozen=True, eq=False)
class AudioBlock(Message):
    """Consecutive mono int16 PCM samples."""

    TYPE = 0x13
    FAMILY = "stream"
    block_seq: int = wire("u32")
    first_sample: int = wire("u32")
    rate_hz: int = wire("u16")
    data: np.ndarray = wire("i16array")


@register
@dataclass(frozen=True)
class StreamStats(Message):
    """Board -> host, about once a second while streaming and once right before StreamStop's Ack: what
    the board sent and had to drop."""

    TYPE = 0x14
    FAMILY = "stream"
    imu_blocks: int = wire("u32")
    audio_blocks: int = wire("u32")
    imu_dropped: int = wire("u32")
    audio_dropped: int = wire("u32")


@register
@dataclass(frozen=True)
class ButtonEvent(Message):
    TYPE = 0x15
    FAMILY = "stream"
    button: int = wire("u8")
    pressed: int = wire("u8")
