"""What to tell a user whose computer cannot do Bluetooth right now, per operating system.

bleak reports a missing, switched-off or forbidden adapter in several ways (``BleakBluetoothNotAvailableError``
with a reason; on Linux also D-Bus errors, or no D-Bus socket at all when BlueZ is not installed).
``adapter_problem`` turns each into one LinkError that says what to do.
"""

from __future__ import annotations

import sys

from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakDBusError

from wandlab.errors import LinkError

LINUX_HELP = ("make sure BlueZ is running (sudo systemctl start bluetooth), the adapter is on (bluetoothctl power "
              "on) and your user may use it (sudo usermod -aG bluetooth $USER, then log out and in)")
WINDOWS_HELP = "turn Bluetooth on in Settings > Bluetooth & devices (and check that the adapter's driver is installed)"
MACOS_HELP = ("allow Wandlab (or the terminal you started it from) in System Settings > Privacy & Security > "
              "Bluetooth, and turn Bluetooth on")

_DBUS_NOT_RUNNING = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner")
_DBUS_DENIED = ("org.freedesktop.DBus.Error.AccessDenied", "org.bluez.Error.NotPermitted",
                "org.bluez.Error.NotAuthorized")
_DBUS_OFF = ("org.bluez.Error.NotReady",)


class BluetoothUnavailable(LinkError):
    """The computer's Bluetooth cannot be used (no adapter, switched off, no permission). Retrying
    without the user doing something does not help, so reconnect loops stop on it."""


def platform_help(platform: str | None = None) -> str:
    platform = platform or sys.platform
    if platform == "win32":
        return WINDOWS_HELP
    if platform == "darwin":
        return MACOS_HELP
    return LINUX_HELP


def adapter_problem(exc: BaseException, platform: str | None = None) -> BluetoothUnavailable | None:
    """A BluetoothUnavailable for errors that mean "this computer cannot use Bluetooth now", else None."""
    what = ""
    if isinstance(exc, BleakBluetoothNotAvailableError):
        what = {
            BleakBluetoothNotAvailableReason.NO_BLUETOOTH: "this computer has no Bluetooth adapter",
            BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE: "the Bluetooth adapter cannot do Bluetooth LE",
            BleakBluetoothNotAvailableReason.POWERED_OFF: "Bluetooth is switched off",
            BleakBluetoothNotAvailableReason.DENIED_BY_USER: "Wandlab is not allowed to use Bluetooth",
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM: "the system does not allow Wandlab to use Bluetooth",
            BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN: "Wandlab is not allowed to use Bluetooth",
        }.get(exc.reason, "Bluetooth is not available")
    elif isinstance(exc, BleakDBusError):
        if exc.dbus_error in _DBUS_NOT_RUNNING:
            what = "the Bluetooth service (BlueZ) is not running"
        elif exc.dbus_error in _DBUS_DENIED:
            what = "Wandlab is not allowed to use Bluetooth"
        elif exc.dbus_error in _DBUS_OFF:
            what = "Bluetooth is switched off"
    elif isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        what = "the system's Bluetooth service cannot be reached (no D-Bus system bus or BlueZ)"
    elif isinstance(exc, PermissionError):
        what = "Wandlab is not allowed to use Bluetooth"
    if not what:
        return None
    return BluetoothUnavailable(f"Bluetooth is not available: {what} ({exc}). To use a wand over Bluetooth, "
                                f"{platform_help(platform)}; or connect it with a USB cable (serial:)")
