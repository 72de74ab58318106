"""Wake words on the board: a streaming 1-NN detector over the speech model's embeddings.

The board's microphone stream goes through the incremental front end (``audio_stream.AudioFrontEnd``).
Every hop (``HOP_FRAMES`` = 8 frames = 160 ms) whose last second is loud enough (``GATE_DBFS``, below the
quietest take ``ml.wakeword.check_utterance`` accepts) the last 49 frames are embedded and compared with every
enrolled word: distance = the 1-NN cosine distance to the word's references (three utterances), accepted
at or below the word's threshold. ``embed(q: (49, 40) int8) -> (dim,) float unit vector`` is passed in, so
this module stays numpy only (the virtual wand runs the model in TFLM, the PC in LiteRT).

Decision rule (chosen by measurement): a word wakes when its distance is within its threshold in 2 of
the last 3 hops, or at once when one hop is within 0.6 x the threshold; then the detector is deaf for
``REFRACTORY_S`` (1 s of audio, the model is not run meanwhile), so one utterance gives exactly one wake.
Measured on the virtual wand's espeak voices (4 people x 8 words, enrolled from 3 takes, then fresh takes
of the word, the 7 other words, and the word in 6 other voices; thresholds 0.05 after enrolment's clamp):

    rule                          word found   other word woke   same word, other voice woke   latency median / p90
    first hop within threshold       100 %          20 %                 81 %                    -95 / 111 ms
    2 of the last 3 hops              96 %          13 %                 73 %                     62 / 229 ms
    2 of 3, or one hop <= 0.6 thr     98 %          13 %                 73 %                    -11 / 163 ms

(latency from the last voiced 10 ms frame of the word to the deciding sample; negative: the window held
enough of the word before its quiet tail ended). Confirming over two hops removes a third of the false
wakes that a single hop lets through; the strict single-hop path wins back the repeats that dip well under
the threshold only once, and most of the latency. The model does not tell voices apart: a word enrolled
by one person wakes for most others saying it.

Compute: the speech model (``models/speech_embedding``) costs 721,848 MACs per embedding (counted from
its flatbuffer's CONV_2D and DEPTHWISE_CONV_2D ops, ``ml.verify.count_macs``; the stride-2 stem alone is
240,000). One embedding per 160 ms hop is 6.25 per second: 4.51 M MACs/s while someone speaks, nothing
while the gate is shut (silence costs only the front end: one 512-point FFT and ~500 mel multiply-adds
per 20 ms frame). ``MACS_PER_EMBEDDING`` and ``macs_per_second`` hold these figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from wandlab.onboard.audio_features import AudioFeatureConfig
from wandlab.onboard.audio_stream import AudioFrontEnd

HOP_FRAMES = 8  # 160 ms between decisions
REFRACTORY_S = 1.0
# The loudest 30 ms frame of the window must reach this for the model to run: no higher than the quietest
# take enrolment accepts (ml.wakeword.MIN_PEAK_DBFS, -50; a test keeps them in step), or a softly
# spoken word that enrolled would never be listened for; above a quiet room (the virtual wand's: -55).
GATE_DBFS = -50.0
# Accept a word when its distance is within the threshold in CONFIRM_HOPS of the last CONFIRM_WINDOW hops,
# or at once when it is within STRICT_FACTOR x threshold (see the module docstring for the measurement).
CONFIRM_HOPS, CONFIRM_WINDOW = 2, 3
STRICT_FACTOR = 0.6
MACS_PER_EMBEDDING = 721_848  # models/speech_embedding/model.tflite (ml.verify.count_macs)

Embed = Callable[[np.ndarray], np.ndarray]


def macs_per_second(
    hop_frames: int = HOP_FRAMES, config: AudioFeatureConfig | None = None, macs: int = MACS_PER_EMBEDDING
) -> float:
    """Model MACs per second of speech (gate open): MACs per embedding x embeddings per second."""
    c = config or AudioFeatureConfig()
    return macs * c.sample_rate_hz / (hop_frames * c.hop_samples)


@dataclass(frozen=True)
class WordRefs:
    """One enrolled word as the detector matches it."""

    word_id: int
    label: str
    refs: np.ndarray  # (count, dim) float unit vectors
    threshold: float  # cosine distance


@dataclass(frozen=True)
class Wake:
    word_id: int
    label: str
    distance: float
    threshold: float
    sample_index: int  # stream index of the last sample of the window that woke
    latency_us: int  # features of the hop + embedding + 1-NN, measured


class WakeDetector:
    """``feed(pcm)`` -> the words that woke in it; see the module docstring."""

    def __init__(
        self,
        embed: Embed,
        words: Sequence[WordRefs] = (),
        *,
        hop_frames: int = HOP_FRAMES,
        refractory_s: float = REFRACTORY_S,
        gate_dbfs: float = GATE_DBFS,
        config: AudioFeatureConfig | None = None,
    ) -> None:
        if hop_frames < 1:
            raise ValueError("hop_frames must be at least 1")
        self.embed = embed
        self.front = AudioFrontEnd(config)
        self.hop_frames, self.gate_dbfs = hop_frames, gate_dbfs
        self.refractory_samples = int(round(refractory_s * self.front.config.sample_rate_hz))
        self.words: tuple[WordRefs, ...] = ()
        self.set_words(words)
        self._offset = 0  # stream index of front-end sample 0 (the host may renumber the stream)
        self._deaf_until = -1  # no wake before this stream sample index
        self.embeddings = 0  # model runs so far
        self.hops = 0  # decisions due so far (gated ones included)
        self.last_distances: dict[int, float] = {}  # word id -> distance at the last embedded hop
        self._recent: list[dict[int, float]] = []  # distances of the last hops, oldest first

    def set_words(self, words: Sequence[WordRefs]) -> None:
        for w in words:
            if w.refs.ndim != 2 or len(w.refs) == 0:
                raise ValueError(f"word {w.word_id}: references must be a non-empty (count, dim) array")
        self.words = tuple(words)
        self._recent = []

    @property
    def next_index(self) -> int:
        """Stream index of the next sample ``feed`` expects."""
        return self._offset + self.front.samples

    def feed(self, pcm: np.ndarray, first_index: int | None = None) -> list[Wake]:
        """Samples in (``first_index``: their stream index, default: right after the previous ones)."""
        chunk = np.asarray(pcm, dtype=np.int16).reshape(-1)
        if first_index is not None and first_index != self.next_index:
            self._deaf_until += first_index - self.next_index  # a renumbered stream keeps its timing
            self._offset = first_index - self.front.samples
        wakes: list[Wake] = []
        done = 0
        while done < len(chunk):
            # Feed up to the sample that completes the next hop, decide, go on: a long chunk is
            # decided hop by hop exactly as a live stream of small blocks would be.
            stop = min(len(chunk), done + max(1, self._samples_to_next_hop()))
            t0 = time.perf_counter_ns()
            before = self.front.frames
            self.front.feed(chunk[done:stop])
            done = stop
            if self.front.frames >= self._next_decision(before):
                wake = self._decide(t0)
                if wake is not None:
                    wakes.append(wake)
        return wakes

    def _next_decision(self, frames: int) -> int:
        """The first frame count after ``frames`` at which a decision is due: a full window, then every hop."""
        first = self.front.config.num_frames
        if frames < first:
            return first
        return first + ((frames - first) // self.hop_frames + 1) * self.hop_frames

    def _samples_to_next_hop(self) -> int:
        return self.front.frame_end(self._next_decision(self.front.frames) - 1) - self.front.samples

    def _decide(self, t0: int) -> Wake | None:
        self.hops += 1
        end = self._offset + self.front.frame_end(self.front.frames - 1) - 1
        if not self.words or end < self._deaf_until:
            self._recent.clear()
            return None
        if self.front.window_level_dbfs() < self.gate_dbfs:
            self._remember({})
            return None
        e = np.asarray(self.embed(self.front.window()), dtype=np.float32).reshape(-1)
        self.embeddings += 1
        self.last_distances = {w.word_id: float(np.min(1.0 - w.refs @ e)) for w in self.words}
        self._remember(self.last_distances)
        best: tuple[float, WordRefs] | None = None
        for w in self.words:
            d = self.last_distances[w.word_id]
            confirmed = sum(d_ <= w.threshold for d_ in self._recent_of(w.word_id)) >= CONFIRM_HOPS
            if (d <= STRICT_FACTOR * w.threshold or (d <= w.threshold and confirmed)) and (
                best is None or d / w.threshold < best[0]
            ):
                best = (d / w.threshold, w)
        if best is None:
            return None
        word = best[1]
        self._deaf_until = end + self.refractory_samples
        self._recent.clear()
        latency = (time.perf_counter_ns() - t0) // 1000
        return Wake(
            word.word_id, word.label, self.last_distances[word.word_id], float(word.threshold), end, int(latency)
        )

    def _remember(self, distances: dict[int, float]) -> None:
        """This hop's distances (none: the gate was shut) into the last ``CONFIRM_WINDOW`` hops."""
        self._recent.append(distances)
        del self._recent[:-CONFIRM_WINDOW]

    def _recent_of(self, word_id: int) -> list[float]:
        return [hop.get(word_id, np.inf) for hop in self._recent]
