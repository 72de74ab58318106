"""Enrol a personal wake word on the board from three utterances: no training, no reflashing.

Three takes (recorded from the board's microphone, or files) are enrolled on the PC with the shipped
speech model (``ml.wakeword.enroll``: three embeddings and a threshold calibrated from their spread), the
embeddings go to the board (``board.words.upload_word``), which from then on listens for the word on its
own microphone; optionally the word gets a HID action (merged into the board's map: gesture entries stay),
and the takes are kept in the project as audio samples labelled with the word. Qt-free: the GUI wizard
runs these in its worker and shows the same ``WordStep`` progress the CLI prints.

Signatures::

    async def record_takes(client, label: str, progress: Progress = ..., *, count: int = 3,
                           say: Callable[[], Awaitable[None]] | None = None, timeout_s: float = 8.0,
                           max_tries: int = 4) -> list[np.ndarray]                    (flows.word_takes)
    def read_takes(paths: Sequence[str | Path]) -> list[np.ndarray]                  (flows.word_takes)
    async def enroll_word(client, label: str, takes: list[np.ndarray], progress: Progress = ..., *,
                          sensitivity: float = 0.5, action: HidAction | None = None,
                          project: str | Path | None = None, embedder: Embedder | None = None,
                          word_id: int = 255) -> WordEnrolled
    async def set_word_action(client, word_id: int, action: HidAction | None) -> None
    def save_takes(project: str | Path, label: str, takes: list[np.ndarray], board: str = "") -> int

``Progress`` is ``Callable[[WordStep], None]``; ``WordStep(kind, take, takes, message, level_dbfs)`` with
``kind`` one of prompt, level, take, refused, enrolled, uploaded, mapped, saved. An action is built with
``board.words.word_class(word_id)`` as its class id, or passed with any class id (it is replaced).
Failures raise WandlabError subclasses with one sentence: EnrollmentError (a take or the three are not
good enough), BoardError (the board refused, e.g. another speech model), DatasetError (the project).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.board.controller import get_hid_map, set_hid_map
from wandlab.board.hid_presets import describe
from wandlab.board.words import upload_word, word_class
from wandlab.flows.word_takes import Progress, WordStep, no_progress, read_takes, record_takes
from wandlab.ml.wakeword import Embedder, WakeWord, enroll, voiced_span
from wandlab.protocol.controller import HidAction
from wandlab.protocol.words import ANY_WORD

ENROLLED_SESSION = "wake word enrolment"

__all__ = ["WordEnrolled", "WordStep", "enroll_word", "read_takes", "record_takes", "save_takes", "set_word_action"]


@dataclass(frozen=True)
class WordEnrolled:
    word_id: int
    word: WakeWord
    action: HidAction | None  # as stored in the board's HID map
    saved: int  # takes kept in the project


async def enroll_word(
    client: Any,
    label: str,
    takes: list[np.ndarray],
    progress: Progress = no_progress,
    *,
    sensitivity: float = 0.5,
    action: HidAction | None = None,
    project: str | Path | None = None,
    embedder: Embedder | None = None,
    word_id: int = ANY_WORD,
) -> WordEnrolled:
    """Enrol ``takes`` (three, raw 16 kHz) as ``label``, store the word on the board, map and keep it."""
    model = embedder if embedder is not None else await asyncio.to_thread(Embedder)
    word = await asyncio.to_thread(enroll, label, takes, model, sensitivity)
    progress(
        WordStep(
            "enrolled",
            message=f"'{label}' enrolled: threshold {word.threshold:.3f} "
            f"(spread of the three {word.meta.get('spread', 0.0):.3f})",
        )
    )
    stored_id = await upload_word(client, word, model, word_id)
    progress(WordStep("uploaded", message=f"'{label}' is word {stored_id} on the board"))
    mapped = None
    if action is not None:
        mapped = dataclasses.replace(action, class_id=word_class(stored_id))
        await set_word_action(client, stored_id, mapped)
        progress(WordStep("mapped", message=f"'{label}' presses {describe(mapped)}"))
    saved = 0
    if project is not None:
        board = getattr(getattr(client, "info", None), "board_name", "") or ""
        saved = await asyncio.to_thread(save_takes, project, label, takes, board)
        progress(WordStep("saved", message=f"{saved} takes of '{label}' saved in {project}"))
    return WordEnrolled(stored_id, word, mapped, saved)


async def set_word_action(client: Any, word_id: int, action: HidAction | None) -> None:
    """Give word ``word_id`` this action (None: none), keeping every other entry of the board's HID map."""
    cls = word_class(word_id)
    current = await get_hid_map(client)
    kept = [a for a in current.actions if a.class_id != cls]
    if action is not None:
        kept.append(dataclasses.replace(action, class_id=cls))
    await set_hid_map(client, sorted(kept, key=lambda a: a.class_id))


def save_takes(project: str | Path, label: str, takes: list[np.ndarray], board: str = "") -> int:
    """Keep the takes as audio samples labelled ``label``, each trimmed (not cut) to its voice."""
    from wandlab.dataset.model import AUDIO_AXES
    from wandlab.dataset.project import Draft, Project

    drafts = []
    for pcm in takes:
        data = np.asarray(pcm, dtype=np.int16)
        start, stop = voiced_span(data)
        drafts.append(
            Draft(
                label,
                "audio",
                AUDIO_AXES,
                16000.0,
                data,
                session=ENROLLED_SESSION,
                board=board,
                trim=(start, stop) if stop > start else None,
                notes="wake word enrolment take",
            )
        )
    with Project.open(project, create=True) as p:
        collections.deque(p.add_samples(drafts), maxlen=0)  # the job's progress is not worth showing
    return len(drafts)
