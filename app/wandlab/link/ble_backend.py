"""Which bleak backend a BLE link uses: the operating system's (the default), or bleak-on-Bumble.

bleak picks its platform backend (BlueZ, WinRT, CoreBluetooth) when ``backend=`` is None and lets a
caller inject its own classes otherwise; ``BleBackend`` carries that choice, plus the keyword arguments
the chosen backend understands, from a spec string or a test down to every BleakScanner and BleakClient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner


@dataclass(frozen=True)
class BleBackend:
    scanner: type[BaseBleakScanner] | None = None  # None: bleak's platform backend
    client: type[BaseBleakClient] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # extra keyword arguments for both
    name: str = "system Bluetooth"

    @property
    def is_system(self) -> bool:
        return self.scanner is None and self.client is None


SYSTEM = BleBackend()


def bumble_backend(air: str = "default", keys_dir: str | Path | None = None, memory_keys: bool = False,
                   mtu: int = 247) -> BleBackend:
    """bleak on Bumble's in-process radio (``wandlab.link.bumble_radio``): the virtual wand and the tests.

    ``keys_dir``: where the bonds live (default: the user's config folder); ``memory_keys``: nowhere;
    ``mtu``: the ATT MTU the central asks for (23: none, the Bluetooth 4.0 minimum)."""
    from wandlab.link.bleak_bumble import BumbleClient, BumbleScanner

    args: dict[str, Any] = {"air": air, "memory_keys": memory_keys, "mtu": mtu}
    if keys_dir is not None:
        args["keys_dir"] = str(keys_dir)
    return BleBackend(BumbleScanner, BumbleClient, {"bumble": args}, name=f"in-process radio '{air}'")
