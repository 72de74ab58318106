"""Label picker: choose or type a label, create one, rename it (every take moves with it), pick its colour.

Colours and labels created before their first take live in ``labels.json`` in the project folder
(a view preference, so the Qt-free core does not need to know). Renaming goes through the project's
editor, so it is one undoable step like any other edit.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from wandlab.dataset.project import Project
from wandlab.errors import WandlabError
from wandlab.ui.notify import Notifier

LABELS_FILE = "labels.json"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")  # fmt: skip


class LabelStore:
    """Known labels and their colours for one project (labels.json + the labels of its takes)."""

    def __init__(self, project: Project | None) -> None:
        self.project = project
        self.colours: dict[str, str] = {}
        self.extra: list[str] = []  # created here, no take yet
        if project is not None:
            try:
                saved = json.loads((project.root / LABELS_FILE).read_text(encoding="utf-8"))
                self.colours = {str(k): str(v) for k, v in dict(saved.get("colours", {})).items()}
                self.extra = [str(x) for x in saved.get("labels", [])]
            except (OSError, ValueError, AttributeError):
                pass  # missing or damaged: colours fall back to the palette

    def labels(self) -> list[str]:
        counts = self.project.label_counts() if self.project else {}
        return sorted(set(counts) | set(self.extra), key=str.lower)

    def colour(self, label: str) -> str:
        if label in self.colours:
            return self.colours[label]
        digest = int(hashlib.sha1(label.encode()).hexdigest()[:6], 16)  # stable across runs and machines
        return PALETTE[digest % len(PALETTE)]

    def add(self, label: str) -> None:
        if label not in self.extra:
            self.extra.append(label)
            self.save()

    def set_colour(self, label: str, colour: str) -> None:
        self.colours[label] = colour
        self.save()

    def rename(self, old: str, new: str) -> None:
        if self.project is not None:
            ids = [s.id for s in self.project.samples(label=old)]
            if ids:
                self.project.editor.relabel(ids, new)
        if old in self.colours:
            self.colours[new] = self.colours.pop(old)
        self.extra = [new if x == old else x for x in self.extra]
        self.save()

    def save(self) -> None:
        if self.project is None or self.project.read_only:
            return
        path = self.project.root / LABELS_FILE
        tmp = Path(f"{path}.tmp")
        tmp.write_text(json.dumps({"labels": self.extra, "colours": self.colours}, indent=1), encoding="utf-8")
        os.replace(tmp, path)  # never a half-written file


def swatch(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


COLOUR_ROLE = Qt.ItemDataRole.UserRole + 7


class SwatchDelegate(QStyledItemDelegate):
    """Draws each label's colour in the drop-down list.

    The colour is an item role, not the item's icon: an editable combo draws the icon of its current
    item beside the text typed, and the current item is not the label typed (typing "wave" leaves
    "flick" current), so a real icon showed one label's colour next to another's name.
    """

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        colour = index.data(COLOUR_ROLE)
        if colour:
            option.icon = swatch(str(colour))  # type: ignore[attr-defined]
            option.decorationSize = QSize(12, 12)  # type: ignore[attr-defined]
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration  # type: ignore[attr-defined]


class LabelPicker(QWidget):
    """Editable combo of labels with colour swatches, plus Rename… and Colour… buttons."""

    label_changed = Signal(str)

    def __init__(self, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.store = LabelStore(None)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumWidth(180)
        self.combo.setItemDelegate(SwatchDelegate(self.combo))
        line_edit = self.combo.lineEdit()
        assert line_edit is not None  # the combo is editable
        line_edit.setPlaceholderText("type a label, e.g. circle")
        self.combo.setToolTip("What the next takes show. Type a new name to create a label.")
        self.combo.currentTextChanged.connect(lambda text: self.label_changed.emit(text.strip()))
        self.rename_button = QToolButton(text="Rename…", toolTip="Rename this label and all its takes (undoable)")
        self.rename_button.clicked.connect(self._ask_rename)
        self.colour_button = QToolButton(toolTip="Colour of this label in charts and lists")
        self.colour_button.clicked.connect(self._ask_colour)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.colour_button)
        layout.addWidget(self.rename_button)
        self.label_changed.connect(self._update_colour_button)

    @property
    def label(self) -> str:
        return self.combo.currentText().strip()

    def set_project(self, project: Project | None) -> None:
        self.store = LabelStore(project)
        self.refresh()

    def refresh(self) -> None:
        current = self.label
        self.combo.blockSignals(True)
        self.combo.clear()
        for name in self.store.labels():
            self.combo.addItem(name)
            self.combo.setItemData(self.combo.count() - 1, self.store.colour(name), COLOUR_ROLE)
        self.combo.setEditText(current or (self.store.labels() or [""])[0])
        self.combo.blockSignals(False)
        self.label_changed.emit(self.label)

    def set_label(self, label: str) -> None:
        self.combo.setEditText(label)

    def remember(self) -> None:
        """The current text is a label now (called when a take of it starts)."""
        if self.label and self.label not in self.store.labels():
            self.store.add(self.label)
            self.refresh()

    def rename(self, old: str, new: str) -> bool:
        new = new.strip()
        if not new or new == old:
            return False
        try:
            self.store.rename(old, new)
        except WandlabError as exc:
            self.notifier.error(f"Could not rename '{old}': {exc}")
            return False
        self.refresh()
        self.set_label(new)
        self.notifier.info(f"Renamed '{old}' to '{new}' (Ctrl+Z undoes it)")
        return True

    def set_colour(self, label: str, colour: str) -> None:
        self.store.set_colour(label, colour)
        self.refresh()

    def _ask_rename(self) -> None:
        old = self.label
        if old:
            new, ok = QInputDialog.getText(self, "Rename label", f"New name for '{old}' and all its takes:", text=old)
            if ok:
                self.rename(old, new)

    def _ask_colour(self) -> None:
        if self.label:
            colour = QColorDialog.getColor(QColor(self.store.colour(self.label)), self, f"Colour of '{self.label}'")
            if colour.isValid():
                self.set_colour(self.label, colour.name())

    def _update_colour_button(self, label: str) -> None:
        self.colour_button.setIcon(swatch(self.store.colour(label) if label else "#ddd", 14))
