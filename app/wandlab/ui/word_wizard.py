"""The wake word wizard: name a word, say it three times, the board listens for it; try it, tune it, key it.

Each take is cut from the board's own audio stream when the voice ends (``word_capture.TakeCapture``,
the CLI's cutting rules), shown trimmed, and checked at once: a take that is too quiet, clipped, too
short or long, or too noisy is asked for again with the reason, and when the three disagree the odd
one is. Then ``flows.enroll_word.enroll_word`` enrols them on the PC with the shipped speech model,
uploads the three embeddings and maps the key. The test step cuts the next take the same way and
shows both sides: the distance the PC computes with the same model, and the WakeEvent (and HidReport)
the board itself sends. With the virtual wand it speaks the word in a chosen voice, so the whole flow
works without hardware; with the PC's microphone picked in its panel, it is your own voice.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from html import escape
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QWidget

from wandlab.board.words import clear_word, list_words, word_class
from wandlab.errors import BoardError, LinkError, WandlabError
from wandlab.flows.enroll_word import enroll_word
from wandlab.flows.word_takes import WordStep, check_take
from wandlab.ml.wakeword import EnrollmentError, check_utterance
from wandlab.protocol import SimPerson, SimSay
from wandlab.ui.notify import Notifier, TaskRunner
from wandlab.ui.plain_errors import plain
from wandlab.ui.session import DeviceSession
from wandlab.ui.space_key import SpaceKey
from wandlab.ui.word_capture import TakeCapture, TakeState, odd_one_out
from wandlab.ui.word_listener import AudioTap
from wandlab.ui.word_pages import NAME, TAKES, TEST, WordPages, sentence
from wandlab.ui.word_trial import SAY_DELAY_S, WordTrial, shared_embedder

TAKES_NEEDED = 3
NEXT_TAKE_S = 0.8  # the verdict of a take stays in view a moment before the next prompt
METER_MS = 50
SHORTCUT = "Ctrl+Shift+W"


class WordWizard(QDialog):
    def __init__(
        self,
        session: DeviceSession,
        runner: TaskRunner,
        notifier: Notifier,
        parent: QWidget | None = None,
        project: Any = None,
        person: int = 0,
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.notifier = session, runner, notifier
        self.project = project  # the open dataset Project: the three takes are kept in it (None: not kept)
        self.setWindowTitle("Enroll a wake word")
        self.resize(760, 560)
        self.ui = WordPages(session, runner, virtual=session.is_virtual, person=person)
        self.ui.build(self)
        self.tap = AudioTap(session)
        self.person_before = person  # the virtual wand's voice, given back on closing
        self.takes: list[np.ndarray | None] = [None] * TAKES_NEEDED
        self.label = ""
        self.labels_before: set[str] | None = None  # the board's words before this wizard uploaded any
        self.task: asyncio.Task[Any] | None = None
        self.uploading: asyncio.Task[Any] | None = None
        self._said_person = person
        self.trial = WordTrial(self.ui, self.tap, session, runner, self._say)

        u = self.ui
        u.name.textChanged.connect(self._name_changed)
        u.start_button.clicked.connect(self.start)
        u.say_button.clicked.connect(self.say)
        u.stop_button.clicked.connect(self.stop_take)
        u.cancel_button.clicked.connect(self.cancel_takes)
        u.test_say_button.clicked.connect(self.say)
        u.another_button.clicked.connect(self._back_to_name)
        u.done_button.clicked.connect(self.accept)
        self._meter = QTimer(self, interval=METER_MS)
        self._meter.timeout.connect(self._show_level)
        self._meter.start()
        # Space stops a take (on the takes page only: elsewhere it presses the focused button, as usual).
        self._space = SpaceKey(u.pages, self.stop_take)
        self._space.enabled = False
        u.pages.currentChanged.connect(lambda index: setattr(self._space, "enabled", index == TAKES))
        self._name_changed("")
        self.runner.run(self.ui.words.refresh(), "Reading the board's words")

    # -- step 1: the name ---------------------------------------------------------------------------
    def blocker(self) -> str:
        """Why Start cannot enrol now ("" when it can)."""
        if not self.session.connected or self.session.client is None:
            return "Connect a board (or the virtual wand) first."
        if not self.ui.words.supported:
            return self.ui.words.state.text()
        return ""

    def _name_changed(self, text: str) -> None:
        why = self.blocker() or ("" if text.strip() else "Type the word first.")
        self.ui.start_button.setEnabled(not why)
        self.ui.start_button.setToolTip(why or "Start: say the word three times when asked")
        self.ui.why.setText(self.blocker())
        self.ui.why.setVisible(bool(self.ui.why.text()))

    def _back_to_name(self) -> None:
        self.trial.stop()
        self.tap.pause()
        self.ui.name.clear()
        self.ui.pages.setCurrentIndex(NAME)
        self.runner.run(self.ui.words.refresh(), "Reading the board's words")

    def start(self) -> None:
        label = " ".join(self.ui.name.text().split())
        if not label or self.blocker():
            return
        self.label = label
        self.takes = [None] * TAKES_NEEDED
        self.ui.take_row.clear()
        self.ui.message.setText("")
        self.ui.pages.setCurrentIndex(TAKES)
        self.task = self.runner.run(self._enroll(), f"Enrolling '{label}'")

    # -- step 2: three takes ------------------------------------------------------------------------
    async def _enroll(self) -> None:
        try:
            await self.tap.ensure_audio()
            self.labels_before = self.labels_before or {w.label for w in self.ui.words.words}
            while True:
                await self._collect_takes()
                if await self._upload():
                    break
        except (BoardError, LinkError) as exc:
            self._say_problem(plain(exc))

    async def _collect_takes(self) -> None:
        while (i := next((k for k, t in enumerate(self.takes) if t is None), -1)) >= 0:
            card = self.ui.take_row.cards[i]
            again = " again" if card.verdict.text().startswith("✗") else ""
            self.ui.prompt.setText(f"Say “{escape(self.label)}”{again}  ({i + 1} of {TAKES_NEEDED})")
            card.listening()
            capture = await self._capture()
            if capture.state is TakeState.NOTHING:
                card.set_bad(None, "nothing heard")
                self._say_problem(
                    f"Take {i + 1}: I heard nothing. Speak after the prompt, closer to the "
                    "microphone (the meter should move)."
                )
            elif capture.lost_blocks:
                card.set_bad(capture.pcm, "audio lost on the link")
                self._say_problem(
                    f"Take {i + 1}: {capture.lost_blocks} audio blocks were lost between the board "
                    "and this computer, so the take has a gap. Say it again."
                )
            else:
                pcm = capture.pcm
                try:
                    word = check_take(pcm)
                except EnrollmentError as exc:
                    card.set_bad(pcm, exc.reason or str(exc).split(" (")[0])
                    self._say_problem(f"Take {i + 1}: {sentence(str(exc))} Say it again.")
                else:
                    card.set_good(pcm, len(word))
                    self.takes[i] = pcm
                    self.ui.message.setText("")
                    self.ui.state.setText(f"✓ Got take {i + 1}.")
            await asyncio.sleep(NEXT_TAKE_S)

    async def _capture(self) -> TakeCapture:
        capture = self.tap.listen()
        self.ui.state.setText("Listening… say it when you are ready")
        if self.session.is_virtual and self.ui.auto_say.isChecked():
            await asyncio.sleep(SAY_DELAY_S)
            if capture is self.tap.capture and not capture.over:
                await self._say()
        while not capture.over:
            await asyncio.sleep(METER_MS / 1000)
        self.tap.pause()
        self.ui.state.setText("")
        return capture

    async def _upload(self) -> bool:
        """Enrol the three takes and store the word; False when a take must be said again."""
        client = self.session.client
        if client is None:
            raise LinkError("the board went away")
        self.ui.prompt.setText(f"Teaching the board “{escape(self.label)}”…")
        self.ui.state.setText("")
        embedder = await shared_embedder()
        takes = [t for t in self.takes if t is not None]
        try:
            self.uploading = asyncio.current_task()
            done = await enroll_word(
                client,
                self.label,
                takes,
                self._progress,
                sensitivity=self.ui.sensitivity_value(),
                embedder=embedder,
                action=self.ui.key_action(word_class(0)),
            )
        except EnrollmentError as exc:  # the three disagree: ask again for the odd one, not all three
            named = re.search(r"\btake (\d)\b", str(exc))
            odd = int(named.group(1)) - 1 if named else odd_one_out([embedder.embed(check_utterance(t)) for t in takes])
            self.takes[odd] = None
            self.ui.take_row.cards[odd].set_bad(takes[odd], "differs from the other two")
            again = "" if named else f" Say take {odd + 1} again, the way you said the others."
            self._say_problem(sentence(str(exc)) + again)
            await asyncio.sleep(NEXT_TAKE_S)
            return False
        finally:
            self.uploading = None
        self._keep_takes(takes)
        self.trial.start(self.label, done.word, done.word_id, done.action)
        return True

    def _progress(self, step: WordStep) -> None:
        self.ui.message.setStyleSheet("")
        self.ui.message.setText(sentence(step.message))

    def _keep_takes(self, takes: list[np.ndarray]) -> None:
        """The takes go into the open project (the next training of a speech model can learn from them)."""
        project = self.project
        if project is None:
            return
        from wandlab.dataset import run_job
        from wandlab.dataset.model import AUDIO_AXES
        from wandlab.dataset.project import Draft
        from wandlab.flows.enroll_word import ENROLLED_SESSION
        from wandlab.ml.wakeword import voiced_span

        info = self.session.info
        drafts = [
            Draft(
                self.label,
                "audio",
                AUDIO_AXES,
                16000.0,
                t,
                session=ENROLLED_SESSION,
                board=info.board_name if info else "",
                trim=voiced_span(t),
                notes="wake word enrolment take",
            )
            for t in takes
        ]
        # The app holds the project open (and locked): flows.enroll_word.save_takes would open it a second
        # time, so the takes are added through this open handle, which also tells the Dataset page.
        try:
            run_job(project.add_samples(drafts))
        except (WandlabError, OSError) as exc:
            self.notifier.warning(f"“{self.label}” is on the board, but its takes were not saved: {plain(exc)}")

    def stop_take(self) -> None:
        capture = self.tap.capture
        if capture is not None:
            capture.stop()

    def cancel_takes(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.tap.pause()
        self.ui.pages.setCurrentIndex(NAME)

    def _say_problem(self, text: str) -> None:
        self.ui.message.setStyleSheet("color: #9b1c1c;")
        self.ui.message.setText(text)

    def say(self) -> None:
        self.runner.run(self._say(), "Virtual wand")

    async def _say(self) -> None:
        person = self.ui.person.value()
        if person != self._said_person:
            await self.session.simulate(SimPerson(person))
            self._said_person = person
        await self.session.simulate(SimSay(self.label))

    def _show_level(self) -> None:
        capture = self.tap.capture
        meter = self.ui.test_meter if self.ui.pages.currentIndex() == TEST else self.ui.meter
        if capture is None:
            return
        meter.set_levels(capture.level_dbfs, capture.peak_dbfs, capture.clipped)
        if capture.state is TakeState.HEARING:
            self.ui.state.setText("Hearing you…")
            self.ui.test_state.setText("Hearing you…")

    # -- closing: the board as it was (stream, voice; no half-made word) ----------------------------
    def done(self, result: int) -> None:  # noqa: D401 (Qt API: every way of closing a dialog ends here)
        self._cleanup()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self._cleanup()
        super().closeEvent(event)

    def _cleanup(self) -> None:
        self.trial.stop(send_pending=True)
        self._meter.stop()
        self._space.enabled = False
        half_made = self.uploading is not None and not self.uploading.done()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.runner.run(self._restore(half_made), "Putting the board back as it was")

    async def _restore(self, half_made: bool) -> None:
        client = self.session.client
        if client is None or not self.session.connected:
            return
        with contextlib.suppress(BoardError, LinkError):
            if half_made and self.labels_before is not None:  # closed mid-upload: take back a new word
                for word in (await list_words(client)).words:
                    if word.label == self.label and word.label not in self.labels_before:
                        await clear_word(client, word.word_id)
            if self.session.is_virtual and self._said_person != self.person_before:
                await self.session.simulate(SimPerson(self.person_before))
        await self.tap.restore()


def install_word_menu(window: QMainWindow, open_wizard: Any) -> None:
    """Board > Enroll a wake word… (Ctrl+Shift+W: no text field uses it, so it never eats typing)."""
    board = next(
        (
            a.menu()
            for a in window.menuBar().actions()
            if isinstance(a.menu(), QMenu) and a.text().replace("&", "") == "Board"
        ),
        None,
    )
    menu = board if isinstance(board, QMenu) else window.menuBar().addMenu("&Board")
    action = menu.addAction("Enroll a &wake word…")
    action.setShortcut(QKeySequence(SHORTCUT))
    action.setToolTip("Teach the board your own wake word from three utterances, without training")
    action.triggered.connect(open_wizard)
