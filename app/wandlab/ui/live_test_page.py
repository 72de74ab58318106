"""The Live test page: watch the board recognise on its own, and turn its mistakes into training data.

Shown, it asks the board to recognise and report every decision (RecognizeStart); hidden or closed,
it stops. Each InferenceEvent shows as a big label (or "none"), its distance against the class's
threshold, the board's latency, and the key the board pressed (the HidReport that follows it). "That
was wrong" and "Missed it" save the IMU window the board judged (found by the event's sample index in
the recent stream) as a labeled take in the project: it appears in the Dataset page at once, and the
next Train & Flash learns from it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFont, QHideEvent, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.blocks import SampleBlock
from wandlab.board.client import ConnectionState
from wandlab.board.controller import start_recognition, stop_recognition, vetoed_by_bank
from wandlab.board.hid_presets import describe
from wandlab.dataset.folder import IMU_COLUMNS
from wandlab.dataset.jobs import run_job
from wandlab.dataset.project import Draft
from wandlab.errors import BoardError, LinkError, WandlabError
from wandlab.protocol import Message
from wandlab.protocol.controller import NO_CLASS, HidAction, HidReport, InferenceEvent
from wandlab.protocol.model import TransferResult
from wandlab.protocol.words import WORD_CLASS_BASE, WakeEvent
from wandlab.ui.elided_label import ElidedLabel
from wandlab.ui.hid_editor import HidEditor
from wandlab.ui.label_dialog import LabelDialog
from wandlab.ui.notify import Notifier, TaskRunner
from wandlab.ui.plain_errors import plain
from wandlab.ui.project_menu import ProjectHolder
from wandlab.ui.session import DeviceSession
from wandlab.ui.stream_tail import StreamTail, motion_take

if TYPE_CHECKING:  # the wizard's module imports this one (DistanceBar)
    from wandlab.ui.word_wizard import WordWizard

HISTORY_MAX = 200
WINDOW_S = 3.0  # the board's segments are at most 3 s (virtual.segmenter.MAX_SEGMENT_S)
MISSED_S = 2.5  # "Missed it": the last seconds of the stream hold the gesture just performed
ACCEPT, REJECT = "#2e8b57", "#8a8f98"
MISSED_TITLE = "Missed it"


def why_not_sent(hid_on: bool, session: DeviceSession) -> tuple[str, str]:
    """(why, what to do) for a key the board did not send: ``HidReport.sent == 0`` means HID is off, or HID
    is on and no paired computer was connected to receive it."""
    if not hid_on:
        return "HID is off", "Tick “HID on” (right) to let the board press keys on its own."
    if session.is_virtual and session.is_ble:
        return ("no computer is paired and connected",
                "Press “Pair this computer” under Paired computer (left): it pairs like a laptop and shows each key.")
    if session.is_virtual:
        return ("no computer is paired (the virtual wand over USB has no Bluetooth)",
                "Connect the virtual wand over Bluetooth and pair its computer to see the keys arrive.")
    return ("no computer is paired and connected",
            "Pair the wand in this computer's Bluetooth settings (it shows as a keyboard), or switch the paired "
            "computer's Bluetooth on.")


@dataclass
class Decision:
    """One board decision as the page remembers it: the event, the key it led to, when."""

    event: InferenceEvent
    at: float
    key: str = ""
    sent: bool = False
    saved_as: str = ""

    @property
    def accepted(self) -> bool:
        return self.event.class_id != NO_CLASS

    @property
    def threshold(self) -> float:
        return self.event.distance + self.event.margin

    @property
    def like_everyday_motion(self) -> bool:
        return vetoed_by_bank(self.event)


class DistanceBar(QWidget):
    """Distance to the nearest class as a bar, with that class's threshold as a line: left of the line
    is accepted (green), right of it "none" (grey); grey left of it too where the negatives bank vetoed
    the take (``vetoed``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.distance = 0.0
        self.threshold = 0.0
        self.vetoed = False
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_values(self, distance: float, threshold: float, vetoed: bool = False) -> None:
        self.distance, self.threshold, self.vetoed = distance, threshold, vetoed
        verdict = ("nearer everyday motion than the gesture – 'none'" if vetoed else "accepted"
                   if distance <= threshold else "too far – 'none'")
        self.setToolTip(f"distance {distance:.0f}, threshold {threshold:.0f}: {verdict}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QRectF(0, 8, self.width() - 1, self.height() - 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#e6e9ee"))
        p.drawRoundedRect(track, 3, 3)
        if self.threshold > 0 and self.distance == self.distance and self.distance != float("inf"):
            full = max(self.threshold * 2.0, self.distance * 1.05)
            fill = QRectF(track.x(), track.y(), track.width() * min(1.0, self.distance / full), track.height())
            p.setBrush(QColor(ACCEPT if self.distance <= self.threshold and not self.vetoed else REJECT))
            p.drawRoundedRect(fill, 3, 3)
            x = track.x() + track.width() * self.threshold / full
            p.setPen(QPen(QColor("#222"), 2))
            p.drawLine(int(x), 2, int(x), self.height() - 2)
            p.drawText(QRectF(x + 4, 0, 120, 12), Qt.AlignmentFlag.AlignLeft, "threshold")
        p.end()


class LiveTestPage(QWidget):
    decided = Signal(object)  # a Decision, after it is shown

    def __init__(self, session: DeviceSession, projects: ProjectHolder, notifier: Notifier, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.projects, self.notifier, self.runner = session, projects, notifier, runner
        self.tail = StreamTail()
        self.history: deque[Decision] = deque(maxlen=HISTORY_MAX)
        self.recognising = False
        self.wanted = False  # the page is shown: recognition should run whenever a board is there
        self.problem = ""  # why the board would not recognise, in plain words ("" when it does)
        self.enrolling = False  # the enroll wizard is open and uses the board's recognition itself
        # Asks the user for a label; tests replace it (a modal dialog would block them).
        self.ask_label = self._ask_label
        self.last_saved = ""  # id of the take saved last
        self.wizard: QWidget | None = None
        self.word_wizard: WordWizard | None = None

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.big = ElidedLabel("–", alignment=Qt.AlignmentFlag.AlignHCenter)  # a long label name: "…", not a wider page
        big_font = QFont()
        big_font.setPointSize(40)
        big_font.setBold(True)
        self.big.setFont(big_font)
        self.big.setMinimumHeight(90)
        self.bar = DistanceBar()
        # Both wrap: on one line their longest texts made the page wider than a 1280 px window.
        self.numbers = QLabel("", wordWrap=True)
        self.numbers.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key = QLabel("", wordWrap=True)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        key_font = QFont()
        key_font.setPointSize(14)
        self.key.setFont(key_font)
        # The board's last wake word (it listens by itself, recognising or not), with the key it pressed.
        self.wake_line = QLabel("", wordWrap=True)
        self.wake_line.setTextFormat(Qt.TextFormat.RichText)
        self.wake_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.wake_line.hide()
        self.last_wake: WakeEvent | None = None
        self._wake_at = ""
        self.wake_key: tuple[str, bool] | None = None  # (the key, sent) of the last wake's HidReport
        self.history_list = QListWidget()
        self.history_list.setAlternatingRowColors(True)
        self.wrong_button = QPushButton("That was wrong…")
        self.wrong_button.setToolTip("The selected (or latest) decision was wrong: save its motion as a take "
                                     "with the right label")
        self.wrong_button.clicked.connect(self.that_was_wrong)
        self.missed_button = QPushButton("Missed it…")
        self.missed_button.setToolTip("You performed a gesture and the board said nothing: save the last "
                                      f"{MISSED_S:.1f} s as a take with its label")
        self.missed_button.clicked.connect(self.missed_it)
        self.enroll_button = QPushButton("Enroll a new gesture…")
        self.enroll_button.setToolTip("Teach the board a gesture from 3-5 takes, on the board, without retraining")
        self.enroll_button.clicked.connect(self.open_enroll_wizard)
        self.word_button = QPushButton("Enroll a wake word…")
        self.word_button.setToolTip("Teach the board your own wake word from three utterances (Ctrl+Shift+W)")
        self.word_button.clicked.connect(self.open_word_wizard)
        self.virtual_person: Callable[[], int] = lambda: 0  # the virtual wand's person, for the wizard's voice
        self.hid_editor = HidEditor(session, runner, notifier)
        self.hid_editor.on_board.connect(self._keys_changed)  # a key saved now shows for the latest gesture

        left = QVBoxLayout()
        left.addWidget(self.status)
        left.addWidget(self.big)
        left.addWidget(self.bar)
        left.addWidget(self.numbers)
        left.addWidget(self.key)
        left.addWidget(self.wake_line)
        history = QLabel("<b>History</b> (newest first; select one for “That was wrong”)", wordWrap=True)
        left.addWidget(history)
        left.addWidget(self.history_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.wrong_button)
        row.addWidget(self.missed_button)
        row.addStretch(1)
        row.addWidget(self.enroll_button)
        row.addWidget(self.word_button)
        left.addLayout(row)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addWidget(self.hid_editor, 2)

        session.on_block(self._on_block)
        session.on_event(self._on_message)
        session.on_state(self._on_state)
        self._restart = QTimer(self, singleShot=True, interval=300)
        self._restart.timeout.connect(self._ensure_running)
        self._update_status()

    # -- showing and hiding: recognition runs only while the page is visible --------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.wanted = True
        self.problem = ""  # ask again: a model may have arrived since
        self._ensure_running()
        self._update_status()
        if self.session.connected:
            self.runner.run(self.hid_editor.load_from_board(), "Reading the HID map")

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt API)
        super().hideEvent(event)
        self.wanted = False
        self._stop()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.wanted = False
        self._stop()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """The window is closing: stop asking for events (the board is released after this)."""
        self.wanted = False
        self._stop()

    def _on_state(self, state: ConnectionState, _detail: str) -> None:
        if state is not ConnectionState.CONNECTED:
            self.recognising = False  # a new connection starts a new session on the board: ask again
            self.problem = ""
            self.tail.clear()
        elif self.wanted:
            self._restart.start()
            self.runner.run(self.hid_editor.load_from_board(), "Reading the HID map")
        self._update_status()

    def _ensure_running(self) -> None:
        if self.wanted and not self.recognising and not self.enrolling and self.session.connected:
            self.runner.run(self._start(), "Starting recognition on the board")

    async def _start(self) -> None:
        client = self.session.client
        if client is None or self.recognising:
            return
        self.recognising = True
        try:
            await start_recognition(client, events=True)
        except BoardError as exc:  # e.g. no model on the board yet: say so here, not as an error banner
            self.recognising = False
            self.problem = plain(exc)
            self._update_status()
            return
        except BaseException:
            self.recognising = False
            raise
        if not self.wanted:  # hidden while we were asking
            await self._stop_on(client)
        self._update_status()

    def _stop(self) -> None:
        client = self.session.client
        if self.recognising and client is not None and self.session.connected:
            self.runner.run(self._stop_on(client), "Stopping recognition")
        self.recognising = False
        self._update_status()

    async def _stop_on(self, client: object) -> None:
        self.recognising = False
        try:
            await stop_recognition(client)  # type: ignore[arg-type]
        except (BoardError, LinkError):
            pass  # the board went away: nothing left to stop

    def resume(self) -> None:
        """Start again (e.g. after the enroll wizard used recognition) if the page is shown."""
        self.recognising = False
        self._ensure_running()

    def _update_status(self) -> None:
        if not self.session.connected:
            text = "Connect a board (or the virtual wand) to watch it recognise."
        elif self.problem:
            text = f"<span style='color:#9b1c1c'>{escape(self.problem)}</span>"
        elif self.enrolling:
            text = "Paused while the enroll wizard uses the board."
        elif self.recognising:
            info = self.session.info
            model = f" with model <b>{escape(info.active_model_id)}</b>" if info and info.active_model_id else ""
            text = f"The board is recognising{model}: perform a gesture."
        elif self.wanted:  # shown, connected, the request on its way (or about to be)
            text = "Starting recognition on the board…"
        else:  # only ever seen if something reads it while the page is hidden
            text = "Recognition is off (it runs while this page is shown)."
        self.status.setText(text)
        ok = self.session.connected and self.projects.project is not None
        self.missed_button.setEnabled(ok)
        self.wrong_button.setEnabled(ok and bool(self.history))
        self.enroll_button.setEnabled(self.session.connected)
        self.word_button.setEnabled(self.session.connected)

    # -- the board's decisions ---------------------------------------------------------------------
    def _on_block(self, block: SampleBlock) -> None:
        self.tail.on_block(block)

    def _on_message(self, message: Message) -> None:
        if isinstance(message, TransferResult) and message.ok and self.wanted:
            self.problem = ""  # a new model: recognition can start now, with new classes to give keys
            self.recognising = False
            self._restart.start()
            self.runner.run(self.hid_editor.load_from_board(), "Reading the HID map")
            self._update_status()
        elif isinstance(message, InferenceEvent):
            self.show_decision(Decision(message, time.time()))
        elif isinstance(message, WakeEvent):
            self.last_wake, self.wake_key = message, None
            self._show_wake(time.time())
        elif isinstance(message, HidReport) and message.class_id >= WORD_CLASS_BASE:
            if self.last_wake is not None and message.class_id == WORD_CLASS_BASE + self.last_wake.word_id:
                action = HidAction(message.class_id, message.kind, message.code, message.modifiers)
                self.wake_key = (describe(action), bool(message.sent))
                self._show_wake(None)
        elif isinstance(message, HidReport) and self.history:
            latest = self.history[0]
            if latest.event.class_id == message.class_id and not latest.key:
                action = HidAction(message.class_id, message.kind, message.code, message.modifiers)
                latest.key, latest.sent = describe(action), bool(message.sent)
                self._show_key(latest)
                self._refresh_item(0)

    def show_decision(self, d: Decision) -> None:
        self.history.appendleft(d)
        ev = d.event
        if d.accepted:
            self.big.setText(ev.label)
            self.big.setStyleSheet(f"color: {ACCEPT};")
        else:
            self.big.setText("none")
            self.big.setStyleSheet(f"color: {REJECT};")
        self.bar.set_values(ev.distance, d.threshold, d.like_everyday_motion)
        nearest = f"nearest: {ev.label}, " if not d.accepted and ev.label else ""
        if d.like_everyday_motion:
            nearest += "but more like everyday motion, "
        self.numbers.setText(f"{nearest}distance {ev.distance:.0f} / threshold {d.threshold:.0f} "
                             f"(margin {ev.margin:+.0f}) · {ev.latency_us / 1000:.1f} ms on the board")
        self._show_key(d)
        item = QListWidgetItem(self._item_text(d))
        item.setForeground(QColor(ACCEPT if d.accepted else REJECT))
        self.history_list.insertItem(0, item)
        while self.history_list.count() > HISTORY_MAX:
            self.history_list.takeItem(self.history_list.count() - 1)
        self._update_status()
        self.decided.emit(d)

    def _show_wake(self, at: float | None) -> None:
        """The last wake word the board heard (``at``: when, None to keep the time shown), and its key."""
        wake = self.last_wake
        if wake is None:
            return
        if at is not None:
            self._wake_at = time.strftime("%H:%M:%S", time.localtime(at))
        text = (f"Wake word <b>“{escape(wake.label)}”</b> heard at {self._wake_at} · distance "
                f"{wake.distance:.3f} / threshold {wake.threshold:.3f} · {wake.latency_us / 1000:.1f} ms on the board")
        if self.wake_key is None:
            text += " · no key mapped for this word"
        elif self.wake_key[1]:
            text += f" · ⌨ {escape(self.wake_key[0])} (sent)"
        else:
            why, _todo = why_not_sent(self.hid_editor.hid_on.isChecked(), self.session)
            text += f" · ⌨ {escape(self.wake_key[0])} (not sent: {escape(why)})"
        self.wake_line.setText(text)
        self.wake_line.show()

    def _show_key(self, d: Decision) -> None:
        now = self.hid_editor.board_actions.get(d.event.class_id)
        if not d.accepted:
            self.key.setText("no key")
        elif d.key and d.sent:
            self.key.setText(f"⌨ {escape(d.key)}  (sent)")
        elif d.key:
            # sent=0 means HID is off *or* no computer received it: say which one it is, and what to do.
            why, todo = why_not_sent(self.hid_editor.hid_on.isChecked(), self.session)
            self.key.setText(f"⌨ {escape(d.key)}  (not sent: {escape(why)})"
                             f"<br><span style='font-size:10pt; color:#666;'>{escape(todo)}</span>")
        elif now is not None:  # mapped since this gesture was recognised
            self.key.setText(f"⌨ {escape(describe(now))} from now on (it had no key then)")
        else:
            self.key.setText("no key mapped for this gesture")

    def _keys_changed(self) -> None:
        if self.history:
            self._show_key(self.history[0])

    def _item_text(self, d: Decision) -> str:
        ev = d.event
        stamp = time.strftime("%H:%M:%S", time.localtime(d.at))
        said = ev.label if d.accepted else f"none (nearest {ev.label})" if ev.label else "none"
        if d.like_everyday_motion:
            said = f"none (nearest {ev.label}, like everyday motion)"
        key = f"  → {d.key}" if d.key else ""
        saved = f"  ✎ saved as {d.saved_as}" if d.saved_as else ""
        return f"{stamp}  {said}   d={ev.distance:.0f} ({ev.margin:+.0f}){key}{saved}"

    def _refresh_item(self, row: int) -> None:
        item = self.history_list.item(row)
        if item is not None and row < len(self.history):
            item.setText(self._item_text(self.history[row]))

    # -- closing the data loop ----------------------------------------------------------------------
    def _labels(self) -> list[str]:
        names: list[str] = []
        project = self.projects.project
        if project is not None:
            names += [n for n in project.label_counts(kind="imu")]
        names += [d.event.label for d in self.history if d.event.label]
        info = self.session.info
        if info is not None:
            names += list(info.enrolled_labels)
        return list(dict.fromkeys(n for n in names if n))

    def label_dialog(self, title: str, wrong: str) -> LabelDialog:
        """The question "That was wrong…" / "Missed it…" asks; ``wrong``: what the board said ("" for none)."""
        return LabelDialog(title, "What was it? (type a new name for a new gesture)", self._labels(), wrong,
                           offer_none=title != MISSED_TITLE, parent=self)

    def _ask_label(self, title: str, wrong: str) -> str | None:
        dialog = self.label_dialog(title, wrong)
        return dialog.label() or None if dialog.exec() == LabelDialog.DialogCode.Accepted else None

    def that_was_wrong(self) -> None:
        if not self.history:
            self.notifier.info("Perform a gesture first: there is no decision to correct yet.")
            return
        row = max(0, self.history_list.currentRow())
        d = self.history[row]
        label = self.ask_label("That was wrong", d.event.label if d.accepted else "")
        if not label:
            return
        # The window starts no earlier than the decision before it ended (segments never overlap).
        before = self.history[row + 1].event.sample_index if row + 1 < len(self.history) else 0
        data = self.tail.window(d.event.sample_index, WINDOW_S, not_before=before)
        if self._save(label, data, f"live test: board said {d.event.label if d.accepted else 'none'}"):
            d.saved_as = label
            self._refresh_item(row)

    def missed_it(self) -> None:
        label = self.ask_label(MISSED_TITLE, "")
        if not label:
            return
        after = self.history[0].event.sample_index if self.history else 0
        data = self.tail.window(self.tail.end_index, MISSED_S, not_before=after)
        self._save(label, data, "live test: the board missed it")

    def _save(self, label: str, data: object, note: str) -> bool:
        import numpy as np

        project = self.projects.project
        window = np.asarray(data, np.float32)
        rate = float(self.tail.rate_hz)
        if project is None:
            self.notifier.warning("Open a project first: the take has nowhere to go")
            return False
        if len(window) < max(3, rate * 0.2):
            self.notifier.warning("Nothing to save: the board's stream did not hold that motion any more "
                                  "(stream the IMU while testing)")
            return False
        axes = tuple(IMU_COLUMNS[: window.shape[1]])
        if window.shape[1] == 6 and not np.isfinite(window[:, 3:]).all():
            window, axes = window[:, :3], tuple(IMU_COLUMNS[:3])
        info = self.session.info
        draft = Draft(label=label, kind="imu", axes=axes, rate_hz=rate, data=window, session="live test",
                      board=info.board_name if info else "", firmware=info.firmware_version if info else "",
                      notes=note, trim=motion_take(window, rate), source="live-test")
        try:
            made = run_job(project.add_samples([draft]))  # type: ignore[arg-type]
        except (WandlabError, OSError) as exc:
            self.notifier.error(f"Could not save the take: {exc}")
            return False
        self.notifier.info(f"Saved a “{label}” take ({len(window) / rate:.1f} s) to the project: "
                           "it is in the Dataset page and the next Train & Flash learns from it.")
        self.last_saved = made[0].id if made else ""
        return True

    def _wizard_closed(self) -> None:
        self.enrolling = False
        self.resume()
        if self.session.connected:
            self.runner.run(self.hid_editor.load_from_board(), "Reading the HID map")

    # -- enrollment ----------------------------------------------------------------------------------
    def open_enroll_wizard(self) -> None:
        from wandlab.ui.enroll_wizard import EnrollWizard

        self.enrolling = True
        self._stop()
        wizard = EnrollWizard(self.session, self.runner, self.notifier, self, project=self.projects.project)
        wizard.finished.connect(self._wizard_closed)
        self.wizard = wizard
        wizard.open()

    def open_word_wizard(self) -> None:
        from wandlab.ui.word_wizard import WordWizard

        wizard = WordWizard(self.session, self.runner, self.notifier, self, project=self.projects.project,
                            person=self.virtual_person())
        wizard.finished.connect(self._word_wizard_closed)
        self.word_wizard = wizard
        wizard.open()

    def _word_wizard_closed(self) -> None:
        if self.session.connected:  # the wizard may have given words keys: the map changed
            self.runner.run(self.hid_editor.load_from_board(), "Reading the HID map")
