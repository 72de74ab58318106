"""The word wizard's ear: the session's audio blocks into the take being captured, and the board's audio
stream on while the wizard needs it (and put back as it was afterwards). Qt-free."""

from __future__ import annotations

import contextlib
import weakref

from wandlab.board.blocks import SampleBlock
from wandlab.errors import BoardError, LinkError
from wandlab.protocol import Sensors, StreamStart
from wandlab.ui.session import DeviceSession
from wandlab.ui.word_capture import TakeCapture

_UNCHANGED = object()


class AudioTap:
    def __init__(self, session: DeviceSession) -> None:
        self.session = session
        self.capture: TakeCapture | None = None
        self.blocks = 0  # audio blocks seen (the meter says "no sound arrives" while this stands still)
        self._previous: object = _UNCHANGED  # the stream request to restore, once we changed it
        # The session keeps listeners for good: hold the tap weakly so a closed wizard can go.
        me = weakref.ref(self)

        def listener(block: SampleBlock) -> None:
            tap = me()
            if tap is not None:
                tap.on_block(block)

        session.on_block(listener)

    def on_block(self, block: SampleBlock) -> None:
        if block.sensor != "audio":
            return
        self.blocks += 1
        if self.capture is not None:
            if block.lost_before and not self.capture.over:
                self.capture.lost_blocks += block.lost_before
            self.capture.feed(block.data)

    def listen(self) -> TakeCapture:
        """Start a new take (the one in progress, if any, is dropped)."""
        self.capture = TakeCapture()
        return self.capture

    def pause(self) -> None:
        self.capture = None

    async def ensure_audio(self) -> None:
        """Make the board stream its microphone, remembering what it streamed before."""
        client = self.session.client
        if client is None:
            return
        request = client.stream_request
        if request is not None and request.sensors & Sensors.AUDIO:
            return
        if self._previous is _UNCHANGED:
            self._previous = request
        imu = request is not None and bool(request.sensors & Sensors.IMU)
        await client.start_stream(imu=imu, audio=True, imu_rate_hz=request.imu_rate_hz if request else 0)

    async def restore(self) -> None:
        """Put the board's stream back as it was before ``ensure_audio``."""
        previous, self._previous = self._previous, _UNCHANGED
        self.capture = None
        client = self.session.client
        if previous is _UNCHANGED or client is None or not self.session.connected:
            return
        with contextlib.suppress(BoardError, LinkError):  # the board went away: nothing to put back
            if previous is None:
                await client.stop_stream()
            elif isinstance(previous, StreamStart):
                await client.start_stream(
                    imu=bool(previous.sensors & Sensors.IMU),
                    audio=bool(previous.sensors & Sensors.AUDIO),
                    imu_rate_hz=previous.imu_rate_hz,
                )
