// Programming any run of bytes on a flash that programs whole units (nRF52: 32-bit words; mbed's
// FlashIAP: its page size): the bytes around them in the first and last unit are programmed as 0xFF,
// which leaves them as they are, since NOR programming only clears bits. Header-only and hardware-free,
// so the PC tests the very code the boards run (tests/firmware/test_paged_storage.py).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wandlab {
namespace storage {

constexpr size_t kMaxProgramUnit = 256;

// Calls write_units(unit_address, bytes, count) for unit-aligned spans of at most kMaxProgramUnit
// bytes (`bytes` 4-byte aligned, `count` a multiple of `unit`); false as soon as one fails, or if
// `unit` is not a power of two up to kMaxProgramUnit.
template <class WriteUnits>
bool program_bytes(uint32_t address, const uint8_t* data, size_t size, uint32_t unit, WriteUnits write_units) {
  if (unit == 0 || unit > kMaxProgramUnit || (unit & (unit - 1)) != 0) return false;
  alignas(4) uint8_t buffer[kMaxProgramUnit];
  const uint32_t end = address + static_cast<uint32_t>(size);
  for (uint32_t span = address & ~(unit - 1); span < end; span += sizeof(buffer)) {
    const uint32_t span_end = span + sizeof(buffer) < end ? span + static_cast<uint32_t>(sizeof(buffer)) : end;
    const size_t count = (span_end - span + unit - 1) & ~static_cast<size_t>(unit - 1);
    std::memset(buffer, 0xFF, count);
    const uint32_t from = address > span ? address : span;
    std::memcpy(buffer + (from - span), data + (from - address), span_end - from);
    if (!write_units(span, buffer, count)) return false;
  }
  return true;
}

}  // namespace storage
}  // namespace wandlab
