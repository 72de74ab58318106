from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from wandlab.dataset import schema
from wandlab.dataset.events import SamplesChanged
from wandlab.dataset.model import stable_split
from wandlab.dataset.project import Draft, Project
from wandlab.errors import DatasetError

from .helpers import add, files_under, gesture, imu_draft, word


def test_samples_survive_reopen_with_all_metadata(tmp_path):
    root = tmp_path / "p"
    with Project.open(root, create=True) as p:
        [s] = add(p, imu_draft(subject="ana", session="mon", board="nano33", firmware="1.2", notes="first"))
    with Project.open(root) as p:
        again = p.get(s.id)
        assert again == s
        assert (again.subject, again.session, again.board, again.firmware) == ("ana", "mon", "nano33", "1.2")
        assert np.array_equal(p.load(again), gesture(seed=0))
        assert p.stats()["samples"] == 1 and p.label_counts() == {"flick": 1}


def test_audio_is_stored_as_16_bit_wav_exactly(project):
    pcm = word(rate=16000)
    [s] = add(project, Draft("yes", "audio", ("pcm",), 16000.0, pcm))
    assert s.file.endswith(".wav")
    assert np.array_equal(project.load(s), pcm)


def test_opening_a_folder_that_is_not_a_project_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="not a Wandlab project"):
        Project.open(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="not empty"):
        Project.open(tmp_path, create=True)


def test_second_writer_is_refused_but_readers_are_welcome(project):
    add(project, imu_draft())
    with pytest.raises(DatasetError, match="open in another"):
        Project.open(project.root)
    with Project.open(project.root, read_only=True) as reader:
        assert reader.stats()["samples"] == 1
        with pytest.raises(DatasetError, match="read-only"):
            add(reader, imu_draft(seed=1))


def test_project_from_a_newer_wandlab_is_refused(tmp_path):
    root = tmp_path / "p"
    Project.open(root, create=True).close()
    db = sqlite3.connect(root / schema.INDEX_NAME)
    db.execute(f"PRAGMA user_version = {schema.schema_version() + 1}")
    db.close()
    with pytest.raises(DatasetError, match="newer Wandlab"):
        Project.open(root)


def test_migrations_upgrade_an_old_index_in_place(tmp_path, monkeypatch):
    root = tmp_path / "p"
    with Project.open(root, create=True) as p:
        [s] = add(p, imu_draft())

    def v2(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE samples ADD COLUMN rating INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, v2])
    with Project.open(root) as p:
        assert p.get(s.id).label == "flick"
        assert p._db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_failed_migration_leaves_the_old_version(tmp_path, monkeypatch):
    root = tmp_path / "p"
    Project.open(root, create=True).close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE samples ADD COLUMN rating INTEGER")
        raise RuntimeError("disk full")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    with pytest.raises(RuntimeError):
        Project.open(root)
    monkeypatch.undo()
    with Project.open(root) as p:
        columns = [r[1] for r in p._db.execute("PRAGMA table_info(samples)")]
        assert "rating" not in columns


def test_split_is_stable_and_roughly_80_10_10():
    keys = [f"{i:08x}" for i in range(3000)]
    splits = [stable_split(k) for k in keys]
    assert splits == [stable_split(k) for k in keys]
    shares = {s: splits.count(s) / len(splits) for s in ("train", "validation", "test")}
    assert 0.76 < shares["train"] < 0.84 and 0.07 < shares["test"] < 0.13


def test_identical_takes_land_in_the_same_split(project):
    a, b = add(project, imu_draft(seed=3), imu_draft(label="other", seed=3))
    assert a.split == b.split


def test_a_failing_add_writes_nothing(project):
    add(project, imu_draft())
    before = files_under(project.root / "samples")
    bad = Draft("x", "imu", ("ax", "ay", "az"), 100.0, np.zeros((10, 3), np.float32))
    bad.label = ""  # rejected when indexed, after the first file was written
    with pytest.raises(DatasetError):
        add(project, imu_draft(seed=1), bad)
    assert files_under(project.root / "samples") == before
    assert project.stats()["samples"] == 1


def test_files_left_by_a_crash_before_commit_are_swept_on_open(tmp_path):
    root = tmp_path / "p"
    with Project.open(root, create=True) as p:
        [s] = add(p, imu_draft())
    (root / "samples" / "zz").mkdir()
    (root / "samples" / "zz" / "zz00.npy").write_bytes(b"half an import")
    (root / "tmp").mkdir(exist_ok=True)
    (root / "tmp" / "x.tmp").write_bytes(b"half a write")
    with Project.open(root) as p:
        assert files_under(root / "samples") == {s.file.removeprefix("samples/")}
        assert not (root / "tmp" / "x.tmp").exists()
        assert any("did not complete" in line for line in p.recovery)


def test_added_samples_are_announced(project):
    seen = []
    project.events.subscribe(seen.append)
    [s] = add(project, imu_draft())
    assert SamplesChanged(added=(s.id,)) in seen


def test_a_broken_subscriber_does_not_break_the_change(project):
    def boom(event: object) -> None:
        raise RuntimeError("view bug")

    project.events.subscribe(boom)
    add(project, imu_draft())
    assert project.stats()["samples"] == 1
