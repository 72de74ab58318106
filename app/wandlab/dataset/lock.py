"""One writer per project folder, enforced by an OS file lock.

An OS lock (not a PID file) is released by the kernel when the holder dies, even by SIGKILL, so a
crashed recorder never leaves the project locked, and recovery on the next open cannot run while
another live process is still writing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from wandlab.dataset.files import disk_error
from wandlab.errors import DatasetError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


class ProjectLock:
    NAME = "project.lock"

    def __init__(self, handle: IO[str]) -> None:
        self._handle: IO[str] | None = handle

    @classmethod
    def acquire(cls, root: Path) -> ProjectLock:
        path = root / cls.NAME
        try:
            handle = open(path, "a+")  # noqa: SIM115 - held open for the project's lifetime
        except OSError as exc:  # a read-only disk or folder, a full disk: say so, not a traceback
            raise disk_error(exc, path, "lock the project for writing") from None
        try:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            handle.close()
            raise DatasetError(
                f"{root}: the project is open in another Wandlab window or command; close it there first"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")  # for a person wondering who holds it; never trusted
            handle.flush()
        except OSError as exc:
            handle.close()
            raise disk_error(exc, path, "lock the project for writing") from None
        return cls(handle)

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing drops the lock
            self._handle = None
