"""The HID reports a board sends for each action kind, and what a host decodes from them."""

from __future__ import annotations

import pytest

from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.protocol.gatt import (
    CONSUMER_ID,
    KEYBOARD_ID,
    MOUSE_ID,
    REPORT_MAP_VALUE,
    describe_report,
    info_value,
    parse_info,
    reports_for,
)


@pytest.mark.parametrize("action, pressed", [
    (HidAction(0, int(ActionKind.KEY), 0x16, int(Modifier.CTRL)), "Ctrl+S"),
    (HidAction(0, int(ActionKind.KEY), 0x4F, 0), "Right arrow"),
    (HidAction(0, int(ActionKind.CONSUMER), 0xCD, 0), "Play/Pause"),
    (HidAction(0, int(ActionKind.MOUSE_CLICK), 2, 0), "right"),
    (HidAction(0, int(ActionKind.MOUSE_MOVE), 0, 0, 10, -5), "move +10 -5"),
])
def test_every_action_kind_becomes_reports_a_host_decodes(action: HidAction, pressed: str) -> None:
    reports = reports_for(action)
    said = [describe_report(r.report_id, r.value) for r in reports]
    assert said[0] == pressed and all(s is None for s in said[1:])  # press, then release
    assert {r.report_id for r in reports} <= {KEYBOARD_ID, CONSUMER_ID, MOUSE_ID}


def test_report_map_declares_the_three_report_ids_and_closes_its_collections() -> None:
    m = REPORT_MAP_VALUE
    ids = [m[i + 1] for i in range(len(m) - 1) if m[i] == 0x85]
    assert ids == [KEYBOARD_ID, CONSUMER_ID, MOUSE_ID]
    assert m.count(0xA1) >= 4 and m.endswith(bytes([0xC0, 0xC0]))


def test_info_round_trip() -> None:
    assert parse_info(info_value(1, 4106, "Virtual wand")) == (1, 4106, "Virtual wand")
