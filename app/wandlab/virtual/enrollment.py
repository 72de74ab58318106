"""Enrollment on the board: capture a few takes, embed them, store them as a class. No training.

The session is a small state machine driven by the recogniser: ``on_segment`` for every motion segment
the board cut from its own IMU stream, ``tick`` for time passing (per-take timeout). It only reports
progress; storing the class is the caller's job once ``finished`` holds the embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wandlab.protocol.enroll import EnrollProgress, EnrollStart, EnrollState
from wandlab.virtual.refs import MAX_REFS_PER_CLASS

MAX_SHOTS = 10
MIN_TIMEOUT_MS = 500


def check_start(m: EnrollStart) -> str:
    """Error text for a request the board cannot carry out, or ''."""
    if not 1 <= m.shots <= MAX_SHOTS:
        return f"enroll 1-{MAX_SHOTS} takes at a time, not {m.shots}"
    if not m.label.strip() or len(m.label.encode()) > 64:
        return "a class needs a label of 1-64 bytes"
    if m.timeout_ms < MIN_TIMEOUT_MS:
        return f"a take needs at least {MIN_TIMEOUT_MS} ms to be performed"
    return ""


@dataclass
class EnrollSession:
    request: EnrollStart
    deadline: float  # monotonic seconds: the current take must have started by then
    shots: list[np.ndarray] = field(default_factory=list)
    shapes: list[np.ndarray | None] = field(default_factory=list)  # each shot's shape codes (None: none)
    done: bool = False

    @classmethod
    def start(cls, m: EnrollStart, now: float) -> tuple[EnrollSession, EnrollProgress]:
        session = cls(m, now + m.timeout_ms / 1000)
        return session, session._progress(EnrollState.WAITING, session._prompt())

    @property
    def finished(self) -> bool:
        return len(self.shots) >= self.request.shots

    def on_segment(self, embedding: np.ndarray, seconds: float, clipped: bool, now: float,
                   codes: np.ndarray | None = None) -> list[EnrollProgress]:
        """A motion segment ended: capture it, or say why not and wait for another take."""
        if self.done or self.finished:
            return []
        if clipped:  # motion never stopped: hard to say where the gesture was
            self.deadline = now + self.request.timeout_ms / 1000
            return [self._progress(EnrollState.WAITING, f"the take ran {seconds:.1f} s without a pause; "
                                   f"hold still, then {self._prompt().lower()}")]
        self.shots.append(np.asarray(embedding, np.int8).reshape(-1))
        self.shapes.append(None if codes is None else np.asarray(codes, np.int8))
        out = [self._progress(EnrollState.CAPTURED, f"take {len(self.shots)} captured ({seconds:.2f} s)")]
        if not self.finished:
            self.deadline = now + self.request.timeout_ms / 1000
            out.append(self._progress(EnrollState.WAITING, self._prompt()))
        return out

    def tick(self, now: float) -> list[EnrollProgress]:
        if self.done or self.finished or now < self.deadline:
            return []
        self.done = True
        take = len(self.shots) + 1
        return [self._progress(EnrollState.FAILED, f"no gesture within {self.request.timeout_ms / 1000:g} s "
                               f"for take {take} of {self.request.shots}; nothing was stored")]

    def fail(self, message: str) -> EnrollProgress:
        self.done = True
        return self._progress(EnrollState.FAILED, message)

    def succeed(self, message: str) -> EnrollProgress:
        self.done = True
        return self._progress(EnrollState.DONE, message)

    def _prompt(self) -> str:
        return f"Perform take {len(self.shots) + 1} of {self.request.shots}"

    def _progress(self, state: EnrollState, message: str) -> EnrollProgress:
        r = self.request
        return EnrollProgress(r.class_id, len(self.shots), r.shots, int(state), message)


def merged_shots(existing: np.ndarray | None, shots: list[np.ndarray]) -> np.ndarray:
    """References after enrolling more takes of a class: the newest MAX_REFS_PER_CLASS."""
    new = np.stack(shots).astype(np.int8)
    joined = new if existing is None or not len(existing) else np.concatenate([existing, new])
    return joined[-MAX_REFS_PER_CLASS:]


def merged_shapes(existing_count: int, existing: np.ndarray | None,
                  shapes: list[np.ndarray | None]) -> np.ndarray | None:
    """The shape codes of ``merged_shots``'s references, or None if any of them has none."""
    if any(s is None for s in shapes) or (existing_count and existing is None):
        return None
    new = np.stack([s for s in shapes if s is not None]).astype(np.int8)
    if existing_count and existing is not None:
        if existing.shape[1:] != new.shape[1:]:
            return None
        new = np.concatenate([existing, new])
    return new[-MAX_REFS_PER_CLASS:]
