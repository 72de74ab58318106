"""The two boards the end-to-end tests drive over a real pseudo-terminal: the Python virtual wand
(``virtual:``) and the C++ firmware built as a Linux program (``virtual:?firmware=native``: wandlab_core's
Board and Recognizer, TFLM, model slots in files). A test parametrized with ``BOTH`` runs against each;
``spec(board, ...)`` is the link spec for that board, the native one built (once) before its first use,
outside the test's own time limit for the conversation."""

from __future__ import annotations

import functools

import pytest

from wandlab.virtual import native_board

NATIVE_MISSING = native_board.missing_tools()
# The first native test may compile TensorFlow Lite Micro (minutes on 2 cores); the rest find it built.
_native = pytest.param("native", marks=[
    pytest.mark.skipif(NATIVE_MISSING is not None, reason=f"cannot build the native board: {NATIVE_MISSING}"),
    pytest.mark.timeout(native_board.BUILD_TIMEOUT_S + 300),
])
BOARDS = ("python", _native)
BOTH = pytest.mark.parametrize("board", BOARDS)
NATIVE = pytest.mark.parametrize("board", [_native])  # what only the native board needs proven over the pty


@functools.cache
def _build_native() -> None:
    native_board.build()


def spec(board: str, **options: object) -> str:
    """``virtual:?k=v&...`` for the Python board, ``virtual:?firmware=native&k=v&...`` for the C++ one."""
    if board == "native":
        _build_native()
        options = {"firmware": "native", **options}
    query = "&".join(f"{key}={value}" for key, value in options.items())
    return f"virtual:?{query}" if query else "virtual:"


def native_hid_presses(link: object) -> int:
    """How many HID actions the native board pressed on its own: it has no radio and says each on stderr."""
    assert isinstance(link, native_board.NativeBoardLink)
    return link.board.stderr_text().count("HID press:")
