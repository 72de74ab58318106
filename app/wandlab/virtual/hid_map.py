"""The board's HID map (class -> key / consumer key / mouse action) and HID on/off, kept like flash.

Validated as firmware would before anything is stored: a map the board cannot send is refused whole,
so a bad HidMapSet never leaves half a map. Persisted as ``hid.json`` (atomic replace).
"""

from __future__ import annotations

import json
from pathlib import Path

from wandlab.protocol.controller import NO_CLASS, ActionKind, HidAction, HidMap
from wandlab.virtual.refs import atomic_write

MAX_ACTIONS = 32  # kMaxHidActions in the C++ core
MAX_KEY_USAGE = 0xE7  # keyboard usages end at Right GUI
MAX_CONSUMER_USAGE = 0x3FF  # 10-bit consumer usage ids, what BLE HID consumer reports carry
ALL_MODIFIERS = 0x0F


def check_actions(actions: tuple[HidAction, ...]) -> str:
    """An error text for the first action the board could not send, or ''."""
    if len(actions) > MAX_ACTIONS:
        return f"a HID map holds at most {MAX_ACTIONS} actions, got {len(actions)}"
    seen: set[int] = set()
    for a in actions:
        if a.class_id == NO_CLASS:
            return "class 255 means 'none of these' and cannot have an action"
        if a.class_id in seen:
            return f"class {a.class_id} has two actions; a recognition presses one thing"
        seen.add(a.class_id)
        try:
            kind = ActionKind(a.kind)
        except ValueError:
            return f"class {a.class_id}: unknown action kind {a.kind}"
        if a.modifiers & ~ALL_MODIFIERS:
            return f"class {a.class_id}: unknown modifier bits 0x{a.modifiers:02x}"
        if kind == ActionKind.KEY and not 0x04 <= a.code <= MAX_KEY_USAGE:
            return f"class {a.class_id}: 0x{a.code:02x} is not a keyboard usage (0x04-0xE7)"
        if kind == ActionKind.CONSUMER and not 0 < a.code <= MAX_CONSUMER_USAGE:
            return f"class {a.class_id}: 0x{a.code:x} is not a consumer usage (1-0x3FF)"
        if kind == ActionKind.MOUSE_CLICK and not 0 < a.code <= 7:
            return f"class {a.class_id}: mouse button mask must be 1-7"
        if kind == ActionKind.MOUSE_MOVE and not (-127 <= a.dx <= 127 and -127 <= a.dy <= 127):
            return f"class {a.class_id}: mouse moves are -127..127 counts per report"
    return ""


class HidSettings:
    def __init__(self, state_dir: str | Path | None = None) -> None:
        self.dir = Path(state_dir) if state_dir else None
        self.actions: dict[int, HidAction] = {}
        self.enabled = False
        if self.dir is not None:
            self._load()

    def set(self, actions: tuple[HidAction, ...]) -> str:
        problem = check_actions(actions)
        if not problem:
            self.actions = {a.class_id: a for a in actions if a.kind != ActionKind.NONE}
            self._save()
        return problem

    def enable(self, on: bool) -> None:
        self.enabled = on
        self._save()

    def action_for(self, class_id: int) -> HidAction | None:
        return self.actions.get(class_id)

    def message(self) -> HidMap:
        return HidMap(int(self.enabled), tuple(self.actions[c] for c in sorted(self.actions)))

    def _save(self) -> None:
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        rows = [[a.class_id, a.kind, a.code, a.modifiers, a.dx, a.dy] for a in self.actions.values()]
        atomic_write(self.dir, "hid.json", json.dumps({"enabled": self.enabled, "actions": rows}).encode())

    def _load(self) -> None:
        assert self.dir is not None
        try:
            doc = json.loads((self.dir / "hid.json").read_text())
            actions = tuple(HidAction(*(int(v) for v in row)) for row in doc["actions"])
            enabled = bool(doc["enabled"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        if not check_actions(actions):
            self.actions, self.enabled = {a.class_id: a for a in actions}, enabled
