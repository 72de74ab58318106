"""Fill a project with virtual-wand takes: a quick way to try the whole loop without hardware."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def add_virtual_takes(project: Any, labels: Sequence[str], takes_per_label: int, people: Sequence[int],
                      seed: int = 0) -> int:
    """Record ``takes_per_label`` takes of each virtual-wand gesture into ``project``, as the recorder would
    store them (6-axis, 100 Hz, auto-trimmed to the motion); people take turns. Returns how many."""
    from wandlab.dataset import Draft
    from wandlab.dataset.folder import IMU_COLUMNS
    from wandlab.ml.synthetic import virtual_takes
    from wandlab.onboard.trim import auto_trim

    drafts = [
        Draft(label=t.label, kind="imu", axes=tuple(IMU_COLUMNS[:6]), rate_hz=t.rate_hz, data=t.data,
              subject=t.subject, session="virtual", board="Virtual wand", source="virtual wand",
              trim=auto_trim("imu", t.data, t.rate_hz))
        for t in virtual_takes(list(labels), takes_per_label, list(people), seed)
    ]
    for _ in project.add_samples(drafts):
        pass
    return len(drafts)
