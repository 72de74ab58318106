"""CaptureSession without a board or Qt: synthetic blocks and a hand-driven clock."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.dataset.capture import (
    ARMED,
    IDLE,
    RECORDING,
    WAITING,
    CaptureError,
    CaptureEvent,
    CaptureSession,
    CaptureSettings,
    CountdownTick,
    StateChanged,
    TakeDiscarded,
    TakeSaved,
)
from wandlab.dataset.project import Project
from wandlab.errors import DatasetError

from .helpers import gesture, word

RATE = 100
BLOCK = 4  # frames per block, as the virtual wand sends at 100 Hz


class Clock:
    """Feeds ``data`` to a capture session block by block, advancing time as a real stream would."""

    def __init__(self, capture: CaptureSession, sensor: str = "imu", rate: int = RATE, block: int = BLOCK):
        self.capture, self.sensor, self.rate, self.block = capture, sensor, rate, block
        self.now = 100.0

    def stream(self, data: np.ndarray, lost_first: int = 0) -> None:
        for i in range(0, len(data), self.block):
            self.now += self.block / self.rate
            self.capture.feed(self.sensor, data[i : i + self.block], self.rate, self.now, lost_first if i == 0 else 0)
            self.capture.tick(self.now)

    def still(self, seconds: float) -> None:
        rest = np.zeros((int(seconds * self.rate), 6), np.float32)
        rest[:, 2] = 1.0
        self.stream(rest)


def record(project: Project, **settings: object) -> tuple[CaptureSession, list[CaptureEvent]]:
    capture = CaptureSession(project, CaptureSettings(**{"label": "flick", **settings}))  # type: ignore[arg-type]
    events: list[CaptureEvent] = []
    capture.subscribe(events.append)
    return capture, events


def test_take_n_counts_down_records_and_trims_each_take(project: Project) -> None:
    capture, events = record(project, takes=3, seconds=1.6, countdown_s=2)
    clock = Clock(capture)
    clock.still(0.3)  # streaming before Record: the rate is known
    capture.start(clock.now)
    for _ in range(3):
        clock.still(2.0)  # the countdown
        assert capture.state == RECORDING
        clock.stream(gesture(rest_s=0.5, move_s=0.6))  # 1.6 s: exactly one take
    assert capture.state == IDLE
    saved = [e for e in events if isinstance(e, TakeSaved)]
    assert [e.take for e in saved] == [1, 2, 3]
    ticks = [e.remaining for e in events if isinstance(e, CountdownTick)]
    assert ticks == [2, 1] * 3
    prompts = [e.prompt for e in events if isinstance(e, StateChanged) and e.state == RECORDING]
    assert prompts[1].startswith("flick 2 of 3")
    samples = project.samples(label="flick")
    assert len(samples) == 3
    for s in samples:
        assert s.n_frames == 160 and s.source == "recorder"
        assert 30 <= s.trim_start <= 50 and 110 <= s.trim_end <= 130  # trimmed to the 0.6 s flick


def test_motion_trigger_keeps_pre_roll_and_ignores_stillness(project: Project) -> None:
    capture, events = record(project, takes=2, trigger="motion", seconds=5)
    clock = Clock(capture)
    capture.start(clock.now)
    clock.still(2.0)
    assert capture.state == ARMED and not project.samples()  # stillness records nothing
    take = gesture(rest_s=0.5, move_s=0.6)
    clock.stream(take)
    clock.still(0.5)
    samples = project.samples()
    assert len(samples) == 1 and capture.state == ARMED  # waiting for take 2
    data = project.load(samples[0])
    quiet = np.abs(data[:, 4]) < 5  # gyro y: the flick rotates about y
    assert quiet[:20].all()  # pre-roll: quiet frames from before the motion started
    assert 0.7 <= samples[0].duration_s <= 1.3
    clock.stream(take)
    clock.still(0.5)
    assert len(project.samples()) == 2 and capture.state == IDLE
    assert [e.take for e in events if isinstance(e, TakeSaved)] == [1, 2]


def test_motion_trigger_discards_a_bump(project: Project) -> None:
    capture, events = record(project, trigger="motion")
    clock = Clock(capture)
    capture.start(clock.now)
    clock.still(1.0)
    bump = np.zeros((6, 6), np.float32)
    bump[:, 2], bump[:, 4] = 1.0, 400.0
    clock.stream(bump)
    clock.still(1.0)
    assert any(isinstance(e, TakeDiscarded) for e in events)
    assert not project.samples() and capture.state == ARMED


def test_pulled_cable_keeps_the_take_and_marks_it(project: Project) -> None:
    capture, events = record(project, takes=3, seconds=2.0, countdown_s=0)
    clock = Clock(capture)
    clock.still(0.2)
    capture.start(clock.now)
    clock.stream(gesture()[:90])  # 0.9 s of a 2 s take, then the cable goes
    capture.connection_lost(clock.now)
    assert capture.state == IDLE
    (sample,) = project.samples()
    assert sample.n_frames == 90  # every frame that arrived
    assert sample.interrupted and "disconnected" in sample.notes
    errors = [e.message for e in events if isinstance(e, CaptureError)]
    assert errors and "other 2" in errors[0]


def test_stop_keeps_the_partial_take_and_cancel_discards_it(project: Project) -> None:
    capture, _ = record(project, takes=5, seconds=3.0, countdown_s=0)
    clock = Clock(capture)
    clock.still(0.1)
    capture.start(clock.now)
    clock.stream(gesture()[:120])
    capture.stop(clock.now)
    assert capture.state == IDLE and len(project.samples()) == 1
    assert not project.samples()[0].interrupted

    capture.start(clock.now)
    clock.stream(gesture()[:50])
    capture.cancel()
    assert capture.state == IDLE and len(project.samples()) == 1
    assert project.stats()["recording"] == 0  # no half-take left behind


def test_button_trigger_waits_for_each_take(project: Project) -> None:
    capture, _ = record(project, takes=2, seconds=0.5, countdown_s=0, trigger="button")
    clock = Clock(capture)
    clock.still(0.1)
    capture.start(clock.now)
    clock.still(0.6)
    assert capture.state == WAITING and len(project.samples()) == 1
    assert "press Record" in capture.prompt()
    clock.still(1.0)
    assert len(project.samples()) == 1  # nothing happens until the user says so
    capture.start(clock.now)
    clock.still(0.6)
    assert capture.state == IDLE and len(project.samples()) == 2


def test_audio_take_is_trimmed_to_the_voice(project: Project) -> None:
    capture, _ = record(project, label="hey wand", kind="audio", seconds=1.0, countdown_s=0)
    clock = Clock(capture, sensor="audio", rate=16000, block=256)
    clock.stream(np.zeros(512, np.int16))
    capture.start(clock.now)
    capture.feed("imu", np.zeros((4, 6), np.float32), RATE, clock.now)  # other sensors are ignored
    clock.stream(word(quiet_s=0.3, voiced_s=0.4))
    (sample,) = project.samples()
    assert sample.kind == "audio" and sample.n_frames == 16000
    assert 3000 < sample.trim_start < 5000 and 10000 < sample.trim_end < 13500


def test_no_data_is_an_error_not_a_hang(project: Project) -> None:
    capture, events = record(project, countdown_s=0, seconds=1.0)
    capture.start(10.0)
    assert capture.state == RECORDING
    capture.tick(13.5)
    assert capture.state == IDLE and not project.samples()
    assert any("No imu data" in e.message for e in events if isinstance(e, CaptureError))


def test_three_axis_boards_and_lost_blocks(project: Project) -> None:
    capture, _ = record(project, countdown_s=0, seconds=0.5)
    clock = Clock(capture)
    clock.stream(np.zeros((8, 3), np.float32))
    capture.start(clock.now)
    clock.stream(gesture()[:60, :3], lost_first=2)
    (sample,) = project.samples()
    assert sample.axes == ("ax", "ay", "az") and sample.lost_blocks == 2


def test_settings_are_checked() -> None:
    with pytest.raises(DatasetError, match="IMU"):
        CaptureSettings("hey", kind="audio", trigger="motion").check()
    with pytest.raises(DatasetError, match="trigger"):
        CaptureSettings("x", trigger="clap").check()
