"""The Dataset page over a small project: edits with undo, counts, problems, filters, split, import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from tests.dataset.helpers import add, imu_draft, make_folder, word, write_wav
from wandlab.dataset.project import Draft
from wandlab.ui.dataset_page import ANY, DatasetPage
from wandlab.ui.main_window import MainWindow


def _page(window: MainWindow, tmp_path: Path, flicks: int = 3, waves: int = 2) -> DatasetPage:
    assert window.projects.open(tmp_path / "proj")
    project = window.projects.project
    assert project is not None
    drafts = [imu_draft("flick", seed=i, subject="ann") for i in range(flicks)]
    drafts += [imu_draft("wave", seed=10 + i, subject="bob") for i in range(waves)]
    add(project, *drafts)
    window.pages.setCurrentWidget(window.dataset_page)
    return window.dataset_page


def _labels(page: DatasetPage) -> list[str]:
    return sorted(page.proxy.index(r, 1).data() for r in range(page.proxy.rowCount()))


def test_table_counts_and_thumbnails(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = _page(window, tmp_path)
    assert page.model.rowCount() == 5 and page.counts == {"flick": 3, "wave": 2}
    icon = page.proxy.index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon, QPixmap) and icon.width() > 50
    page.filters["subject"].setCurrentText("bob")
    assert _labels(page) == ["wave", "wave"] and "2 of 5" in page.shown.text()
    page.filters["subject"].setCurrentText(ANY)
    page.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    assert page.proxy.index(0, 1).data() == "flick" and page.proxy.index(4, 1).data() == "wave"


def test_crop_relabel_delete_then_undo_restores(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = _page(window, tmp_path)
    project = window.projects.project
    assert project is not None
    flick = project.samples(label="flick")[0]
    page.select([flick.id])
    editor = page.editor
    assert editor.sample is not None and editor.sample.id == flick.id
    before = (flick.trim_start, flick.trim_end)

    editor.crop(10, 60)  # what dragging the crop handles does
    assert (project.get(flick.id).trim_start, project.get(flick.id).trim_end) == (10, 60)
    assert editor.regions[0].getRegion() == (0.1, 0.6)  # the handles follow the project
    editor.label_edit.setEditText("wave")
    editor.relabel()
    assert page.counts == {"flick": 2, "wave": 3}
    assert window.menu_actions["undo"].text() == "Undo relabel 1 take as 'wave'"
    page.select([flick.id])
    editor.delete()
    assert page.model.rowCount() == 4 and page.counts == {"flick": 2, "wave": 2}
    assert page.undo_button.isEnabled()

    for _ in range(3):
        window.menu_actions["undo"].trigger()  # Ctrl+Z
    restored = project.get(flick.id)
    assert project.state_of(flick.id) == "ok" and restored.label == "flick"
    assert (restored.trim_start, restored.trim_end) == before
    assert page.counts == {"flick": 3, "wave": 2} and page.model.rowCount() == 5
    window.menu_actions["redo"].trigger()  # Ctrl+Shift+Z
    assert project.get(flick.id).trim_end == 60


def test_split_at_a_marker(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = _page(window, tmp_path, flicks=1, waves=0)
    project = window.projects.project
    assert project is not None
    take = project.samples()[0]
    page.select([take.id])
    page.editor.add_marker(0.8)
    page.editor.split()
    assert page.model.rowCount() == 2 and project.state_of(take.id) == "deleted"
    assert sorted(s.n_frames for s in project.samples()) == [80, take.n_frames - 80]
    project.editor.undo()
    assert page.model.rowCount() == 1 and project.state_of(take.id) == "ok"


def test_problems_list_shows_a_silent_take(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = _page(window, tmp_path, flicks=2, waves=0)
    project = window.projects.project
    assert project is not None
    quiet = (np.random.default_rng(1).normal(0, 3, 8000)).astype(np.int16)
    add(project, Draft(label="yes", kind="audio", axes=("pcm",), rate_hz=16000, data=quiet),
        Draft(label="yes", kind="audio", axes=("pcm",), rate_hz=16000, data=word()))  # fmt: skip
    silent = next(s for s in project.samples(label="yes") if s.n_frames == 8000)
    page.check_problems()
    qtbot.waitUntil(lambda: bool(page.problems) and "checking" not in page.problem_title.text(), timeout=5000)
    texts = [page.problem_list.item(i).text() for i in range(page.problem_list.count())]
    assert any(t.startswith("silent") and silent.id[:8] in t for t in texts)
    assert any(t.startswith("too few") for t in texts)  # 2 takes per label is not enough
    row = page.model.row_of(silent.id)
    assert "check" in page.model.index(row, 8).data()
    item = next(page.problem_list.item(i) for i in range(page.problem_list.count()) if "silent" in texts[i])
    page._problem_clicked(item)  # clicking a problem selects the take for review
    assert page.selected_ids() == [silent.id] and page.editor.sample is not None


def test_import_runs_in_the_background(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = _page(window, tmp_path, flicks=0, waves=0)
    page.import_from(make_folder(tmp_path / "src", takes=3))
    qtbot.waitUntil(lambda: page.model.rowCount() == 9, timeout=5000)
    assert page.counts == {"flick": 3, "wave": 3, "yes": 3}
    qtbot.waitUntil(lambda: "Imported 9" in window.banner.label.text(), timeout=2000)
    out = tmp_path / "out"
    page.filters["label"].setCurrentText("yes")
    page.export_to(out)
    qtbot.waitUntil(lambda: (out / "manifest.csv").exists(), timeout=5000)
    assert len((out / "manifest.csv").read_text().splitlines()) == 4  # header + the 3 takes shown


def test_rename_label_moves_its_takes_and_undoes(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    page = _page(window, tmp_path)
    picker = window.record_page.picker
    assert [picker.combo.itemText(i) for i in range(picker.combo.count())] == ["flick", "wave"]
    assert picker.rename("flick", "swipe")
    assert page.counts == {"swipe": 3, "wave": 2} and picker.label == "swipe"
    picker.set_colour("swipe", "#123456")
    assert picker.store.colour("swipe") == "#123456"
    window.menu_actions["undo"].trigger()
    assert page.counts == {"flick": 3, "wave": 2}


def test_import_takes_a_single_file_too(qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    page = _page(window, tmp_path, flicks=0, waves=0)
    assert [a.text() for a in page.import_button.menu().actions()] == [
        "Folder…",
        "File (CSV, WAV or Edge Impulse JSON)…",
    ]
    write_wav(tmp_path / "hello.1.wav", word(), 16000)
    asked: list[str] = []

    def pick(parent: object, caption: str, folder: str = "", filters: str = "") -> tuple[str, str]:
        asked.append(filters)
        return str(tmp_path / "hello.1.wav"), "Takes"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)  # the dialog the menu's File… opens
    page.import_file_action.trigger()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.counts == {"hello": 1} and "*.json" in asked[0]
    qtbot.waitUntil(lambda: "Imported 1" in window.banner.label.text(), timeout=2000)
