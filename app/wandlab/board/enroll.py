"""Enrollment and reference embeddings on a board: teach it a gesture from a few takes, no training.

``enroll_gesture`` is an async generator of the board's EnrollProgress messages (WAITING: perform now,
CAPTURED, then DONE or FAILED), so the GUI wizard and the CLI show the same steps. The other helpers
list, clear, upload (computed on the PC) and download (backup) a board's references.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import numpy as np

from wandlab.board.client import BoardClient
from wandlab.errors import BoardError, LinkError
from wandlab.protocol import Message
from wandlab.protocol.enroll import (
    ALL_CLASSES,
    EnrollCancel,
    EnrollProgress,
    EnrollStart,
    EnrollState,
    RefClear,
    RefData,
    RefDownload,
    RefList,
    RefListReply,
    RefUpload,
)

DEFAULT_TAKE_TIMEOUT_MS = 15_000
# The board reports a missed take itself after timeout_ms; this is only for a board that went silent.
SILENCE_MARGIN_S = 5.0


async def enroll_gesture(
    client: BoardClient,
    label: str,
    shots: int = 3,
    class_id: int | None = None,
    timeout_ms: int = DEFAULT_TAKE_TIMEOUT_MS,
) -> AsyncIterator[EnrollProgress]:
    """Enroll ``label`` from ``shots`` takes performed on the board; yields progress until DONE/FAILED.

    ``class_id`` None lets the board choose: the class already named ``label`` (more takes for it), or
    the first free id. Leaving the loop early cancels the enrollment on the board.
    """
    queue: asyncio.Queue[EnrollProgress] = asyncio.Queue()

    def listener(message: Message) -> None:
        if isinstance(message, EnrollProgress):
            queue.put_nowait(message)

    client.on_event(listener)  # before the request: the first WAITING follows its Ack at once
    finished = False
    try:
        await client.request(EnrollStart(ALL_CLASSES if class_id is None else class_id, label, shots, timeout_ms))
        while not finished:
            try:
                progress = await asyncio.wait_for(queue.get(), timeout_ms / 1000 + SILENCE_MARGIN_S)
            except TimeoutError:
                raise BoardError(f"enrolling '{label}': the board reported nothing for "
                                 f"{timeout_ms / 1000 + SILENCE_MARGIN_S:.0f} s") from None
            finished = progress.state in (EnrollState.DONE, EnrollState.FAILED)
            yield progress
    finally:
        client.off_event(listener)
        if not finished:
            with contextlib.suppress(BoardError, LinkError):
                await client.request(EnrollCancel())


async def cancel_enrollment(client: BoardClient) -> None:
    await client.request(EnrollCancel())


async def list_refs(client: BoardClient) -> RefListReply:
    """Every class the board recognises: id, label, reference count, threshold, source."""
    return await client.ask(RefList(), RefListReply)


async def clear_refs(client: BoardClient, class_id: int = ALL_CLASSES) -> None:
    """Forget one class (or all): the board stops recognising it until it is enrolled again."""
    await client.request(RefClear(class_id))


async def upload_refs(client: BoardClient, class_id: int, label: str, embeddings: np.ndarray, threshold: float,
                      shapes: bytes = b"") -> None:
    """Store references computed on the PC (int8, (count, dim)) as class ``class_id``, replacing it;
    ``shapes``: their takes' shape codes as the board computes them (``hybrid_rank.take_codes``), if known."""
    emb = np.asarray(embeddings)
    if emb.ndim != 2 or emb.dtype != np.int8:
        raise BoardError(f"references must be an int8 (count, dim) array, got {emb.dtype} {emb.shape}")
    await client.request(RefUpload(class_id, label, float(threshold), emb.shape[1], emb.tobytes(), shapes))


async def download_refs(client: BoardClient, class_id: int = ALL_CLASSES) -> list[RefData]:
    """The board's references (one class or all), e.g. for a backup; restore with ``restore_refs``."""
    got: list[RefData] = []

    def listener(message: Message) -> None:
        if isinstance(message, RefData):
            got.append(message)

    client.on_event(listener)
    try:
        await client.request(RefDownload(class_id))  # the board sends every RefData, then the Ack
    finally:
        client.off_event(listener)
    return got


def embeddings_of(ref: RefData) -> np.ndarray:
    if ref.dim == 0 or len(ref.embeddings) % ref.dim:
        raise BoardError(f"class {ref.class_id}: {len(ref.embeddings)} bytes are not whole {ref.dim}-D vectors")
    return np.frombuffer(ref.embeddings, np.int8).reshape(-1, ref.dim).copy()


async def restore_refs(client: BoardClient, refs: list[RefData]) -> None:
    for ref in refs:
        await upload_refs(client, ref.class_id, ref.label, embeddings_of(ref), ref.threshold, ref.shapes)
