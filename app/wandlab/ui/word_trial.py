"""The word wizard's last step: say the stored word again and see both judges, and tune its sensitivity.

The PC cuts each test take like an enrolment take and measures its distance to the three references with
the same model (``WakeWord.distance``); the board, which listens by itself, reports a WakeEvent (and a
HidReport when the word has a key). The sensitivity slider recomputes the threshold
(``WakeWord.with_sensitivity``), judges the last take again at once, and re-sends the word once the slider
rests, so the board's threshold follows.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer

from wandlab.board.hid_presets import describe
from wandlab.board.words import upload_word, word_class
from wandlab.ml.wakeword import Embedder, EnrollmentError, WakeWord, check_utterance
from wandlab.protocol import Message
from wandlab.protocol.controller import HidAction, HidReport
from wandlab.protocol.words import WakeEvent
from wandlab.ui.notify import TaskRunner
from wandlab.ui.session import DeviceSession
from wandlab.ui.word_capture import TakeState
from wandlab.ui.word_listener import AudioTap
from wandlab.ui.word_pages import TEST, WordPages, sentence

SAY_DELAY_S = 0.5  # the virtual wand lets the room be heard first, as a person pauses after a prompt
POLL_S = 0.05
BOARD_WAIT_S = 1.2  # after the PC's verdict, how long the board may still take to report its wake
REUPLOAD_MS = 400  # the sensitivity slider re-sends the word once it rests this long
_embedder: Embedder | None = None  # LiteRT loads once per app: ~0.3 s the first time


async def shared_embedder() -> Embedder:
    global _embedder
    if _embedder is None:
        _embedder = await asyncio.to_thread(Embedder)
    return _embedder


class WordTrial(QObject):
    def __init__(
        self,
        ui: WordPages,
        tap: AudioTap,
        session: DeviceSession,
        runner: TaskRunner,
        say: Callable[[], Awaitable[None]],
    ) -> None:
        super().__init__(ui.pages)
        self.ui, self.tap, self.session, self.runner, self.say = ui, tap, session, runner, say
        self.label = ""
        self.word: WakeWord | None = None
        self.word_id = -1
        self.testing = False
        self.distance: float | None = None  # the PC's distance for the last test take
        self.board_heard: list[Message] = []  # what the board sent about the last test take
        self.task: asyncio.Task[Any] | None = None
        self._reupload = QTimer(self, singleShot=True, interval=REUPLOAD_MS)
        self._reupload.timeout.connect(lambda: self.runner.run(self.send_sensitivity(), "Re-sending the word"))
        ui.sensitivity.valueChanged.connect(self._sensitivity_moved)
        me = weakref.ref(self)

        def listener(message: Message) -> None:  # the session keeps listeners for good: hold the trial weakly
            trial = me()
            if trial is not None:
                trial.on_message(message)

        session.on_event(listener)

    def start(self, label: str, word: WakeWord, word_id: int, action: HidAction | None) -> None:
        self.label, self.word, self.word_id, self.distance = label, word, word_id, None
        key = f", presses {describe(action)}" if action is not None else ""
        ui = self.ui
        ui.stored.setText(
            f"<b style='color:#2e8b57'>✓ “{escape(label)}” is on the board</b> "
            f"(word {word_id}{key}). It listens for it by itself from now on."
        )
        ui.pages.setCurrentIndex(TEST)
        ui.show_threshold(word.threshold, None)
        ui.test_wave.set_take(None)
        ui.board_line.setText("")
        ui.sent.setText("")
        ui.test_result.setText(f"Say “{escape(label)}” again to test it")
        ui.test_result.setStyleSheet("")
        self.runner.run(ui.words.refresh(), "Reading the board's words")
        self.testing = True
        self.task = self.runner.run(self._listen(auto_say=True), "Testing the word")

    def stop(self, send_pending: bool = False) -> None:
        self.testing = False
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self._reupload.isActive():
            self._reupload.stop()
            if send_pending:  # closed while the slider was still moving: the board gets where it rests
                self.runner.run(self.send_sensitivity(), "Re-sending the word")

    async def _listen(self, auto_say: bool) -> None:
        while self.testing:
            self.board_heard = []
            self.ui.test_state.setText("Listening… say it (or another word: it should be rejected)")
            capture = self.tap.listen()
            if auto_say and self.session.is_virtual and self.ui.auto_say.isChecked():
                auto_say = False
                await asyncio.sleep(SAY_DELAY_S)
                await self.say()
            while not capture.over:
                await asyncio.sleep(POLL_S)
            self.tap.pause()
            self.ui.test_state.setText("")
            if capture.state is TakeState.NOTHING:
                continue
            self.judge(capture.pcm)
            await self._wait_for_board()

    def judge(self, pcm: np.ndarray) -> None:
        word = self.word
        if word is None:
            return
        self.ui.test_wave.set_take(pcm)
        try:
            trimmed = check_utterance(pcm)
        except EnrollmentError as exc:
            self.distance = None
            self.ui.test_result.setText("Not judged")
            self.ui.test_result.setStyleSheet("color: #8a8f98;")
            self.ui.test_detail.setText(f"That take was {sentence(str(exc))}")
            return
        assert _embedder is not None  # the enrolment before this step loaded it
        self.distance = word.distance(_embedder.embed(trimmed))
        self.show_verdict()

    def show_verdict(self) -> None:
        word, distance = self.word, self.distance
        if word is None or distance is None:
            return
        accepted = distance <= word.threshold
        self.ui.test_result.setText("✓ Accepted" if accepted else "✗ Rejected")
        self.ui.test_result.setStyleSheet(f"color: {'#2e8b57' if accepted else '#c0392b'};")
        self.ui.show_threshold(word.threshold, distance)

    async def _wait_for_board(self) -> None:
        for _ in range(int(BOARD_WAIT_S / POLL_S)):
            if any(isinstance(m, HidReport) for m in self.board_heard):
                break
            await asyncio.sleep(POLL_S)
        self.ui.show_board(self.board_heard, self.label)

    def on_message(self, message: Message) -> None:
        if not self.testing:
            return
        ours = (isinstance(message, WakeEvent) and message.word_id == self.word_id) or (
            isinstance(message, HidReport) and message.class_id == word_class(self.word_id)
        )
        if ours:
            self.board_heard.append(message)
            self.ui.show_board(self.board_heard, self.label)

    def _sensitivity_moved(self) -> None:
        if self.word is None:
            return
        self.word = self.word.with_sensitivity(self.ui.sensitivity_value())
        self.ui.show_threshold(self.word.threshold, self.distance)
        self.show_verdict()  # the last test, judged again against the new threshold
        self._reupload.start()

    async def send_sensitivity(self) -> None:
        client, word = self.session.client, self.word
        if client is None or word is None or self.word_id < 0:
            return
        await upload_word(client, word, await shared_embedder(), self.word_id)
        self.ui.sent.setText(
            f"Sent: the board accepts “{escape(self.label)}” up to a distance of {word.threshold:.3f}."
        )
        self.runner.run(self.ui.words.refresh(), "Reading the board's words")
