"""Remote control for the virtual wand: perform gestures, switch person, say words, pull the cable, and
choose what its microphone hears (synthetic room and voices, or this computer's microphone).

Each control sends one simulation message through the session; it is enabled only while the
virtual wand is connected, since a real board would refuse these commands. The microphone is not a
message: the virtual wand runs in this process, so the panel hands its board a ``MicSource`` directly.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.client import ConnectionState
from wandlab.protocol import Message, SimButton, SimPerform, SimPerson, SimSay, SimUnplug
from wandlab.synth.gestures import GESTURES
from wandlab.ui.notify import TaskRunner
from wandlab.ui.session import DeviceSession
from wandlab.virtual.mic_source import MicrophoneError, list_microphones, microphone_problem, open_microphone

UNPLUG_MS = 2000
SHORTCUT_KEYS = "123456789"  # the first nine gestures; enough for a demo without a mouse
SYNTHETIC = "Synthetic voice"


def gesture_title(name: str) -> str:
    return name.replace("_", " ").capitalize() if len(name) > 1 else name.upper()


class VirtualPanel(QGroupBox):
    def __init__(self, session: DeviceSession, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Virtual wand", parent)
        self.session, self.runner = session, runner
        self.gesture_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(4)
        for i, name in enumerate(GESTURES):
            key = SHORTCUT_KEYS[i] if i < len(SHORTCUT_KEYS) else ""
            button = QPushButton(f"{key}  {gesture_title(name)}" if key else gesture_title(name))
            button.setToolTip(f"Make the virtual wand perform '{name}'" + (f" (key {key})" if key else ""))
            button.clicked.connect(lambda _=False, g=name: self.perform(g))
            grid.addWidget(button, i // 2, i % 2)
            self.gesture_buttons[name] = button

        self.person = QSpinBox(minimum=0, maximum=99)
        self.person.setToolTip("Simulated person: each has their own motion style, voice and sensor quirks")
        self.person.valueChanged.connect(self._person_changed)
        self.word = QLineEdit(placeholderText="word to say, e.g. hey wand")
        self.word.setToolTip("Text the virtual wand's microphone hears (Enter to say it)")
        self.word.returnPressed.connect(self.say)
        self.say_button = QPushButton("Say")
        self.say_button.setToolTip("Speak the text into the virtual microphone")
        self.say_button.clicked.connect(self.say)
        self.press_button = QPushButton("Press button")
        self.press_button.setToolTip("Press and release the board's button")
        self.press_button.clicked.connect(lambda: self._send(SimButton(0), "Button press"))
        self.unplug_button = QPushButton("Unplug 2 s")
        self.unplug_button.setToolTip("Pull the virtual USB cable for two seconds to see the app reconnect")
        self.unplug_button.clicked.connect(self.unplug)
        self.mic = QComboBox()
        self.mic.addItem(SYNTHETIC, None)
        self.mic.setToolTip("What the virtual wand's microphone hears: synthetic room noise and the words it is "
                            "told to say, or this computer's microphone (enrol your own voice without a board)")
        # Device names can be long ("HDA Intel PCH: ALC257 Analog (hw:0,0)"): never let one widen the panel.
        self.mic.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mic.setMinimumContentsLength(8)
        self.mic.activated.connect(self._mic_chosen)
        self.mic_note = QLabel("", wordWrap=True)
        self.mic_note.setStyleSheet("color: #6b7280;")
        self.mic_note.hide()
        self._mics_listed = False

        person_row = QHBoxLayout()
        person_row.addWidget(QLabel("Person"))
        person_row.addWidget(self.person, 1)
        say_row = QHBoxLayout()
        say_row.addWidget(self.word, 1)
        say_row.addWidget(self.say_button)
        mic_row = QHBoxLayout()
        mic_row.addWidget(QLabel("Microphone"))
        mic_row.addWidget(self.mic, 1)
        misc_row = QHBoxLayout()
        misc_row.addWidget(self.press_button)
        misc_row.addWidget(self.unplug_button)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(person_row)
        layout.addLayout(say_row)
        layout.addLayout(mic_row)
        layout.addWidget(self.mic_note)
        layout.addLayout(misc_row)

        self._controls = [*self.gesture_buttons.values(), self.person, self.word, self.say_button,
                          self.press_button, self.unplug_button]
        session.on_state(self._on_state)
        self._on_state(session.state, session.detail)

    def install_shortcuts(self, window: QWidget) -> None:
        """Number keys perform gestures anywhere in ``window`` (text fields keep their digits)."""
        for key, name in zip(SHORTCUT_KEYS, GESTURES, strict=False):
            shortcut = QShortcut(QKeySequence(key), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            button = self.gesture_buttons[name]
            shortcut.activated.connect(lambda b=button: self._click_if_usable(b))

    def _click_if_usable(self, button: QPushButton) -> None:
        if button.isEnabled() and self.isVisible():
            button.click()

    # -- actions --------------------------------------------------------------------------------
    def perform(self, gesture: str) -> None:
        self._send(SimPerform(gesture), f"Gesture {gesture!r}")

    def say(self) -> None:
        text = self.word.text().strip()
        if text:
            self._send(SimSay(text), f"Saying {text!r}")

    def unplug(self) -> None:
        self._send(SimUnplug(UNPLUG_MS), "Unplug")

    def _person_changed(self) -> None:
        if self.session.connected and self.session.is_virtual:
            self._send(SimPerson(self.person.value()), f"Person {self.person.value()}")

    def _send(self, message: Message, what: str) -> None:
        self.runner.run(self.session.simulate(message), what)

    # -- the microphone -------------------------------------------------------------------------
    def list_microphones(self) -> None:
        """Offer this computer's input devices, or say in the note why there are none to offer."""
        self._mics_listed = True
        problem = microphone_problem()
        chosen = self.mic.currentData()
        self.mic.clear()
        self.mic.addItem(SYNTHETIC, None)
        if not problem:
            for mic in list_microphones():
                self.mic.addItem(mic.name, str(mic.index))
                self.mic.setItemData(self.mic.count() - 1, f"{mic.name} ({mic.default_rate_hz} Hz)",
                                     Qt.ItemDataRole.ToolTipRole)
        index = self.mic.findData(chosen)
        self.mic.setCurrentIndex(max(0, index))
        self.mic.setEnabled(self.mic.count() > 1 and self._usable())
        self._note(problem)

    def use_microphone(self, device: str | None) -> None:
        """Let the virtual wand hear ``device`` (an index, a name, a WAV file) or synthetic sound (None)."""
        index = self.mic.findData(device)
        if index < 0 and device is not None:
            self.mic.addItem(device, device)
            index = self.mic.count() - 1
        self.mic.setCurrentIndex(max(0, index))
        self._mic_chosen(self.mic.currentIndex())

    def _mic_chosen(self, index: int) -> None:
        device = self.mic.itemData(index)
        self.runner.run(self._apply_microphone(device), "Switching the virtual wand's microphone")

    async def _apply_microphone(self, device: str | None) -> None:
        board = self.session.virtual_board()
        if board is None:
            self._note("Only the Python virtual wand can hear this computer's microphone.")
            return
        try:
            # Opening a sound card can take a moment (PortAudio probes it): not on the window's thread.
            source = await asyncio.to_thread(open_microphone, device) if device is not None else None
        except MicrophoneError as exc:
            self.mic.setCurrentIndex(0)
            self._note(f"{str(exc)[:1].upper()}{str(exc)[1:]}; the virtual wand hears synthetic sound.")
            return
        board.audio.set_source(source)
        self._note(f"The virtual wand hears {source.name}: speak to this computer." if source else "")

    def _note(self, text: str) -> None:
        self.mic_note.setText(text)
        self.mic_note.setVisible(bool(text))

    def _usable(self) -> bool:
        return self.session.connected and self.session.virtual_board() is not None

    # -- session -> view ------------------------------------------------------------------------
    def _on_state(self, state: ConnectionState, detail: str) -> None:
        self.setVisible(self.session.is_virtual and self.session.active)
        enabled = state is ConnectionState.CONNECTED and self.session.is_virtual
        for control in self._controls:
            control.setEnabled(enabled)
        if enabled and not self._mics_listed:
            self.list_microphones()  # first needed now: the app starts without touching the sound system
        self.mic.setEnabled(self.mic.count() > 1 and self._usable())
        board = self.session.virtual_board() if enabled else None
        if enabled and board is None:  # the C++ firmware's board (virtual:?firmware=native) has its own audio
            self._note("Only the Python virtual wand can hear this computer's microphone.")
        if board is not None and self.mic.currentData() is not None and board.audio.source is None:
            self._mic_chosen(self.mic.currentIndex())  # a new connection is a new wand: give it the microphone
