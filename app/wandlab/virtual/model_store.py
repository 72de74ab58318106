"""The board's model slots (A/B) and the transfer in progress, persisted like flash.

With a state directory, everything survives a (virtual) power cycle: the slots, which one is active,
and a half-finished transfer, which a later ModelBegin with the same id and hash resumes. Every file
is replaced atomically, so a cut at any moment leaves either the old or the new state.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

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

SLOTS = 2
NO_SLOT = 255


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
    def __init__(self, max_model_bytes: int, state_dir: str | Path | None = None) -> None:
        self.max_model_bytes = max_model_bytes
        self.dir = Path(state_dir) if state_dir else None
        self.slots: list[Slot | None] = [None] * SLOTS
        self.blobs: list[bytes | None] = [None] * SLOTS
        self.active = NO_SLOT
        self.transfer: Transfer | None = None
        self._partial = bytearray()
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
        if problem:
            self.abort(transfer_id)
            return TransferResult(transfer_id, 0, self.active, self.active_model_id,
                                  f"{problem}; the previous model stays active")
        target = 0 if self.active == NO_SLOT else (self.active + 1) % SLOTS  # the inactive slot
        self.slots[target] = Slot(t.model_id, t.size, t.sha256, t.metadata)
        self.blobs[target] = blob
        self._save_slot(target, blob)
        self.active = target
        self._save_active()  # the switch-over: one atomic write
        self.abort(transfer_id)
        return TransferResult(transfer_id, 1, target, t.model_id, "verified and active")

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

    def _load(self) -> None:
        assert self.dir is not None
        for i in range(SLOTS):
            meta, blob = self.dir / f"slot{i}.json", self.dir / f"slot{i}.bin"
            try:
                slot = Slot(**json.loads(meta.read_text()))
                data = blob.read_bytes()
            except (OSError, ValueError, TypeError):
                continue
            if hashlib.sha256(data).hexdigest() == slot.sha256:  # a torn slot is simply empty
                self.slots[i], self.blobs[i] = slot, data
        try:
            active = int(json.loads((self.dir / "active.json").read_text())["active"])
        except (OSError, ValueError, KeyError, TypeError):
            active = NO_SLOT
        self.active = active if active != NO_SLOT and self.slots[active % SLOTS] is not None else NO_SLOT
        try:
            t = Transfer(**json.loads((self.dir / "transfer.json").read_text()))
            part = (self.dir / "transfer.part").read_bytes()
        except (OSError, ValueError, TypeError):
            return
        keep = len(part) - len(part) % t.chunk_size if len(part) < t.size else t.size
        t.received = keep
        self.transfer, self._partial = t, bytearray(part[:keep])
