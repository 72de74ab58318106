"""The virtual wand's GATT database, built from ``protocol.gatt`` as docs/protocol.md "BLE" lays it out.

Wandlab service (open: the board itself refuses protected packets, see ``ble_server``), Battery, Device
Information, and HID over GATT (encrypted, as HID over GATT requires - their CCCDs included, so a host
must encrypt before it can even subscribe to key presses). Bumble has no LE HID profile; these are plain
``bumble.gatt`` services with the standard UUIDs.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from bumble.core import UUID
from bumble.device import Connection, Device
from bumble.gatt import (
    GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
    Characteristic,
    CharacteristicValue,
    Descriptor,
    Service,
)

from wandlab.protocol import gatt

Props = Characteristic.Properties
OPEN_READ = Characteristic.READABLE
OPEN_WRITE = Characteristic.WRITEABLE
SECURE_READ = Characteristic.READABLE | Characteristic.READ_REQUIRES_ENCRYPTION
SECURE_RW = SECURE_READ | Characteristic.WRITEABLE | Characteristic.WRITE_REQUIRES_ENCRYPTION
PNP_ID = struct.pack("<BHHH", 0x02, 0x1209, 0x57A0, 0x0100)  # USB vendor id space, pid.codes test VID


def _u16(value: int) -> UUID:
    return UUID.from_16_bits(value)


@dataclass
class WandGatt:
    """The attributes the server talks through after ``add_to(device)``."""

    packet_out: Characteristic
    packet_in: Characteristic
    battery_level: Characteristic
    input_reports: dict[int, Characteristic]  # report id -> its input Report characteristic
    boot_keyboard_input: Characteristic


def build(device: Device, *, info: bytes, board_name: str, firmware: str,
          on_packet_in: Callable[[Connection, bytes], Awaitable[None] | None],
          battery: Callable[[Connection], bytes]) -> WandGatt:
    """Create every service on ``device`` (before it powers on). ``on_packet_in`` sees each write to
    packet-in and may raise ``bumble.att.ATT_Error`` to refuse it."""
    packet_out = Characteristic(gatt.PACKET_OUT, Props.NOTIFY, OPEN_READ, b"")
    # Bumble awaits the callback's result when it is awaitable (att.Attribute.write_value).
    write = cast(Callable[[Connection, bytes], None], on_packet_in)
    packet_in: Characteristic[bytes] = Characteristic(gatt.PACKET_IN, Props.WRITE | Props.WRITE_WITHOUT_RESPONSE,
                                                      OPEN_WRITE, CharacteristicValue(write=write))
    info_char = Characteristic(gatt.INFO, Props.READ, OPEN_READ, info)
    wandlab = Service(gatt.WANDLAB_SERVICE, [packet_out, packet_in, info_char])

    battery_level: Characteristic[bytes] = Characteristic(_u16(gatt.BATTERY_LEVEL), Props.READ | Props.NOTIFY,
                                                          OPEN_READ, CharacteristicValue(read=battery))
    battery_service = Service(_u16(gatt.BATTERY_SERVICE), [battery_level])

    device_info = Service(_u16(gatt.DEVICE_INFORMATION_SERVICE), [
        Characteristic(_u16(gatt.MANUFACTURER_NAME), Props.READ, OPEN_READ, b"Wandlab"),
        Characteristic(_u16(gatt.MODEL_NUMBER), Props.READ, OPEN_READ, board_name.encode()[:64]),
        Characteristic(_u16(gatt.FIRMWARE_REVISION), Props.READ, OPEN_READ, firmware.encode()[:64]),
        Characteristic(_u16(gatt.PNP_ID), Props.READ, OPEN_READ, PNP_ID),
    ])

    def report(report_id: int, kind: int, size: int) -> Characteristic:
        props = Props.READ | (Props.NOTIFY if kind == gatt.INPUT else Props.WRITE | Props.WRITE_WITHOUT_RESPONSE)
        reference = Descriptor(_u16(gatt.REPORT_REFERENCE), SECURE_READ, bytes([report_id, kind]))
        return Characteristic(_u16(gatt.REPORT), props, SECURE_RW if kind == gatt.OUTPUT else SECURE_READ,
                              bytes(size), descriptors=[reference])

    input_reports = {
        gatt.KEYBOARD_ID: report(gatt.KEYBOARD_ID, gatt.INPUT, gatt.KEYBOARD_REPORT_BYTES),
        gatt.CONSUMER_ID: report(gatt.CONSUMER_ID, gatt.INPUT, gatt.CONSUMER_REPORT_BYTES),
        gatt.MOUSE_ID: report(gatt.MOUSE_ID, gatt.INPUT, gatt.MOUSE_REPORT_BYTES),
    }
    leds = report(gatt.KEYBOARD_ID, gatt.OUTPUT, 1)
    boot_in = Characteristic(_u16(gatt.BOOT_KEYBOARD_INPUT), Props.READ | Props.NOTIFY, SECURE_READ,
                             bytes(gatt.KEYBOARD_REPORT_BYTES))
    boot_out = Characteristic(_u16(gatt.BOOT_KEYBOARD_OUTPUT), Props.READ | Props.WRITE | Props.WRITE_WITHOUT_RESPONSE,
                              SECURE_RW, b"\x00")
    notifying = [*input_reports.values(), boot_in]
    for char in notifying:  # encrypted CCCDs: Bumble's automatic ones would be open
        cccd = Descriptor(GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR, SECURE_RW,
                          device.gatt_server.make_descriptor_value(char))
        char.descriptors = [*char.descriptors, cccd]
    hid = Service(_u16(gatt.HID_SERVICE), [
        Characteristic(_u16(gatt.HID_INFORMATION), Props.READ, SECURE_READ, gatt.HID_INFORMATION_VALUE),
        Characteristic(_u16(gatt.REPORT_MAP), Props.READ, SECURE_READ, gatt.REPORT_MAP_VALUE),
        *input_reports.values(),
        leds,
        Characteristic(_u16(gatt.PROTOCOL_MODE), Props.READ | Props.WRITE_WITHOUT_RESPONSE, SECURE_RW,
                       bytes([gatt.PROTOCOL_MODE_REPORT])),
        Characteristic(_u16(gatt.HID_CONTROL_POINT), Props.WRITE_WITHOUT_RESPONSE,
                       OPEN_WRITE | Characteristic.WRITE_REQUIRES_ENCRYPTION, b"\x00"),
        boot_in,
        boot_out,
    ])
    device.add_services([wandlab, battery_service, device_info, hid])
    return WandGatt(packet_out, packet_in, battery_level, input_reports, boot_in)
