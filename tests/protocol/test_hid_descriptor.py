"""The report-map reader a HID host uses to find a device's reports."""

import pytest

from wandlab.errors import ProtocolError
from wandlab.protocol import gatt
from wandlab.protocol.hid_descriptor import ReportInfo, parse_report_map


def test_the_wands_report_map_declares_keyboard_leds_consumer_and_mouse_of_the_sizes_it_sends():
    reports = parse_report_map(gatt.REPORT_MAP_VALUE)
    assert reports == [
        ReportInfo(gatt.KEYBOARD_ID, "input", "keyboard", 64),
        ReportInfo(gatt.KEYBOARD_ID, "output", "keyboard", 8),
        ReportInfo(gatt.CONSUMER_ID, "input", "consumer", 16),
        ReportInfo(gatt.MOUSE_ID, "input", "mouse", 32),
    ]
    sizes = {r.report_id: r.bytes for r in reports if r.kind == "input"}
    assert sizes == {gatt.KEYBOARD_ID: gatt.KEYBOARD_REPORT_BYTES, gatt.CONSUMER_ID: gatt.CONSUMER_REPORT_BYTES,
                     gatt.MOUSE_ID: gatt.MOUSE_REPORT_BYTES}


def test_a_boot_keyboard_without_report_ids_and_long_items_are_understood():
    boot = bytes([0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x75, 0x08, 0x95, 0x08, 0x81, 0x00, 0xFE, 0x01, 0x00, 0x55, 0xC0])
    assert parse_report_map(boot) == [ReportInfo(0, "input", "keyboard", 64)]


def test_a_truncated_map_is_a_protocol_error_not_a_crash():
    with pytest.raises(ProtocolError, match="ends inside"):
        parse_report_map(gatt.REPORT_MAP_VALUE[:-1] + b"\x26")
