"""The virtual wand panel's microphone picker: this computer's input devices (a fake sounddevice here: no
audio device exists on a test machine), the virtual wand hearing the one picked, again after reconnecting,
and a plain sentence saying what to install when PortAudio is missing."""

from __future__ import annotations

import builtins
import sys
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from tests.virtual.test_mic_source import fake_sounddevice
from wandlab.ui.main_window import MainWindow
from wandlab.ui.virtual_panel import SYNTHETIC

from .conftest import connect_virtual


def test_the_virtual_wand_hears_the_microphone_picked(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams: list[Any] = []
    fake_sounddevice(monkeypatch, streams, rates_ok=(16000,), seconds=30.0, paced=True)
    connect_virtual(qtbot, window)
    panel = window.virtual_panel
    names = [panel.mic.itemText(i) for i in range(panel.mic.count())]
    assert names == [SYNTHETIC, "Built-in microphone", "USB headset"] and panel.mic.isEnabled()

    panel.mic.setCurrentIndex(2)
    panel.mic.activated.emit(2)  # as a click on "USB headset" does
    board = window.session.virtual_board()
    assert board is not None
    qtbot.waitUntil(lambda: board.audio.source is not None, timeout=3000)
    assert streams[-1].device == 2 and "USB headset" in panel.mic_note.text()
    # What the board streams is now the card's 400 Hz tone (0.2 of full scale), not quiet synthetic noise.
    qtbot.waitUntil(
        lambda: np.abs(window.session.buffer.audio_window(0.25).astype(int)).max() > 0.15 * 32768, timeout=3000
    )

    window.device_panel.toggle_connection()  # disconnect: the card is let go
    qtbot.waitUntil(lambda: not window.session.active, timeout=4000)
    assert streams[-1].closed
    connect_virtual(qtbot, window)  # a new wand gets the microphone still picked
    board = window.session.virtual_board()
    assert board is not None
    qtbot.waitUntil(lambda: board.audio.source is not None and len(streams) == 2, timeout=3000)

    panel.mic.setCurrentIndex(0)
    panel.mic.activated.emit(0)  # back to synthetic sound
    qtbot.waitUntil(lambda: board.audio.source is None, timeout=3000)
    assert streams[-1].closed


def test_without_portaudio_the_picker_says_what_to_install(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_portaudio(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    connect_virtual(qtbot, window)
    panel = window.virtual_panel
    assert not panel.mic.isEnabled() and panel.mic.count() == 1
    assert panel.mic_note.isVisibleTo(panel) and "libportaudio2" in panel.mic_note.text()
