#!/usr/bin/env python3
"""Size table of a firmware image against its budgets, from the ELF and the linker's map file.

    python3 size_report.py IMAGE.elf IMAGE.map --flash-area 811008 [--json] [--uf2 PATH]

Flash is what the image stores (.text with read-only data, .ARM.exidx, .data's initial values); static
RAM is .data + .bss, without the .heap section the nRF52 linker script stretches over the rest of RAM.
Budgets: flash <= 50 % of the application area, static RAM <= 64 KB. The per-component rows add up
the input sections the map file attributes to each object, so they name what grew. RAM the board
allocates once at boot (the image's `wandlab_boot_allocation_bytes`) is reported beside static RAM,
as `boot_allocation_bytes` and `ram_after_boot_bytes`, so the table never hides it.
Standard library only: it runs wherever the build runs. Exit status 1 when a budget is exceeded.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
from pathlib import Path

RAM_BUDGET = 64 * 1024
FLASH_SHARE = 0.5
FLASH_SECTIONS = (".text", ".ARM.exidx", ".data")
RAM_SECTIONS = (".data", ".bss")

# (component, substrings of an object's path), first match wins.
COMPONENTS = [
    ("wandlab_core (protocol, board logic)", ("/wandlab_core/",)),
    ("board layer (sketch)", ("/sketch/",)),
    ("speech model (compiled in)", ("/generated/",)),
    ("BLE stack (Bluefruit52Lib, nRFCrypto)", ("Bluefruit52Lib", "Adafruit_nRFCrypto", "nrf_cc310")),
    ("USB (TinyUSB)", ("Adafruit_TinyUSB_Arduino",)),
    ("sensors (LSM6DS3, PDM, Wire, SPI)", ("Seeed_Arduino_LSM6DS3", "/PDM/", "/Wire/", "/SPI/")),
    ("flash file system (LittleFS)", ("Adafruit_LittleFS", "InternalFileSytem")),
    ("TFLM (interpreter, kernels)", ("Arduino_TensorFlowLite", "/tflm.a(", "/tflm/")),
    ("Arduino core, FreeRTOS, nrfx", ("core.a",)),
    ("C/C++ runtime (newlib, libgcc)", ("",)),
]

INPUT = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
OUTPUT = re.compile(r"^(\.\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)")


def section_sizes(map_text: str) -> dict[str, int]:
    """Output section sizes from the map's memory map."""
    sizes: dict[str, int] = {}
    body = map_text.split("Linker script and memory map", 1)[-1]
    for line in body.splitlines():
        m = OUTPUT.match(line)
        if m:
            sizes[m.group(1)] = int(m.group(3), 16)
    return sizes


def component_sizes(map_text: str) -> dict[str, dict[str, int]]:
    """{component: {"flash": bytes, "ram": bytes}} from the input sections of the memory map.

    The linker merges identical strings across objects (.rodata.*.str1.*): the map lists each merged
    section with its original size at a shared address, so an input section is counted only up to
    where the next one starts, and the rows add up to the image.
    """
    body = map_text.split("Linker script and memory map", 1)[-1]
    items: list[tuple[str, int, int, str]] = []  # output section, address, size, object
    current = ""
    pending_name = False
    for line in body.splitlines():
        m = OUTPUT.match(line)
        if m or (line.startswith(".") and " " not in line.strip()):
            current = m.group(1) if m else line.strip()
            continue
        if line.startswith(" .") and len(line.split()) == 1:
            pending_name = True  # the input section's address and size follow on the next line
            continue
        m = INPUT.match(line)
        if not m or (m.group(1) is None and not pending_name):
            pending_name = False
            continue
        pending_name = False
        size = int(m.group(3), 16)
        if size and "*fill*" not in line and current in FLASH_SECTIONS + RAM_SECTIONS:
            items.append((current, int(m.group(2), 16), size, m.group(4)))
    out = {name: {"flash": 0, "ram": 0} for name, _ in COMPONENTS}
    items.sort(key=lambda item: (item[0], item[1]))
    for i, (section, address, size, obj) in enumerate(items):
        following = items[i + 1] if i + 1 < len(items) else None
        if following is not None and following[0] == section:
            size = max(0, min(size, following[1] - address))
        name = next(n for n, keys in COMPONENTS if any(k in obj for k in keys))
        if section in FLASH_SECTIONS:
            out[name]["flash"] += size
        if section in RAM_SECTIONS:
            out[name]["ram"] += size
    return out


def boot_allocation(elf: Path) -> int:
    """The value of the image's `wandlab_boot_allocation_bytes` (a u32 constant in flash): RAM the board
    allocates once at boot besides its static RAM. 0 when the image has no such symbol."""
    data = elf.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:  # 32-bit little-endian only (Cortex-M)
        return 0
    shoff, = struct.unpack_from("<I", data, 32)
    shentsize, shnum = struct.unpack_from("<HH", data, 46)
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    for h in headers:
        if h[1] != 2:  # SHT_SYMTAB
            continue
        strings = headers[h[6]]  # sh_link: its string table
        for at in range(h[4], h[4] + h[5], 16):
            name_at, value, size, _info, _other, shndx = struct.unpack_from("<IIIBBH", data, at)
            end = data.index(b"\0", strings[4] + name_at)
            if data[strings[4] + name_at:end] != b"wandlab_boot_allocation_bytes" or size != 4:
                continue
            section = headers[shndx]  # the value lies in this section's file image
            offset = section[4] + value - section[3]
            return int(struct.unpack_from("<I", data, offset)[0])
    return 0


def report(elf: Path, map_path: Path, flash_area: int, uf2: str | None) -> dict[str, object]:
    text = map_path.read_text(errors="replace")
    sections = section_sizes(text)
    flash = sum(sections.get(s, 0) for s in FLASH_SECTIONS)
    ram = sum(sections.get(s, 0) for s in RAM_SECTIONS)
    boot = boot_allocation(elf)
    return {
        "image": str(elf),
        "flash_bytes": flash,
        "ram_bytes": ram,
        "flash_budget_bytes": int(flash_area * FLASH_SHARE),
        "ram_budget_bytes": RAM_BUDGET,
        "boot_allocation_bytes": boot,
        "ram_after_boot_bytes": ram + boot,
        "flash_area_bytes": flash_area,
        "sections": {s: sections.get(s, 0) for s in (".text", ".ARM.exidx", ".data", ".bss", ".heap")},
        "components": component_sizes(text),
        "uf2": uf2,
        "within_budget": flash <= flash_area * FLASH_SHARE and ram <= RAM_BUDGET,
    }


def table(r: dict[str, object]) -> str:
    flash, ram = int(r["flash_bytes"]), int(r["ram_bytes"])  # type: ignore[call-overload]
    fb, rb = int(r["flash_budget_bytes"]), int(r["ram_budget_bytes"])  # type: ignore[call-overload]
    lines = [
        f"{'':44} {'flash':>9} {'static RAM':>11}",
        f"{'image':44} {flash:>9,} {ram:>11,}",
        f"{'budget':44} {fb:>9,} {rb:>11,}",
        f"{'used of budget':44} {100 * flash / fb:>8.1f}% {100 * ram / rb:>10.1f}%",
        "",
    ]
    components = r["components"]
    assert isinstance(components, dict)
    for name, sizes in components.items():
        lines.append(f"  {name:42} {sizes['flash']:>9,} {sizes['ram']:>11,}")
    sections = r["sections"]
    assert isinstance(sections, dict)
    boot = int(r["boot_allocation_bytes"])  # type: ignore[call-overload]
    if boot:
        lines.append(f"\n  allocated once at boot (the recogniser): {boot:,} bytes of the heap; static + boot: "
                     f"{ram + boot:,} bytes")
    lines.append(f"\n  heap left to malloc (.heap): {sections['.heap'] - boot:,} bytes after boot; "
                 f"{'within budget' if r['within_budget'] else 'OVER BUDGET'}")
    if r.get("uf2"):
        lines.append(f"  uf2: {r['uf2']}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("elf", type=Path)
    parser.add_argument("map", type=Path)
    parser.add_argument("--flash-area", type=int, required=True, help="bytes of the application flash area")
    parser.add_argument("--uf2", help="the image's .uf2, reported as is")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)
    r = report(args.elf, args.map, args.flash_area, args.uf2)
    print(json.dumps(r) if args.json else table(r))
    return 0 if r["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
