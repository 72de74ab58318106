"""An action from the words a person types: "Space", "Ctrl+Shift+B", "Play/Pause", "mouse left".

``describe`` (board.hid_presets) prints actions this way, and ``parse_action`` reads them back, so
``wandlab enroll-word --key`` accepts whatever ``wandlab hid --show`` printed.
"""

from __future__ import annotations

from wandlab.board.hid_presets import PresetError, key_code
from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.protocol.hid_names import CONSUMER_NAMES, MOUSE_BUTTONS

_MODIFIERS = {
    "ctrl": Modifier.CTRL,
    "control": Modifier.CTRL,
    "shift": Modifier.SHIFT,
    "alt": Modifier.ALT,
    "gui": Modifier.GUI,
    "win": Modifier.GUI,
    "cmd": Modifier.GUI,
    "super": Modifier.GUI,
}


def parse_action(text: str, class_id: int) -> HidAction:
    """The action ``text`` names, for ``class_id``; PresetError (one sentence) if it names none."""
    words = text.strip()
    low = words.lower()
    for code, name in CONSUMER_NAMES.items():
        if low == name.lower():
            return HidAction(class_id, int(ActionKind.CONSUMER), code, 0)
    if low.startswith("mouse"):
        button = low.removeprefix("mouse").replace("click", "").strip() or "left"
        for bit, name in MOUSE_BUTTONS.items():
            if button == name:
                return HidAction(class_id, int(ActionKind.MOUSE_CLICK), bit, 0)
        raise PresetError(f"unknown mouse button {button!r}; use mouse left, mouse right or mouse middle")
    *mods, key = [part.strip() for part in words.split("+")] if words else [""]
    modifiers = 0
    for mod in mods:
        if mod.lower() not in _MODIFIERS:
            raise PresetError(f"unknown modifier {mod!r}; use Ctrl, Shift, Alt or GUI")
        modifiers |= int(_MODIFIERS[mod.lower()])
    return HidAction(class_id, int(ActionKind.KEY), key_code(key), modifiers)
