"""HID presets: the maps a user picks instead of looking up HID usage codes."""

from __future__ import annotations

import pytest

from wandlab.board.hid_presets import PresetError, describe, key_code, map_labels, preset
from wandlab.protocol.controller import ActionKind, HidAction, Modifier
from wandlab.virtual.hid_map import check_actions


def test_every_preset_is_a_map_the_board_accepts():
    for name in ("presentation clicker", "media-remote", "Arrow_Keys"):
        chosen = preset(name)
        actions = [spec.action(i) for i, spec in enumerate(chosen.actions)]
        assert check_actions(tuple(actions)) == ""


def test_class_names_that_say_a_direction_get_that_action_then_the_rest_in_order():
    classes = [(0, "circle"), (1, "flick_left"), (2, "flick_right"), (3, "tap"), (4, "z")]
    mapped = {a.class_id: name for a, name in map_labels(preset("presentation clicker"), classes)}
    assert mapped[1] == "Previous slide" and mapped[2] == "Next slide"
    assert mapped[0] == "Blank screen" and len(mapped) == 5
    media = {a.class_id: (a.kind, a.code) for a, _ in map_labels(preset("media remote"), classes)}
    assert media[0] == (ActionKind.CONSUMER, 0xCD) and media[2] == (ActionKind.CONSUMER, 0xB5)
    arrows = map_labels(preset("arrow keys"), [(i, f"g{i}") for i in range(6)])
    assert len(arrows) == 4  # more classes than actions: the rest press nothing


def test_names_people_read():
    assert describe(HidAction(0, ActionKind.KEY, key_code("b"), Modifier.CTRL | Modifier.SHIFT)) == "Ctrl+Shift+B"
    assert describe(HidAction(0, ActionKind.CONSUMER, 0xE9, 0)) == "Volume up"
    assert describe(HidAction(0, ActionKind.MOUSE_MOVE, 0, 0, 10, -5)) == "Mouse move (+10, -5)"
    assert describe(HidAction(0, ActionKind.MOUSE_CLICK, 1, 0)) == "Mouse left click"
    with pytest.raises(PresetError, match="choose one of: presentation clicker, media remote, arrow keys"):
        preset("keyboard")


def test_board_refuses_maps_it_could_not_send():
    assert "two actions" in check_actions((HidAction(1, 1, 0x04, 0), HidAction(1, 1, 0x05, 0)))
    assert "none of these" in check_actions((HidAction(255, 1, 0x04, 0),))
    assert "unknown action kind" in check_actions((HidAction(1, 9, 0x04, 0),))
    assert "modifier" in check_actions((HidAction(1, 1, 0x04, 0x80),))
