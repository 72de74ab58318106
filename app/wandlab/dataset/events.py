"""Plain-Python change notifications from a project, for views to follow without polling.

A Qt view subscribes a callback that re-emits a Qt signal; the core never imports Qt. Callbacks run on
the thread that made the change (a recorder may finish on a worker thread), so a GUI must hop to its
own thread, which a queued Qt signal does for free.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamplesChanged:
    """Samples appeared, changed (label, trim, notes...) or disappeared from the visible set."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryChanged:
    """The undo/redo stack moved: enable/disable the Undo and Redo actions and update their text."""

    can_undo: bool
    can_redo: bool
    undo_text: str
    redo_text: str


@dataclass(frozen=True)
class RecordingChanged:
    """A recording started ('started'), grew ('frames', throttled by the caller) or ended."""

    sample_id: str
    state: str  # 'started' | 'finished' | 'aborted'
    frames: int


Event = SamplesChanged | HistoryChanged | RecordingChanged
Callback = Callable[[Event], None]


class Events:
    """A list of subscribers. A failing subscriber is logged and does not stop the others."""

    def __init__(self) -> None:
        self._subscribers: list[Callback] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Add ``callback``; returns a function that removes it again."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a broken view must not undo a committed change
                log.exception("dataset event subscriber failed on %r", event)
