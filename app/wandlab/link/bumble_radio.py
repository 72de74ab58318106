"""An in-process radio: Bumble devices that meet each other without any Bluetooth hardware.

Every Bumble ``Device`` made here gets its own ``Controller`` (Bumble's software link layer) on a shared
``LocalLink`` - the "air" - so a peripheral (the virtual wand) and centrals (the app's bleak backend, a
paired computer) created anywhere in the process advertise, scan, connect, pair and exchange GATT
traffic through two complete host stacks, exactly as over a radio, minus radio timing.

One air per name **per event loop**: a ``LocalLink`` delivers every packet with
``loop.call_soon`` on the loop that is running, so devices on different loops can never talk, and a
controller left over from a loop that has ended would swallow packets addressed to it. Tests that each
run their own loop therefore each get a clean air.

Two centrals, one advertisement: a central that hears a wand advertise and has a connection pending
creates the connection and sends its connection request at once - and so does a second central that
heard the same advertisement (the app and a paired computer both reconnecting to a wand that just came
back on). The wand takes the first request and stops advertising; Bumble's controller drops the second
silently, so that central believes it is connected to a wand that never heard of it, and waits forever
(no supervision timeout in the simulation). On a real radio that connection fails to be established
(error 0x3E, after six connection intervals without an answer); ``_Controller`` ends such a late request
the same way, a moment later, so the loser sees a disconnection and tries again - provided it notices:
Bumble's GATT requests wait 30 s for an answer whatever happens to the link, so set-up work runs under
``while_up``, which ends it when the connection drops.

Advertising interval: Bumble's controller sends one advertising PDU per interval, and a scanner connects
on the next one it hears. Bumble's default interval is long (about a second), so scan + connect would
take that long; ``FAST_ADVERTISING_MS`` (20 ms, the shortest interval the Core spec allows for
connectable advertising, and what real accessories use for their first seconds after power-on) makes it
~0.03 s. Real wands should advertise at 20 ms for ~30 s after power-on or a disconnect, then slow down
(e.g. 152.5 ms or more) to save battery.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import weakref
from collections.abc import Awaitable
from typing import Any, TypeVar

from bumble import core, hci, ll
from bumble.controller import Controller
from bumble.device import Connection, Device, DeviceConfiguration
from bumble.host import Host
from bumble.keys import KeyStore
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport.common import AsyncPipeSink

# Bumble's simulated controller warns about packets for a link that has just dropped (a wand losing
# power mid-stream): expected in a simulation, noise to a user. Its errors still show.
logging.getLogger("bumble.controller").setLevel(logging.ERROR)

FAST_ADVERTISING_MS = 20.0
ESTABLISH_TIMEOUT_S = 0.05  # six 7.5 ms connection intervals: when a real central gives up on a silent peer
LL_MAX_PAYLOAD = 251
DEFAULT_AIR = "default"

T = TypeVar("T")
_airs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, LocalLink]] = weakref.WeakKeyDictionary()
_controllers: weakref.WeakKeyDictionary[Device, Controller] = weakref.WeakKeyDictionary()


class _Controller(Controller):
    """Bumble's simulated controller, failing a connection request that came too late as a real one does."""

    def on_le_connect_ind(self, packet: ll.ConnectInd) -> None:
        before = len(self.le_connections)
        super().on_le_connect_ind(packet)
        if len(self.le_connections) > before or not self._advertises_as(packet.advertiser_address):
            return  # taken, or addressed to another device
        # Meant for us, but we stopped advertising (another central's request came first): the initiator's
        # controller has already reported the connection, so end it as "failed to be established" - later,
        # as a real link layer does, and so that the initiator's host has taken the connection in first
        # (Bumble's host ignores a disconnection of a connection it does not know yet).
        asyncio.get_running_loop().call_later(ESTABLISH_TIMEOUT_S, self._fail_connection, packet)

    def _fail_connection(self, packet: ll.ConnectInd) -> None:
        if self.link is not None:
            with contextlib.suppress(core.InvalidArgumentError):  # the initiator has left the air meanwhile
                self.link.send_ll_control_pdu(packet.advertiser_address, packet.initiator_address, ll.TerminateInd(
                    hci.HCI_ErrorCode.CONNECTION_FAILED_TO_BE_ESTABLISHED_ERROR))

    def _advertises_as(self, address: hci.Address) -> bool:
        return address in (self.random_address, self.public_address, self.le_legacy_advertiser.address)


def air(name: str = DEFAULT_AIR) -> LocalLink:
    """The shared link called ``name`` on the running event loop (created on first use)."""
    per_loop = _airs.setdefault(asyncio.get_running_loop(), {})
    if name not in per_loop:
        per_loop[name] = LocalLink()
    return per_loop[name]


def static_address(seed: str) -> str:
    """A stable static random address from any text (a board id, a key folder): the same text gives the
    same address after a restart, which is what lets stored bonds find their peer again."""
    raw = bytearray(hashlib.sha256(seed.encode()).digest()[:6])
    raw[0] |= 0xC0  # static random: the two most significant bits set (Core Vol 6, Part B, 1.3.2.1)
    return ":".join(f"{b:02X}" for b in raw)


def new_device(name: str, address: str, *, air_name: str = DEFAULT_AIR, keystore: KeyStore | None = None) -> Device:
    """A Bumble device with its own controller on the named air; call ``await device.power_on()`` next.

    ``keystore`` keeps bonds (``bumble.keys.JsonKeyStore`` for a file, None: in memory)."""
    link = air(air_name)
    controller = _Controller(f"{name} controller", link=link)
    # Data length extension, as nRF52840s and current PCs do: one 251-byte link-layer payload carries a
    # whole 247-byte ATT packet. Bumble's controller defaults to 27 bytes (Bluetooth 4.0), which would cut
    # every fragment into ten HCI packets - ten times the Python work for the same bytes.
    controller.le_acl_data_packet_length = LL_MAX_PAYLOAD
    config = DeviceConfiguration(name=name, address=hci.Address(address))
    device = Device(config=config, host=Host(controller, AsyncPipeSink(controller)))
    if keystore is not None:
        device.keystore = keystore  # power_on() only creates a (memory) key store when none is set
    _controllers[device] = controller
    return device


async def release(device: Device) -> None:
    """Stop a device and take its controller off the air (as if it lost power)."""
    with contextlib.suppress(Exception):
        if device.is_advertising:
            await device.stop_advertising()
    with contextlib.suppress(Exception):
        if device.is_scanning:
            await device.stop_scanning()
    for connection in list(device.connections.values()):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.disconnect(), 1.0)
    with contextlib.suppress(Exception):
        await device.power_off()
    controller = _controllers.pop(device, None)
    if controller is not None and controller in controller.link.controllers:
        controller.link.remove_controller(controller)


def pairing_config() -> PairingConfig:
    """What every device here pairs with: LE Secure Connections with bonding, "Just Works". A wand has
    no display or keys, so MITM protection is impossible without I/O on both sides, and asking for it
    would only fail the pairing."""
    return PairingConfig(sc=True, mitm=False, bonding=True,
                         delegate=PairingDelegate(PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT))


def is_up(connection: Connection) -> bool:
    """Whether Bumble still holds this connection (it forgets one the moment it is disconnected; a
    ``disconnect()`` of a forgotten one would wait forever)."""
    return connection.device.connections.get(connection.handle) is connection


async def while_up(connection: Connection, work: Awaitable[T]) -> T:
    """``work`` (discovery, pairing, subscribing) on ``connection``, ended with ``HCI_Error`` as soon as the
    connection drops - or at once if it already has: a GATT request on a dropped link would wait 30 s."""
    task = asyncio.ensure_future(work)
    dropped: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_drop(reason: int) -> None:
        if not dropped.done():
            dropped.set_result(reason)

    connection.on(Connection.EVENT_DISCONNECTION, on_drop)
    if not is_up(connection):
        on_drop(hci.HCI_ErrorCode.CONNECTION_FAILED_TO_BE_ESTABLISHED_ERROR)
    try:
        waiting: set[asyncio.Future[Any]] = {task, dropped}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        connection.remove_listener(Connection.EVENT_DISCONNECTION, on_drop)
    if task.done() and not (task.cancelled() and dropped.done()):
        return task.result()
    if not task.done():
        # It waits for an answer that cannot come; on a dropped link no HCI command is left in flight.
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    # (Bumble itself cancels some waits when the link drops: that is this same failure, not a cancellation.)
    raise hci.HCI_Error(dropped.result())
