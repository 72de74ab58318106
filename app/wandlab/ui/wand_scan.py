"""The wands advertising over Bluetooth, as the device panel lists them: a Qt-free model over ``scan_wands``.

Two radios can hold wands: the computer's (bleak's OS backend) and, while this app runs the virtual wand
over Bluetooth, the process's in-process radio (bleak on Bumble). A scan asks both at once and keeps what
each found, with the spec that connecting to it opens. A computer that cannot do Bluetooth is not an
error to pop up: ``problem`` holds one line (the reason) and ``problem_detail`` the whole message with
what to do, and the in-process radio is still scanned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wandlab.errors import LinkError

if TYPE_CHECKING:  # bleak loads with the first scan, not with the window
    from wandlab.link.ble_backend import BleBackend
    from wandlab.link.ble_scan import WandAdvert

# scan_wands' signature: (seconds, backend; None: the computer's Bluetooth) -> the wands heard.
WandScanner = Callable[[float, "BleBackend | None"], Awaitable["list[WandAdvert]"]]

SYSTEM_SCAN_S = 2.5  # a real radio: long enough to hear a wand advertising at its slow, battery-saving rate
INPROCESS_SCAN_S = 0.3  # the virtual wand advertises every 20 ms


async def scan_wands(seconds: float, backend: BleBackend | None) -> list[WandAdvert]:
    """``wandlab.link.ble_scan.scan_wands``, imported when first used."""
    from wandlab.link.ble_scan import scan_wands as scan

    return await scan(seconds, backend)


@dataclass(frozen=True)
class FoundWand:
    name: str
    address: str
    rssi: int  # dBm
    bonded: bool  # this computer (or the app, on the in-process radio) holds a bond with it
    spec: str  # what connecting to it opens
    inprocess: bool  # on this process's simulated radio (the virtual wand), not the computer's


def one_line(exc: BaseException) -> str:
    """The reason of a Bluetooth error without the instructions: "this computer has no Bluetooth adapter"."""
    text = str(exc)
    head = text.split(" (", 1)[0].split(". ", 1)[0]
    return head.removeprefix("Bluetooth is not available: ")


class WandScan:
    def __init__(self, scanner: WandScanner = scan_wands) -> None:
        self.scanner = scanner
        self.found: list[FoundWand] = []
        self.problem = ""  # why the computer's Bluetooth cannot scan, in one line ("" when it can)
        self.problem_detail = ""  # the whole message: reason and what to do on this operating system
        self.scanning = False
        self.scans = 0  # completed scans

    async def scan(self, inprocess: BleBackend | None = None, system_s: float = SYSTEM_SCAN_S) -> None:
        """Scan the computer's Bluetooth and, when given, the in-process radio; then ``found`` holds both."""
        if self.scanning:
            return
        self.scanning = True
        try:
            system, simulated = await asyncio.gather(self._system(system_s), self._inprocess(inprocess))
        finally:
            self.scanning = False
        self.found = sorted(system + simulated, key=lambda w: -w.rssi)
        self.scans += 1

    async def _system(self, seconds: float) -> list[FoundWand]:
        try:
            adverts = await self.scanner(seconds, None)
        except LinkError as exc:  # BluetoothUnavailable (no adapter, off, not allowed), or a failed scan
            self.problem, self.problem_detail = one_line(exc), str(exc)
            return []
        self.problem = self.problem_detail = ""
        return [FoundWand(a.name, a.address, a.rssi, a.bonded, f"ble:{a.address}", False) for a in adverts]

    async def _inprocess(self, backend: BleBackend | None) -> list[FoundWand]:
        if backend is None:
            return []
        try:
            adverts = await self.scanner(INPROCESS_SCAN_S, backend)
        except LinkError:
            return []  # the simulated radio went away with its wand: nothing to list
        air = dict(backend.options.get("bumble", {})).get("air", "default")
        suffix = "?radio=inprocess" + (f"&air={air}" if air != "default" else "")
        return [FoundWand(a.name, a.address, a.rssi, a.bonded, f"ble:{a.address}{suffix}", True) for a in adverts]
