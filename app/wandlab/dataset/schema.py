"""The project's SQLite index: schema, versioned migrations and connection settings.

The schema version lives in ``PRAGMA user_version``. Each migration runs inside the same transaction
as the version bump, so an interrupted upgrade leaves the old version intact rather than half a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from wandlab.errors import DatasetError

INDEX_NAME = "wandlab.sqlite"
# SQLite's primary result codes (sqlite3.h) a user can do something about.
_INDEX_PROBLEMS = {
    13: "the disk is full; free some space, then try again",  # SQLITE_FULL
    8: "it is read-only (a read-only disk, or no permission to write); use a folder on a writable disk",
    10: "the disk reported an input/output error; check that it is still connected and healthy",  # IOERR
    14: "it cannot be opened; check that the folder exists and that you may write to it",  # CANTOPEN
    5: "another program is writing to it; close that program, then try again",  # SQLITE_BUSY
    6: "another program is writing to it; close that program, then try again",  # SQLITE_LOCKED
    11: "it is damaged; restore the project folder from a backup",  # SQLITE_CORRUPT
    26: "it is not a Wandlab index; restore the project folder from a backup",  # SQLITE_NOTADB
}


def index_error(exc: sqlite3.Error, path: Path, doing: str) -> DatasetError:
    """One sentence for a failed index operation: the file, what failed, why and what to do."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # extended codes carry the primary one
    if not code and "disk is full" in str(exc):
        code = 13
    why = _INDEX_PROBLEMS.get(code) or f"{exc}; check the disk, then try again"
    return DatasetError(f"{path}: could not {doing}: {why}")


def _v1(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE samples (
            id          TEXT PRIMARY KEY,
            label       TEXT NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('imu', 'audio')),
            axes        TEXT NOT NULL,
            rate_hz     REAL NOT NULL CHECK (rate_hz > 0),
            n_frames    INTEGER NOT NULL CHECK (n_frames >= 0),
            trim_start  INTEGER NOT NULL,
            trim_end    INTEGER NOT NULL,
            split       TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
            file        TEXT NOT NULL,
            subject     TEXT NOT NULL DEFAULT '',
            session     TEXT NOT NULL DEFAULT '',
            board       TEXT NOT NULL DEFAULT '',
            firmware    TEXT NOT NULL DEFAULT '',
            created     TEXT NOT NULL,
            notes       TEXT NOT NULL DEFAULT '',
            lost_blocks INTEGER NOT NULL DEFAULT 0,
            interrupted INTEGER NOT NULL DEFAULT 0,
            sha256      TEXT NOT NULL DEFAULT '',
            source      TEXT NOT NULL DEFAULT '',
            -- 'ok': a normal sample; 'recording': a journal is being written (recovered on open);
            -- 'deleted': soft-deleted, kept so that undo can bring it back.
            state       TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'recording', 'deleted'))
        )
        """
    )
    db.execute("CREATE INDEX samples_label ON samples (state, label)")
    db.execute("CREATE INDEX samples_sha ON samples (sha256)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


# MIGRATIONS[i] upgrades a database from version i to i + 1. Append, never edit a released step.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1]


def schema_version() -> int:
    return len(MIGRATIONS)


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """Open the index. Writers get WAL (readers never block the recorder) and full fsync on commit."""
    try:
        if read_only:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:  # e.g. a folder that cannot be written or read
        raise index_error(exc, path, "open the project index") from None
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA busy_timeout = 5000")
        if not read_only:
            db.execute("PRAGMA journal_mode = WAL")
            # FULL: a commit is on disk when it returns, so the files it names are never orphaned
            # by a power cut that keeps the files but loses the commit (or the reverse).
            db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.OperationalError as exc:  # full, read-only or failing disk
        db.close()
        raise index_error(exc, path, "open the project index") from None
    except sqlite3.DatabaseError as exc:
        db.close()
        raise DatasetError(f"{path.name}: not a readable Wandlab index ({exc})") from None
    if version > schema_version():
        db.close()
        raise DatasetError(
            f"{path.name}: project was written by a newer Wandlab (schema {version}, this one knows "
            f"{schema_version()}); update Wandlab to open it"
        )
    return db


def migrate(db: sqlite3.Connection) -> int:
    """Bring the index to the current schema, one committed step at a time. Returns the new version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    while version < schema_version():
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        version += 1
    return version
