"""Reading a HID report descriptor (a BLE HID "report map") as a host does, enough to know which reports
a device sends: their ids, direction, size and what kind of device each belongs to. Pure, no I/O.

Short items only (HID 1.11, 6.2.2.2): a prefix byte ``tag(4) type(2) size(2)`` and 0, 1, 2 or 4 data
bytes. Global items (usage page, report id/size/count) persist until changed; local items (usage) last
until the next main item; Input/Output/Feature main items add ``report size x report count`` bits to
their report. Long items (prefix 0xFE) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from wandlab.errors import ProtocolError

MAIN, GLOBAL, LOCAL = 0, 1, 2
INPUT_TAG, OUTPUT_TAG, FEATURE_TAG, COLLECTION_TAG, END_COLLECTION_TAG = 0x8, 0x9, 0xB, 0xA, 0xC
USAGE_PAGE_TAG, REPORT_SIZE_TAG, REPORT_ID_TAG, REPORT_COUNT_TAG = 0x0, 0x7, 0x8, 0x9
USAGE_TAG = 0x0
KINDS = {INPUT_TAG: "input", OUTPUT_TAG: "output", FEATURE_TAG: "feature"}
# (usage page, usage) of a top-level application collection -> what a host calls the device.
APPLICATIONS = {(0x01, 0x06): "keyboard", (0x01, 0x02): "mouse", (0x0C, 0x01): "consumer", (0x01, 0x05): "gamepad"}


@dataclass(frozen=True)
class ReportInfo:
    report_id: int  # 0: the device uses no report ids
    kind: str  # "input", "output" or "feature"
    application: str  # "keyboard", "consumer", "mouse", ... or "page 0xPP usage 0xUU"
    bits: int  # payload size, report id byte excluded

    @property
    def bytes(self) -> int:
        return (self.bits + 7) // 8


def _items(data: bytes) -> list[tuple[int, int, int]]:
    """(type, tag, unsigned value) of every short item."""
    items, i = [], 0
    while i < len(data):
        prefix = data[i]
        if prefix == 0xFE:  # long item: size byte, tag byte, data
            if i + 1 >= len(data):
                raise ProtocolError("report map ends inside a long item")
            i += 3 + data[i + 1]
            continue
        size = (0, 1, 2, 4)[prefix & 0x03]
        if i + 1 + size > len(data):
            raise ProtocolError(f"report map ends inside the item at byte {i}")
        value = int.from_bytes(data[i + 1 : i + 1 + size], "little")
        items.append(((prefix >> 2) & 0x03, prefix >> 4, value))
        i += 1 + size
    return items


def parse_report_map(data: bytes) -> list[ReportInfo]:
    """The reports a descriptor declares, in order of first appearance."""
    page = size = count = report_id = 0
    usages: list[tuple[int, int]] = []
    application = ""
    depth = 0
    bits: dict[tuple[int, str], int] = {}
    apps: dict[tuple[int, str], str] = {}
    for kind, tag, value in _items(bytes(data)):
        if kind == GLOBAL:
            if tag == USAGE_PAGE_TAG:
                page = value
            elif tag == REPORT_SIZE_TAG:
                size = value
            elif tag == REPORT_COUNT_TAG:
                count = value
            elif tag == REPORT_ID_TAG:
                report_id = value
        elif kind == LOCAL:
            if tag == USAGE_TAG:  # a 4-byte usage carries its own page in the high half
                usages.append((value >> 16, value & 0xFFFF) if value > 0xFFFF else (page, value))
        elif kind == MAIN:
            if tag == COLLECTION_TAG:
                if depth == 0:
                    usage = usages[0] if usages else (page, 0)
                    application = APPLICATIONS.get(usage, f"page 0x{usage[0]:02X} usage 0x{usage[1]:02X}")
                depth += 1
            elif tag == END_COLLECTION_TAG:
                depth = max(0, depth - 1)
            elif tag in KINDS:
                key = (report_id, KINDS[tag])
                bits[key] = bits.get(key, 0) + size * count
                apps.setdefault(key, application)
            usages = []
    return [ReportInfo(rid, kind, apps[(rid, kind)], n) for (rid, kind), n in bits.items()]
