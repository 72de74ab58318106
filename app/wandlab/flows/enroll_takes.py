"""Enroll a gesture on the board and keep the takes in the project.

The board learns a new gesture from a few takes without training (it stores their embeddings), but the
takes themselves used to stay on the board, so the next Train & Flash knew nothing of them and dropped
the class. Here the host watches the same IMU stream with the board's own segmenter
(``onboard.segmenter``: the Python twin of the firmware's), matches each take the board reports as
CAPTURED to the segment the host cut at that moment, and when the board says DONE saves those segments
in the project as labeled takes (trimmed exactly as the board trimmed them for its embedding), so the
next training includes the gesture.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from wandlab.board.enroll import enroll_gesture
from wandlab.onboard.segmenter import Segment, Segmenter
from wandlab.protocol.enroll import EnrollProgress, EnrollState

ENROLLED_SESSION = "enrolled on the board"
# How long after the board's CAPTURED the host may still be finishing the same segment: the blocks
# that end it are sent before the event, but arrive through the same link a few ms apart.
MATCH_WAIT_S = 1.0
AXES = ("ax", "ay", "az", "gx", "gy", "gz")


class _Cutter:
    """Runs the board's segmenter over the streamed IMU blocks; remembers the newest segments."""

    def __init__(self) -> None:
        self.segmenter: Segmenter | None = None
        self.segments: list[Segment] = []
        self.rate_hz = 0.0
        self.arrived = asyncio.Event()

    async def run(self, client: Any) -> None:
        async for block in client.blocks():
            if block.sensor != "imu":
                continue
            if self.segmenter is None or self.segmenter.rate_hz != block.rate_hz:
                self.segmenter, self.rate_hz = Segmenter(block.rate_hz), float(block.rate_hz)
            found = self.segmenter.feed(block.data, block.first_sample)
            if found:
                self.segments = (self.segments + found)[-8:]
                self.arrived.set()

    async def take_for_capture(self, used: int) -> Segment | None:
        """The newest segment after the ``used`` ones already matched (waits briefly for it)."""
        with contextlib.suppress(TimeoutError):
            while len(self.segments) <= used:
                self.arrived.clear()
                await asyncio.wait_for(self.arrived.wait(), MATCH_WAIT_S)
        return self.segments[-1] if len(self.segments) > used else None


async def enroll_and_keep(client: Any, project: Any, label: str, shots: int = 3, class_id: int | None = None,
                          timeout_ms: int = 10_000) -> AsyncIterator[EnrollProgress]:
    """``enroll_gesture``'s progress; at DONE the captured takes are in ``project`` under ``label``.

    Streams IMU while enrolling if nothing streams yet (and stops again afterwards). A take the host
    could not match (e.g. lost blocks) is left out of the project and named in the DONE message.
    """
    from wandlab.dataset import run_job
    from wandlab.dataset.project import Draft

    cutter = _Cutter()
    reader = asyncio.create_task(cutter.run(client))
    started_stream = False
    if not client.streaming:
        await client.start_stream(imu=True)
        started_stream = True
    kept: list[np.ndarray] = []
    matched = 0
    try:
        async for progress in enroll_gesture(client, label, shots, class_id, timeout_ms):
            if progress.state == EnrollState.CAPTURED:
                segment = await cutter.take_for_capture(matched)
                if segment is not None:
                    matched = len(cutter.segments)
                    assert cutter.segmenter is not None
                    kept.append(cutter.segmenter.model_window(segment.data))
            if progress.state == EnrollState.DONE and kept:
                axes = AXES[: kept[0].shape[1]]
                drafts = [Draft(label, "imu", axes, cutter.rate_hz, np.asarray(data, np.float32),
                                session=ENROLLED_SESSION, board=_board_name(client),
                                notes="enrolled on the board; saved so the next training includes it")
                          for data in kept]
                await asyncio.to_thread(run_job, project.add_samples(drafts))
                missing = progress.shots - len(kept)
                note = f"; {len(kept)} takes saved in the project" + (
                    f" ({missing} could not be matched to the stream and were not saved)" if missing else "")
                progress = EnrollProgress(progress.class_id, progress.shot, progress.shots, progress.state,
                                          progress.message + note)
            yield progress
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        if started_stream:
            with contextlib.suppress(Exception):
                await client.stop_stream()


def _board_name(client: Any) -> str:
    info = getattr(client, "info", None)
    return str(info.board_name) if info is not None else ""
