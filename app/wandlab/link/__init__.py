"""Byte transports to a board, opened from one spec string.

    serial:/dev/ttyACM0     a USB board (or any pyserial port name)
    ble:AA:BB:CC:DD:EE:FF   a board over Bluetooth LE, by address or advertised name (ble:My wand);
                            see wandlab.link.ble_link
    csv:/dev/ttyACM0        a board running its own sketch that prints sensor values as text lines,
                            seen as a Wandlab board; see wandlab.link.csv_link

The virtual wand (``virtual:``) lives above this layer; ``wandlab.flows.connect.open_link`` opens
every spec, virtual ones included, and is what the app, the CLI and the tests use.

Backends are imported lazily, like bleak's platform backends, so a missing optional stack only
matters when it is asked for.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from wandlab.errors import LinkError
from wandlab.link.base import Link
from wandlab.link.loopback import LoopbackLink, loopback_pair

__all__ = ["Link", "LinkError", "LoopbackLink", "loopback_pair", "open_link", "parse_spec"]


def parse_spec(spec: str) -> tuple[str, str, dict[str, str]]:
    """'scheme:target?k=v' -> (scheme, target, options). A bare device path means serial."""
    if spec.startswith("/") or spec.upper().startswith("COM"):
        spec = "serial:" + spec
    scheme, sep, rest = spec.partition(":")
    if not sep or not scheme:
        raise LinkError(f"link spec {spec!r} must look like serial:/dev/ttyACM0, virtual:, ble:ADDRESS or "
                        "csv:/dev/ttyACM0")
    target, _, query = rest.partition("?")
    return scheme.lower(), target, dict(parse_qsl(query))


def open_link(spec: str) -> Link:
    """Create (not yet open) the link a spec names."""
    scheme, target, options = parse_spec(spec)
    if scheme == "serial":
        if not target:
            raise LinkError("serial: needs a port, e.g. serial:/dev/ttyACM0")
        from wandlab.link.serial_link import SerialLink

        return SerialLink(target, int(options.get("baud", 0)) or 1_000_000)
    if scheme == "virtual":
        raise LinkError("virtual: links are opened by wandlab.flows.connect.open_link (the virtual wand is "
                        "not a transport)")
    if scheme == "ble":
        from wandlab.link.ble_backend import SYSTEM, bumble_backend
        from wandlab.link.ble_link import BleLink

        # ?radio=inprocess: bleak on Bumble's in-process radio (a wand served in this process; tests).
        radio = options.get("radio", "system")
        if radio not in ("system", "inprocess"):
            raise LinkError(f"ble:...?radio={radio} is unknown: use system (the computer's Bluetooth) or inprocess")
        backend = SYSTEM if radio == "system" else bumble_backend(options.get("air", "default"), options.get("keys"))
        return BleLink(target, backend)
    if scheme == "csv":
        if not target:
            raise LinkError("csv: needs a port, e.g. csv:/dev/ttyACM0")
        from wandlab.link.csv_link import CsvLink

        return CsvLink(target, options)
    raise LinkError(f"unknown link type {scheme!r} in {spec!r}; use serial:, virtual:, ble: or csv:")
