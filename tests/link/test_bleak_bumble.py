"""bleak's own public API, unchanged, against the virtual wand through the bleak-on-Bumble backend:
what the app's BLE code relies on behaves as on an OS backend."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakGATTProtocolError

from tests.link.ble_helpers import run, wand_on_air
from wandlab.link.bleak_bumble import BumbleClient, BumbleScanner
from wandlab.protocol import PROTOCOL_VERSION, Hello, Packet, StreamStart, gatt, pack_packet, to_packet, unpack_packet
from wandlab.protocol.fragments import Fragmenter, Reassembler

MEMORY = {"memory_keys": True}
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"


async def _find(**kwargs):
    return await BleakScanner.find_device_by_name("Virtual wand", timeout=2.0, backend=BumbleScanner,
                                                  bumble=MEMORY, **kwargs)


def test_scanning_filters_by_service_and_reports_name_rssi_and_advertised_services():
    async def main():
        async with wand_on_air():
            wands = await BleakScanner.discover(1.0, return_adv=True, service_uuids=[gatt.WANDLAB_SERVICE],
                                                backend=BumbleScanner, bumble=MEMORY)
            others = await BleakScanner.discover(0.3, return_adv=True, service_uuids=["0000180d-0000-1000-8000-"
                                                                                       "00805f9b34fb"],
                                                 backend=BumbleScanner, bumble=MEMORY)
            return wands, others

    wands, others = run(main())
    assert others == {}  # a heart-rate filter does not see a wand
    ((device, adv),) = wands.values()
    assert adv.local_name == "Virtual wand" and device.name == "Virtual wand"
    assert gatt.WANDLAB_SERVICE in adv.service_uuids and adv.rssi < 0
    assert device.details.bonded is False


def test_connect_mtu_discovery_reads_notifications_and_writes_with_and_without_response():
    async def main():
        async with wand_on_air() as server:
            device = await _find()
            async with BleakClient(device, backend=BumbleClient, bumble=MEMORY) as client:
                assert client.mtu_size == 247
                services = {s.uuid for s in client.services}
                info = gatt.parse_info(bytes(await client.read_gatt_char(gatt.INFO)))
                battery = await client.read_gatt_char(BATTERY_LEVEL)
                packet_in = client.services.get_characteristic(gatt.PACKET_IN)
                props = (sorted(packet_in.properties), packet_in.max_write_without_response_size)
                fragments: asyncio.Queue[bytes] = asyncio.Queue()
                await client.start_notify(gatt.PACKET_OUT, lambda _c, data: fragments.put_nowait(bytes(data)))
                out, back = Fragmenter(client.mtu_size), Reassembler()
                hello = pack_packet(to_packet(Hello(1, "bleak"), 7))
                first, *rest = list(out.fragments(hello))
                await client.write_gatt_char(gatt.PACKET_IN, first, response=True)
                for fragment in rest:
                    await client.write_gatt_char(gatt.PACKET_IN, fragment, response=False)
                packets: list[Packet] = []
                while not packets:
                    packets = back.feed(await asyncio.wait_for(fragments.get(), 2))
                await client.stop_notify(gatt.PACKET_OUT)
                return services, info, battery, props, packets[0], server.refused

    services, info, battery, props, reply, refused = run(main())
    assert {gatt.WANDLAB_SERVICE, "0000180f-0000-1000-8000-00805f9b34fb", "0000180a-0000-1000-8000-00805f9b34fb",
            "00001812-0000-1000-8000-00805f9b34fb"} <= services
    assert info[0] == PROTOCOL_VERSION and info[1] == 4104 and info[2] == "Virtual wand"
    assert battery == bytearray([100])
    assert props == (["write", "write-without-response"], 244)
    assert reply.type == 0x02 and refused == 0  # Info, in three 244-byte notifications


def test_att_errors_surface_as_bleak_raises_them_and_pairing_clears_them():
    async def main():
        async with wand_on_air() as server:
            device = await _find()
            async with BleakClient(device, backend=BumbleClient, bumble=MEMORY) as client:
                start = next(Fragmenter(client.mtu_size).fragments(pack_packet(to_packet(StreamStart(1, 0), 3))))
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await client.write_gatt_char(gatt.PACKET_IN, start, response=True)
                with pytest.raises(BleakGATTProtocolError) as encrypted_only:
                    await client.read_gatt_char(f"0000{gatt.REPORT_MAP:04x}-0000-1000-8000-00805f9b34fb")
                await client.pair()
                report_map = await client.read_gatt_char(f"0000{gatt.REPORT_MAP:04x}-0000-1000-8000-00805f9b34fb")
                await client.write_gatt_char(gatt.PACKET_IN, start, response=True)
            return refused.value.code, encrypted_only.value.code, bytes(report_map), server.pairings, server.refused

    refused, encrypted_only, report_map, pairings, refused_count = run(main())
    assert refused == gatt.ATT_INSUFFICIENT_AUTHENTICATION  # the wand's own rule for protected packets
    assert encrypted_only == 0x0F  # HID over GATT: insufficient encryption until the link is encrypted
    assert report_map == gatt.REPORT_MAP_VALUE and pairings == 1 and refused_count == 1


def test_the_disconnect_callback_fires_when_the_wand_goes_away():
    async def main():
        gone = asyncio.Event()
        async with wand_on_air() as server:
            device = await _find()
            client = BleakClient(device, lambda _c: gone.set(), backend=BumbleClient, bumble=MEMORY)
            await client.connect()
            await server.shutdown()  # power off
            await asyncio.wait_for(gone.wait(), 2)
            return client.is_connected

    assert run(main()) is False


def test_fragments_cross_the_link_byte_exact_at_the_smallest_mtu():
    """MTU 23 (no exchange): 20-byte fragments both ways, reassembled exactly."""

    async def main():
        async with wand_on_air():
            device = await _find()
            async with BleakClient(device, backend=BumbleClient, bumble={**MEMORY, "mtu": 23}) as client:
                fragments: asyncio.Queue[bytes] = asyncio.Queue()
                await client.start_notify(gatt.PACKET_OUT, lambda _c, data: fragments.put_nowait(bytes(data)))
                out, back = Fragmenter(client.mtu_size), Reassembler()
                big = pack_packet(to_packet(Hello(1, "x" * 200), 9))
                for fragment in out.fragments(big):
                    await client.write_gatt_char(gatt.PACKET_IN, fragment, response=False)
                packets: list[Packet] = []
                sizes = []
                while not packets:
                    fragment = await asyncio.wait_for(fragments.get(), 2)
                    sizes.append(len(fragment))
                    packets = back.feed(fragment)
                return client.mtu_size, max(sizes), packets[0], back.stats.errors

    mtu, largest, info, errors = run(main())
    assert mtu == 23 and largest == 20 and errors == 0
    assert unpack_packet(pack_packet(info)).type == 0x02
