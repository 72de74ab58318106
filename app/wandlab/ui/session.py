"""DeviceSession: the one connected board the app is talking to, as a Qt-free model.

Widgets call ``connect``/``disconnect``/``simulate`` and subscribe to state changes; pages that need
the raw stream (the recorder) subscribe to blocks here once and keep receiving them across
reconnects and board changes, without knowing about BoardClient instances coming and going.
A subscriber that raises is skipped and reported, once, as a sentence for people to ``on_problem``
subscribers (the window's notifier); the others, and the connection, carry on.
It imports no Qt (so it could move to wandlab.board); it lives here because only the app uses it.

Bluetooth links (``ble:...`` and the virtual wand over Bluetooth) add what a BLE connection has and a
cable has not: a pairing step, told to ``on_pairing`` subscribers while it runs, and the link itself
(``ble_link()``: its ATT MTU and the bytes it received). The virtual wand over Bluetooth keeps its
"flash" (models, keys, bonds) in a folder that lives as long as the session, so that switching it off
and on - Unplug, or Disconnect and Connect - finds everything as a real wand would, its paired
computer included.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from wandlab.board.blocks import SampleBlock
from wandlab.board.client import BoardClient, ConnectionState, Listener, ListenerGuard
from wandlab.board.live_buffer import LiveBuffer
from wandlab.errors import BoardError, LinkError
from wandlab.flows.connect import open_link, parse_spec
from wandlab.protocol import Info, Message, SensorKind

if TYPE_CHECKING:  # bleak and Bumble load only once a Bluetooth link is opened
    from wandlab.link.ble_backend import BleBackend
    from wandlab.link.ble_link import BleLink
    from wandlab.virtual.board import VirtualBoard
    from wandlab.virtual.inprocess_ble import VirtualBleWandLink

StateListener = Callable[[ConnectionState, str], None]
BlockListener = Callable[[SampleBlock], None]
EventListener = Callable[[Message], None]
ProblemListener = Callable[[str], None]
PairingListener = Callable[[str], None]

VIRTUAL_SPEC = "virtual:"
VIRTUAL_BLE_SPEC = "virtual:?link=ble"  # the virtual wand on this process's in-process Bluetooth radio


def uses_ble(spec: str) -> bool:
    """Whether a spec opens a Bluetooth link: ``ble:...``, or the virtual wand over Bluetooth."""
    try:
        scheme, _, options = parse_spec(spec)
    except LinkError:
        return False
    return scheme == "ble" or (scheme == "virtual" and options.get("link") == "ble")


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
        self._pairing_listeners: list[PairingListener] = []
        self.pairing = ""  # while a Bluetooth link pairs: what to tell the user; else ""
        self._virtual_home: tempfile.TemporaryDirectory[str] | None = None
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

    def on_pairing(self, listener: PairingListener) -> None:
        """``session.pairing`` changed: a sentence while a Bluetooth link pairs, "" when it is over."""
        self._pairing_listeners.append(listener)

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
    def is_ble(self) -> bool:
        """The board is (being) reached over Bluetooth."""
        return bool(self.spec) and uses_ble(self.spec)

    def ble_link(self) -> BleLink | None:
        """The Bluetooth link of the current connection (the one inside the virtual wand's too), or None."""
        if self.client is None or not self.is_ble:
            return None
        from wandlab.link.ble_link import BleLink

        link = self.client.link
        inner = getattr(link, "ble", link)  # the virtual wand over Bluetooth wraps the app's BleLink
        return inner if isinstance(inner, BleLink) else None

    def virtual_ble(self) -> VirtualBleWandLink | None:
        """The virtual wand over Bluetooth this session runs, or None."""
        if self.client is None or not (self.is_virtual and self.is_ble):
            return None
        from wandlab.virtual.inprocess_ble import VirtualBleWandLink

        link = self.client.link
        return link if isinstance(link, VirtualBleWandLink) else None

    def virtual_board(self) -> VirtualBoard | None:
        """The board of the virtual wand this process runs (over USB or Bluetooth), or None (a real board,
        the C++ firmware's): what only a simulator can change, its microphone, is changed there."""
        if self.client is None or not self.is_virtual:
            return None
        from wandlab.virtual.board import VirtualBoard

        link = self.client.link
        board = getattr(getattr(link, "wand", None), "board", None) or getattr(link, "board", None)
        return board if isinstance(board, VirtualBoard) else None

    def inprocess_backend(self) -> BleBackend | None:
        """The bleak backend on this process's in-process radio, while a link uses it (to scan it too)."""
        ble = self.ble_link()
        return ble.backend if ble is not None and not ble.backend.is_system else None

    def virtual_folder(self) -> Path:
        """Where the virtual wand over Bluetooth keeps its flash and the paired computer its keys while the
        app runs (removed when the app ends: the virtual wand starts afresh next time, as over USB)."""
        if self._virtual_home is None:
            self._virtual_home = tempfile.TemporaryDirectory(prefix="wandlab-virtual-")
        return Path(self._virtual_home.name)

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
        client = BoardClient(open_link(self._with_flash(spec)))
        self.client, self.spec = client, spec
        ble = self.ble_link()
        if ble is not None:
            ble.pairing_listeners.append(lambda pairing: self._pairing_changed(client, pairing))
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
    def _with_flash(self, spec: str) -> str:
        """The virtual wand over Bluetooth, given the session's folder as its flash unless the spec names one."""
        scheme, _, options = parse_spec(spec)
        if scheme != "virtual" or options.get("link") != "ble" or "state" in options:
            return spec
        folder = quote(str(self.virtual_folder() / "wand"), safe="/\\:")
        return f"{spec}{'&' if '?' in spec else '?'}state={folder}"

    def _pairing_changed(self, client: BoardClient, pairing: bool) -> None:
        if client is not self.client:
            return
        ble = self.ble_link()
        name = (self.info.board_name if self.info else "") or (ble.board_name if ble else "") or "the wand"
        self._set_pairing(f"Pairing with {name} – accept on the computer if asked" if pairing else "")

    def _set_pairing(self, text: str) -> None:
        if text != self.pairing:
            self.pairing = text
            self._guard.call(self._pairing_listeners, text)

    async def _drop(self, client: BoardClient) -> None:
        with contextlib.suppress(LinkError, BoardError):
            await client.close()
        if self.client is client:
            self.client = None
            self._set_pairing("")
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
