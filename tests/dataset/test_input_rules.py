"""The rules every import applies (``input_rules``): links, special files, rates, labels and numbers.

Each case used to be a traceback, a hang or a silent skip; now the import refuses with a DatasetError
that names the file and the problem, or reports the file as ignored, and the project is unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from wandlab.dataset.importer import ImportResult, import_source
from wandlab.dataset.jobs import run_job
from wandlab.dataset.project import Project
from wandlab.dataset.sources import ImportOptions
from wandlab.errors import DatasetError

from .helpers import add, gesture, imu_draft, make_folder, word, write_imu_csv, write_wav

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "flick\u202ekcilf" shows as something else entirely
ACCEL = [{"name": n, "units": "g"} for n in ("accX", "accY", "accZ")]
AUDIO = [{"name": "audio", "units": "wav"}]


def _ei(values: str, interval: object = 10, sensors: list | None = None) -> str:
    """An Edge Impulse file; ``values`` is JSON text so that numbers Python cannot hold can be written."""
    head = {"interval_ms": interval, "sensors": sensors or ACCEL, "values": "@"}
    return json.dumps({"payload": head}).replace('"@"', values)


def _import(project: Project, src: Path, **options: object) -> ImportResult:
    return run_job(import_source(project, src, ImportOptions(**options)))  # type: ignore[arg-type]


def _refused(project: Project, src: Path, message: str, **options: object) -> str:
    with pytest.raises(DatasetError) as err:
        _import(project, src, **options)
    assert message in str(err.value)
    assert project.samples() == []
    return str(err.value)


# -- links are refused by name, wherever they are ------------------------------------------------------


def _link_in_manifest(tmp: Path) -> Path:
    src = make_folder(tmp / "src", takes=1)
    (src / "samples/flick_0.csv").unlink()
    os.symlink(src / "samples/wave_0.csv", src / "samples/flick_0.csv")  # even one pointing inside
    return src


def _linked_folder_in_manifest(tmp: Path) -> Path:
    src = make_folder(tmp / "src", takes=1)
    shutil.move(src / "samples", tmp / "elsewhere")
    os.symlink(tmp / "elsewhere", src / "samples")
    return src


def _linked_manifest(tmp: Path) -> Path:
    other = make_folder(tmp / "other", takes=1)
    src = make_folder(tmp / "src", takes=1)
    (src / "manifest.csv").unlink()
    os.symlink(other / "manifest.csv", src / "manifest.csv")
    return src


def _linked_csv_in_files(tmp: Path) -> Path:
    write_wav(tmp / "src/yes/a.wav", word(rate=16000), 16000)
    write_imu_csv(tmp / "secret.csv", gesture())
    (tmp / "src/flick").mkdir()
    os.symlink(tmp / "secret.csv", tmp / "src/flick/b.csv")
    return tmp / "src"


def _linked_folder_in_files(tmp: Path) -> Path:
    write_wav(tmp / "src/yes/a.wav", word(rate=16000), 16000)
    write_wav(tmp / "more/no/b.wav", word(rate=16000, seed=1), 16000)
    os.symlink(tmp / "more", tmp / "src/more")
    return tmp / "src"


def _linked_json_in_edge_impulse(tmp: Path) -> Path:
    (tmp / "src").mkdir()
    (tmp / "src/flick.1.json").write_text(_ei("[[0,0,1],[1,0,1]]"))
    (tmp / "secret.json").write_text(_ei("[[0,0,1],[0,1,1]]"))
    os.symlink(tmp / "secret.json", tmp / "src/flick.2.json")
    return tmp / "src"


def _linked_info_labels(tmp: Path) -> Path:
    (tmp / "src").mkdir()
    (tmp / "src/flick.1.json").write_text(_ei("[[0,0,1],[1,0,1]]"))
    (tmp / "labels.json").write_text(json.dumps({"files": []}))
    os.symlink(tmp / "labels.json", tmp / "src/info.labels")
    return tmp / "src"


LINKS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "manifest names a link": (_link_in_manifest, "samples/flick_0.csv: is a symbolic link"),
    "manifest names a file in a linked folder": (
        _linked_folder_in_manifest,
        "samples/flick_0.csv: is inside samples/, which is a symbolic link",
    ),
    "manifest.csv links out of the folder": (_linked_manifest, "manifest.csv: is a symbolic link"),
    "plain files: a linked CSV": (_linked_csv_in_files, "flick/b.csv: is a symbolic link"),
    "plain files: a linked folder": (_linked_folder_in_files, "more: is a symbolic link"),
    "Edge Impulse: a linked JSON": (_linked_json_in_edge_impulse, "flick.2.json: is a symbolic link"),
    "Edge Impulse: a linked info.labels": (_linked_info_labels, "info.labels: is a symbolic link"),
}


@pytest.mark.parametrize("case", list(LINKS))
def test_links_are_refused_with_the_reason(project: Project, tmp_path: Path, case: str) -> None:
    build, message = LINKS[case]
    text = _refused(project, build(tmp_path), message)
    assert "copy the file itself" in text


# -- special files: refused before anything opens them (a FIFO used to hang the import) ---------------


def _fifo_in_edge_impulse(tmp: Path) -> Path:
    (tmp / "src").mkdir()
    (tmp / "src/flick.1.json").write_text(_ei("[[0,0,1],[1,0,1]]"))
    os.mkfifo(tmp / "src/flick.2.json")
    return tmp / "src"


def _fifo_in_files(tmp: Path) -> Path:
    write_wav(tmp / "src/yes/a.wav", word(rate=16000), 16000)
    os.mkfifo(tmp / "src/yes/b.wav")
    return tmp / "src"


def _fifo_in_manifest(tmp: Path) -> Path:
    src = make_folder(tmp / "src", takes=1)
    (src / "samples/flick_0.csv").unlink()
    os.mkfifo(src / "samples/flick_0.csv")
    return src


def _fifo_chosen(tmp: Path) -> Path:
    os.mkfifo(tmp / "take.json")
    return tmp / "take.json"


FIFOS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "Edge Impulse folder": (_fifo_in_edge_impulse, "flick.2.json: is a named pipe, not a regular file"),
    "plain files": (_fifo_in_files, "yes/b.wav: is a named pipe"),
    "named in a manifest": (_fifo_in_manifest, "samples/flick_0.csv: is a named pipe"),
    "chosen as the file to import": (_fifo_chosen, "take.json: is a named pipe"),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("case", list(FIFOS))
def test_a_named_pipe_is_refused_not_read(project: Project, tmp_path: Path, case: str) -> None:
    build, message = FIFOS[case]
    src = build(tmp_path)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            _import(project, src)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # the old behaviour: blocked reading the pipe; free it, then fail
        pipe = next(p for p in [src, *src.rglob("*")] if p.is_fifo())
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=5)
        pytest.fail("the import hung on a named pipe")
    [error] = outcome
    assert isinstance(error, DatasetError) and message in str(error)
    assert project.samples() == []


# -- files the format does not use are counted and named, not skipped in silence ----------------------


def test_files_left_alone_are_reported(project: Project, tmp_path: Path) -> None:
    write_imu_csv(tmp_path / "src/flick/b.csv", gesture())
    (tmp_path / "src/README.md").write_text("about")
    (tmp_path / "src/.DS_Store").write_bytes(b"\0")
    (tmp_path / "src/.git").mkdir()
    (tmp_path / "src/.git/config").write_text("")
    result = _import(project, tmp_path / "src", rate_hz=100)
    assert len(result.added) == 1
    summary = result.summary()
    assert "ignored 3 file(s)" in summary
    assert "README.md (not a .csv, .wav, .opus, .ogg, .flac or .mp3 file)" in summary
    assert ".DS_Store (hidden)" in summary
    assert ".git/ (hidden)" in summary


def test_a_single_file_of_another_kind_says_why_nothing_was_imported(project: Project, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("circle")
    why = "ignored 1 file(s): notes.txt (not a .csv, .wav, .opus, .ogg, .flac or .mp3 file)"
    _refused(project, tmp_path / "notes.txt", why)


# -- sample rates: sane for the kind -------------------------------------------------------------------


def _manifest_line(src: Path, line: str) -> Path:
    (src / "manifest.csv").write_text((src / "manifest.csv").read_text() + line + "\n")
    return src


RATES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "Edge Impulse audio at 7 Hz": (
        lambda t: _write(t / "yes.json", _ei("[0, 100, -100]", 1000 / 7, AUDIO)),
        "sample rate 7 Hz is out of range for audio (1000-96000 Hz)",
    ),
    "Edge Impulse IMU at 2 Hz": (
        lambda t: _write(t / "flick.json", _ei("[[0,0,1],[1,0,1]]", 500)),
        "sample rate 2 Hz is out of range for imu (10-10000 Hz)",
    ),
    "manifest IMU at 5 Hz": (
        lambda t: _manifest_line(make_folder(t / "src", takes=1), "samples/flick_0.csv,x,,,imu,5"),
        "sample rate 5 Hz is out of range for imu",
    ),
    "manifest rate that is not a number": (
        lambda t: _manifest_line(make_folder(t / "src", takes=1), "samples/flick_0.csv,x,,,imu,fast"),
        "rate_hz: sample rate 'fast' is not a number",
    ),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", list(RATES))
def test_rates_must_suit_the_kind(project: Project, tmp_path: Path, case: str) -> None:
    build, message = RATES[case]
    _refused(project, build(tmp_path), message)


def test_plain_csv_rate_option_follows_the_same_rule(project: Project, tmp_path: Path) -> None:
    write_imu_csv(tmp_path / "flick.csv", gesture())
    _refused(project, tmp_path / "flick.csv", "sample rate 5 Hz is out of range for imu", rate_hz=5)


# -- labels: visible text only -------------------------------------------------------------------------


def _ei_labels(tmp: Path, label: str) -> Path:
    (tmp / "src").mkdir()
    (tmp / "src/a.json").write_text(_ei("[[0,0,1],[1,0,1]]"))
    entry = {"path": "a.json", "category": "training", "label": {"type": "label", "label": label}}
    (tmp / "src/info.labels").write_text(json.dumps({"version": 1, "files": [entry]}))
    return tmp / "src"


def _label_in_manifest(tmp: Path, label: str) -> Path:
    return _manifest_line(make_folder(tmp / "src", takes=1), f"samples/flick_0.csv,{label},,,imu,100")


def _label_as_folder(tmp: Path, label: str) -> Path:
    write_wav(tmp / "src" / label / "a.wav", word(), 16000)
    return tmp / "src"


LABELS: dict[str, Callable[[Path], Path]] = {
    "manifest": lambda t: _label_in_manifest(t, f"evil{RLO}lmth"),
    "Edge Impulse file name": lambda t: _write(t / f"evil{RLO}lmth.1.json", _ei("[[0,0,1],[1,0,1]]")),
    "Edge Impulse info.labels": lambda t: _ei_labels(t, f"evil{RLO}lmth"),
    "plain files folder name": lambda t: _label_as_folder(t, f"evil{RLO}lmth"),
    "zero-width space": lambda t: _label_in_manifest(t, "fl\u200bick"),
    "escape character": lambda t: _label_in_manifest(t, "fl\x1bick"),
}


@pytest.mark.parametrize("case", list(LABELS))
def test_labels_with_invisible_characters_are_refused(project: Project, tmp_path: Path, case: str) -> None:
    text = _refused(project, LABELS[case](tmp_path), "contains the invisible character")
    assert RLO not in text  # the message itself cannot be reordered by the name it quotes


def test_the_label_option_editor_and_recorder_use_the_same_rule(project: Project, tmp_path: Path) -> None:
    write_imu_csv(tmp_path / "flick.csv", gesture())
    _refused(project, tmp_path / "flick.csv", "U+202E (RIGHT-TO-LEFT OVERRIDE)", rate_hz=100, label=f"a{RLO}b")
    [sample] = add(project, imu_draft())
    with pytest.raises(DatasetError, match="invisible character"):
        project.editor.relabel([sample.id], f"a{RLO}b")
    with pytest.raises(DatasetError, match="invisible character"):
        project.start_recording(f"a{RLO}b", "imu", 100)
    assert [s.label for s in project.samples()] == ["flick"]


def test_labels_in_other_scripts_are_welcome(project: Project, tmp_path: Path) -> None:
    for label in ("أمام", "北京", "hey wand", "ĉu"):
        write_wav(tmp_path / "src" / label / "a.wav", word(seed=len(label)), 16000)
    _import(project, tmp_path / "src")
    assert set(project.label_counts()) == {"أمام", "北京", "hey wand", "ĉu"}


# -- numbers Python or numpy cannot hold: refused by name, not an OverflowError -----------------------


def _trim_columns(tmp: Path, start: str, end: str) -> Path:
    src = make_folder(tmp / "src", takes=1)
    lines = (src / "manifest.csv").read_text().splitlines()
    lines = [lines[0] + ",trim_start,trim_end", lines[1] + f",{start},{end}"] + [x + ",," for x in lines[2:]]
    (src / "manifest.csv").write_text("\n".join(lines) + "\n")
    return src


def _ei_trim(tmp: Path, start: str) -> Path:
    (tmp / "src").mkdir()
    (tmp / "src/flick.1.json").write_text(_ei("[[0,0,1],[1,0,1],[0,1,1]]"))
    entry = {"path": "flick.1.json", "category": "training", "metadata": {"trim_start": start}}
    (tmp / "src/info.labels").write_text(json.dumps({"version": 1, "files": [entry]}))
    return tmp / "src"


HUGE = "1" + "0" * 400  # 10**400: beyond any float

NUMBERS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "manifest trim_start inf": (lambda t: _trim_columns(t, "inf", "10"), "trim_start 'inf' is not a whole number"),
    "manifest trim_end nan": (lambda t: _trim_columns(t, "0", "nan"), "trim_end 'nan' is not a whole number"),
    "manifest trim_start 1.5": (lambda t: _trim_columns(t, "1.5", "10"), "trim_start '1.5' is not a whole number"),
    "info.labels trim_start -inf": (lambda t: _ei_trim(t, "-inf"), "trim_start '-inf' is not a whole number"),
    "Edge Impulse IMU value 10**400": (
        lambda t: _write(t / "flick.json", _ei(f"[[{HUGE},0,1],[0,0,1]]")),
        "payload.values must be rows of 3 finite numbers",
    ),
    "Edge Impulse IMU value 1e400": (
        lambda t: _write(t / "flick.json", _ei("[[1e400,0,1],[0,0,1]]")),
        "values contain NaN or infinite numbers",
    ),
    "Edge Impulse audio value 10**30": (
        lambda t: _write(t / "yes.json", _ei(f"[0, {10**30}, 1]", 0.0625, AUDIO)),
        "audio values are outside the 16-bit range",
    ),
    "Edge Impulse interval_ms 10**400": (
        lambda t: _write(t / "flick.json", _ei("[[0,0,1]]", interval=int(HUGE))),
        "gives no usable sample rate",
    ),
    "Edge Impulse interval_ms 1e-320": (
        lambda t: _write(t / "flick.json", _ei("[[0,0,1]]", interval=1e-320)),
        "gives no usable sample rate",
    ),
    "Edge Impulse number of 5000 digits": (
        lambda t: _write(t / "flick.json", _ei(f"[[{'1' * 5000},0,1]]")),
        "not valid JSON",
    ),
}


@pytest.mark.parametrize("case", list(NUMBERS))
def test_numbers_out_of_reach_are_refused_by_name(project: Project, tmp_path: Path, case: str) -> None:
    build, message = NUMBERS[case]
    _refused(project, build(tmp_path), message)
