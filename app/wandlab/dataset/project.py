"""A project: a folder with a SQLite index (``wandlab.sqlite``) and one file per sample.

Layout::

    wandlab.sqlite      index: one row per sample (metadata, trim, split, state)
    samples/ab/<id>.npy IMU take, float32 (frames, axes) in g and deg/s
    samples/ab/<id>.wav audio take, 16-bit mono PCM
    recordings/         journals of recordings in progress (recovered on open)
    tmp/                temporary files of atomic writes (swept on open)
    project.lock        held while a process has the project open for writing
    models/             models Train & Flash trained for this project (bundle .zip + its report facts .json)

Writers hold an exclusive lock on the folder, so recovery and cleanup on open can never race another
process's import or recording. Readers (``read_only=True``) take no lock and change nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.dataset import files, schema
from wandlab.dataset.events import Events, SamplesChanged
from wandlab.dataset.lock import ProjectLock
from wandlab.dataset.model import Sample, check_label, content_hash, now_iso, stable_split
from wandlab.dataset.rows import COLUMNS, INSERT, INSERT_WITH_STATE, row_sample, sample_row
from wandlab.errors import DatasetError

BATCH_SYNC_MIN = 8


@dataclass
class Draft:
    """A sample that is not in a project yet: validated data plus metadata, as importers produce it."""

    label: str
    kind: str
    axes: tuple[str, ...]
    rate_hz: float
    data: np.ndarray
    subject: str = ""
    session: str = ""
    board: str = ""
    firmware: str = ""
    created: str = ""
    notes: str = ""
    split: str = ""  # empty: assigned from the content hash
    trim: tuple[int, int] | None = None
    source: str = ""
    sha256: str = ""  # filled in by whoever already hashed the data


class Project:
    """An open project. Use as a context manager, or call ``close()``."""

    def __init__(self, root: Path, db: sqlite3.Connection, lock: ProjectLock | None) -> None:
        self.root = root
        self.read_only = lock is None
        self.events = Events()
        self._db = db
        self._lock = lock
        self._mutex = threading.RLock()  # one connection, shared by GUI thread and workers
        from wandlab.dataset.edits import Editor  # cycle: commands act on a Project

        self.editor = Editor(self)  # every edit goes through here, so undo covers all of them
        self.recovery: list[str] = []  # what open() repaired, in words, for a notification
        self._recordings: set[Any] = set()  # Recordings in progress, finished on close()

    # -- opening and closing -------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | Path, create: bool = False, read_only: bool = False) -> Project:
        root = Path(root)
        index = root / schema.INDEX_NAME
        if root.exists() and not root.is_dir():
            raise DatasetError(f"{root}: is a file, not a project folder")
        if not index.exists():
            if not create or read_only:
                raise DatasetError(f"{root}: not a Wandlab project (no {schema.INDEX_NAME})")
            with files.disk_errors(root, "create the project folder"):
                if root.exists() and any(p.name != ProjectLock.NAME for p in root.iterdir()):
                    raise DatasetError(f"{root}: folder is not empty and not a Wandlab project")
                root.mkdir(parents=True, exist_ok=True)
        if read_only:
            return cls(root, schema.connect(index, read_only=True), None)
        from wandlab.dataset.recovery import recover

        lock = ProjectLock.acquire(root)
        try:
            db = schema.connect(index)
        except BaseException:
            lock.release()
            raise
        try:
            with files.disk_errors(root, "open the project"):
                try:
                    schema.migrate(db)
                except sqlite3.Error as exc:
                    raise schema.index_error(exc, index, "upgrade the project index") from None
                project = cls(root, db, lock)
                project.recovery = recover(project)
        except BaseException:
            db.close()
            lock.release()
            raise
        return project

    def close(self) -> None:
        """Finish any take still recording (kept, marked interrupted), end the undo history, unlock."""
        for recording in list(self._recordings):
            try:
                recording.finish(interrupted=True)
            except DatasetError:
                pass  # an empty take: nothing to keep
        with self._mutex:
            try:
                if self._lock is not None:
                    self.editor.clear()  # undo history ends here: soft-deleted samples go for good
                    with contextlib.suppress(sqlite3.Error):  # the WAL keeps every commit if this fails
                        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:  # a full disk may refuse the purge (the next open redoes it); unlock regardless
                self._db.close()
                if self._lock is not None:
                    self._lock.release()
                    self._lock = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries ------------------------------------------------------------------------------------

    def samples(self, label: str | None = None, kind: str | None = None, state: str = "ok") -> list[Sample]:
        sql, args = "SELECT * FROM samples WHERE state = ?", [state]
        if label is not None:
            sql, args = sql + " AND label = ?", [*args, label]
        if kind is not None:
            sql, args = sql + " AND kind = ?", [*args, kind]
        with self._mutex:
            rows = self._db.execute(sql + " ORDER BY label, created, id", args).fetchall()
        return [row_sample(r) for r in rows]

    def get(self, sample_id: str) -> Sample:
        with self._mutex:
            row = self._db.execute("SELECT * FROM samples WHERE id = ?", (sample_id,)).fetchone()
        if row is None:
            raise DatasetError(f"no sample with id {sample_id}")
        return row_sample(row)

    def state_of(self, sample_id: str) -> str:
        with self._mutex:
            row = self._db.execute("SELECT state FROM samples WHERE id = ?", (sample_id,)).fetchone()
        return "" if row is None else str(row[0])

    def label_counts(self, kind: str | None = None) -> dict[str, int]:
        return dict(sorted(Counter(s.label for s in self.samples(kind=kind)).items()))

    def stats(self) -> dict[str, Any]:
        """Summary for ``wandlab dataset stats`` and a dashboard; JSON-serialisable."""
        visible = self.samples()
        with self._mutex:
            sql = "SELECT COUNT(*) FROM samples WHERE state = 'recording'"
            recording = self._db.execute(sql).fetchone()[0]
        return {
            "samples": len(visible),
            "labels": dict(sorted(Counter(s.label for s in visible).items())),
            "kinds": dict(sorted(Counter(s.kind for s in visible).items())),
            "splits": dict(sorted(Counter(s.split for s in visible).items())),
            "subjects": dict(sorted(Counter(s.subject for s in visible).items())),
            "sessions": len({s.session for s in visible}),
            "duration_s": round(sum(s.duration_s for s in visible), 3),
            "interrupted": sum(s.interrupted for s in visible),
            "with_gaps": sum(s.lost_blocks > 0 for s in visible),
            "recording": recording,
        }

    def load(self, sample: Sample | str, trimmed: bool = False) -> np.ndarray:
        """The sample's data: IMU (frames, axes) float32, audio (frames,) int16."""
        if isinstance(sample, str):
            sample = self.get(sample)
        data = files.read_sample_file(self.root, sample.file, sample.kind)
        return data[sample.trim_start : sample.trim_end] if trimmed else data

    def known_content(self) -> set[tuple[str, str]]:
        """(content hash, label) of every sample, to skip files imported before."""
        with self._mutex:
            rows = self._db.execute("SELECT sha256, label FROM samples WHERE state = 'ok'").fetchall()
        return {(r[0], r[1]) for r in rows}

    # -- settings: small choices the user made for this project (the meta table) -----------------------

    def setting(self, key: str, default: str = "") -> str:
        """A setting saved with ``set_setting``, or ``default`` if there is none."""
        with self._mutex:
            try:
                row = self._db.execute("SELECT value FROM meta WHERE key = ?", (f"setting.{key}",)).fetchone()
            except sqlite3.Error as exc:
                raise schema.index_error(exc, self.root / schema.INDEX_NAME, "read the project's settings") from None
        return str(row[0]) if row is not None else default

    def set_setting(self, key: str, value: str) -> None:
        """Saved in the project index, so the choice travels with the project. Not undoable: a setting
        is not the user's data, and the control that changed it changes it back."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"setting.{key}", value))

    # -- writes -------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all of a multi-step change commits, or none of it does.

        An index that cannot be written (full or read-only disk) raises DatasetError naming it.
        """
        self._require_writable()
        with self._mutex:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise schema.index_error(exc, self.root / schema.INDEX_NAME, "change the project index") from None
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:  # a failed COMMIT (disk full) leaves it open
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise schema.index_error(exc, self.root / schema.INDEX_NAME, "change the project index") from None
                raise

    def add_samples(self, drafts: Sequence[Draft]) -> Generator[int, None, list[Sample]]:
        """Write each draft's file, then index them all in one transaction.

        Yields the number of files written so far (for progress). If anything fails before the commit,
        the files already written are removed and the index is untouched.
        """
        self._require_writable()
        made: list[Sample] = []
        # Many files: one system-wide flush before the commit costs far less than an fsync per file
        # (each of which commits the file system's journal); a few files: fsync each.
        batch = len(drafts) > BATCH_SYNC_MIN
        try:
            for i, draft in enumerate(drafts):
                sample = _sample_from_draft(draft)
                files.write_sample_file(self.root, sample.file, sample.kind, draft.data, sample.rate_hz, sync=not batch)
                made.append(sample)
                yield i + 1
            if batch:
                files.flush_to_disk(self.root, [s.file for s in made])
            with self.transaction() as db:
                db.executemany(INSERT, [sample_row(s) for s in made])
        except BaseException:
            for sample in made:
                with contextlib.suppress(OSError):  # left for the next open's sweep if the disk refuses
                    (self.root / sample.file).unlink(missing_ok=True)
            raise
        self.events.emit(SamplesChanged(added=tuple(s.id for s in made)))
        return made

    def insert_row(self, db: sqlite3.Connection, sample: Sample, state: str = "ok") -> None:
        """Index a sample inside a caller's transaction (the recorder and split use this)."""
        db.execute(INSERT_WITH_STATE, [*sample_row(sample), state])

    def update(self, db: sqlite3.Connection, sample_id: str, **values: object) -> None:
        """Change columns of one sample inside a caller's transaction."""
        unknown = set(values) - set(COLUMNS) - {"state"}
        if unknown:
            raise DatasetError(f"unknown sample field(s): {', '.join(sorted(unknown))}")
        values = {k: (",".join(v) if k == "axes" else v) for k, v in values.items()}  # type: ignore[arg-type]
        sets = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE samples SET {sets} WHERE id = ?", [*values.values(), sample_id])

    def purge(self, sample_ids: Iterable[str]) -> None:
        """Remove samples for good: rows first (committed), then files. A crash between leaves only
        unreferenced files, which the next open sweeps away."""
        ids = list(sample_ids)
        if not ids:
            return
        with self.transaction() as db:
            paths = [r[0] for i in ids for r in db.execute("SELECT file FROM samples WHERE id = ?", (i,))]
            db.executemany("DELETE FROM samples WHERE id = ?", [(i,) for i in ids])
        for path in paths:
            with contextlib.suppress(OSError):  # unreferenced now: the next open sweeps it if this fails
                (self.root / path).unlink(missing_ok=True)

    def start_recording(
        self,
        label: str,
        kind: str,
        rate_hz: float,
        axes: Sequence[str] | None = None,
        subject: str = "",
        session: str = "",
        board: str = "",
        firmware: str = "",
        notes: str = "",
    ) -> Any:
        """Begin a take from the live stream; see ``wandlab.dataset.recorder.Recording``."""
        from wandlab.dataset.recorder import Recording

        return Recording.start(
            self,
            label=label,
            kind=kind,
            rate_hz=rate_hz,
            axes=axes,
            subject=subject,
            session=session,
            board=board,
            firmware=firmware,
            notes=notes,
        )

    def _require_writable(self) -> None:
        if self.read_only:
            raise DatasetError(f"{self.root}: project is open read-only")


def new_id() -> str:
    return uuid.uuid4().hex


def _sample_from_draft(d: Draft) -> Sample:
    sid = new_id()
    sha = d.sha256 or content_hash(d.data)
    start, end = d.trim if d.trim is not None else (0, len(d.data))
    return Sample(
        id=sid,
        label=check_label(d.label),
        kind=d.kind,
        axes=tuple(d.axes),
        rate_hz=float(d.rate_hz),
        n_frames=len(d.data),
        trim_start=start,
        trim_end=end,
        split=d.split or stable_split(sha),
        file=files.sample_relpath(sid, d.kind),
        subject=d.subject,
        session=d.session,
        board=d.board,
        firmware=d.firmware,
        created=d.created or now_iso(),
        notes=d.notes,
        sha256=sha,
        source=d.source,
    )
