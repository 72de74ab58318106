"""Enrolling on the board keeps the takes in the project, cut as the board cut them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.virtual.gesture_models import image
from wandlab.board import BoardClient
from wandlab.board.transfer import upload_model
from wandlab.dataset.project import Project
from wandlab.flows.connect import open_link
from wandlab.flows.enroll_takes import ENROLLED_SESSION, enroll_and_keep
from wandlab.protocol import SimPerform
from wandlab.protocol.enroll import EnrollState

NEW = "w"


def test_enrolled_takes_are_saved_as_labeled_takes(tmp_path: Path) -> None:
    async def main() -> tuple[list[str], bool]:
        async with BoardClient(open_link("virtual:?person=7&seed=7"), reconnect=False) as client:
            async for _ in upload_model(client, image(drop=(NEW,)), "model"):
                pass
            states = []
            with Project.open(tmp_path / "proj", create=True) as project:
                async for p in enroll_and_keep(client, project, NEW, shots=3):
                    states.append(EnrollState(p.state).name)
                    if p.state == EnrollState.WAITING:
                        await client.request(SimPerform(NEW))
                    if p.state == EnrollState.DONE:
                        assert "3 takes saved in the project" in p.message
            return states, client.streaming

    states, still_streaming = asyncio.run(asyncio.wait_for(main(), 60))
    assert states == ["WAITING", "CAPTURED"] * 3 + ["DONE"]
    assert not still_streaming  # it started the stream itself, so it stopped it again
    with Project.open(tmp_path / "proj") as project:
        takes = project.samples(kind="imu")
        assert [s.label for s in takes] == [NEW] * 3 and all(s.session == ENROLLED_SESSION for s in takes)
        for take in takes:
            assert project.load(take).shape[1] == 6 and 0.3 < take.n_frames / take.rate_hz < 3.0
