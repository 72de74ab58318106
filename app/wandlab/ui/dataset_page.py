"""The Dataset page: every take in a filterable table, counts per label, problems, and the sample editor.

A view of the open project: it re-reads the project when the project says samples changed (after a
recording, an edit, an undo or an import) and never caches edits of its own. The problem search
(outliers, near-duplicates, clipped/silent takes, labels with too few takes) runs in a worker thread
a moment after the last change, so editing stays instant on thousands of takes.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wandlab.dataset.events import Event, HistoryChanged, SamplesChanged
from wandlab.dataset.export import export_project
from wandlab.dataset.importer import import_source
from wandlab.dataset.problems import MIN_TAKES, Problem, find_problems
from wandlab.dataset.project import Project
from wandlab.ui.dataset_table import COLUMNS, FILTERED, ID_ROLE, SampleFilter, SampleTableModel
from wandlab.ui.label_picker import LabelStore
from wandlab.ui.notify import Notifier
from wandlab.ui.project_menu import ProjectHolder
from wandlab.ui.sample_editor import SampleEditor
from wandlab.ui.thumbnails import SIZE, ThumbnailCache
from wandlab.ui.worker import JobDialog, Worker

PROBLEMS_DELAY_MS = 600
# What each column must show whole: the widest usual value (sessions are "2025-01-14 10:32" when recorded here).
COLUMN_SAMPLES = ("", "flick_right", "audio", "10.00 s", "person 10", "2025-01-14 10:32", "validation",
                  "2025-01-14 10:32:00")
FILTER_CHARS = len("(all)")
ANY = "(all)"
IMPORT_FILE_FILTER = "Takes (*.csv *.wav *.opus *.ogg *.flac *.mp3 *.json);;All files (*)"


def column_widths(table: QTableView) -> list[int]:
    """Column widths from the table's font, so a larger font does not cut sessions and dates.

    A cell needs its text plus the item margins; a header its title plus room for the sort arrow.
    """
    fm = table.fontMetrics()
    widths = [SIZE[0] + 12]
    for column, sample in enumerate(COLUMN_SAMPLES[1:], start=1):
        widths.append(max(fm.horizontalAdvance(sample) + 14, fm.horizontalAdvance(COLUMNS[column]) + 26))
    return widths


def _tool_button(text: str, tooltip: str) -> QToolButton:
    button = QToolButton(text=text, toolTip=tooltip)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class DatasetPage(QWidget):
    def __init__(self, projects: ProjectHolder, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.projects, self.notifier = projects, notifier
        self.thumbnails = ThumbnailCache()
        self.model = SampleTableModel(self.thumbnails)
        self.proxy = SampleFilter()
        self.proxy.setSourceModel(self.model)
        self.counts: dict[str, int] = {}
        self.problems: list[Problem] = []
        self._problem_run = 0
        self._problem_worker: Worker | None = None
        self.job: JobDialog | None = None

        self.filters: dict[str, QComboBox] = {}
        bar = QHBoxLayout()
        for name in FILTERED:
            combo = QComboBox(toolTip=f"Show only takes with this {name}")
            # Sized to a few characters, not to the longest value: the bar must fit a 1280 px window.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(FILTER_CHARS)
            combo.currentTextChanged.connect(lambda text, n=name: self._filter(n, text))
            label = QLabel(name.capitalize())
            label.setBuddy(combo)
            bar.addWidget(label)
            bar.addWidget(combo)
            self.filters[name] = combo
        self.shown = QLabel()
        bar.addWidget(self.shown, 1)
        # Tool buttons hug their text (a push button is at least 80 px wide): four of them fit beside the filters.
        self.undo_button = _tool_button("↶", "Undo the last edit (Ctrl+Z)")  # the tooltip names the edit
        self.redo_button = _tool_button("↷", "Redo (Ctrl+Shift+Z)")
        self.undo_button.clicked.connect(lambda: self.project.editor.undo() if self.project else None)
        self.redo_button.clicked.connect(lambda: self.project.editor.redo() if self.project else None)
        self.import_button = _tool_button("Import…", "Import a labeled folder, an Edge Impulse export, or one file")
        self.export_button = _tool_button("Export…", "Export the takes shown to a labeled folder")
        self._add_import_menu()
        self.export_button.clicked.connect(self._ask_export)
        for button in (self.undo_button, self.redo_button, self.import_button, self.export_button):
            bar.addWidget(button)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)  # newest first: a new take shows at the top
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setIconSize(pg.QtCore.QSize(*SIZE))
        self.table.verticalHeader().setDefaultSectionSize(SIZE[1] + 6)
        self.table.verticalHeader().hide()
        # Fixed widths: ResizeToContents would measure (and draw the thumbnail of) every take up front.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(column_widths(self.table)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)  # the table's rows, not text being edited
        delete.activated.connect(self.delete_selected)

        self.chart = pg.PlotWidget(background="w")
        self.chart.setMouseEnabled(False, False)
        self.chart.hideButtons()
        self.chart.setTitle("Takes per label")
        self.chart.invertY(True)  # first label on top, like the table and the filters
        self.chart.setMinimumWidth(160)
        self.problem_list = QListWidget(toolTip="Takes worth a second look; click one to review it")
        self.problem_list.itemClicked.connect(self._problem_clicked)
        self.problem_list.setWordWrap(True)  # messages say why; cut off they say nothing
        self.problem_title = QLabel("Problems")
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.chart)
        problems = QWidget()
        problems_layout = QVBoxLayout(problems)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(self.problem_title)
        problems_layout.addWidget(self.problem_list)
        side.addWidget(problems)

        # The table gets the page's whole width (its columns need ~850 px); the counts and problems sit
        # beside the editor, which copes with less.
        self.editor = SampleEditor(notifier)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.editor)
        lower.addWidget(side)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 1)
        lower.setSizes([700, 280])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.table)
        body.addWidget(lower)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([280, 280])  # the plots would take most of the height: at 720 px the table showed 4 rows
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(body, 1)

        self.problem_timer = QTimer(self, singleShot=True, interval=PROBLEMS_DELAY_MS)
        self.problem_timer.timeout.connect(self.check_problems)
        projects.changed.connect(self._project_changed)
        projects.event.connect(self._on_event)
        self._project_changed(projects.project)

    @property
    def project(self) -> Project | None:
        return self.projects.project

    # -- project -> view ------------------------------------------------------------------------
    def _project_changed(self, project: Project | None) -> None:
        self.thumbnails.clear()
        self.problems = []
        self.problem_list.clear()
        self.model.set_problems({})
        self.reload()
        if self.proxy.rowCount():  # open on a take, so the editor shows what a take looks like
            self.select([str(self.proxy.index(0, 0).data(ID_ROLE))])
        self._history(project.editor.can_undo if project else False, project.editor.can_redo if project else False)
        for widget in (self.import_button, self.export_button):
            widget.setEnabled(project is not None)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, SamplesChanged):
            self.reload()
        elif isinstance(event, HistoryChanged):
            self._history(event.can_undo, event.can_redo, event.undo_text, event.redo_text)

    def _history(self, can_undo: bool, can_redo: bool, undo: str = "Undo", redo: str = "Redo") -> None:
        self.undo_button.setEnabled(can_undo)
        self.redo_button.setEnabled(can_redo)
        self.undo_button.setToolTip(f"{undo} (Ctrl+Z)")
        self.redo_button.setToolTip(f"{redo} (Ctrl+Shift+Z)")

    def reload(self) -> None:
        keep = self.selected_ids()
        self.model.reload(self.project)
        self.counts = self.project.label_counts() if self.project else {}
        wanted = {}
        for name, combo in self.filters.items():
            values = sorted({getattr(s, name) for s in self.model.samples} - {""}, key=str.lower)
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([ANY, *values])
            combo.setCurrentText(current if current in values else ANY)
            combo.blockSignals(False)
            wanted[name] = combo.currentText() if combo.currentText() != ANY else ""
        self.proxy.set_filters(wanted)
        self.shown.setText(f"  {self.proxy.rowCount()} of {len(self.model.samples)} takes")
        self._draw_counts()
        self.select(keep)
        self._selection_changed()
        if self.project is not None:
            self.problem_timer.start()

    def _draw_counts(self) -> None:
        self.chart.clear()
        labels = list(self.counts)
        if not labels:
            return
        store = LabelStore(self.project)
        ys = list(range(len(labels)))
        brushes = [pg.mkBrush(store.colour(label)) for label in labels]
        bars = pg.BarGraphItem(x0=0, y=ys, height=0.7, width=[self.counts[x] for x in labels], brushes=brushes)
        self.chart.addItem(bars)
        self.chart.getAxis("left").setTicks([[(y, label) for y, label in zip(ys, labels, strict=True)]])
        enough = pg.InfiniteLine(MIN_TAKES, angle=90, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.chart.addItem(enough)  # the "record at least this many" line
        self.chart.setYRange(-0.6, len(labels) - 0.4, padding=0)
        self.chart.setXRange(0, max(max(self.counts.values()), MIN_TAKES) * 1.05, padding=0)
        self.chart.getAxis("left").setStyle(tickLength=0)

    # -- problems -------------------------------------------------------------------------------
    def check_problems(self) -> None:
        project = self.project
        if project is None:
            return
        self._problem_run += 1
        run = self._problem_run
        self.problem_title.setText("Problems (checking…)")
        # Kept in an attribute: the worker's relay QObject must outlive the thread to deliver the result.
        self._problem_worker = Worker(lambda _: find_problems(project), lambda found: self._show_problems(run, found),
               lambda exc: self.notifier.exception("Checking the dataset", exc))  # fmt: skip

    def _show_problems(self, run: int, found: list[Problem]) -> None:
        if run != self._problem_run:
            return  # a newer check is under way
        self.problems = found
        self.problem_list.clear()
        flagged: dict[str, str] = {}
        for problem in found:
            item = QListWidgetItem(f"{problem.kind.replace('_', ' ')}: {problem.message}")
            item.setData(ID_ROLE, list(problem.sample_ids))
            item.setToolTip(problem.message)
            self.problem_list.addItem(item)
            for sid in problem.sample_ids:
                flagged.setdefault(sid, problem.message)
        self.problem_title.setText(f"Problems ({len(found)})" if found else "Problems: none found")
        self.model.set_problems(flagged)

    def _problem_clicked(self, item: QListWidgetItem) -> None:
        ids = item.data(ID_ROLE) or []
        if ids:
            for combo in self.filters.values():
                combo.setCurrentText(ANY)  # the take may be filtered out
            self.select(ids)

    # -- selection ------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [str(self.proxy.data(index, ID_ROLE)) for index in rows]

    def select(self, ids: list[str]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        first = None
        for sid in ids:
            row = self.model.row_of(sid)
            if row < 0:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                selection.select(index, flags)
                first = first or index
        if first is not None:
            self.table.scrollTo(first)

    def _selection_changed(self) -> None:
        ids = self.selected_ids()
        sample = None
        if len(ids) == 1 and self.project is not None and self.project.state_of(ids[0]) == "ok":
            sample = self.project.get(ids[0])
        self.editor.show_sample(self.project, sample, ids)

    def delete_selected(self) -> None:
        """The Delete key on the table: delete the selected takes (one undoable step, like the button)."""
        if self.selected_ids():
            self.editor.delete()

    def _filter(self, name: str, text: str) -> None:
        self.proxy.set_filter(name, "" if text == ANY else text)
        self.shown.setText(f"  {self.proxy.rowCount()} of {len(self.model.samples)} takes")

    # -- import / export ------------------------------------------------------------------------
    def _add_import_menu(self) -> None:
        """Import… offers a folder or one file: Qt's file dialogs pick one kind or the other, never both."""
        menu = QMenu(self.import_button)
        self.import_folder_action = menu.addAction("Folder…")
        self.import_folder_action.triggered.connect(self._ask_import)
        self.import_file_action = menu.addAction("File (CSV, WAV or Edge Impulse JSON)…")
        self.import_file_action.triggered.connect(self._ask_import_file)
        self.import_button.setMenu(menu)
        self.import_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

    def _ask_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a labeled folder or an Edge Impulse export")
        if folder:
            self.import_from(folder)

    def _ask_import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import one take", "", IMPORT_FILE_FILTER)
        if path:
            self.import_from(path)  # the same import as a folder's: format from the file's extension

    def import_from(self, source: str | Path) -> None:
        if self.project is None:
            return
        job = import_source(self.project, source)
        self.job = JobDialog(self, "Importing", job, lambda r: self.notifier.info(r.summary()),
                             lambda exc: self.notifier.exception("Import", exc))  # fmt: skip

    def _ask_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to a new, empty folder")
        if folder:
            self.export_to(folder)

    def export_to(self, out: str | Path) -> None:
        if self.project is None:
            return
        shown = [self.model.samples[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
                 for r in range(self.proxy.rowCount())]  # fmt: skip
        job = export_project(self.project, out, "folder", False, shown)
        self.job = JobDialog(self, "Exporting", job, lambda n: self.notifier.info(f"Exported {n} take(s) to {out}"),
                             lambda exc: self.notifier.exception("Export", exc))  # fmt: skip
