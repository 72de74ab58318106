"""Ready-made HID maps (presentation clicker, media remote, arrow keys) and names for HID codes.

Qt-free, so the GUI's mapping page and ``wandlab hid --preset`` offer the same choices. A preset is an
ordered list of actions; ``map_labels`` gives each class one: first by meaning where a class name says it
("flick_right" gets Right arrow / Next slide), then the rest in class order.
"""

from __future__ import annotations

from dataclasses import dataclass

from wandlab.errors import WandlabError
from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.protocol.hid_names import CONSUMER_NAMES, KEY_NAMES, MOUSE_BUTTONS, SPECIAL_KEYS


class PresetError(WandlabError, ValueError):
    """An unknown preset name."""




def key_code(name: str) -> int:
    """Keyboard usage id for a key name as printed by ``describe`` ("Right arrow", "B", "F5")."""
    for code, known in KEY_NAMES.items():
        if known.lower() == name.strip().lower():
            return code
    raise PresetError(f"unknown key {name!r}; e.g. A-Z, 0-9, F1-F12, {', '.join(SPECIAL_KEYS.values())}")


def describe(action: HidAction) -> str:
    """What a person would call the action: "Ctrl+Shift+B", "Play/Pause", "Mouse move (+10, -5)"."""
    kind = action.kind
    if kind == ActionKind.KEY:
        mods = [str(m.name).capitalize() for m in Modifier if action.modifiers & m]
        return "+".join([*mods, KEY_NAMES.get(action.code, f"key 0x{action.code:02X}")])
    if kind == ActionKind.CONSUMER:
        return CONSUMER_NAMES.get(action.code, f"consumer 0x{action.code:03X}")
    if kind == ActionKind.MOUSE_CLICK:
        buttons = [n for bit, n in MOUSE_BUTTONS.items() if action.code & bit] or ["no button"]
        return f"Mouse {'+'.join(buttons)} click"
    if kind == ActionKind.MOUSE_MOVE:
        return f"Mouse move ({action.dx:+d}, {action.dy:+d})"
    return "nothing"


@dataclass(frozen=True)
class ActionSpec:
    name: str  # what it does, e.g. "Next slide"
    kind: ActionKind
    code: int
    keywords: tuple[str, ...] = ()  # words in a class name that ask for this action
    modifiers: int = 0

    def action(self, class_id: int) -> HidAction:
        return HidAction(class_id, int(self.kind), self.code, self.modifiers)


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    actions: tuple[ActionSpec, ...]


def _key(name: str, key: str, *keywords: str) -> ActionSpec:
    return ActionSpec(name, ActionKind.KEY, key_code(key), keywords)


def _media(name: str, code: int, *keywords: str) -> ActionSpec:
    return ActionSpec(name, ActionKind.CONSUMER, code, keywords)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("presentation clicker", "slides forward/back, blank screen, start and end the show", (
            _key("Next slide", "Right arrow", "right", "next", "forward"),
            _key("Previous slide", "Left arrow", "left", "previous", "back"),
            _key("Blank screen", "B", "down", "blank"),
            _key("Start show", "F5", "up", "start"),
            _key("End show", "Esc", "shake", "end", "stop"),
        )),
        Preset("media remote", "play/pause, tracks, volume", (
            _media("Play/Pause", 0xCD, "tap", "circle", "play", "pause"),
            _media("Next track", 0xB5, "right", "next"),
            _media("Previous track", 0xB6, "left", "previous", "back"),
            _media("Volume up", 0xE9, "up", "louder"),
            _media("Volume down", 0xEA, "down", "quieter"),
            _media("Mute", 0xE2, "shake", "mute"),
        )),
        Preset("arrow keys", "the four arrow keys", (
            _key("Right", "Right arrow", "right"),
            _key("Left", "Left arrow", "left"),
            _key("Up", "Up arrow", "up"),
            _key("Down", "Down arrow", "down"),
        )),
    )
}  # fmt: skip


def preset(name: str) -> Preset:
    """Look a preset up by name, forgiving case and -/_ for spaces ("media-remote")."""
    wanted = name.strip().lower().replace("-", " ").replace("_", " ")
    if wanted not in PRESETS:
        raise PresetError(f"no HID preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[wanted]


def map_labels(chosen: Preset, classes: list[tuple[int, str]]) -> list[tuple[HidAction, str]]:
    """(action, action name) for the classes [(class_id, label)], at most one action each.

    A class whose name contains an action's keyword gets that action; the remaining actions go to the
    remaining classes in the given order. Classes beyond the preset's length get nothing.
    """
    free = list(chosen.actions)
    assigned: dict[int, ActionSpec] = {}
    for class_id, label in classes:
        words = label.lower().replace("-", "_").replace(" ", "_").split("_")
        match = next((a for a in free if any(k in words for k in a.keywords)), None)
        if match is not None:
            assigned[class_id] = match
            free.remove(match)
    for class_id, _ in classes:
        if class_id not in assigned and free:
            assigned[class_id] = free.pop(0)
    return [(assigned[c].action(c), assigned[c].name) for c, _ in classes if c in assigned]
