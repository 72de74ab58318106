"""What Wandlab accepts from outside: the rules every importer applies, in one place.

Every importer (labeled folder with its manifest, plain CSV/WAV files, Edge Impulse JSON) asks
``check_file`` before it opens a file and ``check_rate`` / ``check_label`` about what the file says;
the recorder and the editor use the same rate and label rules. docs/dataset.md ("What an import
accepts") lists them for users, so a change here is a change there.

A file must be named inside the folder being imported ('/'-separated, no '..', not absolute), must
not be, or sit in a folder that is, a symbolic link (a link can point anywhere, and following it
would read what the user did not choose), must be a regular file (a named pipe or device would hang
the import or never end) and at most ``MAX_FILE_BYTES``. A rate must be finite and within the range
of its kind. A label is 1-64 characters of visible text: control characters, Unicode format
characters (bidi overrides such as U+202E, zero-width characters), line separators, surrogates,
private-use and unassigned code points are refused, because they make a label show differently from
what it is (an override can make "evil" read as "live").
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path, PurePosixPath

from wandlab.errors import DatasetError

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_SAMPLE_SECONDS = 600
MAX_LABEL_CHARS = 64
# Sanity bounds: anything outside is a broken or hostile file, not a recording. No IMU that records
# gestures runs below 10 Hz; no speech is intelligible below 1 kHz.
RATE_LIMITS_HZ = {"imu": (10.0, 10_000.0), "audio": (1_000.0, 96_000.0)}
# Unicode categories a label may not contain: controls, format characters (bidi overrides, zero
# width), surrogates, private use, unassigned, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_FILE_TYPES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_file(root: Path, name: str, where: str | None = None) -> Path:
    """The file ``name`` ('/'-separated, relative to ``root``) if it may be imported; else DatasetError.

    ``where`` names the place that mentions the file (a manifest line), if that is not the file itself.
    ``root`` itself may be a link: it is what the user chose.
    """
    at = f"{where}: " if where and where != name else ""
    if not name or "\x00" in name or "\\" in name:
        raise DatasetError(f"{at}invalid file name {name!r}; use '/'-separated names inside the folder")
    rel = PurePosixPath(name)
    if not rel.parts:
        raise DatasetError(f"{at}invalid file name {name!r}; name a file inside the folder")
    if rel.is_absolute() or ".." in rel.parts:
        raise DatasetError(f"{at}file name {name!r} points outside the folder; name files inside it")
    path = os.fspath(root)  # strings, not Path objects: an import checks thousands of names
    for i, part in enumerate(rel.parts):
        path = os.path.join(path, part)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise DatasetError(f"{at}{name}: file is missing; put it in the folder or remove what names it") from None
        except OSError as exc:
            raise unreadable(f"{at}{name}", exc) from None
        if stat.S_ISLNK(info.st_mode):
            what = "is a symbolic link" if i == len(rel.parts) - 1 else f"is inside {part}/, which is a symbolic link"
            raise DatasetError(
                f"{at}{name}: {what}; an import does not follow links: copy the file itself into the folder"
            )
    if not stat.S_ISREG(info.st_mode):
        kind = next((text for test, text in _FILE_TYPES if test(info.st_mode)), "a special file")
        raise DatasetError(f"{at}{name}: is {kind}, not a regular file; only regular files are imported")
    if info.st_size > MAX_FILE_BYTES:
        raise DatasetError(
            f"{at}{name}: {info.st_size} bytes is larger than the {MAX_FILE_BYTES}-byte limit; split it into parts"
        )
    return Path(path)


def unreadable(name: str, exc: OSError) -> DatasetError:
    """The error for a file that exists but cannot be read."""
    return DatasetError(f"{name}: file is unreadable ({exc.strerror or exc}); check the file and its permissions")


def check_rate(kind: str, rate_hz: float | str, where: str) -> float:
    """A sample rate that a take of ``kind`` can have, as a float; else DatasetError."""
    low, high = RATE_LIMITS_HZ.get(kind, (1.0, 0.0))
    try:
        rate = float(rate_hz)
    except (TypeError, ValueError, OverflowError):
        raise DatasetError(f"{where}: sample rate {rate_hz!r} is not a number") from None
    if not low <= rate <= high:  # False for NaN too
        raise DatasetError(f"{where}: sample rate {rate:g} Hz is out of range for {kind} ({low:g}-{high:g} Hz)")
    return rate


def check_label(label: str, where: str = "label") -> str:
    """A label stripped of surrounding spaces, if it is 1-64 characters of visible text; else DatasetError."""
    label = str(label).strip()
    if not label:
        raise DatasetError(f"{where}: empty label; give every take a label")
    if len(label) > MAX_LABEL_CHARS:
        raise DatasetError(f"{where}: label {label[:40]!r}… is longer than {MAX_LABEL_CHARS} characters; shorten it")
    bad = next((c for c in label if unicodedata.category(c) in _REFUSED_CATEGORIES), None)
    if bad is not None:
        what = unicodedata.name(bad, "a control character")
        raise DatasetError(
            f"{where}: label {label!r} contains the invisible character U+{ord(bad):04X} ({what}); "
            "use visible characters only"
        )
    return label


def visible(text: str) -> str:
    """``text`` with every character a label may not hold (but newlines) written as an escape, so that a
    file name in a message cannot reorder or hide what the message says."""
    return "".join(
        c if c == "\n" or unicodedata.category(c) not in _REFUSED_CATEGORIES else f"\\u{ord(c):04x}" for c in text
    )
