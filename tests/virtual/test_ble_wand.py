"""The virtual wand as a BLE peripheral: GATT layout, security, bonds in its state folder, and real HID
over GATT into a paired computer - across a power cycle, and until its hosts are forgotten on purpose."""

from __future__ import annotations

import asyncio
import json

import pytest
from bleak import BleakClient, BleakScanner

from tests.link.ble_helpers import memory_backend, run, wand_on_air
from tests.virtual.gesture_models import gesture_bundle, image
from wandlab.board.client import BoardClient
from wandlab.board.controller import Recognition, enable_hid, set_hid_map
from wandlab.board.transfer import upload_model
from wandlab.errors import LinkError
from wandlab.flows.connect import open_link
from wandlab.link.ble_link import BleLink
from wandlab.link.bleak_bumble import BumbleClient, BumbleScanner
from wandlab.protocol import SimPerform, gatt
from wandlab.protocol.controller import ActionKind, ForgetHosts, HidAction, HidReport, Modifier
from wandlab.protocol.hid_descriptor import ReportInfo
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig
from wandlab.virtual.bonds import bond_path
from wandlab.virtual.inprocess_ble import VirtualBleWandLink
from wandlab.virtual.paired_computer import PairedComputer

SPEED = 4.0  # the board's clock: gestures in a quarter of real time
GESTURE_S = 2.8 / SPEED + 0.15  # a take plus the stillness that ends its segment, and a margin
MEMORY = {"memory_keys": True}


def uuid16(value: int) -> str:
    return f"0000{value:04x}-0000-1000-8000-00805f9b34fb"


def test_the_gatt_layout_is_the_one_docs_protocol_md_specifies():
    async def main():
        async with wand_on_air():
            device, adv = (await BleakScanner.discover(0.5, return_adv=True, backend=BumbleScanner,
                                                       bumble=MEMORY)).popitem()[1]
            appearance = adv.platform_data[0].data.get(0x19)
            async with BleakClient(device, backend=BumbleClient, bumble=MEMORY) as client:
                await client.pair()
                layout = {(s.uuid, c.uuid): sorted(c.properties) for s in client.services for c in s.characteristics}
                refs = []
                for c in client.services.get_service(uuid16(gatt.HID_SERVICE)).characteristics:
                    for d in c.descriptors:
                        if d.uuid == uuid16(gatt.REPORT_REFERENCE):
                            refs.append(tuple(await client.read_gatt_descriptor(d.handle)))
                values = {name: bytes(await client.read_gatt_char(uuid16(u))) for name, u in (
                    ("hid_info", gatt.HID_INFORMATION), ("mode", gatt.PROTOCOL_MODE),
                    ("maker", gatt.MANUFACTURER_NAME), ("pnp", gatt.PNP_ID))}
            return appearance, layout, refs, values

    appearance, layout, refs, values = run(main())
    assert int(appearance) == gatt.APPEARANCE_HID_KEYBOARD
    wandlab = gatt.WANDLAB_SERVICE
    assert layout[(wandlab, gatt.PACKET_OUT)] == ["notify"]
    assert layout[(wandlab, gatt.PACKET_IN)] == ["write", "write-without-response"]
    assert layout[(wandlab, gatt.INFO)] == ["read"]
    assert layout[(uuid16(gatt.BATTERY_SERVICE), uuid16(gatt.BATTERY_LEVEL))] == ["notify", "read"]
    hid = uuid16(gatt.HID_SERVICE)
    for char, props in ((gatt.HID_INFORMATION, ["read"]), (gatt.REPORT_MAP, ["read"]),
                        (gatt.PROTOCOL_MODE, ["read", "write-without-response"]),
                        (gatt.HID_CONTROL_POINT, ["write-without-response"]),
                        (gatt.BOOT_KEYBOARD_INPUT, ["notify", "read"]),
                        (gatt.BOOT_KEYBOARD_OUTPUT, ["read", "write", "write-without-response"])):
        assert layout[(hid, uuid16(char))] == props, char
    assert sorted(refs) == [(1, 1), (1, 2), (2, 1), (3, 1)]  # keyboard in + LEDs out, consumer, mouse
    assert values == {"hid_info": gatt.HID_INFORMATION_VALUE, "mode": b"\x01", "maker": b"Wandlab",
                      "pnp": values["pnp"]} and len(values["pnp"]) == 7


def test_battery_level_is_readable_and_notified():
    async def main():
        async with wand_on_air() as server:
            device = await BleakScanner.find_device_by_name("Virtual wand", 2.0, backend=BumbleScanner, bumble=MEMORY)
            async with BleakClient(device, backend=BumbleClient, bumble=MEMORY) as client:
                levels: asyncio.Queue[int] = asyncio.Queue()
                first = (await client.read_gatt_char(uuid16(gatt.BATTERY_LEVEL)))[0]
                await client.start_notify(uuid16(gatt.BATTERY_LEVEL), lambda _c, data: levels.put_nowait(data[0]))
                await server.set_battery(42)
                return first, await asyncio.wait_for(levels.get(), 2)

    assert run(main()) == (100, 42)


def test_bonds_are_kept_in_the_state_folder_and_model_pushes_never_touch_them(tmp_path):
    async def main():
        async with BoardClient(open_link(f"virtual:?link=ble&state={tmp_path}"), reconnect=False) as client:
            await client.request(SimPerform("tap"))  # protected: bonds
            bonds = bond_path(tmp_path).read_bytes()
            async for _ in upload_model(client, image(), "base"):
                pass
            return bonds, bond_path(tmp_path).read_bytes()

    before, after = run(main(), 40)
    assert before == after
    (wand_keys,) = json.loads(before).values()
    assert len(wand_keys) == 1  # this app's bond
    assert (tmp_path / "ble_bonds.json").exists() and any(p.name != "ble_bonds.json" for p in tmp_path.iterdir())


async def _teach(client: BoardClient, actions: tuple[HidAction, ...]) -> None:
    async for _ in upload_model(client, image(), "base"):
        pass
    await set_hid_map(client, actions)
    await enable_hid(client, True)


def _actions() -> tuple[tuple[str, HidAction, str], ...]:
    labels = gesture_bundle().labels
    return (
        ("flick_left", HidAction(labels.index("flick_left"), ActionKind.KEY, 0x50, int(Modifier.CTRL)),
         "Ctrl+Left arrow"),
        ("circle", HidAction(labels.index("circle"), ActionKind.CONSUMER, 0xCD, 0), "Play/Pause"),
        ("tap", HidAction(labels.index("tap"), ActionKind.MOUSE_CLICK, 1, 0), "left"),
        ("flick_right", HidAction(labels.index("flick_right"), ActionKind.MOUSE_MOVE, 0, 0, 40, -25), "move +40 -25"),
    )


def test_every_hid_action_kind_reaches_the_paired_computer_as_its_key(tmp_path):
    plan = _actions()

    async def main():
        link = open_link(f"virtual:?link=ble&person=3&seed=3&speed={SPEED}")
        computer = PairedComputer(tmp_path / "computer", auto_reconnect=False)
        async with BoardClient(link, reconnect=False) as client:
            await _teach(client, tuple(a for _, a, _ in plan))
            async with Recognition(client) as live:
                await client.request(SimPerform("circle"))  # no computer yet: pressed, but sent nowhere
                await asyncio.sleep(GESTURE_S)
                alone = [m.sent for m in live.drain() if isinstance(m, HidReport)]
                await computer.pair_with("Virtual wand")
                for gesture, _, _ in plan:
                    await client.request(SimPerform(gesture))
                    await asyncio.sleep(GESTURE_S)
                sent = [m.sent for m in live.drain() if isinstance(m, HidReport)]
            await computer.wait_keys(len(plan), 2.0)
        await computer.close()
        return alone, sent, [k.text for k in computer.keys], computer.reports

    alone, sent, keys, reports = run(main(), 40)
    assert alone == [0]
    assert sent == [1, 1, 1, 1]
    assert keys == [text for _, _, text in plan]
    # The host found the reports by reading the report map, as an OS does.
    assert ReportInfo(1, "input", "keyboard", 64) in reports and ReportInfo(2, "input", "consumer", 16) in reports
    assert ReportInfo(3, "input", "mouse", 32) in reports and ReportInfo(1, "output", "keyboard", 8) in reports


def test_a_power_cycled_wand_types_into_its_bonded_computer_without_pairing_again(tmp_path):
    state, keys = tmp_path / "wand", tmp_path / "computer"
    flick, action, text = _actions()[0]

    async def main():
        config = VirtualWandConfig(person=3, seed=3, state_dir=str(state))
        async with wand_on_air(VirtualBoard(config), time_scale=SPEED) as first:
            async with BoardClient(BleLink(first.address, memory_backend()), reconnect=False) as client:
                await _teach(client, (action,))
            computer = PairedComputer(keys)
            await computer.pair_with(first.address)
        await asyncio.sleep(0.1)  # off: the computer lost its wand
        lost = computer.connected
        board = VirtualBoard(config)  # power on: a new board from the same flash
        async with wand_on_air(board, time_scale=SPEED) as second:
            await computer.wait_connected(3.0)
            board.handle(1, SimPerform(flick), second.clock())
            await computer.wait_keys(1, 3 * GESTURE_S)
            result = (lost, computer.stats, second.pairings, [k.text for k in computer.keys])
        await computer.close()
        return result

    lost, stats, pairings_after, got = run(main(), 40)
    assert lost is False
    assert (stats.pairings, stats.encryptions, stats.connections) == (1, 1, 2)
    assert pairings_after == 0  # the wand recognised the computer's bond
    assert got == [text]


def test_forgetting_the_hosts_drops_the_bonds_and_the_links_they_protected(tmp_path):
    state = tmp_path / "wand"

    async def main():
        computer = PairedComputer(tmp_path / "computer")
        try:
            async with wand_on_air(VirtualBoard(VirtualWandConfig(state_dir=str(state)))) as server:
                await computer.pair_with()
                async with BoardClient(BleLink(server.address, memory_backend()), reconnect=False) as client:
                    await client.request(SimPerform("tap"))  # bonds the app too
                    bonded = len(json.loads(bond_path(state).read_text())["wand"])
                    await client.request(ForgetHosts())
                    await asyncio.sleep(0.3)
                    app_dropped = not client.link.is_open
                await computer.wait_connected(3.0)  # it comes back, and has to pair anew
                return bonded, app_dropped, computer.stats.pairings, server.pairings
        finally:
            await computer.close()

    bonded, app_dropped, computer_pairings, wand_pairings = run(main())
    assert bonded == 2 and app_dropped
    assert computer_pairings == 2 and wand_pairings == 3


def test_virtual_specs_name_their_transport():
    assert type(open_link("virtual:?link=serial")).__name__ == "VirtualWandLink"
    assert isinstance(open_link("virtual:?link=ble&air=lab"), VirtualBleWandLink)
    with pytest.raises(LinkError, match="use serial or ble"):
        open_link("virtual:?link=pigeon")
