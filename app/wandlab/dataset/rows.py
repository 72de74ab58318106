"""Mapping between ``Sample`` and rows of the ``samples`` table (the column list is Sample's fields)."""

from __future__ import annotations

import sqlite3
from dataclasses import fields

from wandlab.dataset.model import Sample

COLUMNS = tuple(f.name for f in fields(Sample))
INSERT = f"INSERT INTO samples ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
INSERT_WITH_STATE = f"INSERT INTO samples ({', '.join(COLUMNS)}, state) VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"


def sample_row(sample: Sample) -> list[object]:
    values = [getattr(sample, c) for c in COLUMNS]
    values[COLUMNS.index("axes")] = ",".join(sample.axes)
    values[COLUMNS.index("interrupted")] = int(sample.interrupted)
    return values


def row_sample(row: sqlite3.Row) -> Sample:
    values = {c: row[c] for c in COLUMNS}
    values["axes"] = tuple(str(values["axes"]).split(","))
    values["interrupted"] = bool(values["interrupted"])
    return Sample(**values)
