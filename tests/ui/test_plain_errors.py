"""The board client's messages, as the app words them: what failed and what to do, no wire names."""

from __future__ import annotations

import pytest

from wandlab.errors import BoardError, LinkError
from wandlab.ui.plain_errors import NO_MODEL, plain

JARGON = ("refused by the board", "RecognizeStart", "EnrollStart", "HidMapSet", "(wandlab", "bad argument",
          "unknown message", "(busy)")


@pytest.mark.parametrize(("raw", "expected"), [
    ("RecognizeStart refused by the board: no model is active on the board: push one (wandlab flash) first "
     "(bad argument)", NO_MODEL),
    ("EnrollStart refused by the board: already enrolling 'wave'; cancel it first (busy)",
     "The board could not enroll the gesture: already enrolling 'wave'; cancel it first."),
    ("HidMapSet refused by the board: class 12 is not on the board (bad argument)",
     "The board could not save the keys: class 12 is not on the board."),
    ("RefList refused by the board: RefList is not handled (unknown message)",
     "The board could not list its gestures: this board's firmware does not know that command: update the "
     "firmware."),
    ("SimPerform refused by the board: simulation is off (unsupported)",
     "Only the virtual wand can do that: connect the virtual wand (left) to try it."),
    ("HidMapGet: no answer from the board within 2.0 s", "The board did not answer within 2.0 s."),
    ("no RefListReply from the board within 2.0 s", "The board did not answer within 2.0 s."),
    ("connection closed", "The connection to the board closed."),
])
def test_board_errors_become_sentences(raw: str, expected: str) -> None:
    text = plain(BoardError(raw))
    assert text.startswith(expected)
    assert not [j for j in JARGON if j in text], text


def test_anything_else_passes_through() -> None:
    assert plain(LinkError("could not open serial port /dev/ttyACM0: permission denied")) == \
        "could not open serial port /dev/ttyACM0: permission denied"
    assert plain("the model needs a 9000 byte arena, the board has 8192 (try wandlab train --small)") == \
        "the model needs a 9000 byte arena, the board has 8192"
