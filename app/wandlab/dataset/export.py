"""Exporting a project: the labeled-folder format (default) or Edge Impulse JSON.

The export is built in a hidden folder next to ``out`` and renamed into place at the end, so ``out``
either holds a complete export or does not exist. IMU values are written with the fewest digits that
read back to the identical float32, so export -> import round-trips bit-for-bit; WAV is exact anyway.
Extra manifest columns (split, trim, board, firmware, created, notes) carry what the shared format
has no column for; readers that only know the six standard columns ignore them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import uuid
from collections.abc import Generator, Sequence
from pathlib import Path

from wandlab.dataset import edge_impulse as ei
from wandlab.dataset.files import disk_error, disk_errors, encode_sample
from wandlab.dataset.folder import MANIFEST, MANIFEST_COLUMNS
from wandlab.dataset.jobs import Progress
from wandlab.dataset.model import Sample
from wandlab.dataset.numtext import float32_lines, rate_text
from wandlab.dataset.project import Project
from wandlab.dataset.sources import iat_of
from wandlab.errors import DatasetError, WandlabError

EXPORT_FORMATS = ("folder", "edge-impulse")
EXTRA_COLUMNS = ("split", "trim_start", "trim_end", "board", "firmware", "created", "notes")


def export_project(
    project: Project,
    out: str | Path,
    fmt: str = "folder",
    trimmed: bool = False,
    samples: Sequence[Sample] | None = None,
) -> Generator[Progress, None, int]:
    """Write ``samples`` (default: all) to ``out``; with ``trimmed``, only each take's trim range.

    Yields Progress; returns the number of samples written.
    """
    if fmt not in EXPORT_FORMATS:
        raise DatasetError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out)
    with disk_errors(out, "look into the export folder"):
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise DatasetError(f"{out}: already exists and is not an empty folder; choose a new folder")
    chosen = list(samples) if samples is not None else project.samples()
    staging = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir(parents=True)
        rows: list[dict[str, object]] = []
        for i, sample in enumerate(chosen):
            data = project.load(sample, trimmed=trimmed)
            if trimmed:
                sample = sample.with_changes(trim_start=0, trim_end=len(data), n_frames=len(data))
            rel = (_write_folder_item if fmt == "folder" else _write_ei_item)(staging, sample, data)
            rows.append({"path": rel, "sample": sample})
            yield Progress(i + 1, len(chosen) + 1, f"writing {rel}")
        if fmt == "folder":
            (staging / MANIFEST).write_text(_manifest(rows), encoding="utf-8", newline="")
        else:
            (staging / ei.INFO_LABELS).write_text(_info_labels(rows), encoding="utf-8")
        if out.exists():
            out.rmdir()
        staging.replace(out)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, WandlabError):  # full or read-only disk
            raise disk_error(exc, out, "write the export") from None
        raise
    yield Progress(len(chosen) + 1, len(chosen) + 1, f"Exported {len(chosen)} sample(s) to {out}")
    return len(chosen)


def safe_name(label: str) -> str:
    """A label as a file-name part: labels may hold '/', '..' or spaces; names must not."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", label).strip("_")[:40] or "label"


def _write_folder_item(root: Path, sample: Sample, data: object) -> str:
    ext = "csv" if sample.kind == "imu" else "wav"
    rel = f"samples/{safe_name(sample.label)}/{sample.id}.{ext}"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if sample.kind == "imu":
        lines = [",".join(sample.axes), *float32_lines(data)]  # type: ignore[arg-type]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_bytes(encode_sample("audio", data, sample.rate_hz))  # type: ignore[arg-type]
    return rel


def _write_ei_item(root: Path, sample: Sample, data: object) -> str:
    category = "testing" if sample.split == "test" else "training"
    rel = f"{category}/{safe_name(sample.label)}.{sample.id}.json"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = ei.ei_document(
        sample.kind,
        sample.rate_hz,
        sample.axes,
        data,  # type: ignore[arg-type]
        device_name=sample.board or "wandlab",
        device_type=sample.board or "WANDLAB",
        created_unix=iat_of(sample.created),
    )
    path.write_text(doc, encoding="utf-8")
    return rel


def _metadata(sample: Sample) -> dict[str, str]:
    meta = {c: str(getattr(sample, c)) for c in EXTRA_COLUMNS}
    meta.update(subject=sample.subject, session=sample.session, rate_hz=rate_text(sample.rate_hz))
    return meta


def _manifest(rows: list[dict[str, object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*MANIFEST_COLUMNS, *EXTRA_COLUMNS])
    for row in rows:
        s: Sample = row["sample"]  # type: ignore[assignment]
        base = [row["path"], s.label, s.subject, s.session, s.kind, rate_text(s.rate_hz)]
        writer.writerow(base + [getattr(s, c) for c in EXTRA_COLUMNS])
    return buf.getvalue()


def _info_labels(rows: list[dict[str, object]]) -> str:
    files = []
    for row in rows:
        s: Sample = row["sample"]  # type: ignore[assignment]
        path = str(row["path"])
        files.append(
            {
                "path": path,
                "name": Path(path).stem,
                "category": path.split("/", 1)[0],
                "label": {"type": "label", "label": s.label},
                "metadata": _metadata(s),
            }
        )
    return json.dumps({"version": 1, "files": files}, indent=1)
