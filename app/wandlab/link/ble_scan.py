"""Finding wands over BLE: a scan filtered by the Wandlab service UUID (what every wand advertises).

``scan_wands`` lists what is around (for a "choose your wand" list); ``find_wand`` returns the one a
``ble:`` spec names, by advertised name or by address (a UUID on macOS).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from wandlab.errors import LinkError
from wandlab.link.ble_backend import SYSTEM, BleBackend
from wandlab.link.ble_errors import adapter_problem
from wandlab.protocol import gatt


@dataclass(frozen=True)
class WandAdvert:
    name: str
    address: str  # what a ble: spec takes (a UUID on macOS)
    rssi: int  # dBm, of the latest advertisement
    bonded: bool  # this computer holds a bond with it (False where the OS does not say)


def _scanner_args(backend: BleBackend) -> dict[str, Any]:
    """BleakScanner keyword arguments: the service filter, the backend and its own options."""
    args: dict[str, Any] = {"service_uuids": [gatt.WANDLAB_SERVICE], **backend.options}
    if backend.scanner is not None:
        args["backend"] = backend.scanner
    return args


def is_bonded(device: BLEDevice) -> bool:
    """Whether the OS says it holds keys for this device (BlueZ: Paired/Bonded; bleak-on-Bumble: its key
    store); WinRT and CoreBluetooth do not say in a scan."""
    details = device.details
    if hasattr(details, "bonded"):
        return bool(details.bonded)
    props = details.get("props", {}) if isinstance(details, dict) else {}
    return bool(props.get("Bonded") or props.get("Paired"))


async def scan_wands(timeout_s: float = 3.0, backend: BleBackend | None = None) -> list[WandAdvert]:
    """The wands advertising nearby, strongest signal first."""
    found: dict[str, tuple[BLEDevice, AdvertisementData]] = {}
    try:
        async with BleakScanner(**_scanner_args(backend or SYSTEM)) as scanner:
            await asyncio.sleep(timeout_s)
            found = scanner.discovered_devices_and_advertisement_data
    except (BleakError, OSError) as exc:
        raise adapter_problem(exc) or LinkError(f"scanning for wands failed: {exc}") from None
    wands = [WandAdvert(adv.local_name or device.name or device.address, device.address, adv.rssi, is_bonded(device))
             for device, adv in found.values()]
    return sorted(wands, key=lambda w: -w.rssi)


def matches(target: str, device: BLEDevice, adv: AdvertisementData) -> bool:
    wanted = target.strip().lower()
    return wanted in (device.address.lower(), (adv.local_name or "").lower(), (device.name or "").lower())


async def find_wand(target: str, backend: BleBackend, timeout_s: float) -> BLEDevice:
    """The advertising wand named ``target`` (name or address); LinkError when none answers in time."""
    try:
        device = await BleakScanner.find_device_by_filter(lambda d, a: matches(target, d, a), timeout=timeout_s,
                                                          **_scanner_args(backend))
    except (BleakError, OSError) as exc:
        raise adapter_problem(exc) or LinkError(f"scanning for wand {target!r} failed: {exc}") from None
    if device is None:
        raise LinkError(f"no wand called {target!r} answered within {timeout_s:g} s: is it switched on, nearby, "
                        f"and not connected to another computer? (wandlab ble-scan lists the wands in range)")
    return device
