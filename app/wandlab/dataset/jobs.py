"""Long jobs (import, export) as generators of Progress: the CLI prints it, a GUI worker relays it.

A job commits nothing until its last step, so a GUI cancels one by closing the generator.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """One step of a long job: ``done`` of ``total`` units, and what is happening now."""

    done: int
    total: int
    message: str


def run_job(job: Generator[Progress, None, T], on_progress: Callable[[Progress], None] | None = None) -> T:
    """Drive a job to its end and return its result."""
    try:
        while True:
            progress = next(job)
            if on_progress is not None:
                on_progress(progress)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        job.close()
