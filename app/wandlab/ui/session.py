"""DeviceSession: the one connected board the app is talking to, as a Qt-free model.

Widgets call ``connect``/``disconnect``/``simulate`` and subscribe to state changes; pages that need
the raw stream (the recorder) subscribe to blocks here once and keep receiving them across
reconnects and board changes, without knowing about BoardClient instances coming and going.
A subscriber that raises is skipped and reported, once, as a sentence for people to ``on_problem``
subscribers (the window's notifier); the others, and the connection, carry on.
It imports no Qt (so it could move to wandlab.board); it lives here because only the app uses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from wandlab.board.blocks import SampleBlock
from wandlab.board.client import BoardClient, ConnectionState, Listener, ListenerGuard
from wandlab.board.live_buffer import LiveBuffer
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link, parse_spec
from wandlab.protocol import Info, Message, SensorKind

StateListener = Callable[[ConnectionState, str], None]
BlockListener = Callable[[SampleBlock], None]
EventListener = Callable[[Message], None]
ProblemListener = Callable[[str], None]

VIRTUAL_SPEC = "virtual:"


class DeviceSession:
    def __init__(self, buffer: LiveBuffer | None = None) -> None:
        self.buffer = buffer or LiveBuffer()
        self.client: BoardClient | None = None
        self.spec = ""
        self.state = ConnectionState.DISCONNECTED
        self.detail = ""
        self._state_listeners: list[StateListener] = []
        self._block_listeners: list[BlockListener] = [self.buffer.on_block]
        self._event_listeners: list[EventListener] = []
        self._problem_listeners: list[ProblemListener] = []
        # The pages subscribe here, not to the client: this fan-out must isolate them from each other too.
        self._guard = ListenerGuard()
        self._guard.on_error(self._listener_failed)

    # -- subscriptions ----------------------------------------------------------------------------
    def on_state(self, listener: StateListener) -> None:
        self._state_listeners.append(listener)

    def on_block(self, listener: BlockListener) -> None:
        """Every sample block of whichever board is connected, in the event loop. Keep it cheap."""
        self._block_listeners.append(listener)

    def on_event(self, listener: EventListener) -> None:
        self._event_listeners.append(listener)

    def on_problem(self, listener: ProblemListener) -> None:
        """One sentence for people when part of the app stopped working while the board stays connected
        (a view that raises on board data); reported once per failing view, not per block."""
        self._problem_listeners.append(listener)

    # -- queries ----------------------------------------------------------------------------------
    @property
    def info(self) -> Info | None:
        return self.client.info if self.client else None

    @property
    def connected(self) -> bool:
        return self.state is ConnectionState.CONNECTED

    @property
    def active(self) -> bool:
        """A connection exists or is being made (it may be reconnecting)."""
        return self.client is not None

    @property
    def is_virtual(self) -> bool:
        return self.spec.startswith("virtual")

    @property
    def has_gyro(self) -> bool:
        info = self.info
        return info is None or info.sensor(SensorKind.GYRO) is not None

    def stats(self) -> dict[str, float]:
        stats: dict[str, float] = dict(self.client.stats()) if self.client else {}
        # The client restarts its counters on every (re)connect; totals over the session are ours.
        stats["blocks_lost"] = self.buffer.lost_blocks
        return stats

    # -- actions ----------------------------------------------------------------------------------
    async def connect(self, spec: str, *, imu: bool = True, audio: bool = True) -> Info:
        """Open ``spec``, handshake and start streaming. Raises LinkError/BoardError with the reason."""
        parse_spec(spec)  # a malformed spec fails here, before the current board is dropped
        await self.disconnect()
        client = BoardClient(open_link(spec))
        self.client, self.spec = client, spec
        self.buffer.clear()
        client.on_state(lambda state, detail: self._state_changed(client, state, detail))
        client.on_block(self._deliver_block)
        client.on_event(self._deliver_event)
        client.on_listener_error(self._listener_failed)
        try:
            info = await client.connect()
            has_audio = info.sensor(SensorKind.MICROPHONE) is not None
            await client.start_stream(imu=imu, audio=audio and has_audio)
        except (LinkError, BoardError):
            await self._drop(client)
            raise
        return info

    async def disconnect(self) -> None:
        client = self.client
        if client is not None:
            await self._drop(client)

    async def simulate(self, message: Message) -> None:
        """Send a simulation command (SimPerform, SimSay, ...) to the virtual wand."""
        if self.client is None or not self.connected:
            raise LinkError("the virtual wand is not connected: connect it first")
        if not self.is_virtual:
            raise BoardError("simulation commands only work with the virtual wand")
        await self.client.request(message)

    # -- internals --------------------------------------------------------------------------------
    async def _drop(self, client: BoardClient) -> None:
        with contextlib.suppress(LinkError, BoardError):
            await client.close()
        if self.client is client:
            self.client = None
            self._set_state(ConnectionState.DISCONNECTED, "")

    def _state_changed(self, client: BoardClient, state: ConnectionState, detail: str) -> None:
        # A closed client is reported as DISCONNECTED by _drop; a stale client must not speak.
        if client is self.client and state is not ConnectionState.CLOSED:
            self._set_state(state, detail)

    def _set_state(self, state: ConnectionState, detail: str) -> None:
        self.state, self.detail = state, detail
        self._guard.call(self._state_listeners, state, detail)

    def _deliver_block(self, block: SampleBlock) -> None:
        self._guard.call(self._block_listeners, block)

    def _deliver_event(self, message: Message) -> None:
        self._guard.call(self._event_listeners, message)

    def _listener_failed(self, listener: Listener, exc: Exception) -> None:
        # The traceback is already in the log (ListenerGuard); people get what broke, in one sentence.
        text = f"A view stopped handling board data ({type(exc).__name__}: {exc}); details are in the log"
        for problem_listener in list(self._problem_listeners):
            problem_listener(text)
