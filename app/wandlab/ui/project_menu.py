"""The open project, shared by the Record and Dataset pages, and the File/Edit menus that act on it.

``ProjectHolder`` owns the one open ``Project`` and relays its plain-Python events as a Qt signal:
events may come from a worker thread (an import), and a queued signal delivers them on the GUI
thread. Pages connect to ``changed`` (another project was opened) and ``event`` (samples/history).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wandlab.dataset import schema
from wandlab.dataset.events import Event, HistoryChanged
from wandlab.dataset.project import Project
from wandlab.errors import WandlabError
from wandlab.ui.notify import Notifier

DEFAULT_PROJECT = Path.home() / "Wandlab" / "default-project"


class ProjectHolder(QObject):
    changed = Signal(object)  # the new Project, or None when closed
    event = Signal(object)  # type: ignore[assignment]  # a dataset Event, on the GUI thread (shadows QObject.event)

    def __init__(self, notifier: Notifier, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.project: Project | None = None
        self._unsubscribe = lambda: None

    def open(self, folder: str | Path, create: bool = True) -> bool:
        """Open (or create) ``folder``; on failure the current project stays open and the user is told."""
        try:
            project = Project.open(Path(folder).expanduser(), create=create)
        except WandlabError as exc:
            self.notifier.error(f"Could not open project {folder}: {exc}")
            return False
        except OSError as exc:
            self.notifier.error(f"Could not open project {folder}: {exc.strerror or exc}")
            return False
        self.close()
        self.project = project
        self._unsubscribe = project.events.subscribe(self.event.emit)
        for line in project.recovery:
            self.notifier.warning(line)
        self.changed.emit(project)
        return True

    def close(self) -> None:
        if self.project is not None:
            self._unsubscribe()
            with contextlib.suppress(WandlabError, OSError):
                self.project.close()
            self.project = None
            self.changed.emit(None)


def install_menus(window: QMainWindow, holder: ProjectHolder) -> dict[str, QAction]:
    """File: New/Open project; Edit: Undo/Redo of dataset edits (labels follow the history)."""
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    new = file_menu.addAction("&New project…")
    new.setShortcut(QKeySequence.StandardKey.New)
    new.triggered.connect(lambda: _choose(window, holder, new=True))
    open_ = file_menu.addAction("&Open project…")
    open_.setShortcut(QKeySequence.StandardKey.Open)
    open_.triggered.connect(lambda: _choose(window, holder, new=False))
    file_menu.addSeparator()
    quit_ = file_menu.addAction("&Quit")
    quit_.triggered.connect(window.close)

    edit = menu.addMenu("&Edit")
    undo = edit.addAction("Undo")
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    redo = edit.addAction("Redo")
    redo.setShortcut(QKeySequence("Ctrl+Shift+Z"))
    undo.triggered.connect(lambda: holder.project.editor.undo() if holder.project else None)
    redo.triggered.connect(lambda: holder.project.editor.redo() if holder.project else None)

    def follow(event: Event) -> None:
        if isinstance(event, HistoryChanged):
            undo.setText(event.undo_text)
            redo.setText(event.redo_text)
            undo.setEnabled(event.can_undo)
            redo.setEnabled(event.can_redo)

    def reset(project: Project | None) -> None:
        undo.setText("Undo")
        redo.setText("Redo")
        undo.setEnabled(bool(project and project.editor.can_undo))
        redo.setEnabled(bool(project and project.editor.can_redo))

    holder.event.connect(follow)
    holder.changed.connect(reset)
    reset(holder.project)
    return {"new": new, "open": open_, "undo": undo, "redo": redo}


def _choose(window: QMainWindow, holder: ProjectHolder, new: bool) -> None:
    start = holder.project.root.parent if holder.project else DEFAULT_PROJECT.parent
    if new:
        dialog = NewProjectDialog(start, window)
        dialog.accepted.connect(lambda: holder.open(dialog.path(), create=True))
        dialog.open()  # not exec(): the window (and the board's stream) keeps running meanwhile
        return
    folder = QFileDialog.getExistingDirectory(window, "Open a Wandlab project folder", str(start))
    if folder:
        holder.open(folder, create=False)


class NewProjectDialog(QDialog):
    """File > New project: type the new project's name; its folder is made in the location shown.

    A folder picker cannot make a folder from a typed name (it only picks one that exists), so a new
    project used to mean making an empty folder somewhere else first.
    """

    def __init__(self, location: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.name = QLineEdit(placeholderText="e.g. my-gestures")
        self.location = QLineEdit(str(location))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.location, 1)
        where.addWidget(browse)
        self.preview = QLabel("")
        self.preview.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("In folder", where)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._check)
        self.location.textChanged.connect(self._check)
        self.resize(520, self.sizeHint().height())
        self._check()

    def path(self) -> Path:
        return Path(self.location.text().strip()).expanduser() / self.name.text().strip()

    def problem(self) -> str:
        """Why Create cannot make this project ("" when it can)."""
        name = self.name.text().strip()
        if not name:
            return "Type a name for the project."
        if name in (".", "..") or "/" in name or "\\" in name:
            return "A name, not a path: use Browse… to choose where the project goes."
        path = self.path()
        if path.exists() and not path.is_dir():
            return f"{path} is a file: choose another name."
        if path.is_dir() and not (path / schema.INDEX_NAME).exists() and any(path.iterdir()):
            return f"{path} exists and holds other files: choose another name."
        return ""

    def _check(self) -> None:
        why = self.problem()
        path = self.path()
        existing = path.is_dir() and (path / schema.INDEX_NAME).exists()
        self.create_button.setEnabled(not why)
        self.create_button.setText("Open" if existing and not why else "Create")
        self.preview.setText(why or (f"{path} is a project already: it opens." if existing
                                     else f"Creates the folder {path}"))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Where the new project goes", self.location.text())
        if folder:
            self.location.setText(folder)
