"""Cut one spoken take out of a live 16 kHz stream: wait for a voice, end the take when it stops.

Numpy only and clock-free (fed blocks, it keeps its own sample count), so the rules are tested without a
board. A voice starts when ``ONSET_FRAMES`` 10 ms frames in a row are ``ONSET_ABOVE_FLOOR_DB`` over the
room's level (the quieter frames heard before it, and never below ``ONSET_MIN_DBFS``); it has ended after
``END_SILENCE_S`` below that threshold less ``RELEASE_DB`` (long enough to bridge the gap inside "hey
wand"). The take keeps ``PRE_ROLL_S`` before the onset (a first consonant is quieter than the threshold
that noticed the vowel) and ``POST_ROLL_S`` after the last voiced frame; ``ml.wakeword.check_utterance``
trims it to the word and says what is wrong with it, if anything.
"""

from __future__ import annotations

import enum

import numpy as np

from wandlab.ml.wakeword import VAD_FRAME, frame_dbfs

RATE_HZ = 16_000
FRAME = VAD_FRAME  # 10 ms: the frames frame_dbfs measures
PRE_ROLL_S = 0.3
POST_ROLL_S = 0.25
END_SILENCE_S = 0.45
MAX_VOICE_S = 3.0  # a take this long ends by itself (check_utterance then says "too long")
ONSET_ABOVE_FLOOR_DB = 12.0
ONSET_MIN_DBFS = -55.0
ONSET_FRAMES = 3  # 30 ms: a click is not a word
RELEASE_DB = 3.0
FLOOR_FRAMES = 30  # the room's level: a low percentile (robust to a voice already on) of the last 300 ms


class Cut(enum.Enum):
    LISTENING = "listening"
    HEARING = "hearing"
    DONE = "done"


class UtteranceCutter:
    """``feed(pcm)`` until ``state`` is DONE, then ``take()``; ``level_dbfs`` for a meter."""

    def __init__(self) -> None:
        self.state = Cut.LISTENING
        self._pcm: list[np.ndarray] = []
        self._n = 0  # samples held in _pcm (the pre-roll only, while listening)
        self._dropped = 0  # samples dropped from the front while listening
        self._rest = np.zeros(0, np.int16)  # samples short of a whole frame
        self._frames = 0  # whole frames analysed
        self._quiet: list[float] = []  # recent frame levels while listening: the room
        self._run = 0  # consecutive frames above the onset threshold
        self._onset = -1  # sample index of the voice's first frame
        self._last_voiced = -1  # sample index after the last voiced frame
        self.threshold_dbfs = ONSET_MIN_DBFS
        self.level_dbfs = -120.0

    def feed(self, pcm: np.ndarray) -> Cut:
        if self.state == Cut.DONE:
            return self.state
        block = np.asarray(pcm, dtype=np.int16).reshape(-1)
        self._pcm.append(block)
        self._n += len(block)
        frames = np.concatenate([self._rest, block])
        whole = len(frames) // FRAME * FRAME
        self._rest = frames[whole:].copy()
        for db in frame_dbfs(frames[:whole]):
            self._frame(float(db))
            self._frames += 1
            if self.state == Cut.DONE:
                break
        if self.state == Cut.LISTENING:
            self._keep_pre_roll()
        return self.state

    @property
    def heard_s(self) -> float:
        """Seconds of audio fed so far."""
        return (self._dropped + self._n) / RATE_HZ

    def take(self) -> np.ndarray:
        """The take: pre-roll, the voice, post-roll (what was heard of it, if it was cut short)."""
        pcm = np.concatenate(self._pcm) if self._pcm else np.zeros(0, np.int16)
        if self._onset < 0:
            return pcm
        start = max(0, self._onset - int(PRE_ROLL_S * RATE_HZ) - self._dropped)
        stop = self._last_voiced + int(POST_ROLL_S * RATE_HZ) - self._dropped
        return pcm[start:stop].copy()

    def _frame(self, db: float) -> None:
        self.level_dbfs = db
        at = self._frames * FRAME
        if self.state == Cut.LISTENING:
            if self._quiet:
                floor = float(np.percentile(self._quiet, 20))
                self.threshold_dbfs = max(ONSET_MIN_DBFS, floor + ONSET_ABOVE_FLOOR_DB)
            self._run = self._run + 1 if db >= self.threshold_dbfs and self._quiet else 0
            if self._run >= ONSET_FRAMES:
                self.state = Cut.HEARING
                self._onset = at - (ONSET_FRAMES - 1) * FRAME
                self._last_voiced = at + FRAME
            else:
                self._quiet = [*self._quiet, db][-FLOOR_FRAMES:]
            return
        if db >= self.threshold_dbfs - RELEASE_DB:
            self._last_voiced = at + FRAME
        silent_for = at + FRAME - self._last_voiced
        voiced_for = at + FRAME - self._onset
        if silent_for >= END_SILENCE_S * RATE_HZ and silent_for >= POST_ROLL_S * RATE_HZ:
            self.state = Cut.DONE
        elif voiced_for >= MAX_VOICE_S * RATE_HZ:
            self._last_voiced = at + FRAME
            self.state = Cut.DONE

    def _keep_pre_roll(self) -> None:
        """While nobody speaks only the last PRE_ROLL_S (plus the onset frames) are worth keeping."""
        keep = int(PRE_ROLL_S * RATE_HZ) + ONSET_FRAMES * FRAME + FRAME
        while self._pcm and self._n - len(self._pcm[0]) >= keep:
            first = self._pcm.pop(0)
            self._n -= len(first)
            self._dropped += len(first)
