"""A view that breaks on board data: the user is told once, the board stays connected, the other views go on."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from wandlab.board.blocks import SampleBlock
from wandlab.ui.main_window import MainWindow
from wandlab.ui.notify import ERROR

from .conftest import connect_virtual

SENTENCE = "A view stopped handling board data (ValueError: no curve for 'gyro'); details are in the log"


def test_a_view_that_raises_on_every_block_is_reported_once_and_the_rest_carries_on(
        qtbot: QtBot, window: MainWindow) -> None:
    session = window.session
    problems: list[str] = []
    session.on_problem(problems.append)
    connect_virtual(qtbot, window)

    failures: list[int] = []
    after: list[int] = []

    def broken_view(block: SampleBlock) -> None:
        failures.append(block.seq)
        raise ValueError("no curve for 'gyro'")

    session.on_block(broken_view)
    session.on_block(lambda block: after.append(block.seq))  # subscribed after the broken one
    version = session.buffer.version
    qtbot.waitUntil(lambda: len(failures) > 20 and len(after) > 20, timeout=5000)

    assert problems == [SENTENCE]  # once, not once per block
    assert window.banner.isVisible() and window.banner.level == ERROR
    assert window.banner.label.text() == SENTENCE
    assert session.connected
    assert session.buffer.version > version  # the live buffer (subscribed first) is fed as before
