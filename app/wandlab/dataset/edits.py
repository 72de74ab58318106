"""Editing a project with undo/redo: crop (trim), split, relabel, other field edits, delete.

Every edit is a command on one stack, so Undo reverses whichever came last. Deletion is a soft delete
(the row's state becomes ``deleted``; its file stays where it is), which makes undo a one-row update
and needs no file moves that could half-happen. Files are removed only when no undo or redo step can
bring their sample back: when the command falls off the stack, or when the project is closed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from wandlab.dataset import files
from wandlab.dataset.events import HistoryChanged, SamplesChanged
from wandlab.dataset.model import (
    SPLITS,
    Sample,
    check_label,
    check_text,
    check_trim,
    content_hash,
    stable_split,
)
from wandlab.errors import DatasetError
from wandlab.onboard.trim import auto_trim

if TYPE_CHECKING:
    from wandlab.dataset.project import Project

EDITABLE = ("label", "trim_start", "trim_end", "split", "notes", "subject", "session")


class Command(Protocol):
    text: str  # for the Undo/Redo menu items: "Undo relabel 3 takes"

    def do(self, project: Project) -> SamplesChanged: ...
    def undo(self, project: Project) -> SamplesChanged: ...
    def discard(self, done: bool) -> list[str]:
        """Sample ids that can be purged once this command leaves the stack (in its done state or not)."""
        ...


class SetFields:
    def __init__(self, text: str, changes: Mapping[str, Mapping[str, object]]) -> None:
        self.text = text
        self.changes = {sid: dict(v) for sid, v in changes.items()}
        self.before: dict[str, dict[str, object]] = {}

    def do(self, project: Project) -> SamplesChanged:
        with project.transaction() as db:
            for sid, values in self.changes.items():
                current = project.get(sid)
                self.before[sid] = {k: getattr(current, k) for k in values}
                project.update(db, sid, **_validated(current, values))
        return SamplesChanged(changed=tuple(self.changes))

    def undo(self, project: Project) -> SamplesChanged:
        with project.transaction() as db:
            for sid, values in self.before.items():
                project.update(db, sid, **values)
        return SamplesChanged(changed=tuple(self.changes))

    def discard(self, done: bool) -> list[str]:
        return []


class Delete:
    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        self.text = f"delete {_takes(len(self.ids))}"

    def do(self, project: Project) -> SamplesChanged:
        _set_state(project, self.ids, "deleted")
        return SamplesChanged(removed=tuple(self.ids))

    def undo(self, project: Project) -> SamplesChanged:
        _set_state(project, self.ids, "ok")
        return SamplesChanged(added=tuple(self.ids))

    def discard(self, done: bool) -> list[str]:
        return self.ids if done else []


class Split:
    """One take -> several, cut at frame indices. The original is soft-deleted, the parts are new."""

    def __init__(self, sample_id: str, cuts: Sequence[int], trim: str | None = "auto") -> None:
        self.sample_id = sample_id
        self.cuts = sorted(int(c) for c in cuts)
        self.trim = trim
        self.parts: list[str] = []
        self.text = f"split into {len(self.cuts) + 1} takes"

    def do(self, project: Project) -> SamplesChanged:
        if not self.parts:
            self.parts = self._create(project)  # first time: write the parts' files and rows
        _set_state(project, self.parts, "ok", also={self.sample_id: "deleted"})
        return SamplesChanged(added=tuple(self.parts), removed=(self.sample_id,))

    def undo(self, project: Project) -> SamplesChanged:
        _set_state(project, self.parts, "deleted", also={self.sample_id: "ok"})
        return SamplesChanged(added=(self.sample_id,), removed=tuple(self.parts))

    def discard(self, done: bool) -> list[str]:
        return [self.sample_id] if done else self.parts

    def _create(self, project: Project) -> list[str]:
        from wandlab.dataset.project import new_id

        original = project.get(self.sample_id)
        bounds = [0, *self.cuts, original.n_frames]
        if any(b >= e for b, e in zip(bounds, bounds[1:], strict=False)) or not self.cuts:
            raise DatasetError(f"split points {self.cuts} must lie strictly inside 0-{original.n_frames}")
        data = project.load(original)
        parts: list[Sample] = []
        try:
            for start, end in zip(bounds, bounds[1:], strict=False):
                piece = data[start:end]
                sid, sha = new_id(), content_hash(piece)
                trim = auto_trim(original.kind, piece, original.rate_hz) if self.trim else (0, len(piece))
                note = f"split from {original.id[:8]} frames {start}-{end}"
                part = original.with_changes(
                    id=sid,
                    n_frames=len(piece),
                    trim_start=trim[0],
                    trim_end=trim[1],
                    sha256=sha,
                    split=stable_split(sha),
                    file=files.sample_relpath(sid, original.kind),
                    lost_blocks=0,
                    notes="\n".join(n for n in (original.notes, note) if n),
                )
                files.write_sample_file(project.root, part.file, part.kind, piece, part.rate_hz)
                parts.append(part)
            with project.transaction() as db:
                for part in parts:
                    project.insert_row(db, part, state="deleted")  # made visible by do()
        except BaseException:
            for part in parts:
                with contextlib.suppress(OSError):  # a refusing disk: the next open sweeps unindexed files
                    (project.root / part.file).unlink(missing_ok=True)
            raise
        return [p.id for p in parts]


class Editor:
    """The project's edit operations and their undo/redo stack (``project.editor``)."""

    def __init__(self, project: Project, limit: int = 200) -> None:
        self.project = project
        self.limit = limit
        self._undo: list[Command] = []
        self._redo: list[Command] = []

    # -- edits ---------------------------------------------------------------------------------------

    def relabel(self, ids: Sequence[str], label: str) -> None:
        label = check_label(label)
        self.run(SetFields(f"relabel {_takes(len(ids))} as '{label}'", {i: {"label": label} for i in ids}))

    def set_trim(self, sample_id: str, start: int, end: int) -> None:
        self.run(SetFields("crop", {sample_id: {"trim_start": start, "trim_end": end}}))

    def auto_trim(self, ids: Sequence[str]) -> None:
        changes = {}
        for sid in ids:
            sample = self.project.get(sid)
            start, end = auto_trim(sample.kind, self.project.load(sample), sample.rate_hz)
            changes[sid] = {"trim_start": start, "trim_end": end}
        self.run(SetFields(f"auto-trim {_takes(len(ids))}", changes))

    def set_fields(self, ids: Sequence[str], text: str = "edit", **values: object) -> None:
        """Set the same values (notes, split, subject, session...) on several takes."""
        self.run(SetFields(f"{text} {_takes(len(ids))}", {i: values for i in ids}))

    def split(self, sample_id: str, cuts: Sequence[int], trim: str | None = "auto") -> None:
        self.run(Split(sample_id, cuts, trim))

    def delete(self, ids: Sequence[str]) -> None:
        self.run(Delete(ids))

    # -- the stack -----------------------------------------------------------------------------------

    def run(self, command: Command) -> None:
        for sid in _command_ids(command):
            if self.project.state_of(sid) != "ok":
                raise DatasetError(f"no sample with id {sid} to edit")
        changed = command.do(self.project)  # raises before touching the stack if the edit is invalid
        self._drop(self._redo, done=False)
        self._undo.append(command)
        if len(self._undo) > self.limit:
            self._drop([self._undo.pop(0)], done=True)
        self._notify(changed)

    def undo(self) -> None:
        if self._undo:
            command = self._undo.pop()
            changed = command.undo(self.project)
            self._redo.append(command)
            self._notify(changed)

    def redo(self) -> None:
        if self._redo:
            command = self._redo.pop()
            changed = command.do(self.project)
            self._undo.append(command)
            self._notify(changed)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def clear(self) -> None:
        """Forget the history; samples only undo could have restored are deleted for good."""
        self._drop(self._undo, done=True)
        self._drop(self._redo, done=False)
        self._notify(None)

    def _drop(self, commands: list[Command], done: bool) -> None:
        ids = [sid for c in commands for sid in c.discard(done)]
        commands.clear()
        self.project.purge(sid for sid in ids if self.project.state_of(sid) == "deleted")

    def _notify(self, changed: SamplesChanged | None) -> None:
        if changed is not None:
            self.project.events.emit(changed)
        self.project.events.emit(
            HistoryChanged(
                self.can_undo,
                self.can_redo,
                f"Undo {self._undo[-1].text}" if self._undo else "Undo",
                f"Redo {self._redo[-1].text}" if self._redo else "Redo",
            )
        )


def _validated(sample: Sample, values: Mapping[str, object]) -> dict[str, object]:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise DatasetError(f"cannot edit {', '.join(sorted(unknown))}")
    out = dict(values)
    if "label" in out:
        out["label"] = check_label(str(out["label"]))
    if "split" in out and out["split"] not in SPLITS:
        raise DatasetError(f"split must be one of {', '.join(SPLITS)}, not {out['split']!r}")
    for key in ("notes", "subject", "session"):
        if key in out:
            out[key] = check_text(out[key], key, sample.id[:8])
    if "trim_start" in out or "trim_end" in out:
        start = int(out.get("trim_start", sample.trim_start))  # type: ignore[call-overload]
        end = int(out.get("trim_end", sample.trim_end))  # type: ignore[call-overload]
        out["trim_start"], out["trim_end"] = check_trim(start, end, sample.n_frames, f"take {sample.id[:8]}")
    return out


def _set_state(project: Project, ids: Sequence[str], state: str, also: Mapping[str, str] | None = None) -> None:
    with project.transaction() as db:
        for sid in ids:
            project.update(db, sid, state=state)
        for sid, other in (also or {}).items():
            project.update(db, sid, state=other)


def _command_ids(command: Command) -> list[str]:
    if isinstance(command, SetFields):
        return list(command.changes)
    if isinstance(command, Delete):
        return command.ids
    if isinstance(command, Split):
        return [command.sample_id]
    return []


def _takes(n: int) -> str:
    return "1 take" if n == 1 else f"{n} takes"
