"""The XIAO firmware's GATT layout (wandlab_xiao_sense/gatt_layout.h) is the app's (protocol/gatt.py).

The values are written out in C++ by hand; this test reads them back from the header and compares
them with Python's byte for byte, so the firmware cannot drift from docs/protocol.md "BLE".
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from wandlab.protocol import gatt

HEADER = Path(__file__).resolve().parents[2] / "firmware_sketches" / "wandlab_xiao_sense" / "gatt_layout.h"


def _text() -> str:
    # Comments out: they may hold numbers too.
    return re.sub(r"//[^\n]*", "", HEADER.read_text())


def _bytes(name: str) -> bytes:
    m = re.search(rf"{name}\[\d*\]\s*=\s*\{{([^}}]*)\}}", _text())
    assert m, f"{name} not found in {HEADER.name}"
    return bytes(int(v, 0) for v in m.group(1).replace("\n", " ").split(",") if v.strip())


def _int(name: str) -> int:
    m = re.search(rf"{name}\s*=\s*(0x[0-9A-Fa-f]+|\d+);", _text())
    assert m, f"{name} not found in {HEADER.name}"
    return int(m.group(1), 0)


def _uuid(index: int) -> str:
    m = re.search(r"#define WANDLAB_UUID128\(n\)\s*\{([^}]*)\}", HEADER.read_text())
    assert m
    little_endian = [v.strip() for v in m.group(1).split(",")]
    raw = bytes(index if v == "n" else int(v, 0) for v in little_endian)
    return str(uuid.UUID(bytes=raw[::-1]))


def test_report_map_and_hid_values_match_the_app() -> None:
    assert _bytes("kReportMap") == gatt.REPORT_MAP_VALUE
    assert _bytes("kHidInformation") == gatt.HID_INFORMATION_VALUE
    assert _int("kAppearanceHidKeyboard") == gatt.APPEARANCE_HID_KEYBOARD
    assert _int("kAttInsufficientAuthentication") == gatt.ATT_INSUFFICIENT_AUTHENTICATION
    assert re.search(r'kNotBondedError\[\]\s*=\s*"([^"]*)"', _text()).group(1) == gatt.NOT_BONDED_ERROR
    assert _int("kFirstProtectedType") == gatt.OPEN_FAMILY_TYPES.stop
    assert (_int("kKeyboardId"), _int("kConsumerId"), _int("kMouseId")) == (
        gatt.KEYBOARD_ID, gatt.CONSUMER_ID, gatt.MOUSE_ID)
    assert (_int("kReportTypeInput"), _int("kReportTypeOutput")) == (gatt.INPUT, gatt.OUTPUT)
    assert (_int("kKeyboardReportBytes"), _int("kConsumerReportBytes"), _int("kMouseReportBytes")) == (
        gatt.KEYBOARD_REPORT_BYTES, gatt.CONSUMER_REPORT_BYTES, gatt.MOUSE_REPORT_BYTES)
    assert _int("kProtocolModeReport") == gatt.PROTOCOL_MODE_REPORT


def test_wandlab_service_uuids_match_the_app() -> None:
    uuids = {name: _uuid(index) for index, name in enumerate(["service", "packet_out", "packet_in", "info"])}
    assert uuids == {"service": gatt.WANDLAB_SERVICE, "packet_out": gatt.PACKET_OUT, "packet_in": gatt.PACKET_IN,
                     "info": gatt.INFO}
    for name, index in (("kServiceUuid", 0), ("kPacketOutUuid", 1), ("kPacketInUuid", 2), ("kInfoUuid", 3)):
        assert re.search(rf"{name}\[16\]\s*=\s*WANDLAB_UUID128\(0x0{index}\)", HEADER.read_text()), name
