"""The native board's sensors fed by the Python virtual wand's synthesis (``native_feeder.py``), seen through
the app's real BoardClient on the board's pty: the same seed streams the same samples as ``virtual:``,
Sim* requests are acted out by the feeder and answered as board.py answers them, and a feeder that falls
behind or goes away never breaks the stream. The last test plays the feeder by hand, record by record."""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
from pathlib import Path

import numpy as np
import pytest

from wandlab.board.client import BoardClient
from wandlab.errors import BoardError
from wandlab.flows.connect import open_link
from wandlab.protocol import Log, SimPerform, SimPerson, SimSay, SimUnplug, decode_message
from wandlab.protocol.framing import Packet
from wandlab.virtual import native_board
from wandlab.virtual.native_feeder import (
    CONSUMED,
    CONSUMED_RECORD,
    REQUEST,
    REQUEST_HEADER,
    SENSE,
    SENSE_RECORD,
    RecordReader,
    audio_records,
    imu_records,
    reply_record,
)
from wandlab.virtual.sim_sensors import ACCEL_SCALE, GYRO_SCALE, SimSensors

pytestmark = [
    pytest.mark.skipif(native_board.missing_tools() is not None,
                       reason=f"cannot build the native board: {native_board.missing_tools()}"),
    pytest.mark.timeout(native_board.BUILD_TIMEOUT_S + 300),  # the first build may compile TFLM
]

SCALE = np.array([ACCEL_SCALE] * 3 + [GYRO_SCALE] * 3)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 360))  # the first open may build the board


class Recorder:
    """Everything a client receives: IMU as int16 counts (what the board sent), audio, events."""

    def __init__(self, client: BoardClient) -> None:
        self.imu: list[np.ndarray] = []
        self.audio: list[np.ndarray] = []
        self.events: list[object] = []
        client.on_block(lambda b: (self.imu if b.sensor == "imu" else self.audio).append(b.data))
        client.on_event(self.events.append)

    def counts(self) -> np.ndarray:
        data = np.concatenate(self.imu)
        return np.round(data / SCALE[: data.shape[1]]).astype(np.int16)

    def sound(self) -> np.ndarray:
        return np.concatenate(self.audio)

    def logs(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, Log)]


async def until(condition, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout_s / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting")


def test_the_same_seed_streams_the_same_samples_as_the_python_virtual_wand() -> None:
    async def grab(spec: str) -> Recorder:
        async with BoardClient(open_link(spec), reconnect=False) as client:
            recorder = Recorder(client)
            # 400 Hz is not the default rate: both boards start the motion over at the new rate.
            await client.start_stream(imu=True, audio=True, imu_rate_hz=400)
            await asyncio.sleep(0.8)
            await client.stop_stream()
            assert client.counters.lost == 0
            return recorder

    async def main() -> tuple[Recorder, Recorder]:
        return await asyncio.gather(grab("virtual:?seed=7"), grab("virtual:?firmware=native&seed=7"))

    python, native = run(main())
    n = min(len(python.counts()), len(native.counts()))
    m = min(len(python.sound()), len(native.sound()))
    assert n >= 250 and m >= 10_000
    np.testing.assert_array_equal(native.counts()[:n], python.counts()[:n])
    np.testing.assert_array_equal(native.sound()[:m], python.sound()[:m])


def test_sim_perform_and_sim_say_play_the_python_takes_in_the_stream() -> None:
    async def main() -> tuple[Recorder, SimSensors, str]:
        link = open_link("virtual:?firmware=native&rate=100&seed=4")
        async with BoardClient(link, reconnect=False) as client:
            recorder = Recorder(client)
            await client.start_stream(imu=True, audio=True)
            await asyncio.sleep(0.3)
            await client.request(SimPerform("circle"))
            await client.request(SimSay("hello wand"))
            senses = link.board.feeder.senses
            # Until both takes have gone out whole.
            await until(lambda: senses.motion.events and senses.audio.events
                        and sum(map(len, recorder.imu)) >= senses.motion.events[0][1]
                        and sum(map(len, recorder.audio)) >= senses.audio.events[0][1])
            await client.stop_stream()
            assert client.counters.lost == 0
            return recorder, senses, link.board.stderr_text()

    recorder, senses, stderr = run(main())
    assert "underrun" not in stderr
    # The take begins where the feeder queued it (~the lead after the request): replay the same seed.
    (start, end, gesture), = senses.motion.events
    (begin, finish, words), = senses.audio.events
    assert (gesture, words) == ("circle", "hello wand")
    moved = SimSensors(100, 6, seed=4)
    before = moved.read_imu(start)
    moved.script(SimPerform("circle"))
    np.testing.assert_array_equal(recorder.counts()[:end], np.concatenate([before, moved.read_imu(end - start)]))
    gyro = np.abs(recorder.counts()[:, 3:] * GYRO_SCALE).max(axis=1)
    assert gyro[start:end].max() > 5 * max(gyro[:start].max(), 5.0)

    sound = recorder.sound()
    heard = SimSensors(100, 6, seed=4)
    before = heard.read_audio(begin)
    heard.script(SimSay("hello wand"))
    np.testing.assert_array_equal(sound[:finish], np.concatenate([before, heard.read_audio(finish - begin)]))
    rms = lambda x: float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))  # noqa: E731
    assert rms(sound[begin:finish]) > 10 * rms(sound[:begin])


def test_sim_requests_get_the_python_boards_answers() -> None:
    async def answers(spec: str) -> list[str]:
        async with BoardClient(open_link(spec), reconnect=False) as client:
            await client.request(SimPerson(3))
            said = []
            for request in (SimPerform("moonwalk"), SimSay("")):
                with pytest.raises(BoardError) as refused:
                    await client.request(request)
                said.append(str(refused.value))
            return said

    async def main() -> tuple[list[str], list[str]]:
        return await asyncio.gather(answers("virtual:"), answers("virtual:?firmware=native"))

    python, native = run(main())
    assert native == python
    assert "unknown gesture 'moonwalk'" in native[0] and "(bad argument)" in native[0]


def test_a_feeder_that_stalls_or_stops_never_breaks_the_stream() -> None:
    async def main() -> tuple[Recorder, float, str]:
        link = open_link("virtual:?firmware=native&rate=100&seed=9")
        async with BoardClient(link, reconnect=False) as client:
            recorder = Recorder(client)
            feeder = link.board.feeder
            await client.start_stream(imu=True, audio=True)
            started = asyncio.get_running_loop().time()
            await asyncio.sleep(0.3)
            feeder.pause()
            await asyncio.sleep(0.5)  # the 150 ms in the FIFO and the 50 ms grace, then ~30 repeats
            feeder.resume()
            await until(lambda: any("feed underrun" in text for text in recorder.logs()))
            feeder.stop()  # as if the feeder crashed: its pipes close
            await until(lambda: not feeder.alive)
            await asyncio.sleep(0.3)
            with pytest.raises(BoardError, match="sample feeder has stopped.*internal"):
                await client.request(SimPerform("circle"))
            await client.stop_stream()
            elapsed = asyncio.get_running_loop().time() - started
            assert client.counters.lost == 0 and client.counters.board_imu_dropped == 0
            return recorder, elapsed, link.board.stderr_text()

    recorder, elapsed, stderr = run(main())
    assert "feed underrun" in stderr and "closed its pipe" in stderr
    counts = recorder.counts()
    # The sensors kept their rate: the repeats filled the gaps.
    assert len(counts) == pytest.approx(100 * elapsed, abs=12)
    # Without the repeated frames, the stream is the motion, unbroken.
    fresh = counts[np.r_[True, np.any(counts[1:] != counts[:-1], axis=1)]]
    assert len(fresh) <= len(counts) - 20
    np.testing.assert_array_equal(fresh, SimSensors(100, 6, seed=9).read_imu(len(fresh)))


def test_sim_unplug_drops_the_port_and_the_client_comes_back_to_a_fed_board() -> None:
    async def main() -> tuple[bool, subprocess.Popen[str], Path, bool]:
        link = open_link("virtual:?firmware=native&rate=100")
        client = BoardClient(link, reconnect_interval_s=0.1)
        await client.connect()
        process = link.board.process
        port = Path(link.board.spec.split(":", 1)[1])
        await client.start_stream(imu=True)
        await asyncio.sleep(0.2)
        await client.request(SimUnplug(300))
        await until(lambda: client.reconnects > 0)
        blocks = client.counters.imu.blocks
        await client.request(SimPerform("shake"))  # the feeder is still there after the replug
        await asyncio.sleep(0.3)
        resumed = client.counters.imu.blocks > blocks
        feeder = link.board.feeder
        await client.close()  # the app closes: the board and its feeder end
        return resumed, process, port, feeder.alive

    resumed, process, port, feeder_alive = run(main())
    assert resumed
    assert process.returncode == 0 and not feeder_alive and not port.exists()


# -- the feed, by hand ------------------------------------------------------------------------------


class HandFeeder:
    """The feeder's side of the pipes, played by the test: what the board sends, and scripted answers."""

    def __init__(self, requests: int, samples: int) -> None:
        self.requests, self.samples = requests, samples
        self.reader = RecordReader()
        self.senses: list[tuple] = []
        self.consumed = [0, 0]
        self.forwarded: list[tuple[int, int, object]] = []
        self.answers: list[tuple[int, str]] = []  # (code, text) for the next forwarded requests
        self.on_sense = lambda epoch: None

    def read(self) -> None:
        for kind, payload in self.reader.feed(os.read(self.requests, 65536)):
            if kind == SENSE:
                self.senses.append(SENSE_RECORD.unpack(payload))
                self.on_sense(self.senses[-1][0])
            elif kind == CONSUMED:
                imu, audio = CONSUMED_RECORD.unpack(payload)
                self.consumed[0] += imu
                self.consumed[1] += audio
            elif kind == REQUEST:
                type_, seq = REQUEST_HEADER.unpack_from(payload)
                message = decode_message(Packet(type_, seq, payload[REQUEST_HEADER.size :]))
                self.forwarded.append((type_, seq, message))
                code, text = self.answers.pop(0)
                os.write(self.samples, reply_record(seq, code, text))


def frames(first: int, n: int, base: int) -> np.ndarray:
    """n distinct 6-axis frames; accel z stays near 1 g so nothing looks broken."""
    i = np.arange(first, first + n)[:, None]
    return (np.array([[base, -base, 8192, 0, 0, 0]]) + i * np.array([[1, 1, 0, 2, -2, 3]])).astype(np.int16)


def test_the_board_plays_fed_frames_forwards_requests_and_drops_stale_epochs(tmp_path: Path) -> None:
    executable = native_board.build()
    samples_read, samples_write = os.pipe()
    requests_read, requests_write = os.pipe()
    port = tmp_path / "port"
    process = subprocess.Popen(
        [str(executable), "--exit-with-stdin", "--port-path", str(port), "--feed-fd", str(samples_read),
         "--request-fd", str(requests_write)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        pass_fds=(samples_read, requests_write))
    os.close(samples_read)
    os.close(requests_write)
    feeder = HandFeeder(requests_read, samples_write)
    first = frames(0, 15, 100)  # the 150 ms lead at 100 Hz, and nothing more
    sound = np.arange(2400, dtype=np.int16)
    try:
        # The board tells its default rate, axes and scales first, and announces its port only once fed.
        assert select.select([requests_read], [], [], 5)[0]
        feeder.read()
        assert feeder.senses == [(1, 100, 6, ACCEL_SCALE, GYRO_SCALE, 16000, 150)]
        os.write(samples_write, imu_records(1, first) + audio_records(sound))
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"serial:{port}"

        async def main() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
            asyncio.get_running_loop().add_reader(requests_read, feeder.read)
            async with BoardClient(open_link(f"serial:{port}"), reconnect=False) as client:
                recorder = Recorder(client)
                await client.start_stream(imu=True, audio=True)
                await asyncio.sleep(0.4)  # 40 frames due, 15 fed: the sensors repeat the last one
                await client.stop_stream()
                assert client.counters.lost == 0
                at_100, heard = recorder.counts(), recorder.sound()

                feeder.answers = [(2, "nope — no wand here"), (0, "")]
                with pytest.raises(BoardError, match="nope — no wand here \\(bad argument\\)"):
                    await client.request(SimPerform("circle"))
                await client.request(SimPerson(2))

                # A new rate is a new epoch: frames of the old one still in the pipe are dropped.
                feeder.on_sense = lambda epoch: os.write(samples_write, imu_records(epoch - 1, frames(0, 40, 7000))
                                                         + imu_records(epoch, frames(0, 60, 2000)))
                recorder.imu.clear()
                await client.start_stream(imu=True, imu_rate_hz=200)
                await asyncio.sleep(0.25)
                await client.stop_stream()
                return at_100, heard, recorder.counts(), recorder.logs()

        at_100, heard, at_200, logs = asyncio.run(asyncio.wait_for(main(), 30))
    finally:
        _, said = process.communicate(timeout=5)  # closes its stdin: the board exits
        os.close(samples_write)
        os.close(requests_read)
    assert process.returncode == 0 and "feed underrun" in said

    # Played as fed, then the last frame (sample) held while the feed ran dry, at the board's own pace.
    assert len(at_100) >= 32 and len(heard) >= 5000
    np.testing.assert_array_equal(at_100[:15], first)
    assert np.all(at_100[15:] == first[-1])
    np.testing.assert_array_equal(heard[:2400], sound)
    assert np.all(heard[2400:] == sound[-1])
    assert any("feed underrun" in text for text in logs)
    assert 15 <= feeder.consumed[0] <= 75 and feeder.consumed[1] == 2400
    # Forwarded as the host sent them; the feeder's answers came back under the right seq.
    assert [(t, m) for t, _, m in feeder.forwarded] == [(0x70, SimPerform("circle")), (0x72, SimPerson(2))]
    # At 200 Hz, epoch 2: only the frames fed for it.
    assert feeder.senses[-1][:3] == (2, 200, 6)
    assert 40 <= len(at_200) <= 60
    np.testing.assert_array_equal(at_200, frames(0, 60, 2000)[: len(at_200)])
