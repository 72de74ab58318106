"""One spoken take for the word wizard, hands-free: listen, hear a voice, stop when it ends. Qt-free.

The cutting rules are ``flows.utterance.UtteranceCutter``'s (the CLI's ``record_takes`` uses the same);
a window adds what a person at a screen needs: Stop (the take so far is kept, or nothing was said), a
time limit for silence, and the level, peak and clipping a meter shows; its takes are judged by
``flows.word_takes.check_take``, as the CLI's. ``odd_one_out`` says which take to ask for again when the
three disagree.
"""

from __future__ import annotations

import enum

import numpy as np

from wandlab.flows.utterance import Cut, UtteranceCutter, frame_dbfs
from wandlab.flows.word_takes import TAKE_TIMEOUT_S
from wandlab.ml.wakeword import CLIP_LEVEL

LEVEL_WINDOW = 800  # 50 ms: the meter's RMS, as on the Live page


class TakeState(enum.Enum):
    LISTENING = "listening"  # waiting for a voice
    HEARING = "hearing"  # a voice is on
    DONE = "done"  # the voice ended (or Stop, or the take grew too long)
    NOTHING = "nothing"  # nobody spoke within the time allowed, or Stop before anyone did


class TakeCapture:
    """Feed audio blocks; ``state`` says when the take is over, ``pcm`` holds it."""

    def __init__(self, timeout_s: float = TAKE_TIMEOUT_S) -> None:
        self.cutter = UtteranceCutter()
        self.timeout_s = timeout_s
        self._ended: TakeState | None = None  # set by Stop or the time limit
        self._recent = np.zeros(0, np.int16)  # the last 50 ms, for the meter
        self.peak_dbfs = -120.0  # loudest 10 ms of this take so far
        self.lost_blocks = 0  # blocks lost on the link during the take: it would be spliced, so it is redone

    @property
    def state(self) -> TakeState:
        if self._ended is not None:
            return self._ended
        return {Cut.LISTENING: TakeState.LISTENING, Cut.HEARING: TakeState.HEARING}.get(
            self.cutter.state, TakeState.DONE
        )

    @property
    def over(self) -> bool:
        return self.state in (TakeState.DONE, TakeState.NOTHING)

    @property
    def level_dbfs(self) -> float:
        if self._recent.size == 0:
            return -120.0
        rms = float(np.sqrt(np.mean((self._recent.astype(np.float64) / 32768.0) ** 2)))
        return 20.0 * float(np.log10(max(rms, 1e-6)))

    @property
    def clipped(self) -> bool:
        return bool(self._recent.size) and int(np.abs(self._recent.astype(np.int32)).max()) >= CLIP_LEVEL

    @property
    def pcm(self) -> np.ndarray:
        """The take: pre-roll, the voice and a little after it (what check_take judges); empty if NOTHING."""
        return self.cutter.take() if self.state is TakeState.DONE else np.zeros(0, np.int16)

    def feed(self, samples: np.ndarray) -> TakeState:
        if self.over:
            return self.state
        block = np.asarray(samples, dtype=np.int16).reshape(-1)
        self._recent = np.concatenate([self._recent, block])[-LEVEL_WINDOW:]
        levels = frame_dbfs(block)
        if levels.size:
            self.peak_dbfs = max(self.peak_dbfs, float(levels.max()))
        self.cutter.feed(block)
        if self.cutter.state is Cut.LISTENING and self.cutter.heard_s >= self.timeout_s:
            self._ended = TakeState.NOTHING
        return self.state

    def stop(self) -> TakeState:
        """Stop now (the Stop button, Space): a take with a voice in it is kept, else nothing was said."""
        if not self.over:
            self._ended = TakeState.DONE if self.cutter.state is Cut.HEARING else TakeState.NOTHING
        return self.state


def odd_one_out(embeddings: list[np.ndarray]) -> int:
    """Which of the takes is furthest from the others (its summed cosine distance to them): the one to say
    again when ``enroll`` finds the three too different, rather than throwing all three away."""
    refs = np.stack(embeddings)
    distance = 1.0 - refs @ refs.T
    return int(np.argmax(distance.sum(axis=1)))
