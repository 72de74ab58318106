"""Putting a project right after a crash, run on every writable open (under the project lock).

Interrupted recordings become samples marked ``interrupted`` (with a note saying so), never dropped
silently; anything that cannot be recovered is kept on disk and reported. Files that no committed row
names (an import or split that crashed before its commit) are removed, as are the leftovers of atomic
writes. Returns what it did, in words, for the GUI to show once.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from wandlab.dataset import files, journal
from wandlab.dataset.recorder import finalize
from wandlab.errors import DatasetError

if TYPE_CHECKING:
    from wandlab.dataset.project import Project


def recover(project: Project) -> list[str]:
    report: list[str] = []
    shutil.rmtree(project.root / files.TMP_DIR, ignore_errors=True)
    report += _recover_recordings(project)
    report += _purge_deleted(project)
    report += _sweep_orphans(project)
    return report


def _recover_recordings(project: Project) -> list[str]:
    report: list[str] = []
    folder = project.root / files.RECORDINGS_DIR
    partials = sorted(folder.glob(f"*{journal.PARTIAL}")) if folder.is_dir() else []
    for partial in partials:
        sid = partial.stem
        state = project.state_of(sid)
        if state in ("ok", "deleted"):  # finished, crashed before the journal was removed
            journal.remove_journal(partial)
            continue
        try:
            sample = finalize(project, partial, interrupted=True)
        except DatasetError as exc:
            report.append(_keep_broken(project, partial, sid, str(exc)))
            continue
        report.append(
            f"Recovered an interrupted recording of '{sample.label}': {sample.n_frames} frames "
            f"({sample.duration_s:.2f} s), marked as interrupted"
        )
    if folder.is_dir():
        for gaps in folder.glob(f"*{journal.GAPS}"):
            if not gaps.with_suffix(journal.PARTIAL).exists():
                gaps.unlink(missing_ok=True)
    with project.transaction() as db:
        stale = db.execute("SELECT id, label FROM samples WHERE state = 'recording'").fetchall()
        for row in stale:
            db.execute("DELETE FROM samples WHERE id = ?", (row["id"],))
            report.append(f"A recording of '{row['label']}' left no journal on disk; nothing to recover")
    return report


def _keep_broken(project: Project, partial: Path, sid: str, why: str) -> str:
    """An unusable journal: unindex the take but keep the bytes where a person can find them."""
    with project.transaction() as db:
        db.execute("DELETE FROM samples WHERE id = ? AND state = 'recording'", (sid,))
    if "no complete frame" in why:
        journal.remove_journal(partial)
        return f"An interrupted recording ({sid[:8]}) had not received any data yet; nothing to recover"
    broken = partial.with_suffix(".broken")
    partial.replace(broken)
    return f"Could not recover {partial.name} ({why}); its bytes are kept in {broken}"


def _purge_deleted(project: Project) -> list[str]:
    # Undo history does not survive a restart, so soft-deleted samples are now deleted for good.
    deleted = [s.id for s in project.samples(state="deleted")]
    project.purge(deleted)
    return []


def _sweep_orphans(project: Project) -> list[str]:
    folder = project.root / files.SAMPLES_DIR
    if not folder.is_dir():
        return []
    with project.transaction() as db:
        known = {r[0] for r in db.execute("SELECT file FROM samples")}
    removed = 0
    for path in folder.glob("*/*"):
        if path.relative_to(project.root).as_posix() not in known:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        return [f"Removed {removed} file(s) left by an import or edit that did not complete"]
    return []
