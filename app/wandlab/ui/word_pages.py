"""The word wizard's three pages as widgets (name, takes, test), and the few ways they show results.

Only layout and display live here; ``word_wizard.WordWizard`` drives them.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.hid_presets import describe
from wandlab.protocol import Message
from wandlab.protocol.controller import ActionKind, HidAction, HidReport
from wandlab.protocol.words import WakeEvent
from wandlab.ui.hid_editor import ActionEditor
from wandlab.ui.live_test_page import DistanceBar
from wandlab.ui.live_view import LevelMeter
from wandlab.ui.notify import TaskRunner
from wandlab.ui.session import DeviceSession
from wandlab.ui.word_list import WordsBox
from wandlab.ui.word_views import TakeRow, Waveform

NAME, TAKES, TEST = 0, 1, 2
GREY, AMBER, GREEN = "#6b7280", "#9a6700", "#2e8b57"


def sentence(text: str) -> str:
    """ "too quiet (…): speak louder" -> "Too quiet (…): speak louder." (messages from the core are clauses)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _big(size: int) -> QLabel:
    label = QLabel("")
    font = QFont()
    font.setPointSize(size)
    font.setBold(True)
    label.setFont(font)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


def _wrapped(text: str = "", colour: str = "") -> QLabel:
    label = QLabel(text, wordWrap=True)
    if colour:
        label.setStyleSheet(f"color: {colour};")
    return label


class WordPages:
    """Every widget of the wizard, laid out on ``build(dialog)``."""

    def __init__(self, session: DeviceSession, runner: TaskRunner, virtual: bool, person: int) -> None:
        self.virtual = virtual
        # -- name -----------------------------------------------------------------------------------
        self.name = QLineEdit(placeholderText="e.g. lumos, hey wand, computer")
        self.name.setMaxLength(40)
        self.key = ActionEditor()
        self.key.setToolTip("What the board does when it hears the word (Nothing: only report it)")
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.why = _wrapped("", "#9b1c1c")
        self.words = WordsBox(session, runner)
        # -- the virtual wand's voice (all pages) ---------------------------------------------------
        self.person = QSpinBox(minimum=0, maximum=99, value=person)
        self.person.setPrefix("person ")
        self.person.setToolTip(
            "Whose synthetic voice the virtual wand speaks with: enrol with one, then test "
            "with another (it should be rejected)"
        )
        self.auto_say = QCheckBox("says it at each prompt")
        self.auto_say.setChecked(True)
        # -- takes ----------------------------------------------------------------------------------
        self.prompt = _big(20)
        self.meter = LevelMeter()
        self.state = _wrapped("", GREY)
        self.take_row = TakeRow()
        self.message = _wrapped()
        self.say_button = QPushButton("Let the virtual wand say it")
        self.stop_button = QPushButton("Stop (Space)")
        self.stop_button.setToolTip("End this take now (it ends by itself when you stop speaking)")
        self.cancel_button = QPushButton("Back")
        self.cancel_button.setToolTip("Back to the name: nothing is sent to the board")
        # -- test -----------------------------------------------------------------------------------
        self.stored = _wrapped()
        self.test_result = _big(26)
        self.test_meter = LevelMeter()
        self.test_state = _wrapped("", GREY)
        self.test_wave = Waveform()
        self.test_wave.setToolTip("The test take; in blue, the word the PC judged")
        self.bar = DistanceBar()
        self.test_detail = _wrapped()
        self.board_line = _wrapped("", GREY)
        self.board_line.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.sensitivity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=50)
        self.sensitivity.setToolTip(
            "Strict: fewer false wakes, but say it as you enrolled it. Lenient: wakes "
            "more easily, also on similar words. The board gets the new threshold at once."
        )
        self.sensitivity_text = QLabel("")
        self.sent = _wrapped("", GREY)
        self.test_say_button = QPushButton("Let the virtual wand say it")
        self.another_button = QPushButton("Enroll another word")
        self.done_button = QPushButton("Done")
        self.pages = QStackedWidget()

    def sensitivity_value(self) -> float:
        return self.sensitivity.value() / 100.0

    # -- layout ---------------------------------------------------------------------------------------
    def build(self, dialog: QDialog) -> None:
        for page in (self._name_page(), self._takes_page(), self._test_page()):
            self.pages.addWidget(page)
        voice = QWidget()
        row = QHBoxLayout(voice)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Virtual wand voice:"))
        row.addWidget(self.person)
        row.addWidget(self.auto_say)
        row.addStretch(1)
        voice.setVisible(self.virtual)
        for button in (self.say_button, self.test_say_button):
            button.setVisible(self.virtual)
        layout = QVBoxLayout(dialog)
        layout.addWidget(self.pages, 1)
        layout.addWidget(voice)

    def _name_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout()
        form.addRow("Wake word:", self.name)
        form.addRow("Key it presses:", self.key)
        start = QHBoxLayout()
        start.addWidget(self.why, 1)
        start.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(page)
        layout.addWidget(
            _wrapped(
                "Teach the board your own wake word: say it three times. The board then listens "
                "for it by itself, with no training and no reflashing, and can press a key."
            )
        )
        layout.addLayout(form)
        layout.addLayout(start)
        layout.addWidget(self.words, 1)
        return page

    def _takes_page(self) -> QWidget:
        page = QWidget()
        meter_row = QHBoxLayout()
        meter_row.addWidget(QLabel("Level"))
        meter_row.addWidget(self.meter, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.say_button)
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.prompt)
        layout.addLayout(meter_row)
        layout.addWidget(self.state)
        layout.addWidget(self.take_row, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        return page

    def _test_page(self) -> QWidget:
        page = QWidget()
        meter_row = QHBoxLayout()
        meter_row.addWidget(QLabel("Level"))
        meter_row.addWidget(self.test_meter, 1)
        slider = QHBoxLayout()
        slider.addWidget(QLabel("<b>Sensitivity</b>  strict"))
        slider.addWidget(self.sensitivity, 1)
        slider.addWidget(QLabel("lenient"))
        slider.addWidget(self.sensitivity_text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_say_button)
        buttons.addStretch(1)
        buttons.addWidget(self.another_button)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.stored)
        layout.addWidget(self.test_result)
        layout.addLayout(meter_row)
        layout.addWidget(self.test_state)
        # Both judges side by side: the PC (the same model, on the take it cut) and the board (on its stream).
        pc = QGroupBox("On this PC, with the board's model")
        pc_layout = QVBoxLayout(pc)
        pc_layout.addWidget(self.test_wave, 1)
        pc_layout.addWidget(self.bar)
        pc_layout.addWidget(self.test_detail)
        board = QGroupBox("On the board, listening by itself")
        board_layout = QVBoxLayout(board)
        board_layout.addWidget(self.board_line, 1)
        board_layout.addWidget(
            _wrapped(
                "It checks its own microphone several times a second against the three "
                "takes, with or without this app, and presses the word's key when it wakes.",
                GREY,
            )
        )
        judges = QHBoxLayout()
        judges.addWidget(pc, 3)
        judges.addWidget(board, 2)
        layout.addLayout(judges, 1)
        layout.addLayout(slider)
        layout.addWidget(self.sent)
        layout.addLayout(buttons)
        return page

    # -- showing results ------------------------------------------------------------------------------
    def show_threshold(self, threshold: float, distance: float | None) -> None:
        self.sensitivity_text.setText(f"threshold {threshold:.3f}")
        self.bar.set_values(distance if distance is not None else 0.0, threshold)
        if distance is None:
            self.test_detail.setText(f"Accepted at a distance of {threshold:.3f} or less.")
            self.bar.setToolTip("")
            return
        verdict = "accepted" if distance <= threshold else "rejected"
        self.test_detail.setText(f"distance {distance:.3f} · threshold {threshold:.3f}: {verdict}")
        self.bar.setToolTip(
            f"Cosine distance to the nearest of the three takes: {distance:.3f}. "
            f"Left of the line ({threshold:.3f}) is accepted."
        )

    def show_board(self, heard: list[Message], label: str) -> None:
        wakes = [m for m in heard if isinstance(m, WakeEvent)]
        reports = [m for m in heard if isinstance(m, HidReport)]
        if not wakes:
            self.board_line.setText("The board did not wake on this take.")
            self.board_line.setStyleSheet(f"color: {GREY};")
            return
        wake = wakes[-1]
        lines = [
            f"<b>✓ The board heard “{escape(label)}”</b>",
            f"distance {wake.distance:.3f} · threshold {wake.threshold:.3f}",
            f"computed in {wake.latency_us / 1000:.0f} ms on the board",
        ]
        if reports:
            r = reports[-1]
            key = describe(HidAction(r.class_id, r.kind, r.code, r.modifiers))
            lines.append(f"pressed {key}" if r.sent else f"{key}: not sent (HID is off or no computer is paired)")
        self.board_line.setText("<br>".join(lines))
        self.board_line.setStyleSheet(f"color: {GREEN};")

    def key_action(self, class_id: int) -> HidAction | None:
        action = self.key.action(class_id)
        return action if action.kind != ActionKind.NONE else None
