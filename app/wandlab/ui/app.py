"""``wandlab gui``: the QApplication, one qasync event loop for all I/O, and the main window.

Serial reads, the board client and the virtual wand's host side all run as asyncio code on the Qt
event loop (qasync), so there is no thread hand-off for blocks: decoding a block is a few
microseconds (see ``wandlab bench streaming``) and plots redraw on their own 30 fps timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

import pyqtgraph as pg
import qasync
from PySide6.QtWidgets import QApplication

from wandlab.link.serial_link import list_serial_ports
from wandlab.ui.demo import demo_gestures, demo_pair, demo_word
from wandlab.ui.main_window import MainWindow
from wandlab.ui.session import DeviceSession

log = logging.getLogger(__name__)
DEMO_ENV = "WANDLAB_DEMO_GESTURES"  # "1": the virtual wand performs a gesture every ~2 s (screenshots, demos)
# "1": once the virtual wand runs over Bluetooth (--port virtual:?link=ble), give it the shipped gesture
# model and the media-remote keys with HID on, and pair the paired computer: with WANDLAB_DEMO_GESTURES=1
# its panel fills with keys by itself (screenshots, demos).
DEMO_PAIR_ENV = "WANDLAB_DEMO_PAIR"
# A word, e.g. "lumos": once the virtual wand is connected, the wake word wizard enrols it (the wand says it
# three times) and stays at its test step, where the wand says it again now and then (screenshots, demos).
DEMO_WORD_ENV = "WANDLAB_DEMO_WORD"
START_PAGE_ENV = "WANDLAB_START_PAGE"  # e.g. "Dataset": open on that page (screenshots, demos)
DEFAULT_PROJECT = Path.home() / "Wandlab" / "default-project"
# Seconds after which the window closes itself, printing its title first: start-up checks of a wheel
# or a desktop bundle on a machine without a screen (QT_QPA_PLATFORM=offscreen).
QUIT_AFTER_ENV = "WANDLAB_QUIT_AFTER_S"


def _application(argv: list[str] | None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Wandlab")
    app.setOrganizationName("Wandlab")
    # Wayland desktops find the window's name and icon through the installed .desktop file's name.
    app.setDesktopFileName("io.wandlab.Wandlab")
    # The window decides when the app ends: after it has released the board (see MainWindow.closeEvent).
    app.setQuitOnLastWindowClosed(False)
    pg.setConfigOptions(antialias=True, foreground="#333")
    return app


async def _main(window: MainWindow, port: str | None) -> int:
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    screen = window.screen().availableGeometry()
    if screen.width() < window.width() * 1.15 or screen.height() < window.height() * 1.15:
        window.setGeometry(screen)  # a small screen: use all of it (works without a window manager too)
    start_page = os.environ.get(START_PAGE_ENV, "")
    for index in range(window.pages.count()):
        if window.pages.tabText(index).lower() == start_page.lower():
            window.pages.setCurrentIndex(index)
    window.show()
    if port:
        window.connect_to(port)
    demos: list[asyncio.Future[None]] = []
    if os.environ.get(QUIT_AFTER_ENV):
        print(f"window shown: {window.windowTitle()}", flush=True)
        asyncio.get_running_loop().call_later(float(os.environ[QUIT_AFTER_ENV]), window.close)
    if os.environ.get(DEMO_ENV) == "1":
        demos.append(asyncio.ensure_future(demo_gestures(window.session)))
    if os.environ.get(DEMO_PAIR_ENV) == "1":
        demos.append(asyncio.ensure_future(demo_pair(window)))
    if os.environ.get(DEMO_WORD_ENV):
        demos.append(asyncio.ensure_future(demo_word(window, os.environ[DEMO_WORD_ENV])))
    try:
        await closed.wait()
    finally:
        for demo in demos:
            demo.cancel()
        # Ctrl+C in the terminal cancels us here: still release the port before the loop ends.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(window.session.disconnect(), 5.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(window.power_off_simulated_radio(), 5.0)
    return 0


def run_app(port: str | None = None, project: str | None = None, argv: list[str] | None = None) -> int:
    """Open the main window (connecting to ``port`` if given) and run until it is closed."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = _application(argv)
    # With no --project, takes go to one default project, so recording works from the first minute.
    window = MainWindow(DeviceSession(), list_ports=list_serial_ports, project=project or str(DEFAULT_PROJECT))

    def loop_errors(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        # Anything that escapes a callback reaches the user as a notification, not a dead window.
        exc = context.get("exception")
        log.error("event loop: %s", context.get("message"), exc_info=exc if isinstance(exc, BaseException)
                  else None)
        window.notifier.error(f"Internal error: {exc or context.get('message')}")

    def make_loop() -> asyncio.AbstractEventLoop:
        loop = qasync.QEventLoop(app)
        loop.set_exception_handler(loop_errors)
        return loop

    with asyncio.Runner(loop_factory=make_loop) as runner:
        return runner.run(_main(window, port))
