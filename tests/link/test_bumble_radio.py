"""The in-process radio where Bumble's simulation differs from a real one: two centrals that answer the
same advertisement (the app and a paired computer reconnecting to a wand that just came back on)."""

from __future__ import annotations

import asyncio
import time

from bumble import hci
from bumble.device import Peer

from tests.link.ble_helpers import run
from wandlab.link import bumble_radio

AIR = "race"


def test_the_central_whose_request_came_second_is_told_instead_of_waiting_forever():
    async def main():
        peripheral = bumble_radio.new_device("wand", bumble_radio.static_address("race-wand"), air_name=AIR)
        centrals = [bumble_radio.new_device(f"central {i}", bumble_radio.static_address(f"race-{i}"), air_name=AIR)
                    for i in range(2)]
        for device in (peripheral, *centrals):
            await device.power_on()
        try:
            await peripheral.start_advertising(advertising_interval_min=20, advertising_interval_max=20)
            address = peripheral.random_address
            # Both wait for the next advertisement and both connect on it: one request comes too late.
            connections = await asyncio.gather(*(c.connect(address, timeout=None) for c in centrals))
            start = time.monotonic()
            results = await asyncio.wait_for(asyncio.gather(
                *(bumble_radio.while_up(c, Peer(c).discover_services()) for c in connections),
                return_exceptions=True), 5.0)
            return results, time.monotonic() - start, len(peripheral.connections)
        finally:
            for device in (*centrals, peripheral):
                await bumble_radio.release(device)

    results, seconds, peripheral_links = run(main())
    assert peripheral_links == 1  # the peripheral took one request
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], hci.HCI_Error)
    assert failed[0].error_code == hci.HCI_ErrorCode.CONNECTION_FAILED_TO_BE_ESTABLISHED_ERROR
    assert seconds < 1.0  # told within the establishment timeout, not after a 30 s GATT timeout
