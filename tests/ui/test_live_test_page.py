"""The Live test page with the virtual wand running a pushed model: decisions, keys, and corrections
saved as takes (the data loop closes here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot

from tests.virtual.gesture_models import image
from wandlab.board.transfer import upload_model
from wandlab.protocol import SimPerform
from wandlab.ui.main_window import MainWindow

from .conftest import connect_virtual


def run_on_loop(qtbot: QtBot, win: MainWindow, coro: object, timeout: int = 8000) -> object:
    task = win.runner.run(coro, "test")  # type: ignore[arg-type]
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def push_model(qtbot: QtBot, win: MainWindow, blob: bytes) -> None:
    async def push() -> None:
        client = win.session.client
        assert client is not None
        async for _ in upload_model(client, blob, "test-model"):
            pass

    run_on_loop(qtbot, win, push())


def perform(qtbot: QtBot, win: MainWindow, gesture: str) -> None:
    run_on_loop(qtbot, win, win.session.simulate(SimPerform(gesture)))


def test_board_decisions_keys_and_that_was_wrong_adds_a_take(qtbot: QtBot, window: MainWindow,
                                                             tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "proj")
    connect_virtual(qtbot, window)
    push_model(qtbot, window, image())
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.recognising and page.hid_editor.table.rowCount() == 10, timeout=4000)
    assert "recognising" in page.status.text()

    page.hid_editor.apply_preset("media remote")  # circle -> Play/Pause
    run_on_loop(qtbot, window, page.hid_editor.send_to_board())

    perform(qtbot, window, "circle")
    qtbot.waitUntil(lambda: len(page.history) >= 1 and bool(page.history[0].key), timeout=6000)
    decision = page.history[0]
    assert decision.accepted and decision.event.label == "circle"
    assert page.big.text() == "circle" and page.bar.threshold > page.bar.distance > 0
    assert "Play/Pause" in page.key.text() and "ms on the board" in page.numbers.text()
    assert page.history_list.count() == 1 and "circle" in page.history_list.item(0).text()

    # The user says it was really a "w": the window the board judged becomes a "w" take.
    page.ask_label = lambda title, suggestion: "w"
    page.wrong_button.click()
    project = window.projects.project
    assert project is not None
    samples = project.samples()
    assert [s.label for s in samples] == ["w"] and decision.saved_as == "w"
    take = samples[0]
    assert take.trim_end - take.trim_start < take.n_frames  # trimmed to the motion
    data = project.load(take, trimmed=True)
    assert np.abs(data[:, 3:]).max() > 100  # the gesture (gyro, deg/s) is inside the crop
    qtbot.waitUntil(lambda: window.dataset_page.counts == {"w": 1}, timeout=3000)  # it is in the Dataset page

    # Hidden: the board stops recognising; gestures make no more decisions.
    window.pages.setCurrentWidget(window.live_page)
    assert not page.recognising
    qtbot.wait(300)
    seen = len(page.history)
    perform(qtbot, window, "circle")
    qtbot.wait(2500)
    assert len(page.history) == seen


def test_missed_it_saves_the_last_motion(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.projects.open(tmp_path / "proj")
    connect_virtual(qtbot, window)
    page = window.live_test_page
    window.pages.setCurrentWidget(page)
    # No model on the board: the page says so instead of raising an error banner.
    qtbot.waitUntil(lambda: "no model" in page.status.text(), timeout=3000)
    perform(qtbot, window, "flick_up")
    qtbot.wait(1800)
    page.ask_label = lambda title, suggestion: "flick_up"
    page.missed_button.click()
    project = window.projects.project
    assert project is not None
    samples = project.samples()
    assert [s.label for s in samples] == ["flick_up"]
    assert np.abs(project.load(samples[0], trimmed=True)[:, 3:]).max() > 100


def test_a_take_the_negatives_bank_vetoed_says_so(qtbot: QtBot, window: MainWindow) -> None:
    # Within circle's threshold (margin >= 0), yet "none": the board found everyday motion nearer.
    from wandlab.protocol.controller import NO_CLASS, InferenceEvent
    from wandlab.ui.live_test_page import Decision

    page = window.live_test_page
    page.show_decision(Decision(InferenceEvent(1200, NO_CLASS, "circle", 9000.0, 2500.0, 900), 0.0))
    assert page.big.text() == "none" and page.bar.vetoed
    assert "nearest: circle, but more like everyday motion" in page.numbers.text()
    assert "like everyday motion" in page.history_list.item(0).text()
    assert "nearer everyday motion" in page.bar.toolTip()
    page.show_decision(Decision(InferenceEvent(1300, NO_CLASS, "circle", 9000.0, -100.0, 900), 0.0))  # too far
    assert not page.bar.vetoed and "everyday" not in page.numbers.text()
    assert "too far" in page.bar.toolTip()
