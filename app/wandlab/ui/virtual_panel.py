"""Remote control for the virtual wand: perform gestures, switch person, say words, pull the cable.

Each control sends one simulation message through the session; it is enabled only while the
virtual wand is connected, since a real board would refuse these commands.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
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

UNPLUG_MS = 2000
SHORTCUT_KEYS = "123456789"  # the first nine gestures; enough for a demo without a mouse


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

        person_row = QHBoxLayout()
        person_row.addWidget(QLabel("Person"))
        person_row.addWidget(self.person, 1)
        say_row = QHBoxLayout()
        say_row.addWidget(self.word, 1)
        say_row.addWidget(self.say_button)
        misc_row = QHBoxLayout()
        misc_row.addWidget(self.press_button)
        misc_row.addWidget(self.unplug_button)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(person_row)
        layout.addLayout(say_row)
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

    # -- session -> view ------------------------------------------------------------------------
    def _on_state(self, state: ConnectionState, detail: str) -> None:
        self.setVisible(self.session.is_virtual and self.session.active)
        enabled = state is ConnectionState.CONNECTED and self.session.is_virtual
        for control in self._controls:
            control.setEnabled(enabled)
