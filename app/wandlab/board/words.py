"""Wake words on a board: upload an enrolled word, list and clear the board's words, watch it wake.

``upload_word`` sends what ``ml.wakeword.enroll`` made (a ``WakeWord``: label, three unit reference
embeddings, threshold) as the speech model's raw int8 outputs, with the CRC-32 of the model the host
embedded with (``Embedder.model_crc``), so a board running another speech model refuses it instead of
matching against vectors from a different network. The board layer does not import ``wandlab.ml``: the
word and the embedder are taken by what they carry (``EnrolledWord``, ``SpeechEmbedder``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import numpy as np

from wandlab.board.client import BoardClient
from wandlab.errors import BoardError
from wandlab.protocol import Message
from wandlab.protocol.words import (
    ANY_WORD,
    WORD_CLASS_BASE,
    WakeEvent,
    WordClear,
    WordList,
    WordListReply,
    WordUpload,
)

# The speech model's L2_NORMALIZATION output has |raw| * scale = 1 up to int8 rounding: searching this
# far either side of it finds the one int8 vector a unit reference came from.
_NORM_SEARCH = 0.1


class EnrolledWord(Protocol):
    label: str
    refs: np.ndarray  # (count, dim) unit float vectors
    threshold: float  # cosine distance


class SpeechEmbedder(Protocol):
    model_crc: int  # CRC-32 of the flatbuffer
    out_scale: float  # int8 output quantisation
    out_zero: int


def word_class(word_id: int) -> int:
    """The HID map class id of word ``word_id``."""
    return WORD_CLASS_BASE + word_id


def int8_codes(refs: np.ndarray, out_scale: float, out_zero: int) -> np.ndarray:
    """Unit references -> the int8 model outputs they were normalised from (exact, or BoardError).

    ``Embedder`` makes a reference as e / |e| with e = (raw - zero) * scale; raw - zero is therefore the
    reference times |raw - zero|, a norm close to 1 / scale, and the nearest norm whose rounding gives back
    the reference to float precision is the one it had."""
    refs = np.asarray(refs, dtype=np.float64)
    nominal = 1.0 / float(out_scale)
    steps = np.linspace(-_NORM_SEARCH, _NORM_SEARCH, 1601)
    norms = nominal * (1.0 + steps[np.argsort(np.abs(steps), kind="stable")])
    out = []
    for r in refs:
        for k in norms:
            q = np.round(r * k)
            n = float(np.linalg.norm(q))
            if n > 0 and np.all(np.abs(q + out_zero) <= 127) and np.max(np.abs(q / n - r)) < 1e-5:
                out.append(q + out_zero)
                break
        else:
            raise BoardError("a reference is not an output of this speech model (enrol the word again)")
    return np.asarray(out, dtype=np.int8)


async def list_words(client: BoardClient) -> WordListReply:
    """The board's words (id, label, references, threshold) and the CRC-32 of its speech model."""
    return await client.ask(WordList(), WordListReply)


async def upload_word(
    client: BoardClient, word: EnrolledWord, embedder: SpeechEmbedder, word_id: int = ANY_WORD
) -> int:
    """Store ``word`` on the board (replacing the word with that id, or the one with its label); its id.

    ``word_id`` 255 lets the board pick: the word with this label, else the first free id."""
    codes = int8_codes(word.refs, embedder.out_scale, embedder.out_zero)
    await client.request(
        WordUpload(word_id, word.label, float(word.threshold), int(embedder.model_crc), codes.shape[1], codes.tobytes())
    )
    stored = next((w for w in (await list_words(client)).words if w.label == word.label), None)
    if stored is None:
        raise BoardError(f"the board acknowledged '{word.label}' but does not list it")
    return stored.word_id


async def clear_word(client: BoardClient, word_id: int = ANY_WORD) -> None:
    """Forget one word (or all with 255); the board stops listening for it."""
    await client.request(WordClear(word_id))


async def next_wake(
    client: BoardClient, timeout_s: float, accept: Callable[[WakeEvent], bool] = lambda e: True
) -> WakeEvent | None:
    """The next WakeEvent ``accept`` takes within ``timeout_s`` seconds, else None."""
    loop = asyncio.get_running_loop()
    got: asyncio.Future[WakeEvent] = loop.create_future()

    def listener(message: Message) -> None:
        if isinstance(message, WakeEvent) and not got.done() and accept(message):
            got.set_result(message)

    client.on_event(listener)
    try:
        return await asyncio.wait_for(got, timeout_s)
    except TimeoutError:
        return None
    finally:
        client.off_event(listener)
