from __future__ import annotations

import numpy as np

from wandlab.dataset.problems import find_problems
from wandlab.dataset.project import Draft

from .helpers import add, gesture, imu_draft, word


def kinds(problems, kind):
    return [p for p in problems if p.kind == kind]


def test_a_mislabeled_take_is_an_outlier_and_copies_are_duplicates(project):
    drafts = [imu_draft(label="flick", seed=i) for i in range(12)]
    odd = gesture(seed=99)
    odd[:, [0, 1, 4, 5]] = odd[:, [1, 0, 5, 4]]  # the turn about another axis: another gesture
    drafts.append(Draft("flick", "imu", ("ax", "ay", "az", "gx", "gy", "gz"), 100.0, odd))
    drafts.append(imu_draft(label="wave", seed=0))  # the same data as flick #0, labeled differently
    samples = add(project, *drafts)
    problems = find_problems(project)
    [outlier] = kinds(problems, "outlier")
    assert outlier.sample_ids == (samples[12].id,)
    dupes = kinds(problems, "duplicate")
    assert any(set(d.sample_ids) == {samples[0].id, samples[13].id} and "labeled" in d.message for d in dupes)
    assert [p.label for p in kinds(problems, "too_few")] == ["wave"]


def test_clipped_silent_flat_and_short_takes_are_flagged(project):
    loud = (word(rate=16000).astype(np.int32) * 8).clip(-32768, 32767).astype(np.int16)
    quiet = (word(rate=16000) // 200).astype(np.int16)
    saturated = gesture()
    saturated[60:70, 0] = 4.0  # accelerometer pinned at its +4 g limit
    flat = np.ones((100, 6), np.float32)
    a, b, c, d, e = add(
        project,
        Draft("yes", "audio", ("pcm",), 16000.0, loud),
        Draft("yes", "audio", ("pcm",), 16000.0, quiet),
        Draft("flick", "imu", ("ax", "ay", "az", "gx", "gy", "gz"), 100.0, saturated),
        Draft("flick", "imu", ("ax", "ay", "az", "gx", "gy", "gz"), 100.0, flat),
        Draft("yes", "audio", ("pcm",), 16000.0, word(rate=16000)[6000:8000]),  # 0.125 s
    )
    problems = find_problems(project, min_takes=1)
    assert {p.sample_ids[0] for p in kinds(problems, "clipped")} == {a.id, c.id}
    assert [p.sample_ids[0] for p in kinds(problems, "silent")] == [b.id]
    assert [p.sample_ids[0] for p in kinds(problems, "flat")] == [d.id]
    assert [p.sample_ids[0] for p in kinds(problems, "too_short")] == [e.id]


def test_a_clean_label_raises_nothing(project):
    add(project, *[imu_draft(label="flick", seed=i) for i in range(12)])
    assert find_problems(project) == []


def test_a_missing_file_is_reported_not_raised(project):
    [s] = add(project, imu_draft())
    (project.root / s.file).unlink()
    [problem] = find_problems(project, min_takes=1)
    assert problem.kind == "unreadable" and "missing" in problem.message
