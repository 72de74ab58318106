"""CaptureSession: the take-by-take recording logic shared by the Record page and ``wandlab record``.

A plain state machine fed sensor blocks and the time; it drives ``project.start_recording`` /
``append`` / ``finish`` and reports what happens as plain-Python events, so the GUI (a Qt timer and
the board's block listener) and the CLI (an asyncio loop) behave identically and tests need no board.

States::

    idle -> countdown -> recording -> saving -> (countdown | waiting | idle)     trigger "timer"/"button"
    idle -> armed -> recording -> saving -> (armed | idle)                        trigger "motion"

Nothing recorded is lost: a take cut short by a stop, a pulled cable or the end of the session is
finished with what arrived (marked when the board went away), never thrown away; only ``cancel``
discards the take in progress. A journal that cannot be written (full or failing disk) stops the
whole sequence at once with one CaptureError saying what was kept, rather than recording on into nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from wandlab.dataset.events import SamplesChanged
from wandlab.dataset.folder import IMU_COLUMNS
from wandlab.dataset.model import Sample
from wandlab.dataset.recorder import Recording
from wandlab.errors import DatasetError
from wandlab.onboard.motion import MotionDetector

IDLE, COUNTDOWN, WAITING, ARMED, RECORDING, SAVING = (
    "idle",
    "countdown",
    "waiting",
    "armed",
    "recording",
    "saving",
)
TRIGGERS = ("timer", "button", "motion")
STALL_GRACE_S = 2.0  # a take ends this long after its planned end even if the board sent too little
DISCONNECT_NOTE = "the board disconnected during this take; it holds what arrived before"


@dataclass(frozen=True)
class CaptureSettings:
    label: str
    kind: str = "imu"  # "imu" (gestures) or "audio" (words)
    takes: int = 1
    seconds: float = 2.0  # length of a timed take; the longest a motion-triggered take may run
    countdown_s: int = 3  # whole seconds counted down before each timed take (0: none)
    between_s: float = 0.5  # pause before the next timed take when there is no countdown
    trigger: str = "timer"  # "timer": takes follow each other; "button": wait for start() each take
    pre_roll_s: float = 0.25  # motion trigger: kept from before the motion started
    still_s: float = 0.3  # motion trigger: this much stillness ends a take
    subject: str = ""
    session: str = ""
    board: str = ""
    firmware: str = ""

    def check(self) -> None:
        if self.kind not in ("imu", "audio"):
            raise DatasetError(f"kind must be imu or audio, not {self.kind!r}")
        if self.trigger not in TRIGGERS:
            raise DatasetError(f"trigger must be one of {', '.join(TRIGGERS)}, not {self.trigger!r}")
        if self.trigger == "motion" and self.kind != "imu":
            raise DatasetError("motion-triggered capture needs the IMU; record words with a countdown")
        if not 1 <= self.takes <= 1000 or not 0.2 <= self.seconds <= 60 or self.countdown_s < 0:
            raise DatasetError("takes must be 1-1000, seconds 0.2-60 and the countdown >= 0")


# -- events ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StateChanged:
    state: str
    take: int  # 1-based number of the take this state belongs to
    takes: int
    prompt: str  # what to tell the user now, e.g. "circle 3 of 10"


@dataclass(frozen=True)
class CountdownTick:
    remaining: int  # whole seconds left before the take starts
    take: int
    takes: int


@dataclass(frozen=True)
class TakeSaved:
    sample: Sample
    take: int
    takes: int
    interrupted: bool  # the board went away mid-take: the sample holds what arrived


@dataclass(frozen=True)
class TakeDiscarded:
    reason: str


@dataclass(frozen=True)
class CaptureError:
    message: str


CaptureEvent = StateChanged | CountdownTick | TakeSaved | TakeDiscarded | CaptureError
Listener = Callable[[CaptureEvent], None]


class CaptureSession:
    """Records ``settings.takes`` takes of one label into ``project``. Call from one thread only."""

    def __init__(self, project: Any, settings: CaptureSettings) -> None:
        settings.check()
        self.project = project
        self.settings = settings
        self.state = IDLE
        self.take = 0  # takes saved (or being recorded: take + 1 is the current one)
        self.saved: list[Sample] = []
        self._listeners: list[Listener] = []
        self._recording: Recording | None = None
        self._rate_hz = 0.0  # of the chosen sensor's latest block
        self._columns = 0  # IMU axes in the latest block: 3 (accelerometer only) or 6
        self._shown: tuple[str, int] = (IDLE, 0)
        self._deadline = 0.0  # countdown: when the take starts; recording: when it ends
        self._frames_wanted = 0
        self._last_tick = -1
        self._detector: MotionDetector | None = None

    # -- subscriptions and queries -----------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def running(self) -> bool:
        return self.state != IDLE

    @property
    def current(self) -> int:
        return min(self.take + 1, self.settings.takes)

    @property
    def frames(self) -> int:
        return self._recording.frames if self._recording else 0

    @property
    def motion_level(self) -> float:
        return self._detector.level if self._detector else 0.0

    def prompt(self) -> str:
        s = self.settings
        what = s.label if s.takes == 1 else f"{s.label} {self.current} of {s.takes}"
        return {
            COUNTDOWN: f"{what} – get ready",
            WAITING: f"{what} – press Record (or the board's button) when ready",
            ARMED: f"{what} – move to record, hold still to end",
            RECORDING: f"{what} – now!",
            SAVING: f"{what} – saving",
        }.get(self.state, f"Recorded {len(self.saved)} of {s.takes}" if self.saved else "Ready")

    # -- commands ------------------------------------------------------------------------------------
    def start(self, now: float) -> None:
        """Begin the sequence (from idle) or the next take (when waiting for the user)."""
        if self.state == IDLE:
            self.take, self.saved = 0, []
            if self.settings.trigger == "motion":
                self._detector = None  # built on the first block, when the rate is known
                self._set(ARMED)
            else:
                self._begin_countdown(now, self.settings.countdown_s)
        elif self.state == WAITING:
            self._begin_countdown(now, self.settings.countdown_s)

    def stop(self, now: float) -> None:
        """End the sequence; a take in progress is kept with what it has so far."""
        if self._recording is not None:
            self._finish(now, interrupted=False, then_idle=True)
        self._set(IDLE)

    def cancel(self) -> None:
        """End the sequence and throw away the take in progress (already saved takes stay)."""
        if self._recording is not None:
            recording, self._recording = self._recording, None
            try:
                recording.abort()
            except DatasetError as exc:
                self._emit(CaptureError(f"Could not discard the take: {exc}"))
            self._emit(TakeDiscarded("cancelled"))
        self._set(IDLE)

    def connection_lost(self, now: float, why: str = "") -> None:
        """The board went away: keep the take in progress (marked) and end the sequence."""
        if self._recording is not None:
            self._finish(now, interrupted=True, then_idle=True, note=why)
            left = self.settings.takes - self.take
            more = f"; press Record to record the other {left}" if left else ""
            self._emit(CaptureError(f"The board disconnected: take {self.take} was saved with what arrived{more}"))
        if self.state != IDLE:
            self._set(IDLE)

    # -- inputs --------------------------------------------------------------------------------------
    def feed(self, sensor: str, data: np.ndarray, rate_hz: float, now: float, lost_before: int = 0) -> None:
        """One block from the board (any sensor; only the chosen one is used)."""
        if sensor != self.settings.kind:
            return
        self._rate_hz = rate_hz
        self._columns = data.shape[1] if data.ndim == 2 else 1
        if self.state == ARMED or (self.state == RECORDING and self._detector is not None):
            self._feed_motion(data, rate_hz, now, lost_before)
        elif self.state == RECORDING:
            if self._recording is None and not self._open(rate_hz):  # the take's first block
                return
            assert self._recording is not None
            if self._recording.rate_hz != rate_hz or (data.ndim == 2 and data.shape[1] != len(self._recording.axes)):
                self.connection_lost(now, f"the board's stream changed ({rate_hz:g} Hz) during the take")
                return
            wanted = self._frames_wanted - self._recording.frames
            if self._append(data[:wanted], lost_before) and self._recording.frames >= self._frames_wanted:
                self._finish(now, interrupted=False)

    def tick(self, now: float) -> None:
        """Advance time-driven steps: countdown seconds, and the end of a take the board stalled in."""
        if self.state == COUNTDOWN:
            remaining = int(np.ceil(self._deadline - now - 1e-6))
            if remaining <= 0:
                self._begin_take(now)
            elif remaining != self._last_tick:
                self._last_tick = remaining
                self._emit(CountdownTick(remaining, self.current, self.settings.takes))
        elif self.state == RECORDING and self._detector is None and now >= self._deadline + STALL_GRACE_S:
            if self._recording is None:
                self._emit(
                    CaptureError(
                        f"No {self.settings.kind} data is arriving from the board: connect "
                        "it (or check that it streams), then press Record again"
                    )
                )
                self._set(IDLE)
            else:
                self._finish(now, interrupted=False)

    # -- internals -----------------------------------------------------------------------------------
    def _begin_countdown(self, now: float, seconds: float) -> None:
        self._deadline = now + seconds
        self._last_tick = -1
        self._set(COUNTDOWN)
        self.tick(now)

    def _begin_take(self, now: float) -> None:
        # The recording itself opens on the take's first block, when rate and axes are known.
        self._deadline = now + self.settings.seconds
        self._frames_wanted = 0
        self._set(RECORDING)

    def _open(self, rate_hz: float) -> bool:
        s = self.settings
        axes = IMU_COLUMNS[: self._columns] if s.kind == "imu" else None
        try:
            self._recording = self.project.start_recording(
                s.label,
                s.kind,
                rate_hz,
                axes,
                subject=s.subject,
                session=s.session,
                board=s.board,
                firmware=s.firmware,
            )
        except DatasetError as exc:
            self._emit(CaptureError(f"Could not start take {self.current}: {exc}"))
            self._set(IDLE)
            return False
        self._frames_wanted = max(1, round(s.seconds * rate_hz))
        return True

    def _append(self, data: np.ndarray, lost_before: int) -> bool:
        assert self._recording is not None
        if len(data) == 0:
            return True
        try:
            self._recording.append(data, lost_before)
        except DatasetError as exc:
            if self._recording.broken is not None:
                self._stop_unwritable(exc)
            else:  # e.g. the take grew past the longest allowed: keep what we have
                self._emit(CaptureError(f"Take {self.current}: {exc}"))
                self._finish(0.0, interrupted=False, then_idle=True)
            return False
        return True

    def _stop_unwritable(self, why: DatasetError) -> None:
        """The take's journal could not be written: end the sequence now and say, in one message, what
        was kept (saved takes stay; the current one is saved, or recovered when the project reopens)."""
        recording, self._recording = self._recording, None
        assert recording is not None
        take = self.current
        if recording.frames == 0:
            with contextlib.suppress(DatasetError):  # nothing to keep; recovery clears what is left
                recording.abort()
            kept = f"Take {take} had no data yet"
        else:
            self._set(SAVING)
            try:
                sample = recording.finish(trim="auto", interrupted=True)
            except DatasetError as exc:
                later = "; what it recorded is kept and recovered when the project is next opened"
                kept = f"Take {take} could not be saved ({exc}){later if recording.journal_kept else ''}"
            else:
                self.take += 1
                self.saved.append(sample)
                self._emit(TakeSaved(sample, self.take, self.settings.takes, True))
                kept = f"Take {take} was saved with the {sample.duration_s:.2f} s that reached the disk"
        before = f"; the {take - 1} take(s) before it are saved" if take > 1 else ""
        self._emit(CaptureError(f"Recording stopped: {why}. {kept}{before}."))
        self._set(IDLE)

    def _feed_motion(self, data: np.ndarray, rate_hz: float, now: float, lost_before: int) -> None:
        if self._detector is None or self._detector.rate_hz != rate_hz:
            s = self.settings
            self._detector = MotionDetector(rate_hz, still_s=s.still_s, pre_roll_s=s.pre_roll_s, max_s=s.seconds)
        for event in self._detector.feed(data):
            if event.kind == "start":
                if not self._open(rate_hz):
                    return
                self._set(RECORDING)
                self._append(event.data, 0)
                continue
            if self._recording is None:
                continue
            self._append(event.data, lost_before)
            lost_before = 0
            if event.kind == "stop":
                self._finish(now, interrupted=False)
            elif event.kind == "discard":  # a bump, not a gesture
                recording, self._recording = self._recording, None
                with contextlib.suppress(DatasetError):  # a refusing disk: recovery clears it on the next open
                    recording.abort()
                self._emit(TakeDiscarded("too short to be a gesture"))
                self._set(ARMED)
            if self.state not in (ARMED, RECORDING):
                return

    def _finish(self, now: float, interrupted: bool, then_idle: bool = False, note: str = "") -> None:
        recording, self._recording = self._recording, None
        if recording is None:
            return
        if recording.frames == 0:  # stopped before the first block: nothing to keep
            with contextlib.suppress(DatasetError):  # a refusing disk: recovery clears it on the next open
                recording.abort()
            self._emit(TakeDiscarded("no data arrived before the take ended"))
            self._set(IDLE)
            return
        self._set(SAVING)
        try:
            sample = recording.finish(trim="auto")
        except DatasetError as exc:
            later = "; what it recorded is kept and recovered when the project is next opened"
            kept = later if recording.journal_kept else ""
            self._emit(CaptureError(f"Take {self.current} was not saved: {exc}{kept}"))
            self._set(IDLE)
            return
        if interrupted:
            sample = self._mark_interrupted(sample, note or DISCONNECT_NOTE)
        self.take += 1
        self.saved.append(sample)
        self._emit(TakeSaved(sample, self.take, self.settings.takes, interrupted))
        if then_idle or self.take >= self.settings.takes:
            self._set(IDLE)
        elif self.settings.trigger == "motion":
            self._set(ARMED)
        elif self.settings.trigger == "button":
            self._set(WAITING)
        else:
            self._begin_countdown(now, self.settings.countdown_s or self.settings.between_s)

    def _mark_interrupted(self, sample: Sample, note: str) -> Sample:
        """Flag the take so the dataset view lists it for review (find_problems: 'interrupted')."""
        notes = "\n".join(n for n in (sample.notes, note) if n)
        try:
            with self.project.transaction() as db:
                self.project.update(db, sample.id, interrupted=1, notes=notes)
        except DatasetError as exc:
            self._emit(CaptureError(f"Take saved but not marked as interrupted: {exc}"))
            return sample
        self.project.events.emit(SamplesChanged(changed=(sample.id,)))
        return self.project.get(sample.id)  # type: ignore[no-any-return]

    def _set(self, state: str) -> None:
        self.state = state
        if (state, self.current) == self._shown and state != COUNTDOWN:
            return  # e.g. stop() after the take already ended the sequence
        self._shown = (state, self.current)
        self._emit(StateChanged(state, self.current, self.settings.takes, self.prompt()))

    def _emit(self, event: CaptureEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
