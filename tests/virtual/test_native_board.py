"""The app reaches the C++ firmware's board logic (firmware_sketches/native_board) as it reaches a USB
board: ``virtual:?firmware=native`` builds it with make + g++, runs it on a pseudo-terminal and opens
it through the normal SerialLink; the client handshakes and streams IMU + audio without loss. With
``feed=synth`` the board keeps its own C++ synthesis; the board layer's host tests pass under ASan +
UBSan. (The Python feeder's samples and Sim* requests: test_native_feeder.py.)"""

from __future__ import annotations

import asyncio
import subprocess

import numpy as np
import pytest

from wandlab.board.client import BoardClient
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link
from wandlab.protocol import ButtonEvent, SensorKind, SimButton, SimPerform
from wandlab.virtual import native_board

pytestmark = [
    pytest.mark.skipif(native_board.missing_tools() is not None,
                       reason=f"cannot build the native board: {native_board.missing_tools()}"),
    pytest.mark.timeout(native_board.BUILD_TIMEOUT_S + 300),  # the first build may compile TFLM
]


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    native_board.build()  # once, outside the conversation's own time limit


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 360))


def test_client_handshakes_and_streams_imu_and_audio_without_loss() -> None:
    async def main() -> None:
        link = open_link("virtual:?firmware=native&rate=100&seed=2")
        assert isinstance(link, native_board.NativeBoardLink)
        client = BoardClient(link, reconnect=False)
        info = await client.connect()
        assert info.board_name == "Native board" and info.firmware_version.startswith("native-")
        assert [s.kind for s in info.sensors] == [SensorKind.ACCEL, SensorKind.GYRO, SensorKind.MICROPHONE]
        assert info.sensors[0].rate_hz == 100  # the rate option is the board's default rate
        # The recogniser's budgets, as the XIAO's (main.cpp): two 256 KB slots, an 8 KB tensor arena.
        assert (info.model_slots, info.max_model_bytes, info.arena_bytes) == (2, 256 * 1024, 8 * 1024)
        assert info.active_model_id == "" and info.enrolled_labels == ()

        imu: list[np.ndarray] = []
        client.on_block(lambda block: imu.append(block.data) if block.sensor == "imu" else None)
        await client.start_stream(imu=True, audio=True, imu_rate_hz=400)
        await asyncio.sleep(1.6)
        await client.stop_stream()
        c = client.counters
        assert c.lost == 0 and c.board_imu_dropped == 0 and c.board_audio_dropped == 0
        # StreamStop's final counters arrive before its Ack: everything the board sent, arrived.
        assert (c.imu.blocks, c.audio.blocks) == (c.board_imu_sent, c.board_audio_sent)
        assert c.imu.samples >= 0.9 * 400 * 1.6 and c.audio.samples >= 0.9 * 16000 * 1.6
        assert client.stats()["decode_errors"] == 0
        # A wand lying still: about 1 g.
        accel = np.concatenate(imu)[:, :3]
        assert 0.9 < float(np.linalg.norm(accel, axis=1).mean()) < 1.1

        events: list[object] = []
        client.on_event(events.append)
        await client.request(SimButton(0))  # the one simulation request the native board honours
        await asyncio.sleep(0.2)
        assert [e.pressed for e in events if isinstance(e, ButtonEvent)] == [1, 0]
        await client.ping()
        await client.close()
        assert link.board.process is None

    run(main())


def test_feed_synth_keeps_the_boards_own_synthesis() -> None:
    async def main() -> np.ndarray:
        async with BoardClient(open_link("virtual:?firmware=native&feed=synth&seed=2"), reconnect=False) as client:
            imu: list[np.ndarray] = []
            client.on_block(lambda block: imu.append(block.data) if block.sensor == "imu" else None)
            await client.start_stream(imu=True)
            await asyncio.sleep(0.5)
            # Nobody to act it out: the core's answer for a board that does not simulate.
            with pytest.raises(BoardError, match="SimPerform scripts the virtual wand.*unsupported"):
                await client.request(SimPerform("circle"))
            await client.stop_stream()
            assert client.counters.lost == 0
            return np.concatenate(imu)

    imu = run(main())
    # synth.cpp: 1 g on z, a slow sway of a few deg/s.
    assert len(imu) >= 40
    assert 0.9 < float(np.linalg.norm(imu[:, :3], axis=1).mean()) < 1.1 and np.abs(imu[:, 3:]).max() < 6


def test_the_board_layer_host_tests_pass_under_sanitizers() -> None:
    # tests/test_sensors.cpp: sensors run for the board or the host, a late feed is covered, clock wrap.
    # tests/test_file_flash.cpp: the flash files keep NOR rules, records are replaced whole, state dirs.
    result = subprocess.run(["make", "-C", str(native_board.SOURCE_DIR), "test", "SAN=1"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "test_sensors: all checks passed" in result.stdout
    assert "test_file_flash: all passed" in result.stdout


def test_bad_options_are_refused_before_anything_starts() -> None:
    with pytest.raises(LinkError, match="rate"):
        open_link("virtual:?firmware=native&rate=fast")
    with pytest.raises(LinkError, match="feed=wav: use python"):
        open_link("virtual:?firmware=native&feed=wav")
    with pytest.raises(LinkError, match="person"):
        open_link("virtual:?firmware=native&person=x")
    with pytest.raises(LinkError, match="firmware=rust"):
        open_link("virtual:?firmware=rust")
