"""A bleak backend on Google's Bumble: the app's own bleak code, unchanged, against a peripheral on
Bumble's in-process radio (``wandlab.link.bumble_radio``) - the virtual wand - with no Bluetooth hardware.

    BleakScanner(service_uuids=[...], backend=BumbleScanner, bumble={"air": "default"})
    BleakClient(device, backend=BumbleClient, bumble={"keys_dir": "/path/for/bonds"})

``wandlab.link.ble_backend.bumble_backend()`` bundles both for ``BleLink``.
"""

from wandlab.link.bleak_bumble.adapter import BumbleArgs, close_adapters, default_keys_dir, get_adapter
from wandlab.link.bleak_bumble.client import BumbleClient
from wandlab.link.bleak_bumble.convert import BumbleDetails
from wandlab.link.bleak_bumble.scanner import BumbleScanner

__all__ = ["BumbleArgs", "BumbleClient", "BumbleDetails", "BumbleScanner", "close_adapters", "default_keys_dir",
           "get_adapter"]
