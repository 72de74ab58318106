"""The words a board holds, as the word wizard lists them: each with its key, a Remove button, and an editor
for the key of the selected word. A word's key lives in the board's HID map under class
``WORD_CLASS_BASE + word_id``, beside the gestures' keys, which ``set_word_action`` leaves alone."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.controller import get_hid_map
from wandlab.board.hid_presets import describe
from wandlab.board.words import clear_word, list_words, word_class
from wandlab.errors import BoardError
from wandlab.flows.enroll_word import set_word_action
from wandlab.protocol.controller import ActionKind, HidAction
from wandlab.protocol.words import WordInfo
from wandlab.ui.hid_editor import ActionEditor
from wandlab.ui.notify import TaskRunner
from wandlab.ui.plain_errors import plain
from wandlab.ui.session import DeviceSession


class WordsBox(QGroupBox):
    changed = Signal()  # the board's words were read again

    def __init__(self, session: DeviceSession, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Words on the board", parent)
        self.session, self.runner = session, runner
        self.words: list[WordInfo] = []
        self.word_keys: dict[int, HidAction] = {}  # word id -> its key
        self.supported = True  # False: the board's firmware has no wake words
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Word", "Key", "Threshold"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selected)
        self.key = ActionEditor()
        self.save_key = QPushButton("Save key")
        self.save_key.setToolTip("The board presses this key when it hears the selected word")
        self.save_key.clicked.connect(lambda: self.runner.run(self.save_selected_key(), "Saving the word's key"))
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("The board forgets the selected word and stops listening for it")
        self.remove_button.clicked.connect(lambda: self.runner.run(self.remove_selected(), "Removing the word"))
        self.state = QLabel("", wordWrap=True)
        row = QHBoxLayout()
        row.addWidget(self.key, 1)
        row.addWidget(self.save_key)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.state)
        self._selected()

    # -- reading the board ----------------------------------------------------------------------
    async def refresh(self) -> None:
        client = self.session.client
        if client is None or not self.session.connected:
            self._show([], {}, "Connect a board to see its words.")
            return
        try:
            reply = await list_words(client)
        except BoardError as exc:
            self.supported = False
            self._show([], {}, plain(exc))
            return
        self.supported = True
        hid = await get_hid_map(client)
        actions = {a.class_id - word_class(0): a for a in hid.actions if a.class_id >= word_class(0)}
        self._show(list(reply.words), actions, "" if reply.words else "No words yet: enroll one above.")

    def _show(self, words: list[WordInfo], actions: dict[int, HidAction], state: str) -> None:
        selected = self.selected_id()
        self.words, self.word_keys = words, actions
        self.table.setRowCount(len(words))
        for row, word in enumerate(words):
            action = actions.get(word.word_id)
            cells = (word.label, describe(action) if action else "Nothing", f"{word.threshold:.3f}")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, word.word_id)
                item.setToolTip(
                    f"{word.label}: word {word.word_id}, {word.count} utterances, "
                    f"accepted at a distance of {word.threshold:.3f} or less"
                )
                self.table.setItem(row, column, item)
            if word.word_id == selected:
                self.table.selectRow(row)
        self.state.setText(state)
        self._selected()
        self.changed.emit()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select(self, word_id: int) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == word_id:
                self.table.selectRow(row)

    def _selected(self) -> None:
        word_id = self.selected_id()
        for widget in (self.key, self.save_key, self.remove_button):
            widget.setEnabled(word_id is not None)
        if word_id is not None:
            self.key.set_action(self.word_keys.get(word_id))

    # -- changing it ----------------------------------------------------------------------------
    async def remove_selected(self) -> None:
        word_id = self.selected_id()
        client = self.session.client
        if word_id is None or client is None:
            return
        label = next((w.label for w in self.words if w.word_id == word_id), "")
        await clear_word(client, word_id)
        if word_id in self.word_keys:  # a key left behind would come back with the next word given this id
            await set_word_action(client, word_id, None)
        await self.refresh()
        self.state.setText(f"Removed “{escape(label)}”: the board no longer listens for it.")

    async def save_selected_key(self) -> None:
        word_id = self.selected_id()
        if word_id is None:
            return
        client = self.session.client
        if client is None:
            return
        action = self.key.action(word_class(word_id))
        await set_word_action(client, word_id, action if action.kind != ActionKind.NONE else None)
        hid_on = (await get_hid_map(client)).enabled
        await self.refresh()
        label = next((w.label for w in self.words if w.word_id == word_id), "")
        off = "" if hid_on or action.kind == ActionKind.NONE else " (HID is off: turn it on in the Live test page)"
        self.state.setText(f"Saved: “{escape(label)}” → {describe(action)}{off}")
