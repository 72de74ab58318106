"""The GATT layout a Wandlab board serves over BLE, and the HID reports it sends. Pure, no I/O.

One module for both ends (the board's GATT server - the virtual wand and the firmware - and the app's
BLE link and HID host), as docs/protocol.md "BLE" specifies:

- Wandlab service: packet-out (notify, board -> host fragments), packet-in (write and write without
  response, host -> board fragments), info (read: ``u16 protocol version, u16 largest packet, board
  name``). Fragments: ``protocol.fragments``.
- Battery (0x180F) and Device Information (0x180A).
- HID over GATT (0x1812): a report map with a keyboard (report 1, with the LED output report), a
  consumer control (report 2) and a mouse (report 3); protocol mode, HID information, control point,
  boot keyboard input/output.

Security: the Wandlab service's characteristics are open, but the board refuses every packet outside
the session family (Hello, Ping: enough to see which board it is) on a link that is not encrypted with a
bonded key, answering the write with ATT error 0x05 (insufficient authentication) and changing nothing.
HID, battery-level notifications aside, need an encrypted link as HID over GATT requires.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.protocol.hid_names import CONSUMER_NAMES, KEY_NAMES, MOUSE_BUTTONS

# 128-bit UUIDs of the Wandlab service: 5741-4e44 is "WAND" in ASCII.
WANDLAB_SERVICE = "57414e44-0000-4c61-8000-00805f9b34fb"
PACKET_OUT = "57414e44-0001-4c61-8000-00805f9b34fb"  # notify
PACKET_IN = "57414e44-0002-4c61-8000-00805f9b34fb"  # write, write without response
INFO = "57414e44-0003-4c61-8000-00805f9b34fb"  # read

BATTERY_SERVICE = 0x180F
BATTERY_LEVEL = 0x2A19
DEVICE_INFORMATION_SERVICE = 0x180A
MANUFACTURER_NAME = 0x2A29
MODEL_NUMBER = 0x2A24
FIRMWARE_REVISION = 0x2A26
PNP_ID = 0x2A50
HID_SERVICE = 0x1812
HID_INFORMATION = 0x2A4A
REPORT_MAP = 0x2A4B
HID_CONTROL_POINT = 0x2A4C
REPORT = 0x2A4D
PROTOCOL_MODE = 0x2A4E
BOOT_KEYBOARD_INPUT = 0x2A22
BOOT_KEYBOARD_OUTPUT = 0x2A32
REPORT_REFERENCE = 0x2908
APPEARANCE_HID_KEYBOARD = 0x03C1

# The session family may be used before bonding; anything else needs an encrypted, bonded link.
OPEN_FAMILY_TYPES = range(0x00, 0x10)
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
# A board whose BLE stack cannot refuse a write with an ATT error (NimBLE-Arduino answers every write itself:
# the ESP32-S3) drops an unbonded protected packet whole and answers it Error BUSY with this text instead;
# the host pairs and sends it again, as after ATT 0x05 (docs/protocol.md "BLE").
NOT_BONDED_ERROR = "not bonded: pairing requested, send it again once paired"

INFO_HEADER = struct.Struct("<HH")
HID_INFORMATION_VALUE = bytes([0x11, 0x01, 0x00, 0x02])  # bcdHID 1.11, no country, normally connectable
PROTOCOL_MODE_REPORT = 1


def info_value(protocol_version: int, max_packet: int, board_name: str) -> bytes:
    return INFO_HEADER.pack(protocol_version, max_packet) + board_name.encode()[:64]


def parse_info(value: bytes) -> tuple[int, int, str]:
    version, max_packet = INFO_HEADER.unpack_from(value)
    return version, max_packet, bytes(value[INFO_HEADER.size :]).decode(errors="replace")


# -- HID -------------------------------------------------------------------------------------------

KEYBOARD_ID, CONSUMER_ID, MOUSE_ID = 1, 2, 3
INPUT, OUTPUT = 1, 2  # Report Reference types

# USB HID report descriptor (HID 1.11 items). Keyboard: modifiers byte, reserved byte, six key codes,
# LEDs out. Consumer: one 16-bit usage. Mouse: 3 buttons, x, y, wheel (relative, -127..127).
REPORT_MAP_VALUE = bytes([
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x85, KEYBOARD_ID,  # Generic Desktop, Keyboard, collection, id 1
    0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02,  # mods
    0x95, 0x01, 0x75, 0x08, 0x81, 0x01,  # reserved byte
    0x95, 0x05, 0x75, 0x01, 0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02,  # 5 LEDs (output)
    0x95, 0x01, 0x75, 0x03, 0x91, 0x01,  # LED padding
    0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00,  # keys
    0xC0,
    0x05, 0x0C, 0x09, 0x01, 0xA1, 0x01, 0x85, CONSUMER_ID,  # Consumer Control, id 2
    0x15, 0x00, 0x26, 0xFF, 0x03, 0x19, 0x00, 0x2A, 0xFF, 0x03, 0x75, 0x10, 0x95, 0x01, 0x81, 0x00,
    0xC0,
    0x05, 0x01, 0x09, 0x02, 0xA1, 0x01, 0x85, MOUSE_ID, 0x09, 0x01, 0xA1, 0x00,  # Mouse, id 3, pointer
    0x05, 0x09, 0x19, 0x01, 0x29, 0x03, 0x15, 0x00, 0x25, 0x01, 0x95, 0x03, 0x75, 0x01, 0x81, 0x02,  # buttons
    0x95, 0x01, 0x75, 0x05, 0x81, 0x01,  # padding
    0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x09, 0x38, 0x15, 0x81, 0x25, 0x7F, 0x75, 0x08, 0x95, 0x03, 0x81, 0x06,
    0xC0, 0xC0,
])
KEYBOARD_REPORT_BYTES, CONSUMER_REPORT_BYTES, MOUSE_REPORT_BYTES = 8, 2, 4


@dataclass(frozen=True)
class InputReport:
    report_id: int  # KEYBOARD_ID, CONSUMER_ID or MOUSE_ID
    value: bytes


def _clamp8(v: int) -> int:
    return max(-127, min(127, int(v))) & 0xFF


def reports_for(action: HidAction) -> list[InputReport]:
    """The input reports one gesture's action sends: press then release (a move is one report)."""
    kind = ActionKind(action.kind)
    if kind == ActionKind.KEY:
        down = bytes([action.modifiers & 0xFF, 0, action.code & 0xFF, 0, 0, 0, 0, 0])
        return [InputReport(KEYBOARD_ID, down), InputReport(KEYBOARD_ID, bytes(KEYBOARD_REPORT_BYTES))]
    if kind == ActionKind.CONSUMER:
        return [InputReport(CONSUMER_ID, struct.pack("<H", action.code)), InputReport(CONSUMER_ID, bytes(2))]
    if kind == ActionKind.MOUSE_CLICK:
        return [InputReport(MOUSE_ID, bytes([action.code & 0x07, 0, 0, 0])), InputReport(MOUSE_ID, bytes(4))]
    if kind == ActionKind.MOUSE_MOVE:
        return [InputReport(MOUSE_ID, bytes([0, _clamp8(action.dx), _clamp8(action.dy), 0]))]
    return []


def describe_report(report_id: int, value: bytes) -> str | None:
    """What a host sees in one input report, in words ("Ctrl+S", "Play/Pause", "move +10 -5");
    None for a release (all keys up / no usage / no buttons, no motion)."""
    if report_id == KEYBOARD_ID and len(value) >= 3:
        keys = [k for k in value[2:8] if k]
        if not keys and not value[0]:
            return None
        mods = [str(m.name).capitalize() if m != Modifier.GUI else "Super" for m in Modifier if value[0] & m]
        return "+".join(mods + [KEY_NAMES.get(k, f"key 0x{k:02X}") for k in keys])
    if report_id == CONSUMER_ID and len(value) >= 2:
        (usage,) = struct.unpack_from("<H", value)
        return CONSUMER_NAMES.get(usage, f"consumer 0x{usage:03X}") if usage else None
    if report_id == MOUSE_ID and len(value) >= 3:
        buttons, dx, dy = value[0], struct.unpack_from("<b", value, 1)[0], struct.unpack_from("<b", value, 2)[0]
        wheel = struct.unpack_from("<b", value, 3)[0] if len(value) >= 4 else 0
        parts = [MOUSE_BUTTONS.get(b, f"button {b}") for b in (1, 2, 4) if buttons & b]
        if dx or dy:
            parts.append(f"move {dx:+d} {dy:+d}")
        if wheel:
            parts.append(f"wheel {wheel:+d}")
        return ", ".join(parts) or None
    return f"report {report_id}: {bytes(value).hex()}"
