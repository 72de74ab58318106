"""The three takes of a wake word: recorded from the board's microphone stream, or read from audio files.

``record_takes`` prompts ("say 'lumos' (1 of 3)"), cuts each take out of the board's audio stream when
the voice ends (``utterance.UtteranceCutter``), and refuses a take ``check_take`` finds wanting (too
quiet, clipped, too noisy, too short, too long) with its reason, asking for it again. Every step goes
to the ``progress`` callback as a ``WordStep``, so the GUI wizard and the CLI show the same things.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import resample_poly

from wandlab.errors import BoardError
from wandlab.flows.utterance import RATE_HZ, Cut, UtteranceCutter, frame_dbfs
from wandlab.ml.wakeword import EnrollmentError, check_utterance
from wandlab.protocol import Sensors, StreamStart

TAKES = 3
TAKE_TIMEOUT_S = 8.0  # of audio: nobody spoke after the prompt
MAX_TRIES = 4  # per take: then the enrolment stops, with the last reason
SAY_AFTER_S = 0.35  # a scripted voice speaks once the cutter has heard the room
LEVEL_EVERY_S = 0.05
NO_AUDIO_S = 3.0  # of wall time without a block: the board stopped streaming
# A recorded take is pre-roll + word + tail, so its quietest tenth is the room: the voice must stand 12 dB
# above it. Stricter than ``check_utterance``'s 5 dB for any file, which may be cut tight at the word.
MIN_SNR_DB = 12.0


@dataclass(frozen=True)
class WordStep:
    """One thing to show: ``kind`` is prompt, level, take (accepted), refused, enrolled, uploaded, mapped or
    saved; ``take`` counts from 1 (0: not about one take)."""

    kind: str
    take: int = 0
    takes: int = TAKES
    message: str = ""
    level_dbfs: float | None = None


Progress = Callable[[WordStep], None]
Say = Callable[[], Awaitable[None]]


def no_progress(step: WordStep) -> None:
    pass


def read_takes(paths: Sequence[str | Path]) -> list[np.ndarray]:
    """Audio files (WAV, or what ``dataset.audio_files`` reads) -> 16 kHz mono int16 takes."""
    from wandlab.dataset.audio_files import read_audio

    takes = []
    for path in paths:
        pcm, rate = read_audio(Path(path))
        if rate != RATE_HZ:
            x = resample_poly(pcm.astype(np.float64), RATE_HZ, rate)
            pcm = np.clip(np.round(x), -32768, 32767).astype(np.int16)
        takes.append(pcm)
    return takes


async def record_takes(
    client: Any,
    label: str,
    progress: Progress = no_progress,
    *,
    count: int = TAKES,
    say: Say | None = None,
    timeout_s: float = TAKE_TIMEOUT_S,
    max_tries: int = MAX_TRIES,
) -> list[np.ndarray]:
    """``count`` usable takes of ``label`` from the board's microphone (raw: ``enroll`` trims them).

    Starts the audio stream if nothing streams (and stops it after); if the client streams already, audio
    is added to it and left on. ``say`` (e.g. the virtual wand speaking the word) is awaited once per
    attempt, after the room has been heard. Raises EnrollmentError when a take fails ``max_tries`` times."""
    own_stream = not client.streaming
    if own_stream:
        await client.start_stream(imu=False, audio=True)
    else:
        await client.request(StreamStart(int(Sensors.AUDIO), 0))
    blocks = _audio(client)
    try:
        takes = []
        for i in range(1, count + 1):
            takes.append(await _one_take(blocks, label, i, count, progress, say, timeout_s, max_tries))
        return takes
    finally:
        await blocks.aclose()
        if own_stream:
            with contextlib.suppress(Exception):
                await client.stop_stream()


async def _one_take(
    blocks: AsyncIterator[np.ndarray],
    label: str,
    i: int,
    count: int,
    progress: Progress,
    say: Say | None,
    timeout_s: float,
    max_tries: int,
) -> np.ndarray:
    reason = ""
    for attempt in range(1, max_tries + 1):
        again = " again" if attempt > 1 else ""
        progress(WordStep("prompt", i, count, f"say '{label}'{again} ({i} of {count})"))
        take = await _capture(blocks, i, count, progress, say, timeout_s)
        if take is None:
            reason = f"heard nothing within {timeout_s:.0f} s"
        else:
            try:
                check_take(take)
                progress(WordStep("take", i, count, f"take {i} of {count}: {len(take) / RATE_HZ:.2f} s"))
                return take
            except EnrollmentError as exc:
                reason = str(exc)
        progress(WordStep("refused", i, count, f"take {i} of {count} refused: {reason}"))
    raise EnrollmentError(f"take {i}: no usable take in {max_tries} tries (last: {reason})")


def check_take(pcm: np.ndarray) -> np.ndarray:
    """A recorded take's word, trimmed, or EnrollmentError with the reason and what to do.

    ``check_utterance``'s checks first (quiet, clipped, noisy, short, long), then the room: the loudest
    part of the voice against the level of the take's quiet part.
    """
    word = check_utterance(pcm)
    db = frame_dbfs(pcm)
    # A take is pre-roll + word + tail, so its quietest tenth is the background even when the word
    # detector took the whole take for voice (a noise as loud as the word would make it do that).
    snr = float(db.max()) - float(np.percentile(db, 10))
    if snr < MIN_SNR_DB:
        raise EnrollmentError(
            f"too noisy (the voice is only {snr:.0f} dB above the background): "
            "move somewhere quieter or closer to the microphone",
            "noisy",
        )
    return word


async def _capture(
    blocks: AsyncIterator[np.ndarray], i: int, count: int, progress: Progress, say: Say | None, timeout_s: float
) -> np.ndarray | None:
    cutter = UtteranceCutter()
    said = say is None
    next_level = 0.0
    while cutter.state != Cut.DONE:
        try:
            pcm = await asyncio.wait_for(anext(blocks), NO_AUDIO_S)
        except (TimeoutError, StopAsyncIteration):
            raise BoardError(f"the board sent no audio for {NO_AUDIO_S:.0f} s") from None
        cutter.feed(pcm)
        if cutter.heard_s >= next_level:
            next_level = cutter.heard_s + LEVEL_EVERY_S
            progress(WordStep("level", i, count, level_dbfs=cutter.level_dbfs))
        if not said and cutter.heard_s >= SAY_AFTER_S:
            said = True
            assert say is not None
            await say()
        if cutter.state == Cut.LISTENING and cutter.heard_s >= timeout_s:
            return None
    return cutter.take()


async def _audio(client: Any) -> AsyncGenerator[np.ndarray, None]:
    """The board's audio blocks' samples; lost blocks would splice a take, so they stop it."""
    started = time.monotonic()
    async for block in client.blocks():
        if block.sensor != "audio" or block.received_at < started:
            continue
        if block.lost_before:
            raise BoardError(f"{block.lost_before} audio blocks were lost on the link; try again")
        yield block.data
