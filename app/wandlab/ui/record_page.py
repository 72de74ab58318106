"""The Record page: pick a label, press Record (button, Space or the board's button), perform.

A view over ``wandlab.dataset.capture.CaptureSession``: the page feeds it the session's blocks and a
20 Hz tick, shows its prompts and countdown, and lists saved takes with thumbnails. All recording
logic (take N of M, motion trigger with pre-roll, keeping a take the cable cut short) is in the core.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QHideEvent, QIcon, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.blocks import SampleBlock
from wandlab.board.client import ConnectionState
from wandlab.dataset import capture as cap
from wandlab.dataset.events import SamplesChanged
from wandlab.dataset.project import Project
from wandlab.errors import WandlabError
from wandlab.protocol import ButtonEvent, Message, SimPerform
from wandlab.synth.gestures import GESTURES
from wandlab.ui.label_picker import LabelPicker
from wandlab.ui.notify import Notifier, TaskRunner
from wandlab.ui.project_menu import ProjectHolder
from wandlab.ui.session import DeviceSession
from wandlab.ui.space_key import SpaceKey
from wandlab.ui.thumbnails import ThumbnailCache

TICK_MS = 50
MODES = (("Countdown", "timer"), ("Press for each take", "button"), ("Motion-triggered", "motion"))
ARMED_PAUSE_MS = 800  # virtual wand in motion mode: rest a moment so the pre-roll is still
RECENT_MAX = 50
RECORD_STYLE = "QPushButton { font-size: 20px; padding: 14px 40px; border-radius: 8px; color: white; background: %s; }"
# Why Record cannot start; each is taken down again (Notifier.withdraw) once it no longer holds.
NEED_PROJECT = "Open or create a project first (File > Open project…)"
NEED_BOARD = "Connect a board (or the virtual wand) before recording"
NEED_LABEL = "Type a label for the takes first, e.g. circle"
READY = "Ready: press Record (Space or the board's button), then perform the label"


class RecordPage(QWidget):
    open_sample = Signal(str)  # a recent take was double-clicked: show it in the Dataset page
    wants_focus = Signal()  # the board's button started a take: show this page

    def __init__(
        self,
        session: DeviceSession,
        projects: ProjectHolder,
        notifier: Notifier,
        runner: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.projects, self.notifier, self.runner = session, projects, notifier, runner
        self.capture: cap.CaptureSession | None = None
        self.thumbnails = ThumbnailCache((120, 40))
        self.recent_ids: list[str] = []  # takes saved on this page, newest first (shown while they exist)
        self._prompt_blocked = False  # the prompt says why Record cannot start

        self.picker = LabelPicker(notifier)
        self.picker.label_changed.connect(self._label_changed)
        label_edit = self.picker.combo.lineEdit()
        assert label_edit is not None  # the picker's combo is editable
        label_edit.returnPressed.connect(self._label_entered)
        self.gesture_kind = QRadioButton("Gesture (IMU)", checked=True)
        self.word_kind = QRadioButton("Word (microphone)")
        kinds = QButtonGroup(self)
        for button in (self.gesture_kind, self.word_kind):
            kinds.addButton(button)
            button.toggled.connect(lambda _: self._update_controls())
        self.mode = QComboBox()
        for text, trigger in MODES:
            self.mode.addItem(text, trigger)
        self.mode.setToolTip(
            "Countdown: takes follow each other. Press for each take: Record/Space/the board's "
            "button starts each one. Motion-triggered: a take starts when you move and ends "
            "when you hold still (with a moment from before the motion)."
        )
        self.mode.currentIndexChanged.connect(lambda _: self._update_controls())
        self.takes = QSpinBox(minimum=1, maximum=200, value=10, suffix=" takes")
        self.takes.setToolTip("How many takes to record in a row (the prompt says 'circle 3 of 10')")
        self.countdown = QSpinBox(minimum=0, maximum=10, value=3, suffix=" s")
        self.countdown.setToolTip("Seconds counted down before each take")
        self.seconds = QDoubleSpinBox(minimum=0.5, maximum=30.0, value=2.0, singleStep=0.5, suffix=" s")
        self.seconds.setToolTip("Length of each take (motion-triggered: the longest a take may run)")
        self.perform = QCheckBox("Virtual wand performs the gesture in each take")
        self.perform.setToolTip("Try recording without hardware: the virtual wand acts out the label")
        self.perform.setChecked(True)

        form = QFormLayout()
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.gesture_kind)
        kind_row.addWidget(self.word_kind)
        kind_row.addStretch(1)
        form.addRow("Label", self.picker)
        form.addRow("Record", kind_row)
        form.addRow("Mode", self.mode)
        timing = QHBoxLayout()
        for text, widget in (("", self.takes), ("countdown", self.countdown), ("length", self.seconds)):
            if text:
                timing.addWidget(QLabel(text))
            timing.addWidget(widget)
        timing.addStretch(1)
        form.addRow("Takes", timing)
        form.addRow("", self.perform)

        self.prompt = QLabel("Connect a board, pick a label and press Record")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt.setWordWrap(True)
        self.prompt.setStyleSheet("font-size: 18px; color: #333;")
        self.big = QLabel("")
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        big_font = QFont()
        big_font.setPointSize(40)
        big_font.setBold(True)
        self.big.setFont(big_font)
        self.big.setMinimumHeight(70)
        self.record_button = QPushButton()
        self.record_button.setToolTip("Record (Space, or the board's button); Esc cancels the take in progress")
        self.record_button.clicked.connect(self.toggle)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.record_button)
        button_row.addStretch(1)

        self.recent = QListWidget()
        self.recent.setViewMode(QListWidget.ViewMode.IconMode)
        self.recent.setFlow(QListWidget.Flow.LeftToRight)
        self.recent.setWrapping(False)
        self.recent.setIconSize(QSize(120, 40))
        self.recent.setFixedHeight(96)
        self.recent.setToolTip("Takes saved in this session, newest first; double-click to review one")
        self.recent.itemDoubleClicked.connect(lambda item: self.open_sample.emit(item.data(Qt.ItemDataRole.UserRole)))

        settings = QWidget()
        settings.setLayout(form)
        settings.setMaximumWidth(620)  # a form stretched over a wide window is hard to read
        layout = QVBoxLayout(self)
        layout.addWidget(settings)
        layout.addStretch(1)
        layout.addWidget(self.prompt)
        layout.addWidget(self.big)
        layout.addLayout(button_row)
        layout.addStretch(1)
        layout.addWidget(QLabel("Recent takes"))
        layout.addWidget(self.recent)

        self.space = SpaceKey(self, self.toggle)
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape.activated.connect(self.cancel)
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self._tick)

        session.on_block(self._on_block)
        session.on_state(self._on_state)
        session.on_event(self._on_board_event)
        projects.changed.connect(self._project_changed)
        projects.event.connect(self._project_event)
        self._project_changed(projects.project)

    # -- user actions ---------------------------------------------------------------------------
    def toggle(self) -> None:
        """Record / next take / stop: what Space, the big button and the board's button do."""
        if self.capture is not None and self.capture.state == cap.WAITING:
            self.capture.start(time.monotonic())
        elif self.capture is not None and self.capture.running:
            self.capture.stop(time.monotonic())
        else:
            self.start()

    def start(self) -> None:
        project = self.projects.project
        if project is None:
            self.notifier.error(NEED_PROJECT)
            return
        if not self.session.connected:
            self.notifier.error(NEED_BOARD)
            return
        if not self.picker.label:
            self.notifier.error(NEED_LABEL)
            self.prompt.setText(NEED_LABEL)
            self._prompt_blocked = True
            return
        info = self.session.info
        settings = cap.CaptureSettings(
            label=self.picker.label, kind=self.kind, takes=self.takes.value(), seconds=self.seconds.value(),
            countdown_s=self.countdown.value(), trigger=str(self.mode.currentData()),
            session=time.strftime("%Y-%m-%d %H:%M"), board=info.board_name if info else "",
            firmware=info.firmware_version if info else "")  # fmt: skip
        try:
            self.capture = cap.CaptureSession(project, settings)
        except WandlabError as exc:
            self.notifier.error(str(exc))
            return
        self.notifier.withdraw(NEED_PROJECT, NEED_BOARD, NEED_LABEL)  # a series is under way: none holds now
        self.picker.remember()
        self.capture.subscribe(self._on_capture)
        self.timer.start()
        self.capture.start(time.monotonic())

    def _label_entered(self) -> None:
        """Enter in the label field starts the series (Space types there)."""
        if self.capture is None or not self.capture.running:
            self.start()

    def _label_changed(self, label: str) -> None:
        if label:
            self.notifier.withdraw(NEED_LABEL)
        self._update_controls()

    def cancel(self) -> None:
        if self.capture is not None and self.capture.running:
            self.capture.cancel()

    def shutdown(self) -> None:
        """The window is closing: keep the take in progress."""
        if self.capture is not None and self.capture.running:
            self.capture.stop(time.monotonic())
        self.timer.stop()

    @property
    def kind(self) -> str:
        return "imu" if self.gesture_kind.isChecked() else "audio"

    # -- inputs from the board --------------------------------------------------------------------
    def _on_block(self, block: SampleBlock) -> None:
        if self.capture is not None and self.capture.running:
            self.capture.feed(block.sensor, block.data, block.rate_hz, time.monotonic(), block.lost_before)

    def _on_state(self, state: ConnectionState, detail: str) -> None:
        if state is not ConnectionState.CONNECTED and self.capture is not None and self.capture.running:
            self.capture.connection_lost(time.monotonic(), detail)
        self._update_controls()

    def _on_board_event(self, message: Message) -> None:
        if isinstance(message, ButtonEvent) and message.pressed and self.projects.project is not None:
            self.wants_focus.emit()
            self.toggle()

    def _tick(self) -> None:
        if self.capture is None or not self.capture.running:
            self.timer.stop()
            return
        self.capture.tick(time.monotonic())

    # -- capture -> view ------------------------------------------------------------------------
    def _on_capture(self, event: cap.CaptureEvent) -> None:
        if isinstance(event, cap.StateChanged):
            self.prompt.setText(event.prompt)
            self.big.setText({cap.RECORDING: "Go!", cap.ARMED: "…", cap.SAVING: "✓"}.get(event.state, ""))
            if event.state == cap.RECORDING and self.capture and self.capture.settings.trigger != "motion":
                self._act()
            elif event.state == cap.ARMED:
                QTimer.singleShot(ARMED_PAUSE_MS, self._act_if_armed)
            self._update_controls()
        elif isinstance(event, cap.CountdownTick):
            self.big.setText(str(event.remaining))
        elif isinstance(event, cap.TakeSaved):
            self._add_recent(event.sample.id)
            secs = event.sample.trimmed_frames / event.sample.rate_hz
            self.prompt.setText(f"Saved take {event.take} of {event.takes} ({secs:.2f} s after trimming)")
        elif isinstance(event, cap.TakeDiscarded):
            self.prompt.setText(f"Take discarded: {event.reason}")
        elif isinstance(event, cap.CaptureError):
            self.notifier.error(event.message)

    def _act_if_armed(self) -> None:
        if self.capture is not None and self.capture.state == cap.ARMED:
            self._act()

    def _act(self) -> None:
        """Virtual wand only: perform the label now, so a take can be tried without hardware."""
        if not self.perform.isHidden() and self.perform.isChecked() and self.kind == "imu":
            label = self.capture.settings.label if self.capture else self.picker.label
            self.runner.run(self.session.simulate(SimPerform(label)), f"Virtual wand: {label}")

    def _add_recent(self, sample_id: str) -> None:
        self.recent_ids = [sample_id, *self.recent_ids][:RECENT_MAX]
        self._show_recent()

    def _show_recent(self) -> None:
        """Recent takes as they are now: a deleted take leaves the list, a cropped one shows its crop."""
        project = self.projects.project
        self.recent.clear()
        if project is None:
            return
        for sample_id in self.recent_ids:
            if project.state_of(sample_id) != "ok":
                continue  # deleted, or split into new takes (which the Dataset page shows)
            sample = project.get(sample_id)
            item = QListWidgetItem(
                QIcon(self.thumbnails.get(project, sample)),
                f"{sample.label}\n{sample.trimmed_frames / sample.rate_hz:.2f} s",
            )
            item.setData(Qt.ItemDataRole.UserRole, sample.id)
            item.setToolTip(f"{sample.label}, take {sample.id[:8]}: double-click to review")
            self.recent.addItem(item)

    def _project_changed(self, project: Project | None) -> None:
        if self.capture is not None and self.capture.running:
            self.capture.stop(time.monotonic())
        self.capture = None
        self.recent_ids = []
        self.recent.clear()
        self.thumbnails.clear()
        if project is not None:
            self.notifier.withdraw(NEED_PROJECT)
        self.picker.set_project(project)
        self._update_controls()

    def _project_event(self, event: object) -> None:
        if isinstance(event, SamplesChanged):  # labels appear, disappear or get renamed
            self.picker.refresh()
            if set(event.added + event.changed + event.removed) & set(self.recent_ids):
                self._show_recent()  # a recent take was cropped, relabeled, deleted or brought back

    def _update_controls(self) -> None:
        running = self.capture is not None and self.capture.running
        waiting = running and self.capture is not None and self.capture.state == cap.WAITING
        if waiting or not running:
            text, colour = ("● Record next take" if waiting else "● Record"), "#c62828"
        else:
            text, colour = "■ Stop", "#455a64"
        self.record_button.setText(f"{text}   (Space)")
        self.record_button.setStyleSheet(RECORD_STYLE % colour)
        ready = self.session.connected and self.projects.project is not None
        self.record_button.setEnabled(running or ready)
        for widget in (
            self.picker,
            self.gesture_kind,
            self.word_kind,
            self.mode,
            self.takes,
            self.countdown,
            self.seconds,
        ):
            widget.setEnabled(not running)
        motion = self.mode.currentData() == "motion"
        self.countdown.setEnabled(not running and not motion)
        if self.kind == "audio" and motion:
            self.mode.setCurrentIndex(0)  # words have no motion trigger
        self.perform.setVisible(
            self.session.is_virtual and self.session.connected and self.kind == "imu" and self.picker.label in GESTURES
        )
        if self.session.connected:
            self.notifier.withdraw(NEED_BOARD)
        if not running:
            blocker = (NEED_PROJECT if self.projects.project is None
                       else "Connect a board or the virtual wand (left) to record" if not self.session.connected
                       else "")
            if blocker:
                self.prompt.setText(blocker)
                self._prompt_blocked = True
            elif self.capture is None or self._prompt_blocked:
                # The last series' result stays up; a reason that no longer holds does not.
                self.prompt.setText(READY)
                self._prompt_blocked = False

    # -- Space only while this page is shown ----------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        self.space.enabled = True
        self.escape.setEnabled(True)
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt API)
        self.space.enabled = False  # elsewhere Space presses the focused button as usual
        self.escape.setEnabled(False)
        super().hideEvent(event)
