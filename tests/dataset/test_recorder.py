from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from wandlab.dataset import journal
from wandlab.dataset.events import RecordingChanged
from wandlab.dataset.project import Project
from wandlab.errors import DatasetError

from .helpers import files_under, gesture, word


def record(project: Project, data: np.ndarray, block: int = 7, kind: str = "imu", rate: float = 100.0):
    rec = project.start_recording("flick", kind, rate, subject="ana", board="virtual", firmware="0.1")
    for i in range(0, len(data), block):
        rec.append(data[i : i + block])
    return rec


def crash(project: Project, rec) -> None:
    """What a killed process leaves: open journal, no finish, lock dropped by the kernel."""
    os.close(rec._fd)
    rec._fd = None
    project._db.close()
    project._lock.release()


def test_a_finished_take_keeps_every_frame_and_is_trimmed_to_the_motion(project):
    data = gesture(rest_s=0.5, move_s=0.6)  # motion in frames 50-110
    sample = record(project, data).finish()
    assert np.array_equal(project.load(sample), data)
    assert 30 <= sample.trim_start <= 55 and 105 <= sample.trim_end <= 135
    assert (sample.subject, sample.board, sample.firmware, sample.source) == (
        "ana",
        "virtual",
        "0.1",
        "recorder",
    )
    assert not sample.interrupted and not list((project.root / "recordings").iterdir())


def test_audio_take_is_trimmed_to_the_voiced_part(project):
    pcm = word(rate=16000, quiet_s=0.3, voiced_s=0.4)
    sample = record(project, pcm, block=512, kind="audio", rate=16000).finish()
    assert np.array_equal(project.load(sample), pcm)
    assert 0.15 * 16000 < sample.trim_start < 0.36 * 16000
    assert 0.64 * 16000 < sample.trim_end < 0.85 * 16000


def test_explicit_or_no_trim(project):
    assert record(project, gesture()).finish(trim=None).trim_end == len(gesture())
    sample = record(project, gesture()).finish(trim=(5, 20))
    assert (sample.trim_start, sample.trim_end) == (5, 20)


def test_lost_blocks_mark_the_take(project):
    rec = project.start_recording("flick", "imu", 100)
    rec.append(gesture()[:50])
    rec.append(gesture()[50:], lost_blocks=3)
    sample = rec.finish()
    assert sample.lost_blocks == 3
    assert "3 block(s) lost" in sample.notes and "0.50 s" in sample.notes


def test_abort_leaves_no_trace(project):
    events = []
    project.events.subscribe(events.append)
    rec = record(project, gesture())
    rec.abort()
    assert files_under(project.root / "recordings") == set() == files_under(project.root / "samples")
    assert project.stats()["samples"] == 0 and project.stats()["recording"] == 0
    assert [e.state for e in events if isinstance(e, RecordingChanged)] == ["started", "aborted"]


def test_an_empty_take_is_refused_and_removed(project):
    rec = project.start_recording("flick", "imu", 100)
    with pytest.raises(DatasetError, match="empty"):
        rec.finish()
    assert project.stats()["recording"] == 0


@pytest.mark.parametrize(
    "kind, block",
    [
        ("imu", np.zeros((5, 3), np.float32)),  # wrong number of axes
        ("imu", np.full((5, 6), np.nan, np.float32)),
        ("audio", np.zeros(5, np.float32)),  # audio must be int16 PCM
    ],
)
def test_malformed_blocks_are_refused(project, kind, block):
    rec = project.start_recording("x", kind, 100 if kind == "imu" else 16000)
    with pytest.raises(DatasetError):
        rec.append(block)
    rec.abort()


CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from wandlab.dataset.project import Project

    project = Project.open(sys.argv[1], create=True)
    rec = project.start_recording("circle", "imu", 100, subject="ana", board="virtual")
    i = 0
    while True:
        frames = np.arange(i * 10, i * 10 + 10, dtype=np.float32)
        rec.append(np.repeat(frames[:, None], 6, axis=1), lost_blocks=2 if i == 3 else 0)
        i += 1
        print(i, flush=True)
        time.sleep(0.005)
    """
)


def test_sigkill_mid_take_loses_nothing_that_was_appended(tmp_path):
    root = tmp_path / "proj"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        appended = 0
        while appended < 30:
            line = child.stdout.readline()
            assert line, "recording process died on its own"
            appended = int(line)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with Project.open(root) as project:
        assert any("interrupted recording of 'circle'" in line for line in project.recovery)
        [sample] = project.samples()
        assert sample.interrupted and sample.label == "circle" and sample.subject == "ana"
        assert sample.lost_blocks == 2
        data = project.load(sample)
        assert len(data) >= appended * 10  # every block the recorder accepted is there
        assert np.array_equal(data[:, 0], np.arange(len(data), dtype=np.float32))  # and nothing else
        assert project.stats()["recording"] == 0
        assert not list((root / "recordings").glob("*.partial"))
    with Project.open(root) as again:  # recovery happens once; the sample is now ordinary
        assert again.recovery == [] and again.samples() == [sample]


def test_a_torn_last_frame_is_cut_off(tmp_path):
    project = Project.open(tmp_path / "p", create=True)
    rec = record(project, gesture()[:40])
    os.write(rec._fd, b"\x01\x02\x03")  # the kill came in the middle of a frame
    crash(project, rec)
    with Project.open(tmp_path / "p") as again:
        [sample] = again.samples()
        assert np.array_equal(again.load(sample), gesture()[:40])


def test_a_journal_whose_row_never_committed_is_still_recovered(tmp_path):
    project = Project.open(tmp_path / "p", create=True)
    rec = record(project, gesture()[:40])
    with project.transaction() as db:
        db.execute("DELETE FROM samples")  # as if the crash came between the header and the commit
    crash(project, rec)
    with Project.open(tmp_path / "p") as again:
        [sample] = again.samples()
        assert sample.label == "flick" and sample.subject == "ana" and sample.interrupted


def test_a_take_killed_before_any_data_is_reported(tmp_path):
    project = Project.open(tmp_path / "p", create=True)
    rec = project.start_recording("flick", "imu", 100)
    crash(project, rec)
    with Project.open(tmp_path / "p") as again:
        assert again.samples() == [] and again.stats()["recording"] == 0
        assert any("not received any data" in line for line in again.recovery)


def test_an_unreadable_journal_is_kept_and_reported(tmp_path):
    project = Project.open(tmp_path / "p", create=True)
    rec = record(project, gesture()[:40])
    crash(project, rec)
    partial = next((tmp_path / "p" / "recordings").glob("*.partial"))
    partial.write_bytes(b"garbage" + partial.read_bytes()[20:])
    with Project.open(tmp_path / "p") as again:
        assert again.samples() == []
        assert any("Could not recover" in line for line in again.recovery)
        assert partial.with_suffix(".broken").exists()


def test_a_crash_after_finishing_only_tidies_up(tmp_path):
    project = Project.open(tmp_path / "p", create=True)
    rec = record(project, gesture())
    partial = rec._partial
    kept = partial.read_bytes()
    sample = rec.finish()
    partial.write_bytes(kept)  # the crash came before the journal was deleted
    project.close()
    with Project.open(tmp_path / "p") as again:
        assert again.samples() == [sample] and again.recovery == []
        assert not partial.exists()


def test_journal_header_describes_the_take(project):
    rec = record(project, gesture()[:20])
    found = journal.read_journal(rec._partial)
    assert found.header["label"] == "flick" and found.header["axes"] == ["ax", "ay", "az", "gx", "gy", "gz"]
    assert np.array_equal(found.data, gesture()[:20])
    rec.abort()


def test_closing_the_project_mid_take_keeps_the_take(tmp_path):
    project = Project.open(tmp_path / "p", create=True)
    rec = record(project, gesture()[:40])
    project.close()
    with pytest.raises(DatasetError, match="already finished"):
        rec.append(gesture()[:5])
    with Project.open(tmp_path / "p") as again:
        [sample] = again.samples()
        assert sample.interrupted and sample.n_frames == 40 and again.recovery == []


def test_a_take_finishes_once(project):
    rec = record(project, gesture())
    sample = rec.finish()
    with pytest.raises(DatasetError, match="already finished"):
        rec.finish()
    rec.abort()  # too late to cancel: the take stays
    assert project.samples() == [sample]
