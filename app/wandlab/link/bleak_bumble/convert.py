"""Bumble's objects in bleak's shapes: UUID strings, property names, advertisement data, GATT tree."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES, CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.scanner import AdvertisementData
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement
from bumble.gatt_client import ServiceProxy
from bumble.hci import Address


@dataclass(frozen=True)
class BumbleDetails:
    """``BLEDevice.details`` of this backend: what connect() needs, and what the OS would know."""

    address: Address
    bonded: bool


def bleak_uuid(value: UUID) -> str:
    """A Bumble UUID as bleak writes it: 128-bit, lower case (``0000180f-0000-1000-8000-00805f9b34fb``)."""
    return str(uuid.UUID(bytes=bytes(reversed(value.to_bytes(force_128=True)))))


def property_names(flags: int) -> list[CharacteristicPropertyName]:
    return [name for bit, name in CHARACTERISTIC_PROPERTIES.items() if bit <= 0x80 and flags & bit]


def advertisement_data(adv: Advertisement) -> AdvertisementData:
    data = adv.data
    names = data.get_all(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get_all(AdvertisingData.SHORTENED_LOCAL_NAME)
    service_uuids: list[str] = []
    for kind in (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                 AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                 AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                 AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS):
        for uuids in data.get_all(kind):
            service_uuids += [bleak_uuid(u) for u in cast(list[UUID], uuids)]
    manufacturer: dict[int, bytes] = {}
    for maker in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA):
        company, payload = cast(tuple[int, bytes], maker)
        manufacturer[company] = bytes(payload)
    service_data: dict[str, bytes] = {}
    for kind in (AdvertisingData.SERVICE_DATA_16_BIT_UUID, AdvertisingData.SERVICE_DATA_128_BIT_UUID):
        for entry in data.get_all(kind):
            service, payload = cast(tuple[UUID, bytes], entry)
            service_data[bleak_uuid(service)] = bytes(payload)
    tx_power = data.get(AdvertisingData.TX_POWER_LEVEL)
    return AdvertisementData(
        local_name=str(names[0]) if names else None,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=list(dict.fromkeys(service_uuids)),  # advertisement + scan response may repeat one
        tx_power=int(tx_power) if isinstance(tx_power, int) else None,
        rssi=int(adv.rssi),
        platform_data=(adv,),
    )


def service_collection(services: list[ServiceProxy], wanted: set[str] | None,
                       max_write: Callable[[], int]) -> BleakGATTServiceCollection:
    """bleak's view of the discovered services (``wanted``: only these UUIDs, as BleakClient's
    ``services=`` asks). ``max_write`` gives the current largest write-without-response payload."""
    collection = BleakGATTServiceCollection()
    for proxy in services:
        service_uuid = bleak_uuid(proxy.uuid)
        if wanted and service_uuid not in wanted:
            continue
        service = BleakGATTService(proxy, proxy.handle, service_uuid)
        collection.add_service(service)
        for char in proxy.characteristics:
            characteristic = BleakGATTCharacteristic(char, char.handle, bleak_uuid(char.uuid),
                                                     property_names(int(char.properties)), max_write, service)
            collection.add_characteristic(characteristic)
            for desc in char.descriptors:
                collection.add_descriptor(BleakGATTDescriptor(desc, desc.handle, bleak_uuid(desc.type),
                                                              characteristic))
    return collection
