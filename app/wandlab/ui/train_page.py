"""The Train page: one button from the project's takes to a model running on the board, and its report.

A view over the Qt-free pipeline ``wandlab.flows.train_flash.train_and_flash`` (an async generator of
StageEvents; training itself runs in a child process, so TensorFlow never loads here). The page runs
it as one task on the shared loop, shows the overall progress, each stage's state and seconds, live
loss/accuracy curves while training, and at the end the report as pictures. Cancel cancels the task,
which closes the generator: the board keeps the model it had.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.client import BoardClient, ConnectionState
from wandlab.dataset.project import Project
from wandlab.errors import DatasetError
from wandlab.flows.train_flash_events import MIN_LABELS, STAGE_NAMES, STAGE_TITLES, StageEvent
from wandlab.ui.evaluation_view import BEFORE as EVALUATION_BEFORE
from wandlab.ui.evaluation_view import EvaluationView
from wandlab.ui.margin_choice import DEFAULT as DEFAULT_ACCEPTANCE
from wandlab.ui.margin_choice import SETTING as ACCEPTANCE_SETTING
from wandlab.ui.margin_choice import MarginChoice
from wandlab.ui.notify import Notifier, TaskRunner
from wandlab.ui.plain_errors import plain
from wandlab.ui.project_menu import ProjectHolder
from wandlab.ui.report_view import ReportView
from wandlab.ui.session import DeviceSession

Pipeline = Callable[[BoardClient, Project], AsyncIterator[StageEvent]]

PENDING, RUNNING, DONE, FAILED, CANCELLED = "", "running", "done", "failed", "cancelled"
_MARKS = {PENDING: ("○", "#999"), RUNNING: ("▶", "#1d4f91"), DONE: ("✓", "#2e8b57"), FAILED: ("✗", "#c0392b"),
          CANCELLED: ("–", "#7a5200")}
BIG_BUTTON = ("QPushButton { font-size: 18px; padding: 12px 32px; border-radius: 8px; color: white; "
              "background: #2e6fd0; } QPushButton:disabled { background: #9fb3cf; }")


class StageList(QTreeWidget):
    """One row per stage: mark, name, what it is doing, seconds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["", "Stage", "Seconds"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.rows: dict[str, QTreeWidgetItem] = {}
        self.states: dict[str, str] = {}
        self.started: dict[str, float] = {}
        for key in STAGE_NAMES:
            item = QTreeWidgetItem(["", STAGE_TITLES[key], ""])
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.addTopLevelItem(item)
            self.rows[key] = item
        self.reset()

    def reset(self) -> None:
        for key in STAGE_NAMES:
            self.set_state(key, PENDING)
            self.rows[key].setText(1, STAGE_TITLES[key])
            self.rows[key].setText(2, "")
            self.rows[key].setToolTip(1, "")
        self.started = {}

    def row(self, stage: str) -> QTreeWidgetItem:
        if stage not in self.rows:  # a stage this view does not know yet: show it anyway
            item = QTreeWidgetItem(["", stage.capitalize(), ""])
            self.addTopLevelItem(item)
            self.rows[stage] = item
            self.states[stage] = PENDING
        return self.rows[stage]

    def set_state(self, stage: str, state: str, detail: str = "") -> None:
        item = self.row(stage)
        self.states[stage] = state
        mark, colour = _MARKS[state]
        item.setText(0, mark)
        item.setForeground(0, QColor(colour))
        title = STAGE_TITLES.get(stage, stage.capitalize())
        item.setText(1, f"{title} – {detail}" if detail else title)
        item.setToolTip(1, detail)
        font = item.font(1)
        font.setBold(state == RUNNING)
        item.setFont(1, font)
        item.setForeground(1, QColor(_MARKS[FAILED][1] if state == FAILED else "#222"))

    def set_seconds(self, stage: str, seconds: float) -> None:
        self.row(stage).setText(2, f"{seconds:.1f} s")

    def running(self) -> list[str]:
        return [s for s, st in self.states.items() if st == RUNNING]


def _key(title: str, curves: tuple[tuple[str, str], ...]) -> str:
    """A plot title that names its curves in their colours, e.g. "Accuracy  — training  — held-out"."""
    names = "".join(f"&nbsp;&nbsp;<span style='color:{colour}'>━ {name}</span>" for colour, name in curves)
    return f"<span style='color:#333'>{title}</span>{names}"


class CurvesPlot(QWidget):
    """Loss and accuracy per epoch, drawn as the epochs arrive."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = pg.PlotWidget(background="w", title="Loss")
        self.acc_plot = pg.PlotWidget(background="w", title="Accuracy")
        for plot in (self.loss_plot, self.acc_plot):
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "epoch")
        # The key to the colours is in the titles: a legend box inside the plot covered the curves.
        self.loss_plot.setTitle(_key("Loss", (("#c0392b", "training"),)))
        self.acc_plot.setTitle(_key("Accuracy", (("#3b6fb6", "training"), ("#2e8b57", "held-out"))))
        self.acc_plot.setYRange(0, 1.0, padding=0.02)
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen("#c0392b", width=2), name="training loss")
        self.acc_curve = self.acc_plot.plot(pen=pg.mkPen("#3b6fb6", width=2), name="training")
        self.val_curve = self.acc_plot.plot(pen=pg.mkPen("#2e8b57", width=2), symbol="o", symbolSize=5,
                                            symbolBrush="#2e8b57", name="validation")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.acc_plot)
        self.clear()

    def clear(self) -> None:
        self.epochs: list[float] = []
        self.loss: list[float] = []
        self.acc: list[float] = []
        self.val: list[tuple[float, float]] = []
        self._redraw()

    def add(self, data: dict[str, Any]) -> None:
        epoch = data.get("epoch")
        if epoch is None:
            return
        self.epochs.append(float(epoch))
        self.loss.append(float(data.get("loss", float("nan"))))
        self.acc.append(float(data.get("accuracy", float("nan"))))
        if data.get("val_accuracy") is not None:
            self.val.append((float(epoch), float(data["val_accuracy"])))
        self._redraw()

    def _redraw(self) -> None:
        self.loss_curve.setData(self.epochs, self.loss)
        self.acc_curve.setData(self.epochs, self.acc)
        self.val_curve.setData([e for e, _ in self.val], [v for _, v in self.val])


class TrainPage(QWidget):
    wants_live_test = Signal()  # "Try it": show the live test page
    finished = Signal(bool)  # True: a new model runs on the board

    def __init__(self, session: DeviceSession, projects: ProjectHolder, notifier: Notifier, runner: TaskRunner,
                 pipeline: Pipeline | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.projects, self.notifier, self.runner = session, projects, notifier, runner
        self.pipeline: Pipeline = pipeline or self.default_pipeline
        self.options: Any = None  # a wandlab.flows.train_flash.TrainFlashOptions; None: its defaults
        self.task: asyncio.Task[Any] | None = None
        self.events: list[StageEvent] = []  # every StageEvent of the latest run (tests, debugging)
        self.outcome = ""  # "", DONE, FAILED, CANCELLED
        self._started_at = 0.0
        self._evaluated = False  # the latest run showed its evaluation

        self.train_button = QPushButton("Train && Flash")
        self.train_button.setStyleSheet(BIG_BUTTON)
        self.train_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop now: the board keeps the model it has")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.try_button = QPushButton("Try it on the board →")
        self.try_button.setToolTip("Open the Live test page: perform gestures, see what the board recognises")
        self.try_button.clicked.connect(self.wants_live_test.emit)
        self.try_button.hide()
        # After a run that trained a model but could not deliver it (the board went away): send the kept
        # model again without training.
        self.kept_model = ""
        self.send_button = QPushButton("Send to board")
        self.send_button.setToolTip("Send the model this project trained last to the board, without training again")
        self.send_button.clicked.connect(self.send_kept)
        self.send_button.hide()
        # Asked before the new model would drop something of the user's (the dialog; tests replace it).
        self.confirm_losses: Callable[[list[str]], Awaitable[bool]] = self._ask_about_losses
        self.margin_choice = MarginChoice()
        self._restoring = False  # showing a project's saved choice: not a choice of the user's
        self.margin_choice.currentTextChanged.connect(self._save_acceptance)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.failure = QLabel()
        self.failure.setWordWrap(True)
        self.failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure.setStyleSheet("QLabel { background: #fde7e7; color: #9b1c1c; border: 1px solid #9b1c1c; "
                                   "border-radius: 4px; padding: 8px; font-weight: bold; }")
        self.failure.hide()
        self.stages = StageList()
        self.stages.setMinimumWidth(240)
        self.details = QLabel("")  # what the run did: data, model, keys (filled in as stages finish)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("QLabel { padding: 6px; }")
        self.detail_lines: dict[str, str] = {}
        self.curves = CurvesPlot()
        self.report = ReportView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Training curves")
        self.tabs.addTab(self.report, "Report")
        self.evaluation = EvaluationView()
        self.tabs.addTab(self.evaluation, "Evaluation")

        top = QHBoxLayout()
        top.addWidget(self.train_button)
        top.addWidget(self.cancel_button)
        top.addWidget(QLabel("Answer gestures:"))
        top.addWidget(self.margin_choice)
        top.addWidget(self.headline, 1)
        top.addWidget(self.send_button)
        top.addWidget(self.try_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.stages, 0)
        left_layout.addWidget(self.details, 1)
        self.stages.setFixedHeight(self.stages.sizeHintForRow(0) * (len(STAGE_NAMES) + 1) + 12)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 900])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.failure)
        layout.addWidget(split, 1)

        self.shortcut = QShortcut(QKeySequence("Ctrl+T"), self)
        self.shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.shortcut.activated.connect(self.start)
        session.on_state(lambda _s, _d: self.refresh())
        projects.changed.connect(self._project_changed)
        projects.event.connect(lambda _e: self.refresh())
        self._show_acceptance(projects.project)
        self.refresh()

    def _project_changed(self, project: Project | None) -> None:
        if not self.running:  # another project: the last run's stages, curves and report were not its own
            self.clear()
        self._show_acceptance(project)
        self.refresh()

    def _show_acceptance(self, project: Project | None) -> None:
        """The project's saved acceptance choice (Balanced when it has none)."""
        self._restoring = True
        try:
            name = DEFAULT_ACCEPTANCE
            if project is not None:
                try:
                    name = project.setting(ACCEPTANCE_SETTING, DEFAULT_ACCEPTANCE)
                except DatasetError as exc:
                    self.notifier.warning(f"Could not read the project's settings: {exc}")
            self.margin_choice.choose(name)
        finally:
            self._restoring = False

    def _save_acceptance(self, name: str) -> None:
        project = self.projects.project
        if self._restoring or project is None or project.read_only:
            return
        try:
            project.set_setting(ACCEPTANCE_SETTING, name)
        except DatasetError as exc:  # the choice still applies to this session's runs
            self.notifier.warning(f"Could not save the gesture acceptance in the project: {exc}")

    def clear(self, report: str = "", evaluation: str = "") -> None:
        """Back to "no run yet" (or to the start of one): stages, details, curves, report, evaluation."""
        self.events = []
        self.outcome = ""
        self.stages.reset()
        self.detail_lines = {}
        self.details.setText("")
        self.curves.clear()
        self.report.clear(report)
        self.evaluation.show_message(evaluation or EVALUATION_BEFORE)
        self.failure.hide()
        self.try_button.hide()
        self.progress.setValue(0)
        self.progress.setFormat("")

    def default_pipeline(self, client: BoardClient, project: Project) -> AsyncIterator[StageEvent]:
        # Imported when first used: the pipeline pulls in ML helpers (never TensorFlow: that is the child's).
        from wandlab.flows.train_flash import train_and_flash

        return train_and_flash(client, project, self.run_options())

    def run_options(self) -> Any:
        """The options of the next run: ``self.options`` (or the defaults) with the chosen margin."""
        from wandlab.flows.train_flash import TrainFlashOptions

        options = self.options or TrainFlashOptions()
        return dataclasses.replace(options, confirm_losses=self.confirm_losses,
                                   margins=self.margin_choice.margins(dict(options.margins)))

    async def _ask_about_losses(self, lines: list[str]) -> bool:
        """A question the user answers while the run waits: go on and drop these, or stop and keep them."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Train & Flash would drop your work",
                          "The new model would drop:\n\n" + "\n".join(f"• {line}" for line in lines)
                          + "\n\nRecord takes of a gesture you want to keep (Record page) and train again, "
                          "or go on without it.", parent=self)
        go_on = box.addButton("Go on and drop them", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Stop, keep everything", QMessageBox.ButtonRole.RejectRole)
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def answer(_result: int) -> None:
            if not answered.done():
                answered.set_result(box.clickedButton() is go_on)

        box.finished.connect(answer)
        box.open()
        try:
            return await answered
        finally:
            box.deleteLater()

    # -- state ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def blocker(self) -> str:
        """Why Train & Flash cannot run now ("" when it can)."""
        project = self.projects.project
        if project is None:
            return "Open or create a project first (File > Open project…)"
        if self.session.client is None or self.session.state is not ConnectionState.CONNECTED:
            return "Connect a board first (or the virtual wand, on the left)"
        counts = {k: v for k, v in project.label_counts(kind="imu").items() if v}
        if len(counts) < MIN_LABELS:
            return "Record takes of at least two gestures first (Record page)"
        return ""

    def refresh(self) -> None:
        if self.running:
            return
        connected = self.session.client is not None and self.session.state is ConnectionState.CONNECTED
        self.send_button.setVisible(bool(self.kept_model))
        self.send_button.setEnabled(bool(self.kept_model) and connected)
        self.send_button.setToolTip("Send the model this project trained last to the board, without training "
                                    "again" if connected else "Connect the board first, then send the kept model")
        why = self.blocker()
        self.train_button.setEnabled(not why)
        self.train_button.setToolTip(why or "Train on the project's takes, convert to int8, check it fits, send "
                                     "it to the board and activate it (Ctrl+T)")
        if not self.outcome:
            self.headline.setText(why or self._ready_text())

    def _ready_text(self) -> str:
        project = self.projects.project
        info = self.session.info
        if project is None or info is None:
            return ""
        counts = {k: v for k, v in project.label_counts(kind="imu").items() if v}
        return (f"Ready: {len(counts)} gestures, {sum(counts.values())} takes → {info.board_name}. "
                "Press Train & Flash (Ctrl+T).")

    # -- actions --------------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        why = self.blocker()
        if why:
            self.notifier.warning(why)
            return
        client, project = self.session.client, self.projects.project
        assert client is not None and project is not None
        self.clear("Training… the report appears when the model runs on the board.",
                   "Training… the evaluation appears when the model has been verified.")
        self._evaluated = False
        self.tabs.setCurrentWidget(self.curves)
        self.progress.setFormat("Starting…")
        self.headline.setText("Training and flashing… (you can keep using the other pages)")
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._started_at = time.monotonic()
        self.task = self.runner.run(self._run(client, project), "Train & Flash")

    def cancel(self) -> None:
        if self.running:
            assert self.task is not None
            self.task.cancel()

    async def _run(self, client: BoardClient, project: Project) -> None:
        await self._run_stream(self.pipeline(client, project))

    async def _run_stream(self, stream: AsyncIterator[StageEvent]) -> None:
        try:
            async for event in stream:
                self.on_event(event)
                if event.failed:
                    break
        except asyncio.CancelledError:
            self._end(CANCELLED, "Cancelled – the board keeps the model it had.")
            raise
        except Exception as exc:  # a pipeline bug or a lost board: say so on the page, not only the banner
            stage = (self.stages.running() or ["prepare"])[0]
            self._fail(stage, str(exc) or type(exc).__name__)
            self.notifier.exception("Train & Flash", exc)
        else:
            if not self.outcome:
                self._end(DONE, "")
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()  # type: ignore[attr-defined]
            self.cancel_button.setEnabled(False)
            self.task = None  # not running any more, though this coroutine is still finishing
            self.refresh()

    # -- events ---------------------------------------------------------------------------------
    def on_event(self, event: StageEvent) -> None:
        """Show one StageEvent (stage, kind start|progress|done|failed, fraction, message, data, elapsed_s)."""
        self.events.append(event)
        stage, kind, message, data, fraction = event.stage, event.kind, event.message, event.data, event.fraction
        self.progress.setValue(int(round(max(0.0, min(1.0, fraction)) * 1000)))
        self.progress.setFormat(f"{fraction:.0%} – {message}" if message else f"{fraction:.0%}")
        if kind == "start":
            self.stages.started[stage] = time.monotonic()
            self.stages.set_state(stage, RUNNING, message)
        elif kind == "progress":
            if self.stages.states.get(stage) != RUNNING:
                self.stages.started.setdefault(stage, time.monotonic())
                self.stages.set_state(stage, RUNNING, message)
            else:
                self.stages.set_state(stage, RUNNING, message)
            if stage == "train":
                self.curves.add(data)
        elif kind == "done":
            self.stages.set_state(stage, DONE)
            seconds = data.get("seconds")
            if seconds is None and stage in self.stages.started:
                seconds = time.monotonic() - self.stages.started[stage]
            if seconds is not None:
                self.stages.set_seconds(stage, float(seconds))
            self._add_details(stage, message, data)
            if stage != "report" and "evaluation" in data:  # the training's own evaluation (verify stage)
                self.evaluation.show_evaluation(data["evaluation"])
                self._evaluated = True
            if stage == "report":
                self._show_report(data)
        elif kind == "failed":
            self._fail(stage, message or "failed", str(data.get("kept_model") or ""))

    def _add_details(self, stage: str, message: str, data: dict[str, Any]) -> None:
        """A line per finished stage worth remembering, under the stage list."""
        line = ""
        if stage == "prepare" and message:
            line = f"<b>Data:</b> {message}"
        elif stage == "activate" and data.get("model_id"):
            line = f"<b>Model:</b> {data['model_id']}" + (f" (slot {data['slot']})" if "slot" in data else "")
        elif stage == "hid":
            mapping = data.get("mapping") or {}
            keys = "<br>".join(f"&nbsp;&nbsp;{label} → {what}" for label, what in mapping.items())
            line = f"<b>Keys:</b> {message}" + (f"<br>{keys}" if keys else "")
        if line:
            self.detail_lines[stage] = line
            self.details.setText("<br><br>".join(self.detail_lines.values()))

    def _show_report(self, data: dict[str, Any]) -> None:
        figures = self.report.show_report(data)
        for stage, seconds in figures.stage_seconds.items():
            self.stages.set_seconds(stage, seconds)
        self.tabs.setCurrentWidget(self.report)

    def _fail(self, stage: str, reason: str, kept_model: str = "") -> None:
        reason = plain(reason)
        self.stages.set_state(stage, FAILED, "")
        title = STAGE_TITLES.get(stage, stage)
        self.failure.setText(f"✗ {title} failed: {reason}")
        self.failure.show()
        if kept_model:
            # Said once, on this page: the model is safe and one click sends it when the board is back.
            self.kept_model = kept_model
            self._end(FAILED, "The trained model is kept in the project: press <b>Send to board</b> when the "
                      "board is back (no need to train again). The board keeps the model it had.")
            self.refresh()
            return
        self._end(FAILED, f"Stopped at “{title}”. The board keeps the model it had.")
        self.notifier.error(f"Train & Flash: {title} failed: {reason}")

    def send_kept(self) -> None:
        """Send the kept model (fit, upload, activate, HID map, report), as the end of a Train & Flash."""
        client, project = self.session.client, self.projects.project
        if self.running or not self.kept_model or client is None or project is None:
            return
        from wandlab.flows.train_flash import send_kept_model

        kept, self.kept_model = self.kept_model, ""
        options = self.run_options()
        self.clear("Sending… the report appears when the model runs on the board.")
        self._evaluated = False
        self.headline.setText("Sending the kept model to the board…")
        self.train_button.setEnabled(False)
        self.send_button.hide()
        self.cancel_button.setEnabled(True)
        self._started_at = time.monotonic()
        self.task = self.runner.run(self._run_stream(send_kept_model(client, project, kept, options)),
                                    "Send to board")

    def _end(self, outcome: str, text: str) -> None:
        if self.outcome:
            return
        self.outcome = outcome
        for stage in self.stages.running():
            self.stages.set_state(stage, CANCELLED if outcome == CANCELLED else FAILED)
        total = time.monotonic() - self._started_at
        if outcome == DONE:
            self.progress.setValue(1000)
            self.progress.setFormat(f"Done in {total:.0f} s")
            info = self.session.info
            board = info.board_name if info else "the board"
            self.headline.setText(f"<b>The new model runs on {board}.</b> Perform a gesture to try it.")
            self.try_button.show()
            self.finished.emit(True)
        else:
            self.progress.setFormat(f"{outcome.capitalize()} after {total:.0f} s")
            self.headline.setText(text)
            stopped = "was cancelled" if outcome == CANCELLED else "stopped"
            at = next((STAGE_TITLES.get(s, s) for s, st in self.stages.states.items() if st in (FAILED, CANCELLED)),
                      "")
            where = f" at “{at}”" if at else ""
            self.report.clear(f"No report: the run {stopped}{where}, so no new model runs on the board.")
            if not self._evaluated:  # a model verified before the stop keeps its evaluation: it is still true
                self.evaluation.show_message(f"No evaluation: the run {stopped}{where} before the model was "
                                             "verified and evaluated.")
            self.finished.emit(False)
