"""The board's wake words, kept like flash: ``words.json`` beside the model slots, refs and HID map.

Each word is its label, threshold (cosine distance) and the speech model's raw int8 outputs for the
enrolment's utterances, plus the CRC-32 of the speech model that made them: embeddings belong to the
network that computed them, so words stored under another speech model are dropped at boot with a note
instead of answering wrongly. Replaced atomically (``refs.atomic_write``), so a power cut leaves the old
or the new file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wandlab.protocol.words import MAX_WORDS
from wandlab.virtual.refs import atomic_write

WORDS_FILE = "words.json"
WORDS_VERSION = 1
MAX_REFS_PER_WORD = 8  # three utterances is the design; a few more leave room without costing RAM
MAX_LABEL_BYTES = 64  # UTF-8; the C++ board's word record keeps labels of this size


@dataclass
class StoredWord:
    word_id: int
    label: str
    threshold: float
    codes: np.ndarray  # (count, dim) int8: raw speech model outputs


class WordStore:
    def __init__(self, state_dir: str | Path | None, model_crc: int | None) -> None:
        """``model_crc``: the board's speech model's (None: it has none; stored words are kept, not used)."""
        self.dir = Path(state_dir) if state_dir else None
        self.model_crc = model_crc
        self.words: dict[int, StoredWord] = {}
        self.notes: list[str] = []  # for the host, at boot
        if self.dir is not None:
            self._load()

    def all(self) -> list[StoredWord]:
        return [self.words[i] for i in sorted(self.words)]

    def by_label(self, label: str) -> StoredWord | None:
        return next((w for w in self.words.values() if w.label == label), None)

    def free_id(self) -> int | None:
        return next((i for i in range(MAX_WORDS) if i not in self.words), None)

    def put(self, word: StoredWord) -> str:
        """Store (replacing that id); '' or why it could not be written."""
        before = dict(self.words)
        self.words[word.word_id] = word
        problem = self._save()
        if problem:
            self.words = before
        return problem

    def clear(self, ids: list[int]) -> str:
        before = dict(self.words)
        for i in ids:
            self.words.pop(i, None)
        problem = self._save()
        if problem:
            self.words = before
        return problem

    def _save(self) -> str:
        if self.dir is None:
            return ""
        doc = {
            "version": WORDS_VERSION,
            "model_crc": self.model_crc,
            "dim": self.all()[0].codes.shape[1] if self.words else 0,
            "words": [
                {"id": w.word_id, "label": w.label, "threshold": w.threshold, "codes": w.codes.tobytes().hex()}
                for w in self.all()
            ],
        }
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            atomic_write(self.dir, WORDS_FILE, json.dumps(doc).encode())
        except OSError as exc:
            return f"the word store cannot be written ({exc.strerror or exc})"
        return ""

    def _load(self) -> None:
        assert self.dir is not None
        path = self.dir / WORDS_FILE
        if not path.exists():
            return
        try:
            doc = json.loads(path.read_text())
            crc, dim = doc["model_crc"], int(doc["dim"])
            words = {}
            for row in doc["words"]:
                codes = np.frombuffer(bytes.fromhex(row["codes"]), np.int8).reshape(-1, max(dim, 1)).copy()
                word = StoredWord(int(row["id"]), str(row["label"]), float(row["threshold"]), codes)
                if not 0 <= word.word_id < MAX_WORDS or not len(codes):
                    raise ValueError(f"word {word.word_id}")
                words[word.word_id] = word
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.notes.append(f"the stored wake words are damaged ({exc}) and were not loaded; enrol them again")
            return
        if self.model_crc is None:  # no speech model on this board: keep them for one that has it
            self.words = words
            return
        if crc != self.model_crc:
            if words:
                names = ", ".join(sorted(w.label for w in words.values()))
                self.notes.append(
                    f"the board's speech model changed: dropped the wake words {names} (made by "
                    "the previous one); enrol them again"
                )
            self._save()
            return
        self.words = words
