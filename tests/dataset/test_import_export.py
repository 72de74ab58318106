from __future__ import annotations

import json
import math
import os
import shutil

import numpy as np
import pytest

from wandlab.dataset import folder, input_rules
from wandlab.dataset.export import export_project
from wandlab.dataset.importer import import_source
from wandlab.dataset.jobs import run_job
from wandlab.dataset.project import Project
from wandlab.dataset.sources import ImportOptions
from wandlab.errors import DatasetError

from .helpers import files_under, gesture, make_folder, word, write_imu_csv, write_wav


def summary(project: Project) -> list[tuple]:
    """What a round trip must keep, per sample, in a stable order."""
    rows = [
        (
            s.label,
            s.subject,
            s.session,
            s.kind,
            s.rate_hz,
            s.split,
            s.trim_start,
            s.trim_end,
            s.notes,
            s.sha256,
        )
        for s in project.samples()
    ]
    return sorted(rows)


def test_labeled_folder_imports_with_progress(project, tmp_path):
    src = make_folder(tmp_path / "src")
    progress = []
    result = run_job(import_source(project, src), progress.append)
    assert len(result.added) == 9 and result.format == "folder"
    assert project.label_counts() == {"flick": 3, "wave": 3, "yes": 3}
    assert progress[-1].done == progress[-1].total and "Imported 9" in progress[-1].message
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    [yes] = [s for s in project.samples(label="yes") if s.source == "audio/yes_0.wav"]
    assert (yes.subject, yes.session, yes.rate_hz) == ("p0", "s2", 8000.0)


@pytest.mark.parametrize("fmt", ["folder", "edge-impulse"])
def test_export_then_import_round_trips_exactly(project, tmp_path, fmt):
    run_job(import_source(project, make_folder(tmp_path / "src")))
    project.editor.set_trim(project.samples()[0].id, 3, 40)
    project.editor.set_fields([project.samples()[1].id], notes="line one\nline two, with comma")
    run_job(export_project(project, tmp_path / "out", fmt))
    with Project.open(tmp_path / "copy", create=True) as copy:
        run_job(import_source(copy, tmp_path / "out"))
        assert summary(copy) == summary(project)


def test_exported_imu_text_is_short_and_exact(project, tmp_path):
    run_job(import_source(project, make_folder(tmp_path / "src")))
    run_job(export_project(project, tmp_path / "out"))
    sample = project.samples(label="flick")[0]
    text = (tmp_path / "out" / "samples" / "flick" / f"{sample.id}.csv").read_text()
    assert max(len(v) for line in text.splitlines()[1:] for v in line.split(",")) <= 16
    assert np.array_equal(
        folder.read_imu_csv(tmp_path / "out" / "samples" / "flick" / f"{sample.id}.csv", 100),
        project.load(sample),
    )


def test_trimmed_export_writes_only_the_trim_range(project, tmp_path):
    run_job(import_source(project, make_folder(tmp_path / "src"), ImportOptions(auto_trim=True)))
    run_job(export_project(project, tmp_path / "out", trimmed=True))
    with Project.open(tmp_path / "copy", create=True) as copy:
        run_job(import_source(copy, tmp_path / "out"))
        lengths = sorted(s.n_frames for s in copy.samples())
        assert lengths == sorted(s.trim_end - s.trim_start for s in project.samples())


def test_reimporting_skips_what_is_already_there(project, tmp_path):
    src = make_folder(tmp_path / "src")
    run_job(import_source(project, src))
    again = run_job(import_source(project, src))
    assert again.added == [] and again.skipped == 9
    forced = run_job(import_source(project, src, ImportOptions(skip_duplicates=False)))
    assert len(forced.added) == 9


def test_edge_impulse_units_are_converted(project, tmp_path):
    data = gesture()[:50]
    doc = {
        "protected": {"ver": "v1", "alg": "HS256", "iat": 0},
        "signature": "ab" * 32,
        "payload": {
            "device_name": "aa:bb",
            "device_type": "NICLA",
            "interval_ms": 10,
            "sensors": [{"name": n, "units": "m/s2"} for n in ("accX", "accY", "accZ")]
            + [{"name": n, "units": "rad/s"} for n in ("gyrX", "gyrY", "gyrZ")],
            "values": (data.astype(np.float64) * ([9.80665] * 3 + [math.pi / 180] * 3)).tolist(),
        },
    }
    (tmp_path / "circle.s1.json").write_text(json.dumps(doc))
    run_job(import_source(project, tmp_path / "circle.s1.json"))
    [s] = project.samples()
    assert (s.label, s.rate_hz, s.board) == ("circle", 100.0, "aa:bb")
    assert np.allclose(project.load(s), data, atol=1e-5)


def test_edge_impulse_audio(project, tmp_path):
    pcm = word(rate=16000)[:4000]
    doc = {
        "payload": {
            "interval_ms": 0.0625,
            "sensors": [{"name": "audio", "units": "wav"}],
            "values": pcm.tolist(),
        }
    }
    (tmp_path / "hello.json").write_text(json.dumps(doc))
    run_job(import_source(project, tmp_path / "hello.json"))
    [s] = project.samples()
    assert (s.label, s.kind, s.rate_hz) == ("hello", "audio", 16000.0)
    assert np.array_equal(project.load(s), pcm)


def test_plain_files_take_labels_from_folders(project, tmp_path):
    write_wav(tmp_path / "src" / "yes" / "a.wav", word(rate=16000), 16000)
    write_imu_csv(tmp_path / "src" / "flick" / "b.csv", gesture())
    (tmp_path / "src" / "README.md").write_text("ignored")
    run_job(import_source(project, tmp_path / "src", ImportOptions(rate_hz=100, subject="ana")))
    assert project.label_counts() == {"flick": 1, "yes": 1}
    assert {s.subject for s in project.samples()} == {"ana"}


def test_plain_csv_rate_comes_from_timestamps(project, tmp_path):
    data = gesture()[:30]
    lines = ["timestamp,ax,ay,az,gx,gy,gz"] + [
        f"{i * 5},{','.join(repr(float(v)) for v in row)}" for i, row in enumerate(data)
    ]
    (tmp_path / "tap.1.csv").write_text("\n".join(lines))
    run_job(import_source(project, tmp_path / "tap.1.csv"))
    [s] = project.samples()
    assert (s.label, s.rate_hz) == ("tap", 200.0) and np.array_equal(project.load(s), data)


def test_plain_csv_without_a_rate_is_refused(project, tmp_path):
    write_imu_csv(tmp_path / "x.csv", gesture())
    with pytest.raises(DatasetError, match="x.csv.*rate is unknown"):
        run_job(import_source(project, tmp_path / "x.csv"))


# -- hostile and broken input: a clear error naming the file, and the project unchanged -----------


def _break_manifest(src, line: str) -> None:
    manifest = src / "manifest.csv"
    manifest.write_text(manifest.read_text() + line + "\n")


HOSTILE = {
    "traversal": (lambda s: _break_manifest(s, "../../etc/passwd,x,,,imu,100"), "outside the folder"),
    "absolute": (lambda s: _break_manifest(s, "/etc/passwd,x,,,imu,100"), "outside the folder"),
    "absurd rate": (lambda s: _break_manifest(s, "samples/flick_0.csv,x,,,imu,1e9"), "out of range"),
    "wav rate mismatch": (
        lambda s: _break_manifest(s, "audio/yes_0.wav,x,,,audio,16000"),
        "yes_0.wav: the audio is 8000 Hz",
    ),
    "bad kind": (lambda s: _break_manifest(s, "samples/flick_0.csv,x,,,video,100"), "kind must be"),
    "truncated wav": (
        lambda s: (s / "audio/yes_1.wav").write_bytes((s / "audio/yes_1.wav").read_bytes()[:-500]),
        "yes_1.wav: truncated WAV",
    ),
    "not a wav": (
        lambda s: (s / "audio/yes_1.wav").write_bytes(b"RIFF0000WAVEjunk"),
        "yes_1.wav: not a valid WAV",
    ),
    "short row": (
        lambda s: (s / "samples/wave_1.csv").write_text("ax,ay,az,gx,gy,gz\n1,2,3,4,5,6\n1,2\n"),
        "wave_1.csv: line 3 has 2 values",
    ),
    "not a number": (
        lambda s: (s / "samples/wave_1.csv").write_text("ax,ay,az\n1,2,x\n"),
        "wave_1.csv: line 2 has a value that is not a number",
    ),
    "nan": (
        lambda s: (s / "samples/wave_1.csv").write_text("ax,ay,az\n1,2,nan\n"),
        "wave_1.csv: contains NaN",
    ),
    "wrong header": (lambda s: (s / "samples/wave_1.csv").write_text("x,y,z\n1,2,3\n"), "wave_1.csv: header"),
    "binary csv": (
        lambda s: (s / "samples/wave_1.csv").write_bytes(b"\xff\xfe\x00garbage"),
        "wave_1.csv: not a UTF-8",
    ),
    "missing file": (lambda s: (s / "samples/wave_1.csv").unlink(), "wave_1.csv: file is missing"),
    "empty label": (lambda s: _break_manifest(s, "samples/flick_0.csv,,,,imu,100"), "empty label"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_broken_source_is_refused_and_changes_nothing(project, tmp_path, case):
    run_job(import_source(project, make_folder(tmp_path / "first", takes=1)))
    before_files, before = files_under(project.root / "samples"), summary(project)
    src = make_folder(tmp_path / "src", takes=2)
    breaker, message = HOSTILE[case]
    breaker(src)
    with pytest.raises(DatasetError, match="nothing was imported") as err:
        run_job(import_source(project, src))
    assert message in str(err.value)
    assert summary(project) == before and files_under(project.root / "samples") == before_files


def test_extra_manifest_columns_are_validated(project, tmp_path):
    src = make_folder(tmp_path / "src", takes=1)
    lines = (src / "manifest.csv").read_text().splitlines()
    lines = [lines[0] + ",split,trim_start,trim_end"] + [line + ",train,0,10" for line in lines[1:]]
    (src / "manifest.csv").write_text("\n".join(lines[:-1] + [lines[-1].replace("train,0,10", "holdout,0,10")]))
    with pytest.raises(DatasetError, match="split must be one of"):
        run_job(import_source(project, src))
    (src / "manifest.csv").write_text("\n".join(lines[:-1] + [lines[-1].replace("train,0,10", "train,5,1")]))
    with pytest.raises(DatasetError, match="trim 5-1"):
        run_job(import_source(project, src))
    (src / "manifest.csv").write_text("\n".join(lines))
    run_job(import_source(project, src))
    assert {(s.split, s.trim_start, s.trim_end) for s in project.samples()} == {("train", 0, 10)}


def test_a_link_pointing_outside_the_source_is_refused(project, tmp_path):
    src = make_folder(tmp_path / "src", takes=1)
    secret = tmp_path / "secret.csv"
    write_imu_csv(secret, gesture())
    (src / "samples" / "flick_0.csv").unlink()
    os.symlink(secret, src / "samples" / "flick_0.csv")
    with pytest.raises(DatasetError, match="flick_0.csv: is a symbolic link"):
        run_job(import_source(project, src))


def test_absurdly_large_files_are_refused_before_reading(project, tmp_path, monkeypatch):
    src = make_folder(tmp_path / "src", takes=1)
    monkeypatch.setattr(input_rules, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DatasetError, match="larger than the 1000-byte limit"):
        run_job(import_source(project, src))


def test_all_problems_are_listed_at_once(project, tmp_path):
    src = make_folder(tmp_path / "src", takes=2)
    (src / "samples/wave_1.csv").write_text("x\n")
    (src / "audio/yes_1.wav").write_bytes(b"")
    with pytest.raises(DatasetError, match="2 problem") as err:
        run_job(import_source(project, src))
    assert "wave_1.csv" in str(err.value) and "yes_1.wav" in str(err.value)


def _ei(interval: float, sensors: list, values: list) -> str:
    return json.dumps({"payload": {"interval_ms": interval, "sensors": sensors, "values": values}})


@pytest.mark.parametrize(
    "payload, message",
    [
        ("{not json", "not valid JSON"),
        ('{"payload": {"interval_ms": 0, "sensors": [], "values": []}}', "interval_ms"),
        (
            '{"payload": {"interval_ms": 10, "sensors": [{"name": "magX", "units": "uT"}], "values": [[1]]}}',
            "magX",
        ),
        (
            _ei(10, [{"name": a, "units": "g"} for a in ("accX", "accY", "accZ")], [[1, 2]]),
            "rows of 3 numbers",
        ),
        (_ei(0.0625, [{"name": "audio", "units": "wav"}], [1e9]), "whole numbers"),
        ("[" * 100000 + "]" * 100000, "JSON"),
    ],
)
def test_broken_edge_impulse_files_are_refused(project, tmp_path, payload, message):
    (tmp_path / "bad.json").write_text(payload)
    with pytest.raises(DatasetError, match=message):
        run_job(import_source(project, tmp_path / "bad.json"))
    assert project.samples() == []


def test_closing_an_import_midway_leaves_no_files(project, tmp_path):
    job = import_source(project, make_folder(tmp_path / "src"))
    for progress in job:
        if "writing" in progress.message:
            break
    job.close()  # the GUI's Cancel
    assert project.samples() == [] and files_under(project.root / "samples") == set()


def test_export_refuses_a_non_empty_folder_and_leaves_nothing_half_written(project, tmp_path):
    run_job(import_source(project, make_folder(tmp_path / "src", takes=1)))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    with pytest.raises(DatasetError, match="not an empty folder"):
        run_job(export_project(project, tmp_path / "out"))
    job = export_project(project, tmp_path / "out2")
    next(job)
    job.close()
    assert not (tmp_path / "out2").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out2")] == []


def test_labels_that_are_not_file_names_still_export(project, tmp_path):
    run_job(import_source(project, make_folder(tmp_path / "src", takes=1)))
    project.editor.relabel([project.samples()[0].id], "../up/and away")
    run_job(export_project(project, tmp_path / "out", "edge-impulse"))
    assert all(tmp_path / "out" in p.parents for p in (tmp_path / "out").rglob("*"))
    with Project.open(tmp_path / "copy", create=True) as copy:
        run_job(import_source(copy, tmp_path / "out"))
        assert "../up/and away" in copy.label_counts()
    shutil.rmtree(tmp_path / "out")
