"""The enroll wizard: name a gesture, perform it 3-5 times, the board stores it; try it; give it a key.

No training and no reflashing: the board embeds each take with the model it runs and keeps the
embeddings as the new class's references (``wandlab.board.enroll.enroll_gesture``, an async generator
of the board's EnrollProgress that the CLI uses too). With the virtual wand, the wizard can act the
gesture out from the wand's library, so the whole flow works without hardware.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.controller import get_hid_map, set_hid_map, start_recognition, stop_recognition, vetoed_by_bank
from wandlab.board.enroll import enroll_gesture
from wandlab.board.hid_presets import describe
from wandlab.errors import BoardError, LinkError
from wandlab.protocol import Message, SimPerform
from wandlab.protocol.controller import NO_CLASS, ActionKind, InferenceEvent
from wandlab.protocol.enroll import EnrollProgress, EnrollState
from wandlab.synth.gestures import GESTURES
from wandlab.ui.hid_editor import ActionEditor
from wandlab.ui.notify import Notifier, TaskRunner
from wandlab.ui.plain_errors import NO_MODEL, plain
from wandlab.ui.session import DeviceSession
from wandlab.ui.virtual_panel import gesture_title

NAME, TAKES, TRY = 0, 1, 2
PERFORM_DELAY_S = 0.4  # the virtual wand rests a moment after "perform now", like a person would


def _big(text: str = "", size: int = 18) -> QLabel:
    label = QLabel(text)
    font = QFont()
    font.setPointSize(size)
    font.setBold(True)
    label.setFont(font)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class EnrollWizard(QDialog):
    def __init__(self, session: DeviceSession, runner: TaskRunner, notifier: Notifier,
                 parent: QWidget | None = None, project: Any = None) -> None:
        super().__init__(parent)
        self.session, self.runner, self.notifier = session, runner, notifier
        # The open project: the takes the board captures are saved in it, so the next Train & Flash
        # learns the gesture instead of dropping it (None: enrol on the board only).
        self.project = project
        self.setWindowTitle("Enroll a new gesture on the board")
        self.resize(560, 420)
        self.progress_log: list[EnrollProgress] = []
        self.class_id: int = NO_CLASS
        self.task: asyncio.Task[Any] | None = None
        self.trying = False
        self.tries: list[InferenceEvent] = []

        # -- page 1: name it ----------------------------------------------------------------------
        self.name = QLineEdit(placeholderText="e.g. wave, zorro, heart")
        self.name.textChanged.connect(self._name_changed)
        self.shots = QSpinBox(minimum=3, maximum=5, value=3)
        self.shots.setSuffix(" takes")
        self.virtual_gesture = QComboBox()
        for g in GESTURES:
            if g != "idle":
                self.virtual_gesture.addItem(gesture_title(g), g)
        self.virtual_gesture.setToolTip("Which gesture of its library the virtual wand acts out for this name")
        self.auto_perform = QCheckBox("Virtual wand performs it when asked")
        self.auto_perform.setChecked(True)
        form = QFormLayout()
        form.addRow("Name of the gesture:", self.name)
        form.addRow("Perform it:", self.shots)
        self.virtual_row = QWidget()
        vr = QHBoxLayout(self.virtual_row)
        vr.setContentsMargins(0, 0, 0, 0)
        vr.addWidget(self.virtual_gesture)
        vr.addWidget(self.auto_perform)
        form.addRow("Virtual wand:", self.virtual_row)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.why = QLabel("")  # the reason Start is disabled, in view and not only in its tooltip
        self.why.setWordWrap(True)
        self.why.setStyleSheet("color: #9b1c1c;")
        name_page = QWidget()
        nl = QVBoxLayout(name_page)
        nl.addWidget(QLabel("The board learns a gesture from a few takes, by itself: no training, no reflashing. "
                            "Hold still between takes."))
        nl.addLayout(form)
        nl.addStretch(1)
        nl.addWidget(self.why)
        nl.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignRight)

        # -- page 2: the takes ---------------------------------------------------------------------
        self.prompt = _big("")
        self.take_bar = QProgressBar()
        self.take_bar.setTextVisible(True)
        self.detail = QLabel("")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.perform_button = QPushButton("Perform it (virtual wand)")
        self.perform_button.clicked.connect(self.perform)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_enrollment)
        self.again_button = QPushButton("Try again")
        self.again_button.clicked.connect(self._back_to_name)
        takes_page = QWidget()
        tl = QVBoxLayout(takes_page)
        tl.addStretch(1)
        tl.addWidget(self.prompt)
        tl.addWidget(self.take_bar)
        tl.addWidget(self.detail)
        tl.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.perform_button)
        row.addStretch(1)
        row.addWidget(self.again_button)
        row.addWidget(self.cancel_button)
        tl.addLayout(row)

        # -- page 3: try it, map it ----------------------------------------------------------------
        self.stored = QLabel("")
        self.stored.setWordWrap(True)
        self.try_label = _big("Perform it now to try it", 24)
        self.try_detail = QLabel("")
        self.try_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.try_perform = QPushButton("Perform it (virtual wand)")
        self.try_perform.clicked.connect(self.perform)
        self.action = ActionEditor()
        self.save_key = QPushButton("Save key on the board")
        self.save_key.clicked.connect(lambda: self.runner.run(self.save_action(), "Saving the key"))
        self.key_state = QLabel("")
        self.close_button = QPushButton("Done")
        self.close_button.clicked.connect(self.close)
        try_page = QWidget()
        yl = QVBoxLayout(try_page)
        yl.addWidget(self.stored)
        yl.addWidget(self.try_label)
        yl.addWidget(self.try_detail)
        yl.addWidget(self.try_perform, 0, Qt.AlignmentFlag.AlignCenter)
        yl.addStretch(1)
        yl.addWidget(QLabel("<b>Map it to a key</b> (the board presses it when it recognises the gesture):"))
        key_row = QHBoxLayout()
        key_row.addWidget(self.action, 1)
        key_row.addWidget(self.save_key)
        yl.addLayout(key_row)
        yl.addWidget(self.key_state)
        yl.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignRight)

        self.pages = QStackedWidget()
        for page in (name_page, takes_page, try_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        # The session keeps its listeners for good: hold the dialog weakly so a closed one can go.
        me = weakref.ref(self)

        def listener(message: Message) -> None:
            wizard = me()
            if wizard is not None:
                wizard._on_message(message)

        session.on_event(listener)
        virtual = session.is_virtual
        self.virtual_row.setVisible(virtual)
        self.perform_button.setVisible(virtual)
        self.try_perform.setVisible(virtual)
        self._name_changed("")

    # -- page 1 ---------------------------------------------------------------------------------
    def blocker(self) -> str:
        """Why Start cannot enroll now ("" when it can)."""
        info = self.session.info
        if not self.session.connected or info is None:
            return "Connect a board first."
        if not info.active_model_id:  # the board embeds the takes with its model: without one it refuses
            return f"{NO_MODEL} Enrolling needs one: the board describes each take with its model."
        return ""

    def _name_changed(self, text: str) -> None:
        why = self.blocker() or ("" if text.strip() else "Name the gesture first.")
        self.start_button.setEnabled(not why)
        self.start_button.setToolTip(why or "Start: perform the gesture when asked")
        self.why.setText(self.blocker())
        self.why.setVisible(bool(self.why.text()))
        key = text.strip().lower().replace(" ", "_")
        index = self.virtual_gesture.findData(key)
        if index >= 0:  # a library gesture's name: perform that one
            self.virtual_gesture.setCurrentIndex(index)

    def _back_to_name(self) -> None:
        self.pages.setCurrentIndex(NAME)

    def start(self) -> None:
        label = self.name.text().strip()
        if not label or self.session.client is None:
            return
        self.progress_log = []
        self.take_bar.setRange(0, self.shots.value())
        self.take_bar.setValue(0)
        self.take_bar.setFormat(f"%v of {self.shots.value()} takes")
        self.prompt.setText(f"Get ready to perform “{label}”…")
        self.detail.setText("")
        self.again_button.hide()
        self.cancel_button.show()
        self.pages.setCurrentIndex(TAKES)
        self.task = self.runner.run(self._enroll(label, self.shots.value()), f"Enrolling '{label}'")

    # -- page 2 ---------------------------------------------------------------------------------
    async def _enroll(self, label: str, shots: int) -> None:
        client = self.session.client
        assert client is not None
        try:
            if self.project is not None:
                from wandlab.flows.enroll_takes import enroll_and_keep

                steps = enroll_and_keep(client, self.project, label, shots)
            else:
                steps = enroll_gesture(client, label, shots)
            async for progress in steps:
                self.on_progress(progress)
                if progress.state == EnrollState.WAITING and self.session.is_virtual and self.auto_perform.isChecked():
                    await asyncio.sleep(PERFORM_DELAY_S)
                    await self._perform()
        except BoardError as exc:  # e.g. no model on the board: say it here, with a way back
            self._failed(plain(exc))

    def on_progress(self, p: EnrollProgress) -> None:
        self.progress_log.append(p)
        label = self.name.text().strip()
        state = EnrollState(p.state)
        self.take_bar.setValue(p.shot)
        if state == EnrollState.WAITING:
            self.prompt.setText(f"Perform “{label}” now")
            self.prompt.setStyleSheet("color: #1d4f91;")
            self.detail.setText(f"take {p.shot + 1} of {p.shots}" + (f" – {p.message}" if "hold" in p.message else ""))
        elif state == EnrollState.CAPTURED:
            self.prompt.setText(f"Take {p.shot} of {p.shots} captured")
            self.prompt.setStyleSheet("color: #2e8b57;")
            self.detail.setText(p.message)
        elif state == EnrollState.DONE:
            self.class_id = p.class_id
            self._enter_try(label, p)
        elif state == EnrollState.FAILED:
            self._failed(plain(p.message))

    def _failed(self, message: str) -> None:
        self.prompt.setText("Not enrolled")
        self.prompt.setStyleSheet("color: #c0392b;")
        self.detail.setText(message)
        self.again_button.show()
        self.cancel_button.hide()

    def cancel_enrollment(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()  # closing the generator cancels the enrollment on the board
        self.pages.setCurrentIndex(NAME)

    def perform(self) -> None:
        self.runner.run(self._perform(), "Virtual wand")

    async def _perform(self) -> None:
        await self.session.simulate(SimPerform(str(self.virtual_gesture.currentData())))

    # -- page 3 ---------------------------------------------------------------------------------
    def _enter_try(self, label: str, p: EnrollProgress) -> None:
        self.stored.setText(f"<b style='color:#2e8b57'>✓ “{label}” is stored on the board</b> "
                            f"(class {p.class_id}, {p.shots} takes). {p.message}")
        self.try_label.setText(f"Perform “{label}” to try it")
        self.try_label.setStyleSheet("")
        self.pages.setCurrentIndex(TRY)
        self.runner.run(self._load_action(), "Reading the HID map")
        self.runner.run(self._start_trying(), "Starting recognition")

    async def _start_trying(self) -> None:
        client = self.session.client
        if client is None:
            return
        await start_recognition(client, events=True)
        self.trying = True

    async def _load_action(self) -> None:
        client = self.session.client
        if client is None:
            return
        hid_map = await get_hid_map(client)
        self.action.set_action(next((a for a in hid_map.actions if a.class_id == self.class_id), None))

    def _on_message(self, message: Message) -> None:
        if not self.trying or not isinstance(message, InferenceEvent):
            return
        self.tries.append(message)
        label = self.name.text().strip()
        if message.class_id == self.class_id:
            self.try_label.setText(f"✓ {message.label}")
            self.try_label.setStyleSheet("color: #2e8b57;")
        elif message.class_id == NO_CLASS:
            self.try_label.setText("none")
            self.try_label.setStyleSheet("color: #8a8f98;")
        else:
            self.try_label.setText(f"{message.label}  (not {label})")
            self.try_label.setStyleSheet("color: #c0392b;")
        detail = f"distance {message.distance:.0f}, margin {message.margin:+.0f}"
        if vetoed_by_bank(message):
            detail += f" – within the threshold of '{message.label}', but as near everyday motion"
        self.try_detail.setText(detail)

    async def save_action(self) -> None:
        client = self.session.client
        if client is None or self.class_id == NO_CLASS:
            return
        action = self.action.action(self.class_id)
        current = await get_hid_map(client)
        others = [a for a in current.actions if a.class_id != self.class_id]
        await set_hid_map(client, others + ([action] if action.kind != ActionKind.NONE else []))
        self.key_state.setText(f"Saved: “{self.name.text().strip()}” → {describe(action)}"
                               + ("" if current.enabled else " (HID is off: turn it on in the Live test page)"))

    # -- closing --------------------------------------------------------------------------------
    def done(self, result: int) -> None:  # noqa: D401 (Qt API: every way of closing a dialog ends here)
        self._cleanup()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self._cleanup()
        super().closeEvent(event)

    def _cleanup(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.trying:
            self.trying = False
            client = self.session.client
            if client is not None and self.session.connected:
                async def stop() -> None:
                    with contextlib.suppress(BoardError, LinkError):
                        await stop_recognition(client)

                self.runner.run(stop(), "Stopping recognition")
