"""The dataset table: one row per take, thumbnails drawn on demand, filters by label/subject/session/split."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from wandlab.dataset.model import Sample
from wandlab.dataset.project import Project
from wandlab.ui.thumbnails import ThumbnailCache

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Take", "Label", "Kind", "Length", "Subject", "Session", "Split", "Recorded", "Flags")
FILTERED = {"label": 1, "subject": 4, "session": 5, "split": 6}  # filter name -> column
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole


def flags_of(s: Sample) -> str:
    parts = []
    if s.interrupted:
        parts.append("interrupted")
    if s.lost_blocks:
        parts.append(f"{s.lost_blocks} lost")
    return ", ".join(parts)


class SampleTableModel(QAbstractTableModel):
    def __init__(self, thumbnails: ThumbnailCache) -> None:
        super().__init__()
        self.thumbnails = thumbnails
        self.project: Project | None = None
        self.samples: list[Sample] = []
        self.problems: dict[str, str] = {}  # sample id -> why it is flagged

    def reload(self, project: Project | None) -> None:
        self.beginResetModel()
        self.project = project
        self.samples = project.samples() if project else []
        self.endResetModel()

    def set_problems(self, problems: dict[str, str]) -> None:
        self.problems = problems
        if self.samples:
            last = len(COLUMNS) - 1
            self.dataChanged.emit(self.index(0, last), self.index(len(self.samples) - 1, last))

    def row_of(self, sample_id: str) -> int:
        return next((i for i, s in enumerate(self.samples) if s.id == sample_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt API)
        return 0 if parent.isValid() else len(self.samples)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt API)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self.samples[index.row()]
        col = index.column()
        if role == ID_ROLE:
            return s.id
        if role == Qt.ItemDataRole.DecorationRole and col == 0 and self.project is not None:
            return self.thumbnails.get(self.project, s)
        if role == Qt.ItemDataRole.ToolTipRole:
            why = self.problems.get(s.id)
            return f"{s.id}\n{s.notes}" + (f"\n⚠ {why}" if why else "") if col in (0, 8) else None
        if role == SORT_ROLE:
            return (s.id, s.label.lower(), s.kind, s.trimmed_frames / s.rate_hz, s.subject, s.session, s.split,
                    s.created, self._flags(s))[col]  # fmt: skip
        if role == Qt.ItemDataRole.DisplayRole:
            return ("", s.label, s.kind, f"{s.trimmed_frames / s.rate_hz:.2f} s", s.subject, s.session, s.split,
                    s.created[:19].replace("T", " "), self._flags(s))[col]  # fmt: skip
        return None

    def _flags(self, s: Sample) -> str:
        flagged = "⚠ check" if s.id in self.problems else ""
        return ", ".join(x for x in (flags_of(s), flagged) if x)


class SampleFilter(QSortFilterProxyModel):
    """Rows matching every chosen filter value (empty: any)."""

    def __init__(self) -> None:
        super().__init__()
        self.wanted: dict[str, str] = {}
        self.setSortRole(SORT_ROLE)

    def set_filter(self, name: str, value: str) -> None:
        self.set_filters({**self.wanted, name: value})

    def set_filters(self, wanted: dict[str, str]) -> None:
        self.beginFilterChange()  # Qt 6.10+: replaces the deprecated invalidateFilter()
        self.wanted = dict(wanted)
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802 (Qt API)
        model = self.sourceModel()
        assert isinstance(model, SampleTableModel)
        s = model.samples[row]
        values = {"label": s.label, "subject": s.subject, "session": s.session, "split": s.split}
        return all(not want or values[name] == want for name, want in self.wanted.items())
