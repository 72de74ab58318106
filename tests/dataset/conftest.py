from __future__ import annotations

from pathlib import Path

import pytest

from wandlab.dataset.project import Project


@pytest.fixture
def project(tmp_path: Path):
    with Project.open(tmp_path / "proj", create=True) as p:
        yield p
