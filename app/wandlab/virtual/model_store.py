"""The board's model slots (A/B) and the transfer in progress, persisted like flash.

With a state directory, everything survives a (virtual) power cycle: the slots, which one is active,
and a half-finished transfer, which a later ModelBegin with the same id and hash resumes. Every file
is replaced atomically, so a cut at any moment leaves either the old or the new state.

Nothing becomes active unchecked: ``finish`` hands the received bytes to the board's ``check`` (the
virtual wand's is ``image_check.check_image``) before anything is written, so bytes that are not a
model the board can run are refused with the reason, and both the active model and the one kept for
rollback stay. At boot every stored file is checked again (types, size, SHA-256, the same ``check``):
whatever fails is set aside with a note (``notes``: Python logging, and the board's Log messages) and
never crashes the board. A damaged ``active.json`` means no model; an active slot that is damaged falls
back to the other slot if that one is valid, as an A/B bootloader does, else no model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from wandlab.protocol.model import (
    ChunkAck,
    ChunkStatus,
    ModelBegin,
    ModelChunk,
    ModelSlots,
    SlotInfo,
    TransferResult,
    TransferState,
    TransferStatus,
)
from wandlab.virtual.image_check import WIRE_TEXT_BYTES, fit_text

SLOTS = 2
NO_SLOT = 255
KEPT = "; the previous model stays active"

log = logging.getLogger(__name__)


@dataclass
class Slot:
    model_id: str = ""
    size: int = 0
    sha256: str = ""
    metadata: str = ""


@dataclass
class Transfer:
    transfer_id: int
    size: int
    crc32: int
    sha256: str
    chunk_size: int
    model_id: str
    metadata: str
    received: int = 0

    @property
    def next_chunk(self) -> int:
        return -(-self.received // self.chunk_size)  # only the last chunk may be short


class ModelStore:
    def __init__(self, max_model_bytes: int, state_dir: str | Path | None = None,
                 check: Callable[[bytes], str] | None = None) -> None:
        """``check(blob)`` says why the board cannot run a model ('' if it can); None accepts anything."""
        self.max_model_bytes = max_model_bytes
        self.dir = Path(state_dir) if state_dir else None
        self.check = check or (lambda blob: "")
        self.slots: list[Slot | None] = [None] * SLOTS
        self.blobs: list[bytes | None] = [None] * SLOTS
        self.active = NO_SLOT
        self.transfer: Transfer | None = None
        self._partial = bytearray()
        self.notes: list[str] = []  # stored state set aside at boot, and why
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._load()

    # -- queries ------------------------------------------------------------------------------
    def active_model(self) -> tuple[bytes, Slot] | None:
        if self.active == NO_SLOT:
            return None
        blob, slot = self.blobs[self.active], self.slots[self.active]
        return (blob, slot) if blob is not None and slot is not None else None

    @property
    def active_model_id(self) -> str:
        slot = self.slots[self.active] if self.active != NO_SLOT else None
        return slot.model_id if slot else ""

    def query(self) -> ModelSlots:
        infos = []
        for i, slot in enumerate(self.slots):
            if slot is None:
                infos.append(SlotInfo(i, 0, 0, b"", ""))
            else:
                infos.append(SlotInfo(i, 1, slot.size, bytes.fromhex(slot.sha256), slot.model_id))
        t = self.transfer
        return ModelSlots(self.active, tuple(infos), t.transfer_id if t else 0, t.received if t else 0)

    # -- transfer -----------------------------------------------------------------------------
    def begin(self, m: ModelBegin) -> TransferStatus | str:
        """A status to send, or an error text for an Error reply."""
        if m.size <= 0 or m.size > self.max_model_bytes:
            return f"model of {m.size} bytes does not fit: this board takes at most {self.max_model_bytes}"
        if len(m.sha256) != 32 or not 16 <= m.chunk_size <= 4000:
            return "ModelBegin needs a 32-byte SHA-256 and a chunk size of 16-4000 bytes"
        t = self.transfer
        key = (m.transfer_id, m.sha256.hex(), m.size, m.chunk_size)
        if t is None or (t.transfer_id, t.sha256, t.size, t.chunk_size) != key:
            # Anything but the very same upload starts over: resuming needs identical chunking.
            t = Transfer(m.transfer_id, m.size, m.crc32, m.sha256.hex(), m.chunk_size, m.model_id,
                         m.metadata.decode("utf-8", "replace"))
            self.transfer = t
            self._partial = bytearray()
            self._save_transfer()
        return TransferStatus(t.transfer_id, TransferState.RECEIVING, t.received, t.next_chunk, "")

    def chunk(self, m: ModelChunk) -> ChunkAck:
        t = self.transfer
        if t is None or t.transfer_id != m.transfer_id:
            return ChunkAck(m.transfer_id, m.index, 0, ChunkStatus.UNKNOWN_TRANSFER)
        if m.index != t.next_chunk:
            return ChunkAck(t.transfer_id, m.index, t.next_chunk, ChunkStatus.OUT_OF_ORDER)
        if zlib.crc32(m.data) != m.crc32:
            return ChunkAck(t.transfer_id, m.index, t.next_chunk, ChunkStatus.CRC_MISMATCH)
        if t.received + len(m.data) > t.size or (len(m.data) != t.chunk_size and
                                                 t.received + len(m.data) != t.size):
            return ChunkAck(t.transfer_id, m.index, t.next_chunk, ChunkStatus.TOO_LARGE)
        self._partial += m.data
        t.received += len(m.data)
        self._append_partial(m.data)
        return ChunkAck(t.transfer_id, m.index, t.next_chunk, ChunkStatus.OK)

    def finish(self, transfer_id: int) -> TransferResult:
        t = self.transfer
        if t is None or t.transfer_id != transfer_id:
            return TransferResult(transfer_id, 0, self.active, "", "no such transfer in progress")
        blob = bytes(self._partial)
        problem = ""
        if len(blob) != t.size:
            problem = f"only {len(blob)} of {t.size} bytes arrived"
        elif zlib.crc32(blob) != t.crc32:
            problem = "CRC-32 of the whole model does not match"
        elif hashlib.sha256(blob).hexdigest() != t.sha256:
            problem = "SHA-256 of the whole model does not match"
        else:
            problem = self.check(blob)  # the whole image, before any slot is touched
        if problem:
            self.abort(transfer_id)
            log.info("model %r refused: %s", t.model_id, problem)
            kept = KEPT if self.active != NO_SLOT else "; the board still has no active model"
            return TransferResult(transfer_id, 0, self.active, self.active_model_id,
                                  fit_text(problem, WIRE_TEXT_BYTES - len(kept)) + kept)
        target = self._inactive_slot()
        self.slots[target] = Slot(t.model_id, t.size, t.sha256, t.metadata)
        self.blobs[target] = blob
        self._save_slot(target, blob)
        self.active = target
        self._save_active()  # the switch-over: one atomic write
        self.abort(transfer_id)
        return TransferResult(transfer_id, 1, target, t.model_id, "verified and active")

    def _inactive_slot(self) -> int:
        """Where a new model goes: an empty slot that is not active, else the inactive one (the oldest)."""
        empty = [i for i in range(SLOTS) if i != self.active and self.slots[i] is None]
        if empty:
            return empty[0]
        return 0 if self.active == NO_SLOT else (self.active + 1) % SLOTS

    def abort(self, transfer_id: int) -> None:
        if self.transfer is not None and self.transfer.transfer_id == transfer_id:
            self.transfer = None
            self._partial = bytearray()
            if self.dir is not None:
                for name in ("transfer.json", "transfer.part"):
                    (self.dir / name).unlink(missing_ok=True)

    def activate(self, slot: int) -> str:
        """Switch to a stored slot; returns an error text or ''."""
        if not 0 <= slot < SLOTS or self.slots[slot] is None:
            return f"slot {slot} holds no model"
        self.active = slot
        self._save_active()
        return ""

    # -- persistence --------------------------------------------------------------------------
    def _write(self, name: str, data: bytes) -> None:
        assert self.dir is not None
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.dir / name)

    def _save_slot(self, i: int, blob: bytes) -> None:
        if self.dir is not None:
            self._write(f"slot{i}.bin", blob)
            self._write(f"slot{i}.json", json.dumps(asdict(self.slots[i])).encode())  # type: ignore[arg-type]

    def _save_active(self) -> None:
        if self.dir is not None:
            self._write("active.json", json.dumps({"active": self.active}).encode())

    def _save_transfer(self) -> None:
        if self.dir is not None and self.transfer is not None:
            self._write("transfer.part", b"")
            self._write("transfer.json", json.dumps(asdict(self.transfer) | {"received": 0}).encode())

    def _append_partial(self, data: bytes) -> None:
        # The partial file is the truth for resuming: its length says what the board has.
        if self.dir is not None:
            with open(self.dir / "transfer.part", "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())

    def _note(self, text: str) -> None:
        log.warning("virtual wand state %s: %s", self.dir, text)
        self.notes.append(text)

    def _load(self) -> None:
        assert self.dir is not None
        for i in range(SLOTS):
            loaded = self._load_slot(i)
            if isinstance(loaded, str):
                self._note(loaded)
            elif loaded is not None:
                self.slots[i], self.blobs[i] = loaded
        self.active = self._load_active()
        self._load_transfer()

    def _load_slot(self, i: int) -> tuple[Slot, bytes] | str | None:
        """The stored slot, None if it was never written, or why it counts as empty."""
        assert self.dir is not None
        meta, blob = self.dir / f"slot{i}.json", self.dir / f"slot{i}.bin"
        name = f"slot {'AB'[i]}"
        if not meta.exists() and not blob.exists():
            return None
        try:
            slot = _slot_from(json.loads(meta.read_bytes()))
            data = blob.read_bytes()
        except (OSError, ValueError, RecursionError) as exc:
            return f"{name} is unreadable ({_reason(exc)}); it counts as empty"
        if slot is None:
            return f"{name}: {meta.name} is not a slot record; the slot counts as empty"
        if len(data) != slot.size or hashlib.sha256(data).hexdigest() != slot.sha256:
            return f"{name}: {blob.name} does not match its size and SHA-256 (a torn write?); it counts as empty"
        problem = self.check(data)
        if problem:
            return f"{name} holds a model this board cannot run ({problem}); it counts as empty"
        return slot, data

    def _load_active(self) -> int:
        assert self.dir is not None
        path = self.dir / "active.json"
        if not path.exists():  # never switched (or cut before the first switch): no model
            return NO_SLOT
        try:
            raw: Any = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError) as exc:
            raw = exc
        active = raw.get("active") if isinstance(raw, dict) else None
        if type(active) is not int or not (0 <= active < SLOTS or active == NO_SLOT):
            what = _reason(raw) if isinstance(raw, Exception) else f"it says {json.dumps(raw)[:60]}"
            self._note(f"active.json does not name slot A, B or none ({what}); no model is active "
                       "until one is flashed or a slot is activated")
            return NO_SLOT
        if active == NO_SLOT or self.slots[active] is not None:
            return active
        other = (active + 1) % SLOTS
        slot = self.slots[other]
        if slot is not None:
            self._note(f"the active slot {'AB'[active]} is unusable; slot {'AB'[other]} "
                       f"('{slot.model_id}') is active instead")
            return other
        self._note(f"the active slot {'AB'[active]} is unusable and no other slot holds a model; no model is active")
        return NO_SLOT

    def _load_transfer(self) -> None:
        assert self.dir is not None
        meta, part_file = self.dir / "transfer.json", self.dir / "transfer.part"
        if not meta.exists():
            return
        try:
            t = _transfer_from(json.loads(meta.read_bytes()), self.max_model_bytes)
            part = part_file.read_bytes()
        except (OSError, ValueError, RecursionError) as exc:
            t, why = None, _reason(exc)
        else:
            why = "transfer.json is not a transfer record"
        if t is None:
            self._note(f"an interrupted upload cannot be resumed ({why}); the next upload starts over")
            for name in ("transfer.json", "transfer.part"):
                (self.dir / name).unlink(missing_ok=True)
            return
        keep = len(part) - len(part) % t.chunk_size if len(part) < t.size else t.size
        t.received = keep
        self.transfer, self._partial = t, bytearray(part[:keep])


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{Path(exc.filename).name if exc.filename else 'a file'}: {exc.strerror or exc}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return f"not JSON: {str(exc)[:80]}"


def _int(value: object, lo: int, hi: int) -> bool:
    return type(value) is int and lo <= value <= hi


def _text(value: object) -> bool:
    return isinstance(value, str) and len(value.encode("utf-8", "replace")) <= WIRE_TEXT_BYTES


def _sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _slot_from(raw: object) -> Slot | None:
    if not isinstance(raw, dict) or set(raw) != {f.name for f in fields(Slot)}:
        return None
    ok = (_text(raw["model_id"]) and _int(raw["size"], 1, 2**32 - 1) and _sha256(raw["sha256"])
          and isinstance(raw["metadata"], str))
    return Slot(**raw) if ok else None


def _transfer_from(raw: object, max_model_bytes: int) -> Transfer | None:
    if not isinstance(raw, dict) or set(raw) != {f.name for f in fields(Transfer)}:
        return None
    ok = (_int(raw["transfer_id"], 0, 2**32 - 1) and _int(raw["size"], 1, max_model_bytes)
          and _int(raw["crc32"], 0, 2**32 - 1) and _sha256(raw["sha256"]) and _int(raw["chunk_size"], 16, 4000)
          and _text(raw["model_id"]) and isinstance(raw["metadata"], str) and _int(raw["received"], 0, 2**32 - 1))
    return Transfer(**raw) if ok else None
