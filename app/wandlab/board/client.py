"""BoardClient: the typed async API the app, the CLI and the tests use to talk to a board.

One reader task owns the link: it decodes frames, settles pending requests, counts lost blocks and
hands sample blocks to listeners. A dropped link is reported as a state change, never raised into
the caller's event loop, and the client reconnects (and resumes streaming) when the port returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import itertools
from collections.abc import AsyncIterator, Callable
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

M = TypeVar("M", bound=Message)
NO_REQUEST = 0xFFFF


class ConnectionState(str, enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


StateListener = Callable[[ConnectionState, str], None]
BlockListener = Callable[[SampleBlock], None]
EventListener = Callable[[Message], None]


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
        self._seq = itertools.count(1)
        self._acks: dict[int, asyncio.Future[Message]] = {}
        self._replies: list[tuple[type[Message], asyncio.Future[Message]]] = []
        self._block_listeners: list[BlockListener] = []
        self._state_listeners: list[StateListener] = []
        self._event_listeners: list[EventListener] = []
        self._queues: list[asyncio.Queue[SampleBlock]] = []
        self._streaming: StreamStart | None = None
        self._runner: asyncio.Task[None] | None = None
        self._closing = False

    # -- listeners ------------------------------------------------------------------------------
    def on_state(self, listener: StateListener) -> None:
        self._state_listeners.append(listener)

    def on_block(self, listener: BlockListener) -> None:
        """Called synchronously for every sample block, in order. Keep it cheap."""
        self._block_listeners.append(listener)

    def on_event(self, listener: EventListener) -> None:
        """Board-initiated messages: ButtonEvent, Log, Error not tied to a request, StreamStats,
        and replies nobody asked for by type (e.g. ChunkAck during an upload)."""
        self._event_listeners.append(listener)

    def off_event(self, listener: EventListener) -> None:
        with contextlib.suppress(ValueError):
            self._event_listeners.remove(listener)

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
        """Send a message and wait for the next message of ``reply_type``; an Error reply to it
        raises BoardError at once instead of waiting for the timeout."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._replies.append((reply_type, future))
        seq = None
        try:
            seq = await self._send(message, register_ack=True)
            refusal = self._acks[seq]
            done, _ = await asyncio.wait({future, refusal}, timeout=timeout_s or self.timeout_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            if not done:
                raise BoardError(f"no {reply_type.__name__} from the board within "
                                 f"{timeout_s or self.timeout_s:.1f} s")
            reply = future.result() if future.done() else refusal.result()
        finally:
            with contextlib.suppress(ValueError):
                self._replies.remove((reply_type, future))
            if seq is not None:
                self._acks.pop(seq, None)
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

    async def _handshake(self) -> Info:
        await self.link.resync()
        info = await self.ask(Hello(PROTOCOL_VERSION, "wandlab"), Info)
        if info.protocol_version != PROTOCOL_VERSION:
            raise BoardError(f"{info.board_name} speaks protocol v{info.protocol_version}, this Wandlab "
                             f"speaks v{PROTOCOL_VERSION}: update the firmware or the app")
        self.info = info
        return info

    async def _run(self) -> None:
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
                asyncio.create_task(self._resume())

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
        self.reconnects += 1
        self._set_state(ConnectionState.CONNECTED, info.board_name)

    def _dispatch_packets(self, packets: list[Packet]) -> None:
        for seq, message in self.decoder.decode_packets(packets):
            if self.trace:
                self.trace("<", seq, message)
            if isinstance(message, (ImuBlock, AudioBlock)):
                self._deliver(to_sample_block(message, self.counters))
            elif isinstance(message, (Ack, Error)) and message.ref_seq in self._acks:
                future = self._acks[message.ref_seq]
                if not future.done():
                    future.set_result(message)
            elif isinstance(message, TransferResult):
                # The board's identity changed: keep info current for everyone, then answer the upload.
                if message.ok and self.info is not None:
                    self.info = dataclasses.replace(self.info, active_model_id=message.model_id)
                self._settle_reply(message)
                for listener in self._event_listeners:
                    listener(message)
            elif self._settle_reply(message):
                continue
            else:
                if isinstance(message, StreamStats):
                    c = self.counters
                    c.board_imu_sent, c.board_audio_sent = message.imu_blocks, message.audio_blocks
                    c.board_imu_dropped, c.board_audio_dropped = message.imu_dropped, message.audio_dropped
                for listener in self._event_listeners:
                    listener(message)

    def _settle_reply(self, message: Message) -> bool:
        for reply_type, future in self._replies:
            if isinstance(message, reply_type) and not future.done():
                future.set_result(message)
                return True
        return False

    def _deliver(self, block: SampleBlock) -> None:
        for listener in self._block_listeners:
            listener(block)
        for queue in self._queues:
            if not queue.full():
                queue.put_nowait(block)

    def _fail_waiters(self, exc: BaseException) -> None:
        for future in list(self._acks.values()) + [f for _, f in self._replies]:
            if not future.done():
                future.set_exception(LinkError(str(exc)))
                future.exception()  # mark it seen: a waiter that already gave up must not log it

    def _set_state(self, state: ConnectionState, detail: str) -> None:
        self.state, self.state_detail = state, detail
        for listener in self._state_listeners:
            listener(state, detail)


def _error_name(code: int) -> str:
    try:
        return ErrorCode(code).name.lower().replace("_", " ")
    except ValueError:
        return f"error {code}"


__all__ = ["BoardClient", "ButtonEvent", "ConnectionState", "Log", "SampleBlock"]
