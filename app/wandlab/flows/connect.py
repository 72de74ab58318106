"""Open any link spec the user can type, the virtual wand included.

``wandlab.link`` knows the transports (serial, BLE, loopback); the virtual wand is a whole board that
sits above them, so the one function that knows both lives here, above both.
"""

from __future__ import annotations

from wandlab.errors import LinkError
from wandlab.link import Link, parse_spec
from wandlab.link import open_link as open_transport

__all__ = ["open_link", "parse_spec"]


def open_link(spec: str) -> Link:
    """Create (not yet open) the link a spec names: ``serial:/dev/ttyACM0``, ``virtual:?person=3``, ``ble:NAME``;
    ``virtual:?link=ble`` is the virtual wand served over this process's in-process BLE radio."""
    scheme, _, options = parse_spec(spec)
    if scheme == "virtual" and options.get("firmware", "python") != "python":
        # virtual:?firmware=native - the C++ firmware's board logic as a Linux program (native_sim-like).
        if options["firmware"] != "native":
            raise LinkError(f"virtual:?firmware={options['firmware']} is unknown: use python (default) or native")
        from wandlab.virtual.native_board import NativeBoardLink

        return NativeBoardLink(options)
    if scheme == "virtual" and options.get("link", "serial") == "ble":
        from wandlab.virtual.inprocess_ble import VirtualBleWandLink

        return VirtualBleWandLink(options)
    if scheme == "virtual":
        if options.get("link", "serial") != "serial":
            raise LinkError(f"virtual:?link={options['link']} is not a link the virtual wand has: use serial or ble")
        from wandlab.virtual.inprocess import VirtualWandLink

        return VirtualWandLink(options)
    return open_transport(spec)
