"""``csv:`` links: the unchanged board client talks to a sketch printing text lines on a real pty."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from tests.link.csv_sketch import PrintingSketch
from wandlab.board.client import BoardClient
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link
from wandlab.link.csv_link import CsvLink
from wandlab.protocol import Log, Message, SensorKind, SimPerform
from wandlab.protocol.controller import HidMapGet
from wandlab.protocol.model import ModelQuery

FULL = "rate=100&columns=t,ax,ay,az,gx,gy,gz&accel=ms2&gyro=dps"


async def stream(spec: str, seconds: float, sketch: PrintingSketch | None = None) -> tuple[BoardClient, np.ndarray]:
    client = BoardClient(open_link(spec), reconnect=False)
    events: list[Message] = []
    client.on_event(events.append)
    await client.connect()
    await client.start_stream(imu=True, audio=True)  # as the app asks: a board without a mic streams its IMU
    if sketch is not None:
        sketch.junk += ["Calibrating...", "1.0,2.0"]
    blocks = []
    deadline = time.monotonic() + seconds
    async for block in client.blocks():
        blocks.append(block)
        if time.monotonic() > deadline:
            break
    client.events = events  # type: ignore[attr-defined]
    await client.close()
    assert all(b.sensor == "imu" and b.lost_before == 0 for b in blocks)
    return client, np.concatenate([b.data for b in blocks])


def test_detected_on_open_then_streamed_in_g_and_deg_per_s() -> None:
    with PrintingSketch(sep="\t", timestamp=True, accel="ms2") as sketch:
        client, data = asyncio.run(stream(f"csv:{sketch.port}", 1.0, sketch))
    info = client.info
    assert info is not None and info.board_name == "Text (CSV) board" and info.model_slots == 0
    accel, gyro = info.sensor(SensorKind.ACCEL), info.sensor(SensorKind.GYRO)
    assert accel is not None and accel.units == "g" and accel.rate_hz == 100
    assert gyro is not None and gyro.units == "dps"
    assert info.sensor(SensorKind.MICROPHONE) is None
    assert "m/s^2" in info.firmware_version  # recorded with every take: how the values were read
    link = client.link
    assert isinstance(link, CsvLink) and link.detection is not None
    assert link.spec == f"csv:{link.port}?{FULL}"
    # Printed in m/s^2, delivered in g: at rest the magnitude is 1.
    assert data.shape[1] == 6 and len(data) >= 80
    assert np.median(np.linalg.norm(data[:, :3], axis=1)) == pytest.approx(1.0, abs=0.02)
    assert np.median(data[:, 5]) == pytest.approx(0.5, abs=0.07)  # gz prints 0.5 deg/s
    # The lines that were no samples were skipped, and said so.
    logs = [e for e in client.events if isinstance(e, Log)]  # type: ignore[attr-defined]
    assert logs and "skipped a line that is not 7 numbers" in logs[0].text
    assert link.framing.skipped_lines >= 2 and client.stats()["decode_errors"] >= 2


def test_a_full_spec_skips_detection_and_values_match_what_was_printed() -> None:
    with PrintingSketch(rate_hz=50, accel="g", gyro=False) as sketch:

        async def main() -> tuple[float, np.ndarray, CsvLink]:
            start = time.monotonic()
            client, data = await stream(f"csv:{sketch.port}?rate=50&columns=ax,ay,az", 0.6)
            assert isinstance(client.link, CsvLink)
            return time.monotonic() - start, data, client.link

        took, data, link = asyncio.run(main())
    assert link.detection is None and took < 1.5
    assert data.shape[1] == 3
    printed = np.round([PrintingSketch.motion(i, 50)[:3] for i in range(200)], 4)
    # Each sample is a printed line, to within half a count of the int16 on the wire (16 g / 32768 / 2).
    error = np.abs(data[:, None, :] - printed[None, :, :]).max(axis=2).min(axis=1)
    assert error.max() < 0.0003


def test_what_needs_wandlab_firmware_is_refused_with_what_to_do() -> None:
    with PrintingSketch() as sketch:

        async def main() -> list[str]:
            client = BoardClient(open_link(f"csv:{sketch.port}?rate=100&columns=ax,ay,az,gx,gy,gz"), reconnect=False)
            await client.connect()
            errors = []
            for ask in (client.ask(ModelQuery(), Message), client.request(HidMapGet()),
                        client.request(SimPerform("circle")), client.start_stream(imu_rate_hz=400)):  # fmt: skip
                try:
                    await ask
                except BoardError as exc:
                    errors.append(str(exc))
            await client.close()
            return errors

        errors = asyncio.run(main())
    assert "this board runs its own sketch (csv:); install Wandlab firmware to flash models to it" in errors[0]
    assert "(unsupported)" in errors[0]
    assert "install Wandlab firmware for recognition on the board and its keys (HID)" in errors[1]
    assert "only the virtual wand" in errors[2]
    assert "prints at 100 Hz; change the rate in the sketch" in errors[3]


def test_bad_specs_fail_before_opening_anything() -> None:
    for spec, message in [
        ("csv:", "needs a port"),
        ("csv:/dev/ttyACM0?rte=100", "option 'rte' is unknown"),
        ("csv:/dev/ttyACM0?baud=fast", "baud= must be a number"),
        ("csv:/dev/ttyACM0?columns=ax,ay", "must name ax, ay and az"),
    ]:
        with pytest.raises(LinkError, match=message):
            open_link(spec)
    assert isinstance(open_link("csv:/dev/ttyACM0?baud=230400"), CsvLink)
