"""Open any link spec the user can type, the virtual wand included.

``wandlab.link`` knows the transports (serial, BLE, loopback); the virtual wand is a whole board that
sits above them, so the one function that knows both lives here, above both.
"""

from __future__ import annotations

from wandlab.link import Link, parse_spec
from wandlab.link import open_link as open_transport

__all__ = ["open_link", "parse_spec"]


def open_link(spec: str) -> Link:
    """Create (not yet open) the link a spec names: ``serial:/dev/ttyACM0``, ``virtual:?person=3``, ``ble:NAME``."""
    scheme, _, options = parse_spec(spec)
    if scheme == "virtual":
        from wandlab.virtual.inprocess import VirtualWandLink

        return VirtualWandLink(options)
    return open_transport(spec)
