"""The board's reference embeddings: the model image's classes plus what was enrolled or uploaded.

Two layers, like firmware keeps them: the image's references live in the model slot (read-only); the
board's own classes (enrolled on the board, uploaded by the host, or a model class the user cleared)
live in a small file that survives power cycles and model updates. A board class with the same id as a
model class replaces it; one with no embeddings is a tombstone ("this model class was cleared").

Persisted as ``refs.json`` in the state directory, replaced atomically (write beside, fsync, rename).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wandlab.onboard.board_image import BoardImage
from wandlab.onboard.knn import KnnRecognizer
from wandlab.onboard.open_set import DEFAULT_MARGIN, NegativesBank, Threshold, class_threshold, shot_spread
from wandlab.protocol.controller import NO_CLASS

MODEL, ENROLLED, UPLOADED = 0, 1, 2  # ClassRefs.source
MAX_REFS_PER_CLASS = 16  # 16 x 32 bytes per class: RAM is the limit on a board, not the arithmetic
MAX_CLASSES = 32  # what a RefListReply (and the C++ struct behind it, kMaxClassRefs) can list
REFS_VERSION = 1


def atomic_write(directory: Path, name: str, data: bytes) -> None:
    """A power cut at any moment leaves either the old or the new file, never half of one."""
    tmp = directory / f".{name}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / name)


@dataclass
class RefClass:
    class_id: int
    label: str
    threshold: int  # squared int8 distance (KnnRecognizer units)
    embeddings: np.ndarray  # (count, dim) int8; count 0 = tombstone
    source: int = ENROLLED
    margin: float = DEFAULT_MARGIN  # open set: 0 strict .. 1 lenient (onboard.open_set)
    shapes: np.ndarray | None = None  # (count, frames, channels) int8 shape codes of the takes; None: none


class RefStore:
    def __init__(self, state_dir: str | Path | None = None) -> None:
        self.dir = Path(state_dir) if state_dir else None
        self.board: dict[int, RefClass] = {}
        self.dim = 0  # embedding size of the board's classes (0: none yet)
        self.model: list[RefClass] = []
        self.k = 1
        self.default_threshold = 16384
        # The model's negatives bank (in its image): what enrollment's thresholds are measured against.
        self.bank: NegativesBank | None = None
        self._model_key = ""
        self._network = ""  # sha256 of the network (TFLM flatbuffer) the board's own classes were made by
        self._cache: tuple[KnnRecognizer, list[int]] | None = None
        if self.dir is not None:
            self._load()

    # -- model changes -----------------------------------------------------------------------
    def set_model(self, image: BoardImage | None, key: str) -> list[str]:
        """Adopt a model image's classes; returns notes for the host (dropped or renumbered classes)."""
        notes: list[str] = []
        self._cache = None
        if image is None:
            self.model, self.bank = [], None
            return notes
        knn = image.recognizer
        self.k, self.default_threshold, self.bank = knn.k, int(knn.default_threshold), knn.bank
        margins = knn.margins if knn.margins is not None else np.full(len(knn.labels), DEFAULT_MARGIN)
        self.model = [
            RefClass(c, label, int(knn.thresholds[c]), knn.references[knn.ref_class == c], MODEL, float(margins[c]),
                     None if knn.shapes is None else knn.shapes[knn.ref_class == c])
            for c, label in enumerate(knn.labels)
        ]
        if key != self._model_key:
            # A different model: tombstones applied to the old model's classes mean nothing now.
            self.board = {i: c for i, c in self.board.items() if len(c.embeddings)}
            network = hashlib.sha256(image.model_tflite).hexdigest()
            if self.board and self.dim != image.embedding_dim:
                names = ", ".join(sorted(c.label for c in self.board.values()))
                notes.append(f"the new model embeds in {image.embedding_dim} dimensions, the board's own "
                             f"classes in {self.dim}: dropped {names}; enroll them again")
                self.board = {}
            elif self.board and self._network and self._network != network:
                # Embeddings belong to the network that made them: under another one they land anywhere,
                # so keeping them would answer wrongly rather than not at all.
                names = ", ".join(sorted(c.label for c in self.board.values()))
                notes.append(f"the new model is a different network: dropped the board's own {names} (made by "
                             "the previous one); enroll them again, or train with their takes")
                self.board = {}
            self._network = network
            for c in sorted(self.board.values(), key=lambda c: c.class_id):
                named = next((m for m in self.model if m.label == c.label), None)
                clash = next((m for m in self.model if m.class_id == c.class_id), None)
                if named is not None and named.class_id != c.class_id and named.class_id not in self.board:
                    # The user's own takes of a gesture the new model also knows: theirs win, under
                    # the model's id, so one label never names two classes.
                    new_id = named.class_id
                    notes.append(f"'{c.label}' (class {c.class_id}, yours) now replaces the new model's "
                                 f"'{c.label}' as class {new_id}")
                elif clash is not None and clash.label != c.label:
                    new_id = self.next_free_id()
                    notes.append(f"class {c.class_id} '{c.label}' moved to id {new_id}: the new model "
                                 f"uses {c.class_id} for '{clash.label}'")
                else:
                    continue
                del self.board[c.class_id]
                c.class_id = new_id
                self.board[new_id] = c
            self._model_key = key
            self.dim = image.embedding_dim
            self._save()
        return notes

    # -- queries -----------------------------------------------------------------------------
    def classes(self) -> list[RefClass]:
        """The classes the board recognises, by id (board classes replace model ones; no tombstones)."""
        merged = {c.class_id: c for c in self.model}
        merged.update(self.board)
        return [merged[i] for i in sorted(merged) if len(merged[i].embeddings)]

    def get(self, class_id: int) -> RefClass | None:
        return next((c for c in self.classes() if c.class_id == class_id), None)

    def by_label(self, label: str) -> RefClass | None:
        return next((c for c in self.classes() if c.label == label), None)

    def next_free_id(self) -> int:
        used = {c.class_id for c in self.model} | set(self.board)
        return next(i for i in range(NO_CLASS) if i not in used)

    @property
    def typical_spread(self) -> int:
        """The model's typical 3-shot spread (from its bank; without one, what its default threshold implies)."""
        from wandlab.onboard.open_set import SPREAD_FACTOR

        if self.bank is not None:
            return self.bank.typical_spread
        return max(1, int(self.default_threshold / SPREAD_FACTOR))

    def recognizer(self) -> tuple[KnnRecognizer, list[int]] | None:
        """k-NN over every class, and the class id of each of its label indices (None: no classes)."""
        if self._cache is None:
            classes = self.classes()
            if not classes:
                return None
            refs = np.concatenate([c.embeddings for c in classes]).astype(np.int8)
            ref_class = np.concatenate([np.full(len(c.embeddings), i) for i, c in enumerate(classes)])
            knn = KnnRecognizer([c.label for c in classes], refs, ref_class.astype(np.int64),
                                np.array([c.threshold for c in classes], np.int64), self.k, self.default_threshold,
                                margins=np.array([c.margin for c in classes]), bank=self.bank,
                                shapes=self._all_shapes(classes))
            self._cache = (knn, [c.class_id for c in classes])
        return self._cache

    @staticmethod
    def _all_shapes(classes: list[RefClass]) -> np.ndarray | None:
        """Every reference's shape codes in order, or None unless every class has them, all alike."""
        shapes = [c.shapes for c in classes]
        if any(s is None for s in shapes) or len({s.shape[1:] for s in shapes if s is not None}) != 1:
            return None
        return np.concatenate([s for s in shapes if s is not None]).astype(np.int8)

    # -- changes -----------------------------------------------------------------------------
    def put(self, ref: RefClass) -> str:
        """Store a board class (replacing that id); returns an error text or ''."""
        if not 0 <= ref.class_id < NO_CLASS:
            return f"class id {ref.class_id} is out of range (0-254)"
        if not ref.label or len(ref.label.encode()) > 64:
            return "a class needs a label of 1-64 bytes"
        if ref.embeddings.ndim != 2 or not 1 <= len(ref.embeddings) <= MAX_REFS_PER_CLASS:
            return f"a class holds 1-{MAX_REFS_PER_CLASS} references"
        if self.dim and ref.embeddings.shape[1] != self.dim:
            return f"references have {ref.embeddings.shape[1]} dimensions, the model embeds in {self.dim}"
        if ref.shapes is not None and (ref.shapes.ndim != 3 or len(ref.shapes) != len(ref.embeddings)):
            return f"{len(ref.shapes)} shape codes for {len(ref.embeddings)} references"
        other = self.by_label(ref.label)
        if other is not None and other.class_id != ref.class_id:
            return f"label '{ref.label}' already belongs to class {other.class_id}"
        if self.get(ref.class_id) is None and len(self.classes()) >= MAX_CLASSES:
            return f"the board holds at most {MAX_CLASSES} classes; clear some first"
        self.board[ref.class_id] = ref
        self.dim = ref.embeddings.shape[1]
        self._changed()
        return ""

    def clear(self, class_ids: list[int]) -> None:
        model_ids = {c.class_id for c in self.model}
        for i in class_ids:
            self.board.pop(i, None)
            if i in model_ids:  # the image is read-only: remember that this class is gone
                self.board[i] = RefClass(i, "", 0, np.zeros((0, self.dim or 1), np.int8), MODEL)
        self._changed()

    def _changed(self) -> None:
        self._cache = None
        self._save()

    # -- persistence -------------------------------------------------------------------------
    def _save(self) -> None:
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        classes = [
            {"class_id": c.class_id, "label": c.label, "threshold": c.threshold, "source": c.source,
             "embeddings": c.embeddings.astype(np.int8).tobytes().hex(), "count": len(c.embeddings),
             "margin": c.margin, **_shapes_json(c.shapes)}
            for c in self.board.values()
        ]
        doc = {"version": REFS_VERSION, "dim": self.dim, "model": self._model_key, "network": self._network,
               "classes": classes}
        atomic_write(self.dir, "refs.json", json.dumps(doc).encode())

    def _load(self) -> None:
        assert self.dir is not None
        try:
            doc = json.loads((self.dir / "refs.json").read_text())
            if doc["version"] != REFS_VERSION:
                return
            board = {}
            for c in doc["classes"]:
                raw = np.frombuffer(bytes.fromhex(c["embeddings"]), np.int8)
                emb = raw.reshape(int(c["count"]), -1) if int(c["count"]) else np.zeros((0, 1), np.int8)
                board[int(c["class_id"])] = RefClass(int(c["class_id"]), str(c["label"]), int(c["threshold"]),
                                                     emb, int(c["source"]), float(c.get("margin", DEFAULT_MARGIN)),
                                                     _shapes_of(c, len(emb)))
            self.board, self.dim, self._model_key = board, int(doc["dim"]), str(doc["model"])
            self._network = str(doc.get("network", ""))  # older files: unknown, so the next model keeps them
        except (OSError, ValueError, KeyError, TypeError):
            return  # nothing stored yet, or a file from elsewhere: start empty rather than crash at boot


def _shapes_json(shapes: np.ndarray | None) -> dict[str, object]:
    if shapes is None:
        return {}
    return {"shapes": shapes.astype(np.int8).tobytes().hex(), "shape_dims": list(shapes.shape[1:])}


def _shapes_of(c: dict[str, object], count: int) -> np.ndarray | None:
    """A stored class's shape codes; None for classes stored without them (files from before) or with codes
    that do not read: the class itself is kept, and the board ranks by embedding while it has none."""
    text, dims = c.get("shapes"), c.get("shape_dims")
    if not isinstance(text, str) or not isinstance(dims, list) or len(dims) != 2 or not count:
        return None
    try:
        return np.frombuffer(bytes.fromhex(text), np.int8).reshape(count, int(dims[0]), int(dims[1])).copy()
    except (ValueError, TypeError):
        return None


def enrolled_threshold(shots: np.ndarray, others: list[np.ndarray], bank: NegativesBank | None, typical: int,
                       margin: float = DEFAULT_MARGIN) -> Threshold:
    """The threshold of a class enrolled on the board from a few takes: ``onboard.open_set``'s rule (the
    shots' spread shrunk towards the model's typical spread, the model's negatives bank, the nearest
    other class), as training and ``bench open-set`` compute it.

    Before (issue 12): 2 x the shots' spread, floored at the model's median threshold and capped only by
    the other classes, so nothing kept a class from swallowing unknown gestures and everyday motion."""
    shots = np.asarray(shots, np.int8)
    return class_threshold(shots, spread=shot_spread(shots), count=len(shots), typical=typical,
                           others=np.concatenate(others) if others else None,
                           bank=bank.embeddings if bank is not None else None, margin=margin)
