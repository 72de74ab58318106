"""What an import source holds: detect its format and turn each item into a validated Draft.

Listing is cheap and happens first (so progress has a total); reading an item checks its file with
``input_rules.check_file``, then parses and validates it. Files the format does not use (a README
next to CSV files, hidden files) are not read but counted, with the reason, for the import's summary.
Nothing here writes: the importer collects every Draft before touching the project.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wandlab.dataset import edge_impulse as ei
from wandlab.dataset.audio_files import AUDIO_SUFFIXES, is_audio_name
from wandlab.dataset.folder import IMU_COLUMNS, MANIFEST, read_manifest, read_row
from wandlab.dataset.input_rules import check_file, check_label, check_rate
from wandlab.dataset.model import AUDIO_AXES, SPLITS, check_text, check_trim
from wandlab.dataset.plain import read_plain_audio, read_plain_csv
from wandlab.dataset.project import Draft
from wandlab.errors import DatasetError

FORMATS = ("folder", "edge-impulse", "files")
MAX_FILES = 500_000


@dataclass(frozen=True)
class ImportOptions:
    label: str | None = None  # overrides labels taken from folder or file names
    rate_hz: float | None = None  # for plain IMU CSV without a timestamp column
    subject: str = ""  # default subject/session for sources that do not name them
    session: str = ""
    skip_duplicates: bool = True  # same data and label already in the project: skip it
    auto_trim: bool = False  # trim imported takes to the motion / voice (they usually are already)


Item = tuple[str, Callable[[], Draft]]  # (name for messages, reader)
EXTENSIONS = {"edge-impulse": (".json",), "files": (".csv", *AUDIO_SUFFIXES)}


@dataclass
class Listing:
    """What an import will read (``items``), and each file it leaves alone, as 'name (why)'."""

    items: list[Item]
    ignored: list[str] = field(default_factory=list)


def detect_format(src: Path) -> str:
    if src.is_dir():
        if os.path.lexists(src / MANIFEST):  # lexists: a linked or odd manifest is refused, not missed
            return "folder"
        if os.path.lexists(src / ei.INFO_LABELS):
            return "edge-impulse"
        names, _ = _walk(src)
        if names and all(n.lower().endswith(".json") for n, _ in names):
            return "edge-impulse"
        return "files"
    if not os.path.lexists(src):
        raise DatasetError(f"{src}: no such file or folder; check the path")
    return "edge-impulse" if src.suffix.lower() == ".json" else "files"


def list_items(src: Path, fmt: str, options: ImportOptions) -> Listing:
    if fmt == "folder":
        rows = read_manifest(src)
        return Listing(
            [(f"{MANIFEST} line {i}", _folder_reader(src, row, i, options)) for i, row in enumerate(rows, 2)]
        )
    if src.is_dir():
        base, (entries, hidden) = src, _walk(src)
    else:  # one file, as chosen: it may itself be a link, like a chosen folder; its target is read
        real = src.resolve()
        base, entries, hidden = real.parent, [(real.name, False)], []
    labels = src.is_dir() and fmt == "edge-impulse" and os.path.lexists(src / ei.INFO_LABELS)
    info = ei.read_info_labels(src) if labels else {}
    extensions = EXTENSIONS[fmt]
    listing = Listing([], [f"{name} (hidden)" for name in hidden])
    for rel, linked_folder in entries:
        if labels and rel == ei.INFO_LABELS:
            continue
        if linked_folder or rel.lower().endswith(extensions):  # check_file refuses a linked folder by name
            if fmt == "edge-impulse":
                listing.items.append((rel, _ei_reader(base, rel, options, info.get(rel))))
            else:
                listing.items.append((rel, _plain_reader(base, rel, options)))
        else:
            listing.ignored.append(f"{rel} (not a {_one_of(extensions)} file)")
    return listing


def _one_of(extensions: tuple[str, ...]) -> str:
    return extensions[0] if len(extensions) == 1 else f"{', '.join(extensions[:-1])} or {extensions[-1]}"


def _walk(src: Path) -> tuple[list[tuple[str, bool]], list[str]]:
    """Every entry under ``src`` as ('/'-relative name, is a link to a folder), and the hidden ones.

    Links are listed, never followed, so that ``check_file`` refuses them by name; hidden files and
    folders (.git, .DS_Store) are listed apart, for the summary to count.
    """
    found: list[tuple[str, bool]] = []
    hidden: list[str] = []

    def unreadable(exc: OSError) -> None:  # os.walk would otherwise skip the folder in silence
        raise DatasetError(f"{exc.filename}: folder is unreadable ({exc.strerror}); check its permissions")

    for folder, dirs, names in os.walk(src, onerror=unreadable, followlinks=False):
        here = Path(folder).relative_to(src)
        keep = []
        for name in sorted(dirs):
            rel = (here / name).as_posix()
            if name.startswith("."):
                hidden.append(rel + "/")
            elif os.path.islink(os.path.join(folder, name)):
                found.append((rel, True))
            else:
                keep.append(name)
        dirs[:] = keep
        for name in sorted(names):
            rel = (here / name).as_posix()
            if name.startswith("."):
                hidden.append(rel)
            else:
                found.append((rel, False))
        if len(found) > MAX_FILES:
            raise DatasetError(f"{src}: more than {MAX_FILES} files; import it in parts")
    return found, hidden


def _folder_reader(root: Path, row: dict[str, str], line: int, options: ImportOptions) -> Callable[[], Draft]:
    def read() -> Draft:
        rec = read_row(root, row, line)
        where = rec.file
        extra = {k: (v or "").strip() for k, v in rec.extra.items()}
        draft = Draft(
            label=options.label or rec.label,
            kind=rec.kind,
            rate_hz=rec.rate_hz,
            data=rec.data,
            axes=_axes(rec.kind, rec.data.shape),
            subject=rec.subject or options.subject,
            session=rec.session or options.session,
            source=rec.file,
            board=check_text(extra.get("board"), "board", where),
            firmware=check_text(extra.get("firmware"), "firmware", where),
            created=check_text(extra.get("created"), "created", where),
            notes=check_text(extra.get("notes"), "notes", where),
        )
        return _with_split_and_trim(draft, extra, where)

    return read


def _ei_reader(
    base: Path, rel: str, options: ImportOptions, entry: dict[str, Any] | None = None
) -> Callable[[], Draft]:
    def read() -> Draft:
        path = check_file(base, rel)
        kind, rate, axes, data, payload = ei.read_ei_json(path, rel)
        meta = entry.get("metadata") if entry else None
        meta = {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}
        if "rate_hz" in meta:  # exact rate; interval_ms may have rounded a rate such as 119.5 Hz
            exact = check_rate(kind, _number(meta["rate_hz"], "rate_hz", rel), rel)
            if abs(exact - rate) > 1e-6 * exact:
                raise DatasetError(f"{rel}: interval_ms gives {rate:g} Hz but its metadata says {exact:g} Hz")
            rate = exact
        label = entry.get("label", {}).get("label") if entry and isinstance(entry.get("label"), dict) else None
        label = options.label or label or ei.label_from_name(Path(rel).name)
        category = str(entry.get("category") if entry else rel.split("/", 1)[0]).lower()
        if category == "testing":
            meta["split"] = "test"
        elif meta.get("split") not in ("train", "validation"):
            meta["split"] = "train" if category == "training" else ""
        device = str(payload.get("device_name") or "")
        draft = Draft(
            label=check_label(str(label), rel),
            kind=kind,
            rate_hz=rate,
            axes=axes,
            data=data,
            subject=check_text(meta.get("subject") or options.subject, "subject", rel),
            session=check_text(meta.get("session") or options.session, "session", rel),
            board=check_text(meta.get("board") or device, "board", rel),
            source=rel,
            firmware=check_text(meta.get("firmware", ""), "firmware", rel),
            created=check_text(meta.get("created", ""), "created", rel),
            notes=check_text(meta.get("notes", ""), "notes", rel),
        )
        return _with_split_and_trim(draft, meta, rel)

    return read


def _plain_reader(base: Path, rel: str, options: ImportOptions) -> Callable[[], Draft]:
    def read() -> Draft:
        path = check_file(base, rel)
        if is_audio_name(rel):
            data, rate = read_plain_audio(path, rel)
            kind = "audio"
        else:
            data, rate = read_plain_csv(path, rel, options.rate_hz)
            kind = "imu"
        parts = rel.split("/")
        label = options.label or (parts[0] if len(parts) > 1 else ei.label_from_name(parts[-1]))
        return Draft(
            label=check_label(label, rel),
            kind=kind,
            rate_hz=rate,
            data=data,
            axes=_axes(kind, data.shape),
            subject=options.subject,
            session=options.session,
            source=rel,
        )

    return read


def _with_split_and_trim(draft: Draft, extra: dict[str, str], where: str) -> Draft:
    split = extra.get("split", "")
    if split and split not in SPLITS:
        raise DatasetError(f"{where}: split must be one of {', '.join(SPLITS)}, found {split!r}")
    draft.split = split
    if extra.get("trim_start") or extra.get("trim_end"):
        start = _frame(extra.get("trim_start") or "0", "trim_start", where)
        end = _frame(extra.get("trim_end") or str(len(draft.data)), "trim_end", where)
        draft.trim = check_trim(start, end, len(draft.data), where)
    return draft


def _number(text: str, field: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DatasetError(f"{where}: {field} {text[:20]!r} is not a number") from None


def _frame(text: str, column: str, where: str) -> int:
    """A frame index such as a trim bound: a whole, finite number ('12' or '12.0'; not 'inf' or '1.5')."""
    value = _number(text, column, where)
    if not value.is_integer():  # also False for inf and NaN, which int() cannot convert
        raise DatasetError(f"{where}: {column} {text[:20]!r} is not a whole number of frames")
    return int(value)


def _axes(kind: str, shape: tuple[int, ...]) -> tuple[str, ...]:
    return AUDIO_AXES if kind == "audio" else IMU_COLUMNS[: shape[1]]


def iat_of(created: str) -> int:
    """Our ISO 'created' -> unix seconds for an exported file's ``protected.iat``."""
    try:
        return int(datetime.fromisoformat(created).timestamp())
    except ValueError:
        return int(datetime.now(UTC).timestamp())
