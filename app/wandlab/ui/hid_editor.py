"""What the board presses for each gesture and wake word: a class -> action table, presets, Send to board,
HID on/off.

``ActionEditor`` edits one HidAction (key with modifiers, media key, mouse click or move) and is reused
by the enrollment wizard; ``HidEditor`` lists the board's classes (its RefList) and its wake words (its
WordList, class 0x80 + word id) with one editor each. Send to board replaces the board's map with the
table, keeping any entry of the board's the table does not show, so a word's or an unknown class's key is
never dropped by editing the gestures'.
Presets and key names come from the Qt-free ``wandlab.board.hid_presets`` (the CLI offers the same).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wandlab.board.controller import enable_hid, get_hid_map, set_hid_map
from wandlab.board.enroll import list_refs
from wandlab.board.hid_presets import CONSUMER_NAMES, KEY_NAMES, MOUSE_BUTTONS, PRESETS, describe, map_labels
from wandlab.board.words import list_words, word_class
from wandlab.errors import BoardError, LinkError
from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.protocol.words import WORD_CLASS_BASE
from wandlab.ui.notify import Notifier, TaskRunner
from wandlab.ui.session import DeviceSession

KINDS = ((ActionKind.NONE, "Nothing"), (ActionKind.KEY, "Key"), (ActionKind.CONSUMER, "Media key"),
         (ActionKind.MOUSE_CLICK, "Mouse click"), (ActionKind.MOUSE_MOVE, "Mouse move"))
# Keys in the order people look for them: arrows and navigation first, then letters, digits, F-keys.
_KEY_ORDER = [0x4F, 0x50, 0x52, 0x51, 0x2C, 0x28, 0x29, 0x2B, 0x2A, 0x4A, 0x4D, 0x4B, 0x4E, 0x49, 0x4C, 0x46]
KEY_CHOICES = _KEY_ORDER + [c for c in KEY_NAMES if c not in _KEY_ORDER]
CONNECT_FIRST = "Connect a board to edit its keys."


class ActionEditor(QWidget):
    """One HID action: kind, then a key (+ Ctrl/Shift/Alt/Super), a media key, buttons, or dx/dy.

    Two lines for a key (the modifiers under it), one otherwise: in one line the key's name and the
    modifiers were cut to "Rigl" and "Supe" in the HID table's column.
    """

    changed = Signal()
    resized = Signal()  # the modifiers line came or went: a table row holding this editor must follow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for kind, name in KINDS:
            self.kind.addItem(name, int(kind))
        self.key = QComboBox()
        for code in KEY_CHOICES:
            self.key.addItem(KEY_NAMES[code], code)
        self.mods = {m: QCheckBox(str(m.name).capitalize() if m != Modifier.GUI else "Super") for m in Modifier}
        self.media = QComboBox()
        for code, name in CONSUMER_NAMES.items():
            self.media.addItem(name, code)
        self.button = QComboBox()
        for bit, name in MOUSE_BUTTONS.items():
            self.button.addItem(f"{name.capitalize()} button", bit)
        self.dx, self.dy = QSpinBox(minimum=-127, maximum=127), QSpinBox(minimum=-127, maximum=127)
        self.dx.setPrefix("dx ")
        self.dy.setPrefix("dy ")

        def row(*widgets: QWidget) -> QWidget:
            box = QWidget()
            lay = QHBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            for w in widgets:
                lay.addWidget(w)
            lay.addStretch(1)
            return box

        self.detail = QStackedWidget()
        self.detail.addWidget(QLabel(""))  # NONE
        self.detail.addWidget(row(self.key))
        self.detail.addWidget(row(self.media))
        self.detail.addWidget(row(self.button))
        self.detail.addWidget(row(self.dx, self.dy))
        self.modifiers = row(*self.mods.values())
        first = QHBoxLayout()
        first.setContentsMargins(0, 0, 0, 0)
        first.addWidget(self.kind)
        first.addWidget(self.detail, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(first)
        layout.addWidget(self.modifiers)
        self.modifiers.hide()
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for signal in (self.key.currentIndexChanged, self.media.currentIndexChanged,
                       self.button.currentIndexChanged, self.dx.valueChanged, self.dy.valueChanged):
            signal.connect(lambda *_: self.changed.emit())
        for box in self.mods.values():
            box.toggled.connect(lambda *_: self.changed.emit())

    def _kind_changed(self) -> None:
        self.detail.setCurrentIndex(self.kind.currentIndex())
        self.modifiers.setVisible(self.kind.currentData() == int(ActionKind.KEY))
        self.resized.emit()
        self.changed.emit()

    def action(self, class_id: int) -> HidAction:
        kind = ActionKind(self.kind.currentData())
        if kind == ActionKind.KEY:
            mods = sum(int(m) for m, box in self.mods.items() if box.isChecked())
            return HidAction(class_id, int(kind), int(self.key.currentData()), mods)
        if kind == ActionKind.CONSUMER:
            return HidAction(class_id, int(kind), int(self.media.currentData()), 0)
        if kind == ActionKind.MOUSE_CLICK:
            return HidAction(class_id, int(kind), int(self.button.currentData()), 0)
        if kind == ActionKind.MOUSE_MOVE:
            return HidAction(class_id, int(kind), 0, 0, self.dx.value(), self.dy.value())
        return HidAction(class_id, int(ActionKind.NONE), 0, 0)

    def set_action(self, action: HidAction | None) -> None:
        kind = ActionKind(action.kind) if action is not None else ActionKind.NONE
        self.kind.setCurrentIndex(self.kind.findData(int(kind)))
        if action is None:
            return
        if kind == ActionKind.KEY:
            _select(self.key, action.code, KEY_NAMES.get(action.code, f"key 0x{action.code:02X}"))
            for m, box in self.mods.items():
                box.setChecked(bool(action.modifiers & m))
        elif kind == ActionKind.CONSUMER:
            _select(self.media, action.code, CONSUMER_NAMES.get(action.code, f"consumer 0x{action.code:03X}"))
        elif kind == ActionKind.MOUSE_CLICK:
            _select(self.button, action.code, describe(action))
        elif kind == ActionKind.MOUSE_MOVE:
            self.dx.setValue(action.dx)
            self.dy.setValue(action.dy)


def _select(combo: QComboBox, code: int, name: str) -> None:
    index = combo.findData(code)
    if index < 0:  # a code the board has that our names do not cover: keep it, under its number
        combo.addItem(name, code)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class HidEditor(QGroupBox):
    """The board's HID map as a table (one row per class the board recognises)."""

    sent = Signal()  # the map on the board now equals the table
    on_board = Signal()  # board_actions changed: read from the board or sent to it

    def __init__(self, session: DeviceSession, runner: TaskRunner, notifier: Notifier,
                 parent: QWidget | None = None) -> None:
        super().__init__("Keys the board presses", parent)
        self.session, self.runner, self.notifier = session, runner, notifier
        self.classes: list[tuple[int, str]] = []
        self.editors: dict[int, ActionEditor] = {}
        self.board_actions: dict[int, HidAction] = {}  # class id -> the action the board has (last read or sent)
        self.busy = False

        self.hid_on = QCheckBox("HID on: the board presses keys by itself")
        self.hid_on.setToolTip("Off: the board still recognises and shows what it would press, but sends nothing")
        self.hid_on.clicked.connect(self._toggle_hid)
        self.preset = QComboBox()
        self.preset.addItem("Preset…", "")
        for name, p in PRESETS.items():
            self.preset.addItem(name.capitalize(), name)
            self.preset.setItemData(self.preset.count() - 1, p.description, Qt.ItemDataRole.ToolTipRole)
        self.preset.setToolTip("Fill the table from a ready-made map (nothing is sent until Send to board)")
        self.preset.activated.connect(self._preset_chosen)
        self.reload_button = QPushButton("Read from board")
        self.reload_button.setToolTip("Show the classes and the map the board has now")
        self.reload_button.clicked.connect(self.reload)
        self.send_button = QPushButton("Send to board")
        self.send_button.setToolTip("Replace the board's map with this table (the board keeps it across power cycles)")
        self.send_button.clicked.connect(self.send)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Gesture or word", "Action"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.state = QLabel("")
        self.state.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.preset, 1)
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hid_on)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.state)
        session.on_state(lambda _s, _d: self._enable())
        self._enable()

    def _enable(self) -> None:
        ok = self.session.connected and not self.busy
        for w in (self.hid_on, self.preset, self.reload_button, self.send_button, self.table):
            w.setEnabled(ok)
        if not self.session.connected:
            self.state.setText(CONNECT_FIRST)
            self.board_actions = {}
        elif self.state.text() == CONNECT_FIRST:
            self.state.setText("")  # connected: the next read from the board says what it has

    # -- table ----------------------------------------------------------------------------------
    def set_rows(self, classes: list[tuple[int, str]], actions: list[HidAction]) -> None:
        self.classes = list(classes)
        by_class = {a.class_id: a for a in actions}
        self.table.setRowCount(len(classes))
        self.editors = {}
        for row, (class_id, label) in enumerate(classes):
            name = QTableWidgetItem(label)
            name.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, 0, name)
            editor = ActionEditor()
            editor.set_action(by_class.get(class_id))
            editor.resized.connect(lambda r=row: self.table.resizeRowToContents(r))
            self.table.setCellWidget(row, 1, editor)
            self.editors[class_id] = editor
        self.table.resizeRowsToContents()

    def mapped(self) -> list[HidAction]:
        """The table as a map: classes set to Nothing are left out."""
        out = [e.action(c) for c, e in self.editors.items()]
        return [a for a in out if a.kind != ActionKind.NONE]

    def to_send(self) -> list[HidAction]:
        """The table's map plus the board's entries for classes the table does not show (kept as they are)."""
        hidden = [a for c, a in sorted(self.board_actions.items()) if c not in self.editors]
        return self.mapped() + hidden

    def apply_preset(self, name: str) -> None:
        gestures = [(c, label) for c, label in self.classes if c < WORD_CLASS_BASE]  # a preset leaves words be
        mapping = map_labels(PRESETS[name], gestures)
        chosen = {a.class_id: a for a, _ in mapping}
        for class_id, _label in gestures:
            self.editors[class_id].set_action(chosen.get(class_id))
        named = ", ".join(f"{label} → {what}" for (a, what) in mapping
                          for c, label in self.classes if c == a.class_id)
        self.state.setText(f"Preset “{name}”: {named}. Press Send to board." if named else
                           "The board has no classes to map yet.")

    def _preset_chosen(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name:
            self.apply_preset(name)
        self.preset.setCurrentIndex(0)

    # -- board ----------------------------------------------------------------------------------
    def reload(self) -> None:
        self.runner.run(self.load_from_board(), "Reading the HID map")

    def send(self) -> None:
        self.runner.run(self.send_to_board(), "Sending the HID map")

    async def load_from_board(self) -> None:
        client = self.session.client
        if client is None or not self.session.connected:
            return
        self._busy(True)
        try:
            refs = await list_refs(client)
            hid_map = await get_hid_map(client)
            try:
                words = (await list_words(client)).words
            except BoardError:
                words = ()  # a board without wake words
        except LinkError:
            return  # the board went away meanwhile: the state line already says "Connect a board"
        finally:
            self._busy(False)
        rows = [(c.class_id, c.label) for c in refs.classes]
        rows += [(word_class(w.word_id), f"“{w.label}” (wake word)") for w in words]
        self.set_rows(rows, list(hid_map.actions))
        self.board_actions = {a.class_id: a for a in hid_map.actions}
        self.on_board.emit()
        self.hid_on.setChecked(bool(hid_map.enabled))
        keyed = sum(1 for c, _ in rows if c in self.board_actions)
        things = "gestures and words" if words else "gestures"
        self.state.setText(f"{keyed} of {len(rows)} {things} have a key on the board."
                           if rows else "No gestures on the board yet: Train & Flash or enroll one.")

    async def send_to_board(self) -> None:
        client = self.session.client
        if client is None or not self.session.connected:
            self.notifier.warning("Connect a board first")
            return
        actions = self.to_send()
        self._busy(True)
        try:
            await set_hid_map(client, actions)
        finally:
            self._busy(False)
        self.state.setText(f"Sent: {len(actions)} gestures and words mapped. The board keeps this map.")
        self.board_actions = {a.class_id: a for a in actions}
        self.sent.emit()
        self.on_board.emit()

    def _toggle_hid(self, on: bool) -> None:
        async def go() -> None:
            client = self.session.client
            if client is None:
                return
            try:
                await enable_hid(client, on)
            except BaseException:
                self.hid_on.setChecked(not on)
                raise
            self.state.setText("HID on: the board presses the keys itself." if on else
                               "HID off: the board shows what it would press and sends nothing.")

        self.runner.run(go(), "Switching HID " + ("on" if on else "off"))

    def _busy(self, busy: bool) -> None:
        self.busy = busy
        self._enable()
