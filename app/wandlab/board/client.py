"""BoardClient: the typed async API the app, the CLI and the tests use to talk to a board.

One reader task owns the link: it decodes frames, settles pending requests, counts lost blocks and
hands sample blocks to listeners. A dropped link is reported as a state change, never raised into
the caller's event loop, and the client reconnects (and resumes streaming) when the port returns.
A listener that raises is reported (log, ``on_listener_error``) and skipped, never fatal to the reader;
should the reader itself die, the state says DISCONNECTED with the reason.

Stale replies: a board may still be answering requests of an earlier session (another client's, or
ours from before a reconnect) when a new one starts. Each client numbers its packets from a random
start, and an Ack or Error whose ``ref_seq`` is not a request in flight is dropped and counted
(``stats()["stale_replies"]``). Typed replies (Info, ModelSlots, ...) carry no ``ref_seq``: those that
name their request by a field (``token``, ``transfer_id``) must match it, and for the others the client
relies on the board answering in order: before the Hello of every session, and before the next
``ask`` after one gave up on its reply, it sends a Ping and drops replies nobody waits for until the
Pong comes back (the "fence"), so the next typed reply can only answer the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import itertools
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar

from wandlab.board.blocks import SampleBlock, StreamCounters, to_sample_block
from wandlab.errors import BoardError, LinkError
from wandlab.link import Link
from wandlab.protocol import (
    PROTOCOL_VERSION,
    Ack,
    AudioBlock,
    ButtonEvent,
    Error,
    ErrorCode,
    Hello,
    ImuBlock,
    Info,
    Log,
    Message,
    MessageDecoder,
    Packet,
    Ping,
    Pong,
    Sensors,
    StreamStart,
    StreamStats,
    StreamStop,
    to_packet,
)
from wandlab.protocol.model import TransferResult

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
NO_REQUEST = 0xFFFF
# Fields by which a typed reply names its request (Ping/Pong.token, ModelBegin/ModelFinish ->
# TransferStatus/TransferResult.transfer_id): ask() accepts only a reply whose field equals the request's.
CORRELATION_FIELDS = ("token", "transfer_id")
# A listener that keeps failing is reported once; after it has worked in between it is reported again,
# but not sooner than this after its last report (one failing every other block would flood the user).
REPORT_AGAIN_S = 30.0

_random = random.SystemRandom()  # not the module's generator: tests and simulations seed that one


def random_seq() -> int:
    """Where a session starts numbering its packets: anything but 0 and NO_REQUEST."""
    return _random.randrange(1, NO_REQUEST)


class ConnectionState(str, enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


StateListener = Callable[[ConnectionState, str], None]
BlockListener = Callable[[SampleBlock], None]
EventListener = Callable[[Message], None]
Listener = Callable[..., object]
ListenerErrorHook = Callable[[Listener, Exception], None]


class ListenerGuard:
    """Calls listeners so that one that raises is reported instead of being fatal.

    The caller (the client's reader task) goes on and the listeners after the failing one still get
    the call. The failure is logged with its traceback and handed to the error hooks once; while the
    listener keeps failing it is only counted (``errors``), so a view that breaks on every block cannot
    flood the log or the user. Once it has worked again, its next failure is reported again (but not
    sooner than REPORT_AGAIN_S after the last report).
    """

    def __init__(self) -> None:
        self.errors = 0
        self._hooks: list[ListenerErrorHook] = []
        # id() rather than the listener itself: any callable may be registered, hashable or not, and
        # a registered listener stays alive (its list holds it), so its id stays its own.
        self._failing: set[int] = set()
        self._reported_at: dict[int, float] = {}

    def on_error(self, hook: ListenerErrorHook) -> None:
        self._hooks.append(hook)

    def call(self, listeners: Iterable[Listener], *args: object) -> None:
        for listener in tuple(listeners):  # a listener may unsubscribe itself
            try:
                listener(*args)
            except Exception as exc:
                self._failed(listener, exc)
            else:
                if self._failing:
                    self._failing.discard(id(listener))

    def _failed(self, listener: Listener, exc: Exception) -> None:
        self.errors += 1
        key, now = id(listener), time.monotonic()
        last = self._reported_at.get(key)
        already_failing = key in self._failing
        self._failing.add(key)
        if already_failing or (last is not None and now - last < REPORT_AGAIN_S):
            return
        self._reported_at[key] = now
        log.error("%s raised; it is still called, and further failures are only counted until it works again",
                  _name(listener), exc_info=exc)
        for hook in tuple(self._hooks):
            try:
                hook(listener, exc)
            except Exception:
                log.exception("the listener error hook %s raised", _name(hook))


@dataclasses.dataclass(eq=False)
class _Waiter:
    """An ask() waiting for a typed reply: its type, the correlation fields it must carry, its future."""

    reply_type: type[Message]
    expect: dict[str, object]
    future: asyncio.Future[Message]

    def wants(self, message: Message) -> bool:
        return (isinstance(message, self.reply_type) and not self.future.done()
                and all(getattr(message, name) == value for name, value in self.expect.items()))


class BoardClient:
    def __init__(
        self,
        link: Link,
        *,
        reconnect: bool = True,
        timeout_s: float = 2.0,
        reconnect_interval_s: float = 0.3,
        trace: Callable[[str, int, Message], None] | None = None,
    ) -> None:
        self.link = link
        self.reconnect = reconnect
        self.timeout_s = timeout_s
        self.reconnect_interval_s = reconnect_interval_s
        self.trace = trace
        self.info: Info | None = None
        self.state = ConnectionState.DISCONNECTED
        self.state_detail = ""
        self.counters = StreamCounters()
        self.decoder = MessageDecoder()
        self.reconnects = 0
        self.stale_replies = 0
        self._seq = itertools.count(random_seq())
        self._acks: dict[int, asyncio.Future[Message]] = {}
        self._replies: list[_Waiter] = []
        # Typed replies this client asks for: one that no ask() waits for is stale, not an event.
        self._reply_types: set[type[Message]] = {Info, Pong}
        self._fence_needed = True
        self._fence_lock = asyncio.Lock()
        self._guard = ListenerGuard()
        self._block_listeners: list[BlockListener] = []
        self._state_listeners: list[StateListener] = []
        self._event_listeners: list[EventListener] = []
        self._queues: list[asyncio.Queue[SampleBlock]] = []
        self._streaming: StreamStart | None = None
        self._runner: asyncio.Task[None] | None = None
        self._resuming: asyncio.Task[None] | None = None
        self._closing = False

    # -- listeners ------------------------------------------------------------------------------
    def on_state(self, listener: StateListener) -> None:
        self._state_listeners.append(listener)

    def on_block(self, listener: BlockListener) -> None:
        """Called synchronously for every sample block, in order. Keep it cheap."""
        self._block_listeners.append(listener)

    def on_event(self, listener: EventListener) -> None:
        """Board-initiated messages: ButtonEvent, Log, Error not tied to a request, StreamStats,
        TransferResult, and replies of types never asked for with ask() (e.g. ChunkAck during an upload).
        Replies of asked-for types that nobody waits for are stale and dropped."""
        self._event_listeners.append(listener)

    def off_event(self, listener: EventListener) -> None:
        with contextlib.suppress(ValueError):
            self._event_listeners.remove(listener)

    def on_listener_error(self, hook: ListenerErrorHook) -> None:
        """Called with (listener, exception) when a state, block or event listener raises. The listener
        stays subscribed and the others still get the call; a listener that keeps failing is reported
        once (again only after it has worked in between). Every failure counts in
        ``stats()["listener_errors"]``."""
        self._guard.on_error(hook)

    # -- life cycle ----------------------------------------------------------------------------
    async def connect(self) -> Info:
        self._closing = False
        self._set_state(ConnectionState.CONNECTING, self.link.description)
        try:
            await self.link.open()
        except LinkError as exc:
            self._set_state(ConnectionState.DISCONNECTED, str(exc))
            raise
        self._runner = asyncio.create_task(self._run(), name=f"board-reader {self.link.description}")
        try:
            info = await self._handshake()
        except BaseException:
            await self.close()
            raise
        if not self._reader_alive():  # it died right after the answer came in, and said why
            reason = self.state_detail
            await self.close()
            raise LinkError(reason)
        self._set_state(ConnectionState.CONNECTED, info.board_name)
        return info

    async def close(self) -> None:
        self._closing = True
        with contextlib.suppress(LinkError, BoardError):
            if self.link.is_open and self._streaming is not None:
                await self._send(StreamStop(Sensors.IMU | Sensors.AUDIO))
        self._streaming = None
        await self.link.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
            self._runner = None
        self._fail_waiters(LinkError("connection closed"))
        self._set_state(ConnectionState.CLOSED, "")

    async def __aenter__(self) -> BoardClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- requests ------------------------------------------------------------------------------
    async def request(self, message: Message, timeout_s: float | None = None) -> Message:
        """Send a command and wait for its Ack; an Error reply raises BoardError with the board's text."""
        seq = await self._send(message, register_ack=True)
        future = self._acks[seq]
        try:
            reply = await asyncio.wait_for(future, timeout_s or self.timeout_s)
        except TimeoutError:
            raise BoardError(f"{type(message).__name__}: no answer from the board within "
                             f"{timeout_s or self.timeout_s:.1f} s") from None
        finally:
            self._acks.pop(seq, None)
        if isinstance(reply, Error):
            raise BoardError(f"{type(message).__name__} refused by the board: {reply.message} "
                             f"({_error_name(reply.code)})")
        return reply

    async def ask(self, message: Message, reply_type: type[M], timeout_s: float | None = None) -> M:
        """Send a message and wait for its reply of ``reply_type`` (the next one, or the one carrying the
        request's token / transfer_id); an Error reply to it raises BoardError at once instead of
        waiting for the timeout."""
        reply_fields = getattr(reply_type, "__dataclass_fields__", {})
        expect = {name: getattr(message, name) for name in CORRELATION_FIELDS
                  if hasattr(message, name) and name in reply_fields}
        if not expect:
            await self._fence()
        waiter = _Waiter(reply_type, expect, asyncio.get_running_loop().create_future())
        self._reply_types.add(reply_type)
        self._replies.append(waiter)
        seq = None
        try:
            seq = await self._send(message, register_ack=True)
            reply = await self._reply_or_refusal(waiter.future, self._acks[seq], reply_type,
                                                 timeout_s or self.timeout_s)
        finally:
            with contextlib.suppress(ValueError):
                self._replies.remove(waiter)
            refusal = self._acks.pop(seq, None) if seq is not None else None
            if refusal is not None and not waiter.future.done() and not refusal.done():
                # Its reply may still come, and would look like the answer to the next ask of this type.
                self._fence_needed = True
        if isinstance(reply, Error):
            raise BoardError(f"{type(message).__name__} refused by the board: {reply.message} "
                             f"({_error_name(reply.code)})")
        assert isinstance(reply, reply_type)
        return reply

    async def send(self, message: Message) -> int:
        """Send without waiting for anything; returns the sequence number used."""
        return await self._send(message)

    async def ping(self) -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        token = next(self._seq)
        await self.ask(Ping(token), Pong)
        return loop.time() - start

    async def _reply_or_refusal(self, reply: asyncio.Future[Message], refusal: asyncio.Future[Message],
                                reply_type: type[Message], timeout_s: float) -> Message:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        waiting = {reply, refusal}
        while True:
            done, _ = await asyncio.wait(waiting, timeout=max(0.0, deadline - loop.time()),
                                         return_when=asyncio.FIRST_COMPLETED)
            if reply.done():
                return reply.result()
            if refusal.done():
                answer = refusal.result()
                if isinstance(answer, Error):
                    return answer
                waiting.discard(refusal)  # an Ack is not this request's answer: wait for the reply
            if not done:
                raise BoardError(f"no {reply_type.__name__} from the board within {timeout_s:.1f} s")

    async def start_stream(self, imu: bool = True, audio: bool = False, imu_rate_hz: int = 0) -> None:
        sensors = (Sensors.IMU if imu else 0) | (Sensors.AUDIO if audio else 0)
        start = StreamStart(int(sensors), imu_rate_hz)
        self.counters.reset()
        await self.request(start)
        self._streaming = start

    async def stop_stream(self) -> None:
        self._streaming = None
        await self.request(StreamStop(int(Sensors.IMU | Sensors.AUDIO)))

    @property
    def streaming(self) -> bool:
        return self._streaming is not None

    @property
    def stream_request(self) -> StreamStart | None:
        """What this client asked the board to stream (None: nothing); a view that needs another sensor
        for a while starts it, and puts this back afterwards."""
        return self._streaming

    async def blocks(self, maxsize: int = 2000) -> AsyncIterator[SampleBlock]:
        """Iterate over sample blocks as they arrive (until the iterator is closed)."""
        queue: asyncio.Queue[SampleBlock] = asyncio.Queue(maxsize)
        self._queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)

    def stats(self) -> dict[str, Any]:
        c = self.counters
        d = self.decoder
        return {
            "imu_hz": round(c.imu.rate_hz, 1),
            "audio_hz": round(c.audio.rate_hz, 1),
            "imu_blocks": c.imu.blocks,
            "audio_blocks": c.audio.blocks,
            "blocks_lost": c.lost,
            "board_dropped": c.board_imu_dropped + c.board_audio_dropped,
            "decode_errors": self.link.framing.errors + d.message_errors,
            "bytes": self.link.framing.bytes,
            "reconnects": self.reconnects,
            "stale_replies": self.stale_replies,
            "listener_errors": self._guard.errors,
        }

    # -- internals -----------------------------------------------------------------------------
    async def _send(self, message: Message, register_ack: bool = False) -> int:
        seq = next(self._seq) & 0xFFFF
        if seq in (0, NO_REQUEST):  # 0xFFFF in an Error means "not tied to a request"
            seq = next(self._seq) & 0xFFFF
        if register_ack:
            self._acks[seq] = asyncio.get_running_loop().create_future()
        if self.trace:
            self.trace(">", seq, message)
        await self.link.send_packet(to_packet(message, seq))
        return seq

    async def _fence(self) -> None:
        """Let every reply still owed to an earlier request arrive and be dropped (see the module doc)."""
        async with self._fence_lock:
            if self._fence_needed:
                await self.ask(Ping(_random.getrandbits(32)), Pong)
                self._fence_needed = False

    async def _handshake(self) -> Info:
        await self.link.resync()
        self._fence_needed = True  # the board may still be answering the previous session
        info = await self.ask(Hello(PROTOCOL_VERSION, "wandlab"), Info)
        if info.protocol_version != PROTOCOL_VERSION:
            raise BoardError(f"{info.board_name} speaks protocol v{info.protocol_version}, this Wandlab "
                             f"speaks v{PROTOCOL_VERSION}: update the firmware or the app")
        self.info = info
        return info

    async def _run(self) -> None:
        try:
            await self._read()
        except Exception as exc:
            # A bug, not a lost link: say so instead of staying "connected" with nobody reading, fail
            # the waiters now rather than at their timeouts, and let go of the port.
            log.error("the reader of %s stopped", self.link.description, exc_info=exc)
            reason = f"reading from the board failed unexpectedly ({type(exc).__name__}: {exc}); connect again"
            self._fail_waiters(LinkError(reason))
            if not self._closing:
                self._set_state(ConnectionState.DISCONNECTED, reason)
            with contextlib.suppress(Exception):
                await self.link.close()

    def _reader_alive(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def _read(self) -> None:
        while True:
            try:
                while True:
                    self._dispatch_packets(await self.link.read_packets())
            except LinkError as exc:
                self._fail_waiters(exc)
                if self._closing:
                    return
                self._set_state(ConnectionState.DISCONNECTED, str(exc))
                if not self.reconnect:
                    return
                if not await self._reopen():
                    return
                # Held, so the loop cannot garbage-collect a resume that is still running.
                self._resuming = asyncio.create_task(self._resume())

    async def _reopen(self) -> bool:
        self._set_state(ConnectionState.RECONNECTING, f"waiting for {self.link.description}")
        while not self._closing:
            await asyncio.sleep(self.reconnect_interval_s)
            try:
                await self.link.open()
                return True
            except LinkError:
                continue
        return False

    async def _resume(self) -> None:
        try:
            info = await self._handshake()
            if self._streaming is not None:
                self.counters.reset()
                await self.request(self._streaming)
        except (BoardError, LinkError) as exc:
            self._set_state(ConnectionState.DISCONNECTED, f"reconnect failed: {exc}")
            with contextlib.suppress(LinkError):
                await self.link.close()
            return
        if not self._reader_alive():
            return  # it died meanwhile and reported DISCONNECTED with the reason
        self.reconnects += 1
        self._set_state(ConnectionState.CONNECTED, info.board_name)

    def _dispatch_packets(self, packets: list[Packet]) -> None:
        for seq, message in self.decoder.decode_packets(packets):
            if self.trace:
                self._guard.call((self.trace,), "<", seq, message)
            if isinstance(message, (ImuBlock, AudioBlock)):
                self._deliver(to_sample_block(message, self.counters))
            elif isinstance(message, Ack) or (isinstance(message, Error) and message.ref_seq != NO_REQUEST):
                future = self._acks.get(message.ref_seq)
                if future is None or future.done():
                    self._stale(message)
                else:
                    future.set_result(message)
            elif isinstance(message, TransferResult):
                # The board's identity changed: keep info current for everyone, then answer the upload.
                if message.ok and self.info is not None:
                    self.info = dataclasses.replace(self.info, active_model_id=message.model_id)
                self._settle_reply(message)
                self._guard.call(self._event_listeners, message)
            elif self._settle_reply(message):
                continue
            elif type(message) in self._reply_types:
                self._stale(message)
            else:
                if isinstance(message, StreamStats):
                    c = self.counters
                    c.board_imu_sent, c.board_audio_sent = message.imu_blocks, message.audio_blocks
                    c.board_imu_dropped, c.board_audio_dropped = message.imu_dropped, message.audio_dropped
                self._guard.call(self._event_listeners, message)

    def _settle_reply(self, message: Message) -> bool:
        for waiter in self._replies:
            if waiter.wants(message):
                waiter.future.set_result(message)
                return True
        return False

    def _stale(self, message: Message) -> None:
        self.stale_replies += 1
        log.debug("dropped a stale %s from %s", type(message).__name__, self.link.description)

    def _deliver(self, block: SampleBlock) -> None:
        self._guard.call(self._block_listeners, block)
        for queue in self._queues:
            if not queue.full():
                queue.put_nowait(block)

    def _fail_waiters(self, exc: BaseException) -> None:
        for future in list(self._acks.values()) + [w.future for w in self._replies]:
            if not future.done():
                future.set_exception(LinkError(str(exc)))
                future.exception()  # mark it seen: a waiter that already gave up must not log it

    def _set_state(self, state: ConnectionState, detail: str) -> None:
        self.state, self.state_detail = state, detail
        self._guard.call(self._state_listeners, state, detail)


def _error_name(code: int) -> str:
    try:
        return ErrorCode(code).name.lower().replace("_", " ")
    except ValueError:
        return f"error {code}"


def _name(listener: object) -> str:
    return str(getattr(listener, "__qualname__", None) or repr(listener))


__all__ = ["BoardClient", "ButtonEvent", "ConnectionState", "ListenerGuard", "Log", "SampleBlock"]
