"""bleak's scanner interface on a Bumble central: ``BleakScanner(backend=BumbleScanner, bumble={...})``."""

from __future__ import annotations

from typing import Any, Literal

from bleak.backends.scanner import AdvertisementDataCallback, BaseBleakScanner
from bumble.device import Advertisement, Device

from wandlab.link.bleak_bumble.adapter import BumbleAdapter, BumbleArgs, get_adapter
from wandlab.link.bleak_bumble.convert import BumbleDetails, advertisement_data


class BumbleScanner(BaseBleakScanner):
    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        *,
        bumble: BumbleArgs | None = None,
        **kwargs: Any,  # other backends' options (bluez=, cb=): not ours, ignored as bleak's backends do
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._args: BumbleArgs = bumble or {}
        self._adapter: BumbleAdapter | None = None

    async def start(self) -> None:
        self.seen_devices = {}  # bleak: "this map must be cleared when scanning starts"
        adapter = await get_adapter(self._args)
        adapter.device.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        self._adapter = adapter
        await adapter.start_scanning()

    async def stop(self) -> None:
        adapter, self._adapter = self._adapter, None
        if adapter is None:
            return
        adapter.device.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await adapter.stop_scanning()

    def _on_advertisement(self, adv: Advertisement) -> None:
        if self._adapter is None:
            return
        data = advertisement_data(adv)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = str(adv.address)
        details = BumbleDetails(adv.address, address in self._adapter.bonded)
        device = self.create_or_update_device(address, address, data.local_name, details, data)
        self.call_detection_callbacks(device, data)
