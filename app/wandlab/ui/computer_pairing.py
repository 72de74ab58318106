"""The virtual wand's paired computer, as the app drives it: a Qt-free model over ``PairedComputer``.

A ``PairedComputer`` plays a laptop that pairs with the wand as a Bluetooth keyboard. It runs on the
same in-process radio as the virtual wand over Bluetooth (and so on the app's event loop), keeps its
bond in the session's virtual folder beside the wand's flash, and - like an operating system - comes
back by itself, encrypting with that bond, whenever the wand is switched on again. This model starts
it, follows its state (polled: its connection comes and goes with the wand's power), collects the keys
it receives, and forgets on both sides: the computer's key folder, and the wand's bonds through the
board client (``ForgetHosts``, what ``wandlab board forget-hosts`` sends).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wandlab.errors import LinkError
from wandlab.ui.session import DeviceSession

if TYPE_CHECKING:  # Bumble loads when a computer is paired, not with the window
    from wandlab.virtual.paired_computer import KeyEvent, PairedComputer

NOT_PAIRED, PAIRING, CONNECTED, WAITING = "not paired", "pairing", "connected", "waiting for the wand"
KEYS_MAX = 200


@dataclass(frozen=True)
class ReceivedKey:
    at: float  # time.time() when the computer received it
    text: str  # "Ctrl+S", "Play/Pause", "move +10 -5"


def has_bond(keys_dir: Path) -> bool:
    """Whether the computer's key file holds a bond (the file Bumble's JSON key store writes)."""
    from wandlab.virtual.paired_computer import KEYS_FILE

    try:
        stored = json.loads((keys_dir / KEYS_FILE).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(stored, dict) and any(isinstance(v, dict) and v for v in stored.values())


class ComputerPairing:
    def __init__(self, session: DeviceSession) -> None:
        self.session = session
        self.computer: PairedComputer | None = None
        self.state = NOT_PAIRED
        self.bonded = False
        self.keys: deque[ReceivedKey] = deque(maxlen=KEYS_MAX)  # oldest first
        self._pairing = False
        self._started = False  # a computer was started in this session: its key folder may hold a bond
        self._changed: list[Callable[[], None]] = []
        self._key_listeners: list[Callable[[ReceivedKey], None]] = []

    # -- subscriptions ---------------------------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> None:
        """``state`` or ``bonded`` changed."""
        self._changed.append(listener)

    def on_key(self, listener: Callable[[ReceivedKey], None]) -> None:
        self._key_listeners.append(listener)

    @property
    def keys_dir(self) -> Path:
        return self.session.virtual_folder() / "computer"

    # -- actions ---------------------------------------------------------------------------------------
    async def pair(self) -> None:
        """Start the computer, find the session's virtual wand, pair (bond) and subscribe to its keys."""
        virtual = self.session.virtual_ble()
        if virtual is None or virtual.server is None or not self.session.connected:
            raise LinkError("connect the virtual wand over Bluetooth first: the computer pairs with that wand")
        if self.computer is not None:
            return
        from wandlab.virtual.paired_computer import PairedComputer

        computer = PairedComputer(self.keys_dir, air=virtual.air)
        computer.on_key(self._received)
        self.computer, self._pairing, self._started = computer, True, True
        self.refresh()
        try:
            await computer.pair_with(virtual.server.address)
        except BaseException:
            self.computer = None
            await computer.close()
            raise
        finally:
            self._pairing = False
            self.refresh()

    async def forget(self) -> None:
        """Both sides forget the pairing: the computer stops and drops its keys, the wand deletes its bonds
        (every host's: a wand has one list; the app pairs again by itself on its next protected packet)."""
        client = self.session.client
        if client is None or not self.session.connected:
            raise LinkError("connect the wand first: it has to be told to forget the computer too")
        await self.close()
        shutil.rmtree(self.keys_dir, ignore_errors=True)
        self.refresh()
        from wandlab.protocol.controller import ForgetHosts

        await client.request(ForgetHosts())

    async def close(self) -> None:
        """Switch the computer off (the window closes, or it is forgotten); its key folder stays."""
        computer, self.computer = self.computer, None
        if computer is not None:
            with contextlib.suppress(Exception):  # Bumble's own errors while powering off change nothing here
                await computer.close()
        self.refresh()

    # -- state -----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the computer's state; tells ``on_change`` subscribers when it changed."""
        computer = self.computer
        if computer is None:
            state = NOT_PAIRED
        elif self._pairing:
            state = PAIRING
        else:
            state = CONNECTED if computer.connected else WAITING
        bonded = self._started and has_bond(self.keys_dir)  # a small file, read a few times a second at most
        if (state, bonded) != (self.state, self.bonded):
            self.state, self.bonded = state, bonded
            for listener in tuple(self._changed):
                listener()

    def _received(self, event: KeyEvent) -> None:
        # KeyEvent.time is time.monotonic(); people read wall-clock times.
        key = ReceivedKey(time.time() - (time.monotonic() - event.time), event.text)
        self.keys.append(key)
        for listener in tuple(self._key_listeners):
            listener(key)
