"""Host helpers for wake words: the int8 codes a unit reference came from, and actions typed by name."""

from __future__ import annotations

import numpy as np
import pytest

from wandlab.board.hid_parse import parse_action
from wandlab.board.hid_presets import PresetError, describe
from wandlab.board.words import int8_codes, word_class
from wandlab.errors import BoardError
from wandlab.protocol.controller import ActionKind, HidAction, Modifier


def test_unit_references_give_back_the_int8_outputs_they_came_from():
    rng = np.random.default_rng(3)
    for _ in range(200):
        u = np.maximum(rng.normal(0, 1, 32), 0) + 1e-3  # non-negative, as the model's ReLU'd embedding
        raw = np.minimum(np.round(u / np.linalg.norm(u) * 128), 127).astype(np.int8)  # an int8 L2_NORMALIZATION
        e = raw.astype(np.float32) * np.float32(1 / 128)
        unit = e / np.float32(np.linalg.norm(e))
        np.testing.assert_array_equal(int8_codes(unit[None], 1 / 128, 0)[0], raw)


def test_a_vector_no_int8_output_normalises_to_is_refused():
    with pytest.raises(BoardError, match="not an output of this speech model"):
        int8_codes(np.full((1, 32), 1 / np.sqrt(32)) + np.linspace(0, 1e-3, 32), 1 / 128, 0)


@pytest.mark.parametrize("text", ["Space", "Ctrl+Shift+B", "Play/Pause", "Mouse left click", "F5", "Alt+Left arrow"])
def test_what_describe_prints_parses_back(text):
    action = parse_action(text, word_class(2))
    assert action.class_id == 0x82 and describe(action) == text


def test_parse_action_names_and_refusals():
    ctrl_alt = int(Modifier.CTRL | Modifier.ALT)
    assert parse_action("ctrl+alt+t", 0x80) == HidAction(0x80, int(ActionKind.KEY), 0x17, ctrl_alt)
    assert parse_action("volume up", 0x80).kind == ActionKind.CONSUMER
    assert parse_action("mouse right", 0x80).code == 2
    for bad, says in (("Hyper+Q", "unknown modifier"), ("mouse thumb", "unknown mouse button"), ("", "unknown key")):
        with pytest.raises(PresetError, match=says):
            parse_action(bad, 0x80)
