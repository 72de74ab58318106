"""The Train page asks before the new model drops the user's work, and offers the kept model again
after the board went away during a run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from wandlab.flows.train_flash import STAGE_NAMES, StageEvent
from wandlab.ui.main_window import MainWindow
from wandlab.ui.train_page import DONE, FAILED

from .test_train_page import _ready, report_data

KEPT = "/tmp/project/models/m-1.json"


def failing_after_training() -> Any:
    async def pipeline(client: Any, project: Any) -> AsyncIterator[StageEvent]:
        for i, stage in enumerate(STAGE_NAMES[:5]):
            yield StageEvent(stage, "start", i / 9)
            yield StageEvent(stage, "done", (i + 1) / 9, f"{stage} done", {"seconds": 0.1})
        yield StageEvent("upload", "start", 5 / 9)
        yield StageEvent("upload", "failed", 5 / 9, "/dev/pts/7 disconnected while writing",
                         {"reason": "x", "kept_model": KEPT})

    return pipeline


def test_a_kept_model_is_offered_once_and_sent_without_training(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                                                  monkeypatch: Any) -> None:
    page = window.train_page
    page.pipeline = failing_after_training()
    _ready(qtbot, window, tmp_path)
    posted: list[tuple[str, str]] = []
    window.notifier.posted.connect(lambda level, text: posted.append((level, text)))
    page.train_button.click()
    qtbot.waitUntil(lambda: page.outcome == FAILED and not page.running, timeout=5000)
    assert page.send_button.isVisible() and page.send_button.isEnabled()
    assert "Send to board" in page.headline.text() and "no need to train again" in page.headline.text()
    assert not [text for level, text in posted if "Train" in text]  # said once, on the page, not in the banner too

    sent: list[str] = []

    async def fake_send(client: Any, project: Any, kept: str, options: Any) -> AsyncIterator[StageEvent]:
        sent.append(kept)
        for i, stage in enumerate(STAGE_NAMES[4:], start=4):
            yield StageEvent(stage, "start", i / 9)
            data = report_data() if stage == "report" else {"seconds": 0.1}
            yield StageEvent(stage, "done", (i + 1) / 9, f"{stage} done", data)

    import wandlab.flows.train_flash as tf

    monkeypatch.setattr(tf, "send_kept_model", fake_send)
    page.send_button.click()
    qtbot.waitUntil(lambda: page.outcome == DONE and not page.running, timeout=5000)
    assert sent == [KEPT] and not page.send_button.isVisible() and page.tabs.currentWidget() is page.report


def test_the_pipeline_asks_the_user_before_dropping_anything(qtbot: QtBot, window: MainWindow, monkeypatch: Any
                                                             ) -> None:
    page = window.train_page
    seen: dict[str, Any] = {}

    def fake_train_and_flash(client: Any, project: Any, options: Any) -> Any:
        seen["confirm"] = options.confirm_losses
        return None

    import wandlab.flows.train_flash as tf

    monkeypatch.setattr(tf, "train_and_flash", fake_train_and_flash)
    page.default_pipeline(None, None)  # type: ignore[arg-type]
    assert seen["confirm"] is page.confirm_losses

    for button_text, want in (("Stop, keep everything", False), ("Go on and drop them", True)):
        answer = asyncio.ensure_future(page._ask_about_losses(["the gesture 'w' you enrolled on the board"]))

        def shown() -> QMessageBox | None:
            return next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()),
                        None)

        qtbot.waitUntil(lambda: shown() is not None, timeout=2000)
        box = shown()
        assert box is not None and "'w' you enrolled" in box.text()
        next(b for b in box.buttons() if b.text() == button_text).click()
        qtbot.waitUntil(answer.done, timeout=2000)
        assert answer.result() is want
