"""What the virtual wand's sensors pick up: a hand holding it (MotionSynth) and the room it is in
(AudioSynth), scripted by the simulation family (SimPerform, SimSay, SimPerson).

One place for both boards that simulate: the Python board (``board.py``) reads it block by block as it
streams, and the native board's feeder (``native_feeder.py``) reads it ahead of the C++ board's sensors.
Both are pulled on demand, not by wall-clock time: nothing moves while nobody reads, and a stream read in
any block sizes is the same stream, sample for sample.
"""

from __future__ import annotations

import numpy as np

from wandlab.protocol import Message, SimPerform, SimPerson, SimSay
from wandlab.synth.motion import ACCEL_RANGE_G, GYRO_RANGE_DPS, MotionSynth
from wandlab.virtual.audio import AudioSynth

AUDIO_RATE_HZ = 16_000
ACCEL_SCALE = ACCEL_RANGE_G / 32768.0  # g per LSB
GYRO_SCALE = GYRO_RANGE_DPS / 32768.0  # deg/s per LSB


class SimSensors:
    """The simulated IMU and microphone of one wand: ``axes`` (3 or 6) int16 counts at the IMU's scales,
    and 16 kHz int16 audio."""

    def __init__(self, imu_rate_hz: float, axes: int, person: int = 0, seed: int = 0,
                 accel_scale: float = ACCEL_SCALE, gyro_scale: float = GYRO_SCALE) -> None:
        self.person = person
        self.seed = seed
        self.set_imu_format(axes, accel_scale, gyro_scale)
        self.motion = MotionSynth(imu_rate_hz, person, seed)
        self.audio = AudioSynth(AUDIO_RATE_HZ, person, seed)

    def set_imu_format(self, axes: int, accel_scale: float, gyro_scale: float) -> None:
        """Read the IMU as a board with these axes (3 or 6) and scales (g and deg/s per LSB) reads it."""
        if axes not in (3, 6):
            raise ValueError(f"an IMU has 3 or 6 axes, not {axes}")
        self.axes = axes
        self.scale = np.array([accel_scale] * 3 + [gyro_scale] * (axes - 3))

    def set_imu_rate(self, rate_hz: float) -> None:
        """Sample the IMU at ``rate_hz`` from now on: at a new rate the motion starts over from ``seed``."""
        if rate_hz != self.motion.rate_hz:
            self.motion = MotionSynth(rate_hz, self.person, self.seed)

    def read_imu(self, n: int) -> np.ndarray:
        """The next ``n`` samples as the IMU's int16 counts, (n, axes): what firmware reads, and all it sees."""
        values = self.motion.next(n)[:, : self.axes]
        return np.clip(np.round(values / self.scale), -32768, 32767).astype(np.int16)

    def read_audio(self, n: int) -> np.ndarray:
        """The next ``n`` int16 microphone samples."""
        return self.audio.next(n)

    def script(self, message: Message) -> bool:
        """Act out a SimPerform, SimSay or SimPerson; False for any other message (not scripted here).

        Raises ValueError with the reason for the host (an unknown gesture or person, an unsayable text).
        """
        if isinstance(message, SimPerform):
            self.motion.perform(message.gesture)
        elif isinstance(message, SimSay):
            self.audio.say(message.text)
        elif isinstance(message, SimPerson):
            self.motion.set_person(message.person)
            self.audio.set_person(message.person)
            self.person = message.person
        else:
            return False
        return True
