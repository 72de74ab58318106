"""Names of the HID codes boards send: what a person calls a key, a media key or a mouse button."""

from __future__ import annotations

# USB HID usage tables: keyboard page (0x07) and consumer page (0x0C), the codes boards send.
SPECIAL_KEYS = {
    0x28: "Enter", 0x29: "Esc", 0x2A: "Backspace", 0x2B: "Tab", 0x2C: "Space", 0x46: "Print Screen",
    0x49: "Insert", 0x4A: "Home", 0x4B: "Page Up", 0x4C: "Delete", 0x4D: "End", 0x4E: "Page Down",
    0x4F: "Right arrow", 0x50: "Left arrow", 0x51: "Down arrow", 0x52: "Up arrow",
}  # fmt: skip
KEY_NAMES: dict[int, str] = {
    **{0x04 + i: chr(ord("A") + i) for i in range(26)},
    **{0x1E + i: str((i + 1) % 10) for i in range(10)},
    **{0x3A + i: f"F{i + 1}" for i in range(12)},
    **SPECIAL_KEYS,
}
CONSUMER_NAMES: dict[int, str] = {
    0xCD: "Play/Pause", 0xB5: "Next track", 0xB6: "Previous track", 0xB7: "Stop",
    0xE9: "Volume up", 0xEA: "Volume down", 0xE2: "Mute",
}  # fmt: skip
MOUSE_BUTTONS = {1: "left", 2: "right", 4: "middle"}
