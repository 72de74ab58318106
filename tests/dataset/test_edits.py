from __future__ import annotations

import numpy as np
import pytest

from wandlab.dataset.events import HistoryChanged, SamplesChanged
from wandlab.dataset.project import Project
from wandlab.errors import DatasetError

from .helpers import add, imu_draft


def test_relabel_undo_redo(project):
    a, b = add(project, imu_draft(seed=1), imu_draft(seed=2))
    project.editor.relabel([a.id, b.id], "circle")
    assert project.label_counts() == {"circle": 2}
    project.editor.undo()
    assert project.label_counts() == {"flick": 2}
    project.editor.redo()
    assert project.label_counts() == {"circle": 2}


def test_crop_is_validated_and_undoable(project):
    [s] = add(project, imu_draft())
    project.editor.set_trim(s.id, 10, 90)
    assert (project.get(s.id).trim_start, project.get(s.id).trim_end) == (10, 90)
    with pytest.raises(DatasetError, match="trim"):
        project.editor.set_trim(s.id, 90, 10)
    with pytest.raises(DatasetError, match="trim"):
        project.editor.set_trim(s.id, 0, s.n_frames + 1)
    project.editor.undo()
    assert (project.get(s.id).trim_start, project.get(s.id).trim_end) == (0, s.n_frames)
    assert not project.editor.can_undo  # the refused edits left no history


def test_delete_is_undoable_and_final_only_when_history_is_gone(tmp_path):
    root = tmp_path / "p"
    with Project.open(root, create=True) as project:
        [s] = add(project, imu_draft())
        project.editor.delete([s.id])
        assert project.samples() == [] and (root / s.file).exists()
        project.editor.undo()
        assert project.samples() == [s]
        project.editor.redo()
    with Project.open(root) as project:  # closing ended the undo history
        assert project.samples(state="deleted") == []
        assert not (root / s.file).exists()


def test_split_makes_parts_and_undo_restores_the_original(project):
    [long] = add(project, imu_draft(label="two"))
    long_data = project.load(long)
    project.editor.split(long.id, [80])
    parts = sorted(project.samples(label="two"), key=lambda p: p.notes)  # "frames 0-80", "frames 80-..."
    assert len(parts) == 2 and long.id not in {p.id for p in parts}
    assert [p.n_frames for p in parts] == [80, len(long_data) - 80]
    assert np.array_equal(np.concatenate([project.load(p) for p in parts]), long_data)
    assert all(p.trim_end - p.trim_start <= p.n_frames for p in parts)
    project.editor.undo()
    assert [x.id for x in project.samples(label="two")] == [long.id]
    project.editor.redo()
    assert {x.id for x in project.samples(label="two")} == {p.id for p in parts}


def test_split_points_must_be_inside_the_take(project):
    [s] = add(project, imu_draft())
    for cuts in ([0], [s.n_frames], [50, 50], []):
        with pytest.raises(DatasetError, match="split points"):
            project.editor.split(s.id, cuts)
    assert project.samples() == [s] and not project.editor.can_undo


def test_a_new_edit_after_undo_purges_what_only_redo_could_restore(project):
    [s] = add(project, imu_draft())
    project.editor.split(s.id, [60])
    part_files = [p.file for p in project.samples()]
    project.editor.undo()
    project.editor.relabel([s.id], "other")  # the redo of the split is gone for good
    assert not project.editor.can_redo
    assert all(not (project.root / f).exists() for f in part_files)
    assert (project.root / s.file).exists()


def test_history_events_say_what_undo_would_do(project):
    [s] = add(project, imu_draft())
    events = []
    project.events.subscribe(events.append)
    project.editor.relabel([s.id], "circle")
    assert SamplesChanged(changed=(s.id,)) in events
    assert events[-1] == HistoryChanged(True, False, "Undo relabel 1 take as 'circle'", "Redo")
    project.editor.undo()
    assert events[-1] == HistoryChanged(False, True, "Undo", "Redo relabel 1 take as 'circle'")


def test_editing_a_deleted_or_unknown_take_is_refused(project):
    [s] = add(project, imu_draft())
    project.editor.delete([s.id])
    with pytest.raises(DatasetError, match="no sample"):
        project.editor.relabel([s.id], "x")
    with pytest.raises(DatasetError, match="no sample"):
        project.editor.delete(["nope"])


def test_other_fields_are_validated(project):
    [s] = add(project, imu_draft())
    project.editor.set_fields([s.id], notes="wobbly", split="test", subject="bo")
    assert (project.get(s.id).notes, project.get(s.id).split, project.get(s.id).subject) == (
        "wobbly",
        "test",
        "bo",
    )
    with pytest.raises(DatasetError, match="split"):
        project.editor.set_fields([s.id], split="holdout")
    with pytest.raises(DatasetError, match="cannot edit"):
        project.editor.set_fields([s.id], sha256="0")
    with pytest.raises(DatasetError, match="label"):
        project.editor.relabel([s.id], "  ")


def test_undo_limit_purges_the_oldest_deletions(project):
    project.editor.limit = 2
    a, b, c = add(project, imu_draft(seed=1), imu_draft(seed=2), imu_draft(seed=3))
    for s in (a, b, c):
        project.editor.delete([s.id])
    assert not (project.root / a.file).exists()  # fell off the stack: no undo can bring it back
    assert (project.root / c.file).exists()
