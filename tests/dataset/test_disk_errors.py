"""A full or read-only disk: every dataset operation ends in one DatasetError sentence naming the file,
and a recording whose journal cannot be written stops at once and keeps what reached the disk.

Disks are simulated (``helpers.FullDisk``, a refusing ``open``, SQLite's own page limit), so the tests
also hold when they run as root, whom chmod does not stop.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest

from wandlab.dataset import lock
from wandlab.dataset.capture import IDLE, CaptureError, TakeSaved
from wandlab.dataset.export import export_project
from wandlab.dataset.importer import import_source
from wandlab.dataset.jobs import run_job
from wandlab.dataset.project import Project
from wandlab.errors import DatasetError

from .helpers import FullDisk, add, files_under, gesture, imu_draft, make_folder, refusing
from .test_capture import Clock, record

# -- imports, edits, exports -----------------------------------------------------------------------------


def test_an_import_on_a_full_disk_says_so_and_changes_nothing(project: Project, tmp_path: Path, monkeypatch) -> None:
    add(project, imu_draft())
    before = files_under(project.root / "samples")
    FullDisk(monkeypatch).samples = True
    with pytest.raises(DatasetError, match=r"samples/.*\.npy: could not write the file: the disk is full; free some"):
        run_job(import_source(project, make_folder(tmp_path / "src", takes=1)))
    assert len(project.samples()) == 1 and files_under(project.root / "samples") == before
    assert files_under(project.root / "tmp") == set()  # no temporary file left behind


def test_a_split_on_a_full_disk_is_refused_whole(project: Project, monkeypatch) -> None:
    [sample] = add(project, imu_draft())
    FullDisk(monkeypatch).samples = True
    with pytest.raises(DatasetError, match="the disk is full"):
        project.editor.split(sample.id, [80])
    assert project.samples() == [sample]


def test_a_full_index_says_so_and_rolls_back(project: Project) -> None:
    """SQLite's own limit on the index's size gives the real SQLITE_FULL ("database or disk is full")."""
    add(project, imu_draft())
    pages = project._db.execute("PRAGMA page_count").fetchone()[0]
    project._db.execute(f"PRAGMA max_page_count = {pages}")
    drafts = [imu_draft(label="x" * 60 + str(i), seed=i, notes="n" * 1500) for i in range(20)]
    with pytest.raises(DatasetError, match=r"wandlab.sqlite: could not change the project index: the disk is full"):
        add(project, *drafts)
    assert len(project.samples()) == 1 and len(files_under(project.root / "samples")) == 1
    project._db.execute(f"PRAGMA max_page_count = {10 * pages}")
    add(project, imu_draft(label="after", seed=99))  # the connection was left usable
    assert len(project.samples()) == 2


def test_an_export_to_a_full_disk_says_so_and_leaves_nothing(project: Project, tmp_path: Path, monkeypatch) -> None:
    add(project, imu_draft())
    monkeypatch.setattr(Path, "write_text", refusing())
    with pytest.raises(DatasetError, match="out: could not write the export: the disk is full"):
        run_job(export_project(project, tmp_path / "out"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]


def test_a_read_only_disk_is_named_when_the_project_opens(tmp_path: Path, monkeypatch) -> None:
    Project.open(tmp_path / "p", create=True).close()
    monkeypatch.setattr(lock, "open", refusing(errno.EROFS), raising=False)  # what open() says on a read-only mount
    with pytest.raises(
        DatasetError, match="project.lock: could not lock the project for writing: the disk is read-only"
    ):
        Project.open(tmp_path / "p")
    with Project.open(tmp_path / "p", read_only=True) as reader:  # reading needs no lock
        assert reader.samples() == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_a_folder_without_write_permission_is_named(tmp_path: Path) -> None:
    (tmp_path / "locked").mkdir(mode=0o500)
    try:
        with pytest.raises(DatasetError, match="could not create the project folder: permission denied"):
            Project.open(tmp_path / "locked" / "p", create=True)
    finally:
        (tmp_path / "locked").chmod(0o700)


# -- recording: a journal that cannot be written stops at once and keeps what it has -----------------------


def test_a_journal_that_cannot_grow_stops_the_take_and_keeps_what_it_has(project: Project, monkeypatch) -> None:
    disk = FullDisk(monkeypatch)
    rec = project.start_recording("flick", "imu", 100)
    data = gesture()
    rec.append(data[:40])
    disk.journal = True
    with pytest.raises(DatasetError, match=r"\.partial: could not write the recording journal: the disk is full"):
        rec.append(data[40:50])
    assert rec.broken is not None
    with pytest.raises(DatasetError, match="the disk is full"):  # no block is taken in silence afterwards
        rec.append(data[50:60])
    sample = rec.finish()
    assert sample.n_frames == 40 and sample.interrupted


def test_a_take_that_cannot_be_saved_either_is_recovered_on_the_next_open(tmp_path: Path, monkeypatch) -> None:
    disk = FullDisk(monkeypatch)
    project = Project.open(tmp_path / "p", create=True)
    rec = project.start_recording("flick", "imu", 100)
    rec.append(gesture()[:40])
    disk.journal = disk.samples = True
    with pytest.raises(DatasetError):
        rec.append(gesture()[40:50])
    with pytest.raises(DatasetError, match="the disk is full"):
        rec.finish()
    assert rec.journal_kept
    project.close()
    disk.journal = disk.samples = False  # space was freed
    with Project.open(tmp_path / "p") as again:
        [sample] = again.samples()
        assert sample.n_frames == 40 and sample.interrupted and "Recovered" in again.recovery[0]


def test_a_take_that_cannot_start_leaves_nothing(project: Project, monkeypatch) -> None:
    FullDisk(monkeypatch).journal = True
    with pytest.raises(DatasetError, match="could not start the recording journal: the disk is full"):
        project.start_recording("flick", "imu", 100)
    assert files_under(project.root / "recordings") == set()
    assert project.stats()["recording"] == 0


def test_a_full_disk_stops_the_capture_with_one_message(project: Project, monkeypatch) -> None:
    disk = FullDisk(monkeypatch)
    capture, events = record(project, takes=3, seconds=1.0, countdown_s=0)
    clock = Clock(capture)
    clock.still(0.2)
    capture.start(clock.now)
    clock.stream(gesture()[:100])  # take 1, whole
    clock.still(0.5)  # the pause between takes
    clock.stream(gesture()[:48])  # take 2 is under way...
    assert capture.frames == 48
    disk.journal = True  # ...when the disk fills up
    clock.stream(gesture()[48:100])
    assert capture.state == IDLE and not capture.running
    [error] = [e.message for e in events if isinstance(e, CaptureError)]
    assert error.startswith("Recording stopped: ") and "the disk is full; free some space" in error
    assert "Take 2 was saved with the 0.48 s that reached the disk; the 1 take(s) before it are saved." in error
    saved = [e for e in events if isinstance(e, TakeSaved)]
    assert [(e.take, e.interrupted) for e in saved] == [(1, False), (2, True)]
    assert sorted(s.n_frames for s in project.samples()) == [48, 100]
    clock.stream(gesture()[:100])  # blocks keep arriving: nothing records them
    assert len(project.samples()) == 2


def test_a_capture_whose_take_cannot_be_saved_says_it_is_recovered_later(tmp_path: Path, monkeypatch) -> None:
    disk = FullDisk(monkeypatch)
    project = Project.open(tmp_path / "p", create=True)
    capture, events = record(project, takes=2, seconds=1.0, countdown_s=0)
    clock = Clock(capture)
    clock.still(0.2)
    capture.start(clock.now)
    clock.stream(gesture()[:48])
    disk.journal = disk.samples = True
    clock.stream(gesture()[48:100])
    [error] = [e.message for e in events if isinstance(e, CaptureError)]
    assert "Take 1 could not be saved" in error and "recovered when the project is next opened" in error
    assert capture.state == IDLE and project.samples() == []
    project.close()
    disk.journal = disk.samples = False
    with Project.open(tmp_path / "p") as again:
        [sample] = again.samples()
        assert sample.n_frames == 48 and sample.interrupted


def test_sqlite_errors_inside_a_transaction_become_sentences(project: Project) -> None:
    with pytest.raises(DatasetError, match="could not change the project index: the disk is full"):
        with project.transaction():
            raise sqlite3.OperationalError("database or disk is full")
    with project.transaction() as db:  # no transaction was left open
        db.execute("SELECT 1")
