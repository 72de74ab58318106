"""bleak's client interface on a Bumble central: ``BleakClient(device, backend=BumbleClient, bumble={...})``.

Only what the app uses, done for real: connect (with the MTU exchange an OS does by itself), service
discovery, reads, writes with and without response, notifications, pairing with bonding (LE Secure
Connections; a bonded peer is re-encrypted with its stored key, no new pairing), unpairing, and the
disconnect callback. ATT error responses surface as bleak raises them on every platform:
``BleakGATTProtocolError`` whose ``code`` is the ATT error code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att, core, hci
from bumble.device import Connection, Peer

from wandlab.link import bumble_radio
from wandlab.link.bleak_bumble.adapter import BumbleAdapter, BumbleArgs, get_adapter
from wandlab.link.bleak_bumble.convert import BumbleDetails, service_collection

log = logging.getLogger(__name__)

REQUESTED_MTU = 247  # what OS stacks ask for: one 244-byte fragment per link-layer packet with DLE
CONNECT_AFTER_ADVERTISEMENT_S = 5.0


@contextlib.contextmanager
def _bleak_errors(what: str) -> Iterator[None]:
    """Bumble's exceptions as bleak's: ATT error responses keep their code."""
    try:
        yield
    except att.ATT_Error as exc:
        raise BleakGATTProtocolError(exc.error_code) from exc
    except (TimeoutError, core.BaseBumbleError, hci.HCI_Error) as exc:
        raise BleakError(f"{what} failed: {exc}") from exc


class BumbleClient(BaseBleakClient):
    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float,
        services: set[str] | None = None,
        bumble: BumbleArgs | None = None,
        **kwargs: Any,  # other backends' options (bluez=, winrt=): not ours
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        details = address_or_ble_device.details if isinstance(address_or_ble_device, BLEDevice) else None
        self._peer_address = details.address if isinstance(details, BumbleDetails) else hci.Address(self.address)
        self._name = address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        self._args: BumbleArgs = bumble or {}
        self._wanted = services
        self._adapter: BumbleAdapter | None = None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._leaving = False

    # -- connection --------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        self._adapter = await get_adapter(self._args)
        if not await self._adapter.wait_for_advertisement(self._peer_address, self._timeout):
            raise BleakDeviceNotFoundError(self.address, f"{self.address} did not advertise within "
                                           f"{self._timeout:g} s: is it on, in range and not connected elsewhere?")
        try:
            # It was just heard: the connection completes at its next advertisement (milliseconds).
            connection = await asyncio.wait_for(self._adapter.device.connect(self._peer_address, timeout=None),
                                                CONNECT_AFTER_ADVERTISEMENT_S)
        except TimeoutError:
            raise BleakError(f"{self.address} stopped advertising while connecting") from None
        except (core.BaseBumbleError, hci.HCI_Error) as exc:
            raise BleakError(f"connecting to {self.address} failed: {exc}") from exc
        self._connection, self._leaving = connection, False
        connection.on(Connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            with _bleak_errors("connection set-up"):
                # The wand may drop us at once (another central's request reached it first): stop then.
                peer = await bumble_radio.while_up(connection, self._discover(connection))
            self._peer = peer
            self.services = service_collection(peer.services, self._wanted, lambda: self.mtu_size - 3)
            if pair:
                await self.pair()
        except BaseException:
            await self.disconnect()
            raise

    async def _discover(self, connection: Connection) -> Peer:
        peer = Peer(connection)
        mtu = int(self._args.get("mtu", REQUESTED_MTU))
        if mtu > att.ATT_DEFAULT_MTU:
            await peer.request_mtu(mtu)
        await peer.discover_services()
        for service in peer.services:
            await service.discover_characteristics()
            for characteristic in service.characteristics:
                await characteristic.discover_descriptors()
        return peer

    def _on_disconnection(self, reason: int) -> None:
        self._connection = self._peer = None
        self.services = None
        self._subscribers.clear()
        if not self._leaving and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        if not bumble_radio.is_up(connection):  # dropped already (its callback may not have run yet)
            self._connection = self._peer = None
            return
        self._leaving = True
        with contextlib.suppress(core.BaseBumbleError, hci.HCI_Error, asyncio.TimeoutError):
            await asyncio.wait_for(connection.disconnect(), 5.0)
        self._connection = self._peer = None

    # -- security ----------------------------------------------------------------------------------
    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Encrypt the link, bonding first if needed. A stored bond is tried first; if the peer lost it
        (it answers "key missing"), the stale keys are dropped and the devices pair afresh, as an OS
        asks the user to do."""
        connection, adapter = self._require(), self._adapter
        assert adapter is not None
        if connection.is_encrypted:
            return
        address = str(connection.peer_address)
        if address in adapter.bonded:
            try:
                await connection.encrypt()
                return
            except hci.HCI_Error as exc:
                log.info("%s refused its stored key (%s): pairing again", address, exc)
                await adapter.forget(address)
        with _bleak_errors(f"pairing with {address}"):
            await connection.pair()
        await adapter.refresh_bonds()

    async def unpair(self) -> None:
        if self._adapter is not None:
            await self._adapter.forget(str(self._peer_address))
        await self.disconnect()

    # -- GATT ----------------------------------------------------------------------------------------
    def _require(self) -> Connection:
        if self._connection is None:
            raise BleakError(f"not connected to {self.address}")
        return self._connection

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False,
                             **kwargs: Any) -> bytearray:
        self._require()
        with _bleak_errors(f"reading {characteristic.uuid}"):
            return bytearray(await characteristic.obj.read_value())

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False,
                                   **kwargs: Any) -> bytearray:
        self._require()
        with _bleak_errors(f"reading descriptor {descriptor.uuid}"):
            return bytearray(await descriptor.obj.read_value())

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: SizedBuffer,
                              response: bool) -> None:
        self._require()
        with _bleak_errors(f"writing {characteristic.uuid}"):
            await characteristic.obj.write_value(bytes(data), with_response=response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        self._require()
        with _bleak_errors(f"writing descriptor {descriptor.uuid}"):
            await descriptor.obj.write_value(bytes(data), with_response=True)

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback,
                           **kwargs: Any) -> None:
        self._require()

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        with _bleak_errors(f"subscribing to {characteristic.uuid}"):
            await characteristic.obj.subscribe(deliver)
        self._subscribers[characteristic.handle] = deliver

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._require()
        deliver = self._subscribers.pop(characteristic.handle, None)
        with _bleak_errors(f"unsubscribing from {characteristic.uuid}"):
            await characteristic.obj.unsubscribe(deliver)
