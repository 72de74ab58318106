"""The "Bluetooth adapter" of the bleak-on-Bumble backend: one Bumble central per air and key folder.

An operating system has one adapter that every scanner and client of an app shares; so does this
backend. The adapter is a Bumble device on ``bumble_radio``'s air with its own controller, its bonds
kept in a JSON key store in a folder (what BlueZ keeps under /var/lib/bluetooth), and a static address
derived from that folder, so that a wand that bonded with it recognises it after a restart.
"""

from __future__ import annotations

import asyncio
import os
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from bumble.device import Advertisement, Device
from bumble.hci import Address
from bumble.keys import JsonKeyStore, KeyStore, MemoryKeyStore

from wandlab.link import bumble_radio

KEYS_FILE = "bumble_keys.json"


class BumbleArgs(TypedDict, total=False):
    """``bumble={...}`` keyword of BleakScanner / BleakClient when this backend is used."""

    air: str  # which in-process air (bumble_radio.air); default "default"
    keys_dir: str  # folder for the bond file; default: the user's config folder (None in the dict: memory)
    memory_keys: bool  # keep bonds in memory only (tests that must not touch the user's folder)
    mtu: int  # ATT MTU to ask for after connecting (default 247, as OS stacks do; 23: no exchange)


def default_keys_dir() -> Path:
    """Where the app's own bonds live when it runs on the in-process radio: the user's config folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "wandlab" / "ble"


@dataclass(eq=False)
class BumbleAdapter:
    device: Device
    keys_dir: Path | None
    bonded: set[str] = field(default_factory=set)  # peer addresses with stored keys (kept current)
    _scanners: int = 0

    async def start_scanning(self) -> None:
        self._scanners += 1
        if self._scanners == 1:
            # No duplicate filter: RSSI and name updates keep coming, as on the OS backends.
            await self.device.start_scanning(active=True, filter_duplicates=False)

    async def stop_scanning(self) -> None:
        self._scanners = max(0, self._scanners - 1)
        if self._scanners == 0 and self.device.is_scanning:
            await self.device.stop_scanning()

    async def wait_for_advertisement(self, address: Address, timeout_s: float) -> bool:
        """Scan until ``address`` advertises (True) or the time is up (False).

        Connect only to a device just heard: Bumble's simulated controller never completes a connection
        attempt to a silent device, not even after LE Create Connection Cancel, so an attempt that
        times out would hang and block every later one."""
        heard = asyncio.Event()

        def on_advertisement(adv: Advertisement) -> None:
            if adv.address == address:
                heard.set()

        self.device.on(Device.EVENT_ADVERTISEMENT, on_advertisement)
        await self.start_scanning()
        try:
            await asyncio.wait_for(heard.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            self.device.remove_listener(Device.EVENT_ADVERTISEMENT, on_advertisement)
            await self.stop_scanning()

    async def refresh_bonds(self) -> None:
        keystore = self.device.keystore
        self.bonded = {address for address, _ in await keystore.get_all()} if keystore is not None else set()

    async def forget(self, address: str) -> None:
        keystore = self.device.keystore
        if keystore is not None and address in self.bonded:
            await keystore.delete(address)
        self.bonded.discard(address)


_adapters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], BumbleAdapter]] = (
    weakref.WeakKeyDictionary()
)
_lock: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def get_adapter(args: BumbleArgs | None = None) -> BumbleAdapter:
    """The shared adapter for these arguments on the running loop, powered on (created on first use)."""
    args = args or {}
    air_name = args.get("air", bumble_radio.DEFAULT_AIR)
    keys_dir = None if args.get("memory_keys") else Path(args.get("keys_dir") or default_keys_dir())
    key = (air_name, str(keys_dir.resolve()) if keys_dir else "memory")
    loop = asyncio.get_running_loop()
    async with _lock.setdefault(loop, asyncio.Lock()):
        per_loop = _adapters.setdefault(loop, {})
        if key not in per_loop:
            per_loop[key] = await _create(air_name, keys_dir)
        return per_loop[key]


async def _create(air_name: str, keys_dir: Path | None) -> BumbleAdapter:
    keystore: KeyStore
    if keys_dir is not None:
        keys_dir.mkdir(parents=True, exist_ok=True)
        keystore = JsonKeyStore("wandlab", str(keys_dir / KEYS_FILE))
        seed = f"wandlab-host:{keys_dir.resolve()}"
    else:
        keystore = MemoryKeyStore()
        seed = f"wandlab-host:memory:{air_name}"
    device = bumble_radio.new_device("Wandlab", bumble_radio.static_address(seed), air_name=air_name,
                                     keystore=keystore)
    device.pairing_config_factory = lambda _connection: bumble_radio.pairing_config()
    await device.power_on()
    adapter = BumbleAdapter(device, keys_dir)
    await adapter.refresh_bonds()
    device.on(Device.EVENT_KEY_STORE_UPDATE, lambda: asyncio.ensure_future(adapter.refresh_bonds()))
    return adapter


async def close_adapters() -> None:
    """Power off every adapter of the running loop (before the loop ends: Bumble needs it running)."""
    per_loop = _adapters.pop(asyncio.get_running_loop(), {})
    for adapter in per_loop.values():
        await bumble_radio.release(adapter.device)
