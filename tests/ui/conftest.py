"""Fixtures for GUI tests: one qasync loop driven by pytest-qt's waits, and a main window on it.

The loop is created "already running" so that Qt processing events inside ``qtbot.waitUntil`` also
runs asyncio callbacks (serial reads, the board client), exactly as in the app where Qt's event loop
is the asyncio loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import qasync
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from wandlab.ui.main_window import MainWindow
from wandlab.ui.session import DeviceSession
from wandlab.ui.wand_scan import scan_wands

if TYPE_CHECKING:
    from wandlab.link.ble_backend import BleBackend
    from wandlab.link.ble_scan import WandAdvert


@pytest.fixture(scope="session")
def _qasync_loop(qapp: object) -> Iterator[qasync.QEventLoop]:
    # One loop for the whole run, as in the app: stopping a qasync loop calls QApplication.exit(),
    # after which Qt's nested event loops (qtbot.wait) return at once, so it is stopped only at the end.
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)  # "running" only inside the tests that ask for it
    yield loop
    loop.stop()
    loop.close()


@pytest.fixture
def aio_loop(_qasync_loop: qasync.QEventLoop) -> Iterator[qasync.QEventLoop]:
    """The qasync loop, set as running for this test only (other tests call asyncio.run)."""
    loop = _qasync_loop
    asyncio.events._set_running_loop(loop)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        deadline = time.monotonic() + 2.0
        while any(not task.done() for task in leftovers) and time.monotonic() < deadline:
            QTest.qWait(10)
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)


async def quiet_air(seconds: float, backend: BleBackend | None) -> list[WandAdvert]:
    """Bluetooth scans for tests: nothing on the computer's radio (never touch a developer's adapter), the
    real scan on the in-process radio (the virtual wand over Bluetooth)."""
    return [] if backend is None else await scan_wands(seconds, backend)


@pytest.fixture
def window(qtbot: QtBot, aio_loop: qasync.QEventLoop) -> Iterator[MainWindow]:
    # No serial boards: the window must offer the virtual wand on its own.
    win = MainWindow(DeviceSession(), list_ports=lambda: [], scanner=quiet_air)
    win.show()
    qtbot.waitExposed(win)
    yield win
    closed: list[bool] = []
    win.closed.connect(lambda: closed.append(True))
    win.close()
    qtbot.waitUntil(lambda: bool(closed), timeout=6000)
    assert not win.session.active


def connect_virtual(qtbot: QtBot, win: MainWindow) -> None:
    """Connect through the UI, as a user would: the prominent virtual wand button."""
    assert win.device_panel.virtual_button.isVisible()
    win.device_panel.virtual_button.click()
    # 15 s, not 5: on a 2-core machine also running CI's builds the first samples took over 5 s to arrive.
    qtbot.waitUntil(lambda: win.session.connected and win.session.buffer.imu.total > 0, timeout=15000)
