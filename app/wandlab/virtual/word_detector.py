"""Wake words on the virtual wand: the word family's requests, and detection on the board's own microphone.

The board listens for its words whenever it holds any, whether or not the host streams audio (the board
then samples its microphone on its own clock, as it samples the IMU for gestures): the incremental front
end and the streaming detector (``onboard.wake_detector``) run on every block of its audio, the speech
model in TFLM (``word_model``). A wake is reported with a WakeEvent and, when the HID map has an action for
class ``WORD_CLASS_BASE + word_id``, pressed exactly like a gesture (``BoardRecognizer.act``: a HidReport
for the host, and the keys over BLE HID when it is on and a computer is bonded).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from wandlab.onboard.wake_detector import WakeDetector, WordRefs
from wandlab.protocol import Ack, Error, ErrorCode, Message
from wandlab.protocol.words import (
    ANY_WORD,
    MAX_WORDS,
    WORD_CLASS_BASE,
    WakeEvent,
    WordClear,
    WordInfo,
    WordList,
    WordListReply,
    WordUpload,
)
from wandlab.virtual.recognizer import BoardRecognizer
from wandlab.virtual.word_model import SpeechModel, load_speech_model, shipped_speech_crc
from wandlab.virtual.word_store import MAX_LABEL_BYTES, MAX_REFS_PER_WORD, StoredWord, WordStore


class BoardWords:
    def __init__(self, state_dir: str | Path | None, brain: BoardRecognizer, model: SpeechModel | None = None) -> None:
        """``model`` None: the shipped speech model, loaded into TFLM when the board first needs it (at
        boot only if it holds words), so a board that never hears about words does not pay for it."""
        self.brain = brain
        self._model, self.problem = model, ""
        self._tried = model is not None
        crc = model.crc if model is not None else shipped_speech_crc()
        if crc is None:
            self._tried, self.problem = True, "the speech model is missing from this install"
        self.store = WordStore(state_dir, crc)
        self.detector: WakeDetector | None = None
        if self.store.words or model is not None:
            self._load()

    @property
    def model(self) -> SpeechModel | None:
        return self._load()

    def _load(self) -> SpeechModel | None:
        if not self._tried:
            self._tried = True
            self._model, self.problem = load_speech_model()
        if self._model is not None and self.detector is None:
            self.detector = WakeDetector(self._model.embed)
            self._sync()
        return self._model

    @property
    def notes(self) -> list[str]:
        return self.store.notes

    @property
    def listening(self) -> bool:
        """Whether the board needs its microphone for words (it then samples it without a host stream)."""
        return self.detector is not None and bool(self.store.words)

    # -- live audio --------------------------------------------------------------------------------
    def feed(self, pcm: np.ndarray, first_index: int) -> list[Message]:
        """Microphone samples (``first_index``: the stream index of the first) -> WakeEvent (+ HidReport)."""
        if not self.listening:
            return []
        assert self.detector is not None
        out: list[Message] = []
        for wake in self.detector.feed(pcm, first_index):
            out.append(
                WakeEvent(
                    wake.word_id,
                    wake.label,
                    wake.distance,
                    wake.threshold,
                    wake.sample_index & 0xFFFFFFFF,
                    wake.latency_us,
                )
            )
            report = self.brain.act(WORD_CLASS_BASE + wake.word_id)
            if report is not None:
                out.append(report)
        return out

    # -- requests ----------------------------------------------------------------------------------
    def handle(self, seq: int, m: Message) -> list[Message]:
        model = self.model
        if isinstance(m, WordList):
            rows = tuple(WordInfo(w.word_id, w.label, len(w.codes), w.threshold) for w in self.store.all())
            return [WordListReply(model.crc, model.dim, rows) if model else WordListReply(0, 0, ())]
        if model is None:
            return [Error(seq, ErrorCode.UNSUPPORTED, f"this board cannot detect wake words: {self.problem}")]
        if isinstance(m, WordUpload):
            return [self._upload(seq, m)]
        if isinstance(m, WordClear):
            return [self._clear(seq, m.word_id)]
        return [Error(seq, ErrorCode.UNKNOWN_MESSAGE, f"{type(m).__name__} is not handled")]

    def _clear(self, seq: int, word_id: int) -> Message:
        if word_id != ANY_WORD and word_id not in self.store.words:
            return Error(seq, ErrorCode.BAD_ARGUMENT, f"no word {word_id} on the board")
        problem = self.store.clear(list(self.store.words) if word_id == ANY_WORD else [word_id])
        self._sync()
        return Error(seq, ErrorCode.INTERNAL, problem) if problem else Ack(seq)

    def _upload(self, seq: int, m: WordUpload) -> Message:
        problem = self._upload_problem(m)
        word_id = m.word_id
        if not problem and word_id == ANY_WORD:  # "board, pick": the word with this label, else a free id
            same = self.store.by_label(m.label)
            free = same.word_id if same else self.store.free_id()
            if free is None:
                problem = f"the board holds {MAX_WORDS} words, its most: clear one first"
            word_id = ANY_WORD if free is None else free
        if not problem:
            same = self.store.by_label(m.label)
            if same is not None and same.word_id != word_id:
                problem = f"'{m.label}' is already word {same.word_id}: clear it first or upload to that id"
        if problem:
            return Error(seq, ErrorCode.BAD_ARGUMENT, problem)
        codes = np.frombuffer(m.embeddings, np.int8).reshape(-1, m.dim).copy()
        stored = self.store.put(StoredWord(word_id, m.label, float(m.threshold), codes))
        self._sync()
        return Error(seq, ErrorCode.INTERNAL, stored) if stored else Ack(seq)

    def _upload_problem(self, m: WordUpload) -> str:
        assert self.model is not None
        if m.model_crc != self.model.crc:
            return (
                f"'{m.label}' was embedded by speech model {m.model_crc:08x}, this board runs "
                f"{self.model.crc:08x}: enrol it with an app whose speech model matches the firmware"
            )
        if not m.label.strip():
            return "a wake word needs a label"
        if len(m.label.encode()) > MAX_LABEL_BYTES:
            return f"a wake word's label is at most {MAX_LABEL_BYTES} bytes"
        if m.word_id != ANY_WORD and not 0 <= m.word_id < MAX_WORDS:
            return f"word ids are 0-{MAX_WORDS - 1} (255: the board picks)"
        dim = self.model.dim
        count = len(m.embeddings) // dim if m.dim == dim else 0
        if m.dim != dim or not m.embeddings or len(m.embeddings) % dim:
            return (
                f"a word's references must be whole {dim}-D int8 vectors (got dim {m.dim}, {len(m.embeddings)} bytes)"
            )
        if count > MAX_REFS_PER_WORD:
            return f"a word holds at most {MAX_REFS_PER_WORD} references, got {count}"
        if not math.isfinite(m.threshold) or not 0.0 < m.threshold < 2.0:
            return f"threshold {m.threshold} is not a cosine distance between 0 and 2"
        return ""

    def _sync(self) -> None:
        """Hand the stored words to the detector (their references as unit vectors, as the host made them)."""
        if self.detector is None or self._model is None:
            return
        if not self.detector.words:
            # It has heard nothing while the board held no words: a window must not join old audio to new.
            self.detector = WakeDetector(self._model.embed)
        self.detector.set_words(
            [WordRefs(w.word_id, w.label, self._model.unit(w.codes), w.threshold) for w in self.store.all()]
        )
