// nrf_flash.h on the PC, for tests/test_flash_storage.cpp: the XIAO's storage area (0xA3000-0xED000)
// mapped at its real addresses, since flash_storage.cpp reads the flash through plain pointers, with
// NOR rules - erase sets a page to 0xFF, programming only clears bits (new = old & data), each word's
// programs counted - and a power cut: after `host_flash::cut_after` more bytes programmed or pages
// erased, nothing more happens and every operation fails.
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../flash_storage.h"
#include "nor_program.h"
#include "../nrf_flash.h"
#include "host_nrf_flash.h"

namespace wandlab {
namespace xiao {
namespace host_flash {

long cut_after = -1;  // -1: no power cut
uint8_t program_count[(kStorageEnd - kStorageStart) / 4];

namespace {

bool alive() {
  if (cut_after == 0) return false;
  if (cut_after > 0) --cut_after;
  return true;
}

}  // namespace

void map_storage() {
  void* want = reinterpret_cast<void*>(static_cast<uintptr_t>(kStorageStart));
  void* got = mmap(want, kStorageEnd - kStorageStart, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (got != want) {
    std::printf("cannot map the XIAO's storage at 0x%X on this PC\n", static_cast<unsigned>(kStorageStart));
    std::exit(2);
  }
  std::memset(got, 0xFF, kStorageEnd - kStorageStart);
}

}  // namespace host_flash

namespace nrf_flash {

void begin() {}

bool erase_page(uint32_t address) {
  if (address % kPageBytes != 0 || address < kStorageStart || address + kPageBytes > kStorageEnd) return false;
  if (!host_flash::alive()) return false;
  std::memset(reinterpret_cast<void*>(static_cast<uintptr_t>(address)), 0xFF, kPageBytes);
  std::memset(host_flash::program_count + (address - kStorageStart) / 4, 0, kPageBytes / 4);
  return true;
}

bool program(uint32_t address, const uint8_t* data, size_t size) {
  if (address < kStorageStart || address + size > kStorageEnd) return false;
  return storage::program_bytes(address, data, size, 4, [](uint32_t word, const uint8_t* unit_bytes, size_t count) {
    const uint32_t* words = reinterpret_cast<const uint32_t*>(unit_bytes);
    for (size_t i = 0; i < count / 4; ++i) {
      uint8_t* at = reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(word + 4 * i));
      const uint8_t* bytes = reinterpret_cast<const uint8_t*>(words + i);
      for (size_t b = 0; b < 4; ++b) {
        if (!host_flash::alive()) return false;
        at[b] &= bytes[b];
      }
      ++host_flash::program_count[(word + 4 * i - kStorageStart) / 4];
    }
    return true;
  });
}

}  // namespace nrf_flash
}  // namespace xiao
}  // namespace wandlab
