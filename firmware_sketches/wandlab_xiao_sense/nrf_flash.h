// The nRF52840's internal flash while the SoftDevice runs: erase a 4 KB page, program 32-bit words -
// synchronously, from any task, one operation at a time.
//
// This file replaces the core's InternalFileSytem/src/flash/flash_nrf5x.c in the build (the Makefile
// leaves that one out; ../shared/vendor is not edited). The core's version only offers writes through
// a one-page cache that erases and reprograms the whole page to change a byte: a power cut in the
// middle loses what the page held, which the model slots and records must never risk (slot_flash.h:
// "a write cut by a power loss may leave any prefix done"), and its flash-event semaphore is private,
// so no other code can wait for an operation of its own. Here the same flash_nrf5x_* functions serve
// LittleFS (bonds) exactly as before, through the same cache, and erase_page / program serve the
// model slots and records with plain NOR programming. One mutex orders every operation: Bluefruit
// saves bonds from its own task.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace xiao {
namespace nrf_flash {

constexpr uint32_t kPageBytes = 4096;

// Call once from setup(), before the SoftDevice starts or any flash operation.
void begin();
// Erases the page at `address` (a multiple of kPageBytes) to 0xFF.
bool erase_page(uint32_t address);
// Programs `size` bytes at `address`, any alignment: bytes around them in the same 32-bit words are
// programmed as 0xFF, which leaves them as they are (NOR programming only clears bits).
bool program(uint32_t address, const uint8_t* data, size_t size);

}  // namespace nrf_flash
}  // namespace xiao
}  // namespace wandlab
