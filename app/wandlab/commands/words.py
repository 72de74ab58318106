"""``wandlab enroll-word`` and ``wandlab words``: personal wake words the board detects on its own.

With the virtual wand, ``--say VOICE`` has the wand speak the word itself (SimPerson, then SimSay for each
take), so the whole loop runs headless; ``virtual:?state=DIR`` keeps the words between commands. Errors
are one sentence on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from wandlab.errors import WandlabError

HID_OFF_NOTE = "HID output is off: the board reports the key but sends it to no computer (wandlab hid --on)"


def register(sub: Any) -> None:
    e = sub.add_parser("enroll-word", help="teach the board a wake word from three utterances (no training)")
    e.add_argument("--port", required=True, help="link spec, e.g. serial:/dev/ttyACM0 or virtual:?state=DIR")
    e.add_argument("--label", required=True, help="the word, e.g. lumos")
    e.add_argument(
        "--wav",
        nargs=3,
        metavar=("A", "B", "C"),
        help="three recordings of the word instead of recording from the board",
    )
    e.add_argument(
        "--say",
        type=int,
        metavar="VOICE",
        help="virtual wand: speak the word itself in this voice (a simulated person number)",
    )
    e.add_argument(
        "--key", help="what the board presses when it hears the word, e.g. Space, Ctrl+Shift+B, Play/Pause, mouse left"
    )
    e.add_argument("--sensitivity", type=float, default=0.5, help="0 strict .. 1 lenient (default 0.5)")
    e.add_argument("--project", metavar="DIR", help="keep the three takes in this project as audio samples "
                   "(default: ~/Wandlab/default-project, as gesture enrolment does)")
    e.add_argument("--no-save", action="store_true", help="do not keep the takes in a project")
    e.set_defaults(func=_enroll_word)

    w = sub.add_parser("words", help="list the board's wake words, or clear one")
    w.add_argument("--port", required=True)
    w.add_argument("--clear", metavar="ID|all", help="forget a word (or all of them)")
    w.set_defaults(func=_words)


def _fail(exc: Exception) -> int:
    print(f"wandlab: {exc}", file=sys.stderr)
    return 2


def _enroll_word(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_enroll(args))
    except WandlabError as exc:
        return _fail(exc)


async def _enroll(args: argparse.Namespace) -> int:
    from wandlab.board.client import BoardClient
    from wandlab.board.controller import get_hid_map
    from wandlab.board.hid_parse import parse_action
    from wandlab.commands.record import DEFAULT_PROJECT
    from wandlab.flows.connect import open_link
    from wandlab.flows.enroll_word import WordStep, enroll_word, read_takes, record_takes
    from wandlab.ml.wakeword import EnrollmentError
    from wandlab.protocol import SimPerson, SimSay

    if not 0.0 <= args.sensitivity <= 1.0:
        raise EnrollmentError("--sensitivity must be between 0 and 1")
    if args.wav and args.say is not None:
        raise EnrollmentError("--wav and --say both give the takes: use one")
    action = parse_action(args.key, 0) if args.key else None  # a typo fails before connecting
    takes = read_takes(args.wav) if args.wav else None

    def show(step: WordStep) -> None:
        if step.kind != "level":
            print(step.message, flush=True)

    async with BoardClient(open_link(args.port), reconnect=False) as client:
        if takes is None:
            say = None
            if args.say is not None:
                await _request_sim(client, SimPerson(args.say))

                async def say() -> None:
                    await _request_sim(client, SimSay(args.label))

            takes = await record_takes(client, args.label, show, say=say)
        # The user's three takes are kept unless asked not to: the same default as gesture enrolment.
        project = None if args.no_save else (args.project or DEFAULT_PROJECT)
        done = await enroll_word(
            client, args.label, takes, show, sensitivity=args.sensitivity, action=action, project=project
        )
        if done.action is not None and not (await get_hid_map(client)).enabled:
            print(HID_OFF_NOTE)
    return 0


async def _request_sim(client: Any, message: Any) -> None:
    from wandlab.errors import BoardError

    try:
        await client.request(message)
    except BoardError as exc:
        raise BoardError(f"--say needs the virtual wand (--port virtual:): {exc}") from None


def _words(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_list(args))
    except WandlabError as exc:
        return _fail(exc)


async def _list(args: argparse.Namespace) -> int:
    from wandlab.board.client import BoardClient
    from wandlab.board.controller import get_hid_map
    from wandlab.board.hid_presets import describe
    from wandlab.board.words import clear_word, list_words, word_class
    from wandlab.errors import BoardError
    from wandlab.flows.connect import open_link
    from wandlab.protocol.words import ANY_WORD

    clear = None
    if args.clear is not None:
        if args.clear != "all" and not args.clear.isdigit():
            raise BoardError(f"--clear takes a word id or 'all', not {args.clear!r}")
        clear = ANY_WORD if args.clear == "all" else int(args.clear)
    async with BoardClient(open_link(args.port), reconnect=False) as client:
        if clear is not None:
            await clear_word(client, clear)
        words = await list_words(client)
        actions = {a.class_id: a for a in (await get_hid_map(client)).actions}
    if not words.model_crc:
        print("this board cannot detect wake words (no speech model)")
        return 0
    print(f"{len(words.words)} wake words, speech model {words.model_crc:08x}, {words.dim}-D embeddings")
    for w in words.words:
        action = actions.get(word_class(w.word_id))
        key = f"  -> {describe(action)}" if action is not None else ""
        print(f"  {w.word_id:3d} {w.label:<16} {w.count:2d} refs  threshold {w.threshold:.3f}{key}")
    return 0
