"""Recording a take from the live stream straight into the project, crash-safe.

Lifecycle: ``start`` writes the journal header (fsynced) and indexes the take as ``recording`` in one
transaction; ``append`` writes each block to the journal with one write() (so a killed process loses
nothing the kernel has) and fsyncs at most ``FSYNC_INTERVAL_S`` apart (so a power cut loses at most
that much); ``finish`` turns the journal into a sample file and flips the row to ``ok`` in one
transaction. Anything in between is put right by ``recovery`` on the next open.

If the journal cannot be written (a full, read-only or failing disk), ``append`` raises DatasetError
saying so and the recording stops there: ``broken`` keeps the reason, and what reached the journal is
still made into a take by ``finish`` or, if that cannot write either, by the next open's recovery.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wandlab.dataset import files, journal
from wandlab.dataset.events import RecordingChanged, SamplesChanged
from wandlab.dataset.folder import IMU_COLUMNS
from wandlab.dataset.input_rules import MAX_SAMPLE_SECONDS
from wandlab.dataset.model import (
    AUDIO_AXES,
    KINDS,
    Sample,
    check_axes,
    check_label,
    check_rate,
    check_text,
    content_hash,
    now_iso,
    stable_split,
)
from wandlab.errors import DatasetError
from wandlab.onboard.trim import auto_trim

if TYPE_CHECKING:
    from wandlab.dataset.project import Project

FSYNC_INTERVAL_S = 0.25

TrimSpec = str | tuple[int, int] | None  # 'auto', an explicit range, or None for the full take


class Recording:
    """One take being recorded. ``append`` may be called from the board client's thread."""

    def __init__(self, project: Project, sample: Sample, partial: Path, fd: int) -> None:
        self.project = project
        self.sample_id = sample.id
        self.label = sample.label
        self.kind = sample.kind
        self.rate_hz = sample.rate_hz
        self.axes = sample.axes
        self.frames = 0
        self.lost_blocks = 0
        self._partial = partial
        self._fd: int | None = fd
        self._gaps_fd: int | None = None
        self._last_sync = time.monotonic()
        self._lock = threading.Lock()
        self._done = False
        self.broken: DatasetError | None = None  # why the journal stopped taking data, if it did
        project._recordings.add(self)

    @classmethod
    def start(
        cls,
        project: Project,
        label: str,
        kind: str,
        rate_hz: float,
        axes: Sequence[str] | None,
        subject: str,
        session: str,
        board: str,
        firmware: str,
        notes: str,
    ) -> Recording:
        from wandlab.dataset.project import new_id

        project._require_writable()
        if kind not in KINDS:
            raise DatasetError(f"kind must be imu or audio, not {kind!r}")
        axes = tuple(axes) if axes is not None else (IMU_COLUMNS if kind == "imu" else AUDIO_AXES)
        sid = new_id()
        sample = Sample(
            id=sid,
            label=check_label(label),
            kind=kind,
            axes=check_axes(kind, axes, "recording"),
            rate_hz=check_rate(kind, float(rate_hz), "recording"),
            n_frames=0,
            trim_start=0,
            trim_end=0,
            split="train",
            file=files.sample_relpath(sid, kind),
            created=now_iso(),
            source="recorder",
            subject=check_text(subject, "subject", "recording"),
            session=check_text(session, "session", "recording"),
            board=check_text(board, "board", "recording"),
            firmware=check_text(firmware, "firmware", "recording"),
            notes=check_text(notes, "notes", "recording"),
        )
        folder = project.root / files.RECORDINGS_DIR
        partial = folder / f"{sid}{journal.PARTIAL}"
        header = {
            k: getattr(sample, k)
            for k in (
                "id",
                "label",
                "kind",
                "rate_hz",
                "subject",
                "session",
                "board",
                "firmware",
                "created",
                "notes",
            )
        }
        header["axes"] = list(sample.axes)
        with files.disk_errors(partial, "start the recording journal"):
            folder.mkdir(exist_ok=True)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            with files.disk_errors(partial, "start the recording journal"):
                journal.write_all(fd, journal.encode_header(header))
                os.fsync(fd)
                files.fsync_dir(folder)  # the journal must exist after a crash for recovery to find it
            with project.transaction() as db:
                project.insert_row(db, sample, state="recording")
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):  # a header-only journal is dropped by recovery anyway
                journal.remove_journal(partial)
            raise
        project.events.emit(RecordingChanged(sid, "started", 0))
        return cls(project, sample, partial, fd)

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz

    @property
    def journal_kept(self) -> bool:
        """Whether the journal is still on disk (a take that could not be saved: recovery makes it one)."""
        return self._partial.exists()

    def append(self, block: np.ndarray, lost_blocks: int = 0) -> None:
        """Add frames: IMU (n, axes) in g / deg/s, audio (n,) int16. ``lost_blocks`` counts blocks the
        link dropped just before this one; the take is marked with where its gaps are."""
        payload = self._encode(block)
        with self._lock:
            if self.broken is not None:
                raise self.broken
            if self._fd is None:
                raise DatasetError("recording is already finished or aborted")
            added = len(payload) // (journal.dtype_for(self.kind).itemsize * len(self.axes))
            if self.frames + added > self.rate_hz * MAX_SAMPLE_SECONDS:
                raise DatasetError(f"take is longer than {MAX_SAMPLE_SECONDS} s; finish it and start another")
            try:
                if lost_blocks > 0:
                    self._write_gap(lost_blocks)
                journal.write_all(self._fd, payload)
                self.frames += added
                now = time.monotonic()
                if now - self._last_sync >= FSYNC_INTERVAL_S:
                    os.fsync(self._fd)  # a full disk may only say so here (delayed allocation)
                    self._last_sync = now
            except OSError as exc:
                # Writing on would lose every later block in silence: stop, keep what the journal holds.
                self.broken = files.disk_error(exc, self._partial, "write the recording journal")
                self._close_fds()
                raise self.broken from None

    def finish(self, trim: TrimSpec = "auto", interrupted: bool = False) -> Sample:
        """Close the take and make it a sample. An empty take is aborted and raises DatasetError.

        ``interrupted`` marks a take that ended early (the board went away, the project was closed);
        a take whose journal broke always is.
        """
        interrupted = interrupted or self.broken is not None
        if self._done:
            raise DatasetError("recording is already finished or aborted")
        self._close_files()
        if self.frames == 0:
            self.abort()
            raise DatasetError("the take is empty: no data arrived from the board")
        self._done = True
        self.project._recordings.discard(self)
        sample = finalize(self.project, self._partial, interrupted=interrupted, trim=trim)
        self.project.events.emit(SamplesChanged(added=(sample.id,)))
        self.project.events.emit(RecordingChanged(sample.id, "finished", sample.n_frames))
        return sample

    def abort(self) -> None:
        """Throw the take away (the user pressed Cancel). Does nothing once finished."""
        if self._done:
            return
        self._done = True
        self.project._recordings.discard(self)
        self._close_files()
        with self.project.transaction() as db:
            db.execute("DELETE FROM samples WHERE id = ? AND state = 'recording'", (self.sample_id,))
        with files.disk_errors(self._partial, "remove the discarded take's journal"):
            journal.remove_journal(self._partial)
        self.project.events.emit(RecordingChanged(self.sample_id, "aborted", self.frames))

    def _encode(self, block: np.ndarray) -> bytes:
        block = np.asarray(block)
        if self.kind == "imu":
            if block.ndim != 2 or block.shape[1] != len(self.axes):
                raise DatasetError(f"IMU block must be (n, {len(self.axes)}), got {block.shape}")
            if not np.all(np.isfinite(block)):
                raise DatasetError("IMU block contains NaN or infinite values")
            return np.ascontiguousarray(block, dtype="<f4").tobytes()
        if block.dtype != np.int16 or block.ndim != 1:
            raise DatasetError(f"audio block must be 1-D int16, got {block.dtype} {block.shape}")
        return np.ascontiguousarray(block, dtype="<i2").tobytes()

    def _write_gap(self, lost: int) -> None:
        if self._gaps_fd is None:
            path = self._partial.with_suffix(journal.GAPS)
            self._gaps_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        journal.write_all(self._gaps_fd, f"{self.frames} {int(lost)}\n".encode("ascii"))
        self.lost_blocks += int(lost)

    def _close_files(self) -> None:
        with self._lock:
            self._close_fds()

    def _close_fds(self) -> None:
        """Flush and close the journal (caller holds the lock). A failing flush is not raised: what
        the kernel holds is read back by ``finalize``, whose own write then reports the disk."""
        for fd in (self._fd, self._gaps_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.fsync(fd)
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._gaps_fd = None


def finalize(project: Project, partial: Path, interrupted: bool, trim: TrimSpec = "auto") -> Sample:
    """Journal -> sample file + ``ok`` row, committed together; then the journal goes.

    Used by ``finish`` and by recovery, so a recovered take is built exactly like a finished one.
    A crash anywhere in here leaves either the journal (redo on next open) or the committed sample.
    """
    rec = journal.read_journal(partial)
    sid = str(rec.header.get("id") or partial.stem)
    kind, rate = rec.header["kind"], float(rec.header["rate_hz"])
    data = rec.data
    if len(data) == 0:
        raise DatasetError(f"{partial.name}: the journal holds no complete frame")
    if trim == "auto":
        start, end = auto_trim(kind, data, rate)
    elif trim is None:
        start, end = 0, len(data)
    else:
        start, end = max(0, int(trim[0])), min(len(data), int(trim[1]))
    notes = [str(rec.header.get("notes") or "")]
    if interrupted:
        seconds = len(data) / rate
        notes.append(f"interrupted recording, kept up to where it stopped ({len(data)} frames, {seconds:.2f} s)")
    notes.append(journal.gap_note(rec.gaps, rate))
    sha = content_hash(data)
    relpath = files.sample_relpath(sid, kind)
    files.write_sample_file(project.root, relpath, kind, data, rate)
    values = dict(
        n_frames=len(data),
        trim_start=start,
        trim_end=end,
        split=stable_split(sha),
        sha256=sha,
        lost_blocks=rec.lost_blocks,
        interrupted=int(interrupted),
        file=relpath,
        state="ok",
        notes="\n".join(n for n in notes if n),
    )
    with project.transaction() as db:
        if project.state_of(sid) == "":  # row never committed (crash right after the header): rebuild it
            project.insert_row(db, _sample_from_header(rec.header, sid, relpath), state="recording")
        project.update(db, sid, **values)
    with contextlib.suppress(OSError):  # the take is committed; the next open removes a leftover journal
        journal.remove_journal(partial)
    return project.get(sid)


def _sample_from_header(header: dict[str, object], sid: str, relpath: str) -> Sample:
    kind = str(header["kind"])
    axes = header.get("axes") or []
    return Sample(
        id=sid,
        label=check_label(str(header.get("label") or "unlabeled")),
        kind=kind,
        axes=check_axes(kind, [str(a) for a in axes] if isinstance(axes, list) else [], "journal"),
        rate_hz=check_rate(kind, float(str(header["rate_hz"])), "journal"),
        n_frames=0,
        trim_start=0,
        trim_end=0,
        split="train",
        file=relpath,
        created=str(header.get("created") or now_iso()),
        source="recorder",
        subject=check_text(header.get("subject"), "subject", "journal"),
        session=check_text(header.get("session"), "session", "journal"),
        board=check_text(header.get("board"), "board", "journal"),
        firmware=check_text(header.get("firmware"), "firmware", "journal"),
    )
