"""Board and protocol errors in the words of someone holding a wand, with the thing to do next.

The board client's errors are written for logs and the command line: they name wire messages
("RecognizeStart refused by the board: ... (bad argument)") and CLI commands ("(wandlab flash)").
The app shows ``plain(error)`` instead. Only the wording changes here; what failed stays in the text,
and anything this module does not recognise passes through unchanged, minus CLI hints.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NO_MODEL = "This board has no model yet – Train & Flash first (Train page)."
NO_ANSWER = ("The board did not answer within {s} s. Check the cable, or unplug the board and plug it back in; "
             "the app reconnects by itself.")
CLOSED = "The connection to the board closed. Plug it back in: the app reconnects by itself."
OLD_FIRMWARE = "this board's firmware does not know that command: update the firmware"

# What the user was doing when a request was refused, by the request's message type.
_ACTIONS = {
    "RecognizeStart": "start recognising",
    "RecognizeStop": "stop recognising",
    "HidMapSet": "save the keys",
    "HidMapGet": "read its keys",
    "HidEnable": "switch its keys on or off",
    "EnrollStart": "enroll the gesture",
    "EnrollCancel": "cancel the enrollment",
    "RefList": "list its gestures",
    "StreamStart": "start streaming",
    "StreamStop": "stop streaming",
    "ModelBegin": "take the model",
    "ModelChunk": "take the model",
    "ModelFinish": "take the model",
    "ModelActivate": "switch to the model",
}
_CLI_HINT = re.compile(r"\s*\((?:run |use |try )?`?wandlab [^)]*\)")
_REFUSED = re.compile(r"^(?P<what>[A-Z]\w*) refused by the board: (?P<msg>.*?)(?: \((?P<code>[a-z ]+|error \d+)\))?$",
                      re.DOTALL)
_NO_ANSWER = re.compile(r"^(?:\w+: no answer|no \w+) from the board within (?P<s>[\d.]+) s")


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _refused(m: re.Match[str]) -> str:
    what, msg, code = m.group("what"), m.group("msg").strip(), m.group("code") or ""
    if "no model is active" in msg:
        return NO_MODEL
    if what.startswith("Sim"):
        return "Only the virtual wand can do that: connect the virtual wand (left) to try it."
    if code == "unknown message" or msg.endswith(" is not handled"):
        msg = OLD_FIRMWARE
    action = _ACTIONS.get(what, "do that")
    reason = _CLI_HINT.sub("", msg)
    busy = " (it is busy: try again in a moment)" if code == "busy" and "cancel" not in reason else ""
    return _sentence(f"The board could not {action}: {reason}{busy}")


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"no model is active on the board"), lambda m: NO_MODEL),
    (_REFUSED, _refused),
    (_NO_ANSWER, lambda m: NO_ANSWER.format(s=m.group("s"))),
    (re.compile(r"^connection closed$"), lambda m: CLOSED),
)


def plain(error: BaseException | str) -> str:
    """``error`` as a sentence for the app's banner, status lines and dialogs."""
    text = str(error).strip() or (type(error).__name__ if isinstance(error, BaseException) else "")
    for pattern, render in _RULES:
        match = pattern.search(text)
        if match:
            return render(match)
    return _CLI_HINT.sub("", text)
