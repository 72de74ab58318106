"""The real recordings in ../shared/data: import them and round-trip them through both formats.

Skipped where the data is not checked out next to the repository.
"""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from wandlab.dataset.export import export_project
from wandlab.dataset.folder import read_imu_csv
from wandlab.dataset.importer import import_source
from wandlab.dataset.jobs import run_job
from wandlab.dataset.project import Project

from .helpers import DATA


def need(name: str):
    if not (DATA / name / "manifest.csv").exists():
        pytest.skip(f"{DATA / name} is not available")
    return DATA / name


def kept(project: Project) -> list[tuple]:
    return sorted((s.label, s.subject, s.session, s.kind, s.rate_hz, s.split, s.sha256) for s in project.samples())


def test_cyberry_wand_imports_whole_and_round_trips(tmp_path):
    src = need("cyberry_wand")
    with Project.open(tmp_path / "a", create=True) as project:
        result = run_job(import_source(project, src))
        stats = project.stats()
        assert len(result.added) == 3120 and stats["samples"] == 3120
        assert set(stats["labels"].values()) == {240} and len(stats["labels"]) == 13
        assert stats["sessions"] == 5
        [first] = [s for s in project.samples() if s.source == "samples/7_23/Circle_1.csv"]
        assert np.array_equal(project.load(first), read_imu_csv(src / first.source, 100))
        assert (first.label, first.session, first.rate_hz) == ("circle", "7_23", 100.0)
        run_job(export_project(project, tmp_path / "out"))
        original = kept(project)
    with Project.open(tmp_path / "b", create=True) as copy:
        run_job(import_source(copy, tmp_path / "out"))
        assert kept(copy) == original


@pytest.mark.parametrize("fmt", ["folder", "edge-impulse"])
def test_nanguoyu_wand_round_trips(tmp_path, fmt):
    with Project.open(tmp_path / "a", create=True) as project:
        run_job(import_source(project, need("nanguoyu_wand")))
        assert project.stats()["samples"] == 125 and project.samples()[0].rate_hz == 119.0
        run_job(export_project(project, tmp_path / "out", fmt))
        original = kept(project)
    with Project.open(tmp_path / "b", create=True) as copy:
        run_job(import_source(copy, tmp_path / "out"))
        assert kept(copy) == original


@pytest.mark.parametrize("fmt", ["folder", "edge-impulse"])
def test_fsdd_subset_round_trips(tmp_path, fmt):
    src = need("fsdd")
    subset = tmp_path / "fsdd"
    with (src / "manifest.csv").open() as f:
        rows = list(csv.reader(f))
    chosen = [rows[0]] + rows[1::50]  # 60 files: every digit and speaker
    for row in chosen[1:]:
        (subset / row[0]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / row[0], subset / row[0])
    with (subset / "manifest.csv").open("w", newline="") as f:
        csv.writer(f).writerows(chosen)
    with Project.open(tmp_path / "a", create=True) as project:
        run_job(import_source(project, subset))
        assert project.stats()["samples"] == 60 and {s.rate_hz for s in project.samples()} == {8000.0}
        run_job(export_project(project, tmp_path / "out", fmt))
        original = kept(project)
    with Project.open(tmp_path / "b", create=True) as copy:
        run_job(import_source(copy, tmp_path / "out"))
        assert kept(copy) == original
