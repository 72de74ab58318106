"""Demos for screenshots and shows: the virtual wand keeps moving, and (over Bluetooth) types into its
paired computer without anyone clicking. Started by environment variables (see ``wandlab.ui.app``)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import TYPE_CHECKING

from wandlab.protocol import SimPerform, SimSay
from wandlab.synth.gestures import GESTURES
from wandlab.ui.session import DeviceSession

if TYPE_CHECKING:
    from wandlab.ui.main_window import MainWindow

log = logging.getLogger(__name__)
DEMO_PERIOD_S = 2.0
DEMO_PRESET = "media remote"  # what Train & Flash sets too: every gesture of the demo has a key


async def demo_gestures(session: DeviceSession, period_s: float = DEMO_PERIOD_S) -> None:
    """Keep the virtual wand busy so plots show motion and speech (for demos and screenshots)."""
    moves = [g for g in GESTURES if g != "idle"]
    for i in itertools.count():
        await asyncio.sleep(period_s / 2)
        if not (session.connected and session.is_virtual):
            continue
        with contextlib.suppress(Exception):  # a demo must never take the app down
            if i % 2 == 0:
                await session.simulate(SimPerform(moves[(i // 2) % len(moves)]))
            elif i % 4 == 1:
                await session.simulate(SimSay("hey wand"))


async def demo_pair(window: MainWindow) -> None:
    """Once the virtual wand runs over Bluetooth: give it the shipped gesture model (if it has none) and the
    media-remote keys with HID on, show them in the Live test page, then press *Pair this computer*."""
    session = window.session
    while not (session.connected and session.virtual_ble() is not None):
        await asyncio.sleep(0.2)
    try:
        await _teach(session)
        await window.live_test_page.hid_editor.load_from_board()  # HID on, as the board has it now
    except Exception as exc:  # a demo must never take the app down; say why it stopped
        log.warning("demo pairing: could not set up the wand: %s", exc)
        return
    window.computer_panel.pair_button.click()


async def _teach(session: DeviceSession) -> None:
    from wandlab.board.controller import enable_hid, set_hid_map
    from wandlab.board.hid_presets import map_labels, preset
    from wandlab.board.transfer import upload_model
    from wandlab.ml.bundle import load_bundle
    from wandlab.ml.shipped import base_gesture_model
    from wandlab.onboard.board_image import pack

    client, info = session.client, session.info
    if client is None or info is None:
        return
    bundle = load_bundle(base_gesture_model(6 if session.has_gyro else 3))
    if not info.active_model_id:
        async for _ in upload_model(client, pack(bundle), "base"):
            pass
    mapping = map_labels(preset(DEMO_PRESET), list(enumerate(bundle.labels)))
    await set_hid_map(client, [action for action, _ in mapping])
    await enable_hid(client, True)


async def demo_word(window: MainWindow, word: str, repeats: int = 6) -> None:
    """Once the virtual wand is connected: the wake word wizard enrols ``word`` (the wand says it three times,
    mapped to Play/Pause), then at the test step the wand says it again every few seconds."""
    from wandlab.protocol.controller import ActionKind, HidAction
    from wandlab.ui.word_pages import TEST

    session = window.session
    while not (session.connected and session.is_virtual):
        await asyncio.sleep(0.2)
    window.pages.setCurrentWidget(window.live_test_page)
    window.live_test_page.open_word_wizard()
    wizard = window.live_test_page.word_wizard
    if wizard is None:
        return
    wizard.ui.name.setText(word)
    wizard.ui.key.set_action(HidAction(0, int(ActionKind.CONSUMER), 0xCD, 0))
    while not wizard.ui.start_button.isEnabled():
        await asyncio.sleep(0.2)  # the board's words are being read
    wizard.ui.start_button.click()
    while wizard.isVisible() and wizard.ui.pages.currentIndex() != TEST:
        await asyncio.sleep(0.2)
    for _ in range(repeats):
        await asyncio.sleep(3.0)
        if wizard.isVisible():
            wizard.ui.test_say_button.click()
