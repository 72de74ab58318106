"""Importing into a project: validate everything first, then write, then index in one transaction.

``import_source`` is a generator of Progress so that the CLI prints it and the GUI runs it in a worker
(and can stop it by closing the generator: nothing is committed until the very end). If any item is
bad, the import raises one DatasetError listing the first problems found, and the project is exactly
as it was.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from wandlab.dataset.input_rules import visible
from wandlab.dataset.jobs import Progress, run_job
from wandlab.dataset.model import Sample, check_data, content_hash
from wandlab.dataset.project import Draft, Project
from wandlab.dataset.sources import FORMATS, ImportOptions, detect_format, list_items
from wandlab.errors import DatasetError
from wandlab.onboard.trim import auto_trim

MAX_IMPORT_BYTES = 4 * 1024**3  # decoded data held in memory while validating
MAX_REPORTED = 20
MAX_IGNORED_NAMED = 5  # the summary names this many of the files it left alone, then counts the rest


@dataclass
class ImportResult:
    format: str
    added: list[str] = field(default_factory=list)  # new sample ids
    skipped: int = 0  # already in the project (same data and label)
    ignored: list[str] = field(default_factory=list)  # files the format does not use, as 'name (why)'

    def summary(self) -> str:
        skipped = f", skipped {self.skipped} already in the project" if self.skipped else ""
        return f"Imported {len(self.added)} sample(s) ({self.format}){skipped}{ignored_note(self.ignored)}"


def ignored_note(ignored: list[str]) -> str:
    if not ignored:
        return ""
    named = visible(", ".join(ignored[:MAX_IGNORED_NAMED]))
    more = f" and {len(ignored) - MAX_IGNORED_NAMED} more" if len(ignored) > MAX_IGNORED_NAMED else ""
    return f"; ignored {len(ignored)} file(s): {named}{more}"


def import_source(
    project: Project, src: str | Path, options: ImportOptions | None = None, fmt: str | None = None
) -> Generator[Progress, None, ImportResult]:
    """Import a labeled folder, Edge Impulse JSON file(s), or plain CSV/WAV file(s) into ``project``.

    Drive it with ``run_job`` (or ``result = yield from import_source(...)`` inside another job).
    """
    options = options or ImportOptions()
    src = Path(src)
    fmt = fmt or detect_format(src)
    if fmt not in FORMATS:
        raise DatasetError(f"unknown import format {fmt!r}; use one of {', '.join(FORMATS)}")
    project._require_writable()
    listing = list_items(src, fmt, options)
    items = listing.items
    if not items:
        raise DatasetError(
            f"{visible(str(src))}: nothing to import (no samples found for format {fmt}){ignored_note(listing.ignored)}"
        )
    total = 2 * len(items)
    drafts: list[Draft] = []
    errors: list[str] = []
    size = 0
    for i, (name, read) in enumerate(items):
        try:
            draft = read()
            draft.data = check_data(draft.kind, draft.data, draft.axes, draft.rate_hz, name)
            draft.sha256 = content_hash(draft.data)
            if options.auto_trim:
                draft.trim = auto_trim(draft.kind, draft.data, draft.rate_hz)
            drafts.append(draft)
            size += draft.data.nbytes
        except DatasetError as exc:
            errors.append(visible(str(exc)))
            if len(errors) >= MAX_REPORTED:
                break
        if size > MAX_IMPORT_BYTES:
            raise DatasetError(f"{src}: more than {MAX_IMPORT_BYTES >> 30} GiB of data; import it in parts")
        yield Progress(i + 1, total, f"checking {name}")
    if errors:
        more = " (stopped after the first ones)" if len(errors) >= MAX_REPORTED else ""
        problems = "\n  ".join(errors)
        raise DatasetError(f"{visible(str(src))}: nothing was imported; {len(errors)} problem(s){more}:\n  {problems}")

    result = ImportResult(fmt, ignored=listing.ignored)
    if options.skip_duplicates:
        known = project.known_content()
        fresh = [d for d in drafts if (d.sha256, d.label) not in known]
        result.skipped = len(drafts) - len(fresh)
        drafts = fresh
    offset = len(items) + result.skipped
    samples = yield from _write(project, drafts, offset, total)
    result.added = [s.id for s in samples]
    yield Progress(total, total, result.summary())
    return result


def _write(project: Project, drafts: list[Draft], offset: int, total: int) -> Generator[Progress, None, list[Sample]]:
    writer = project.add_samples(drafts)
    try:
        while True:
            done = next(writer)
            yield Progress(offset + done, total, f"writing {drafts[done - 1].source}")
    except StopIteration as stop:
        return list(stop.value)
    finally:
        writer.close()  # if we are closed mid-way, add_samples removes the files it wrote


__all__ = ["ImportOptions", "ImportResult", "Progress", "import_source", "run_job"]
