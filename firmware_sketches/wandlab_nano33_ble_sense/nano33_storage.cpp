#include "nano33_storage.h"

#include <Arduino.h>
#include <FlashIAP.h>

#include "nor_program.h"

namespace wandlab {
namespace nano33 {
namespace {

// One FlashIAP for the sketch: its mutex orders every operation.
mbed::FlashIAP& iap() {
  static mbed::FlashIAP flash;
  return flash;
}

bool in_storage(uint32_t address, size_t size) {
  return address >= kStorageStart && address <= kStorageEnd && size <= kStorageEnd - address;
}

}  // namespace

const char* IapPageFlash::begin() {
  if (iap().init() != 0) return "the flash driver (FlashIAP) did not start";
  if (iap().get_sector_size(kStorageStart) != kFlashPage || iap().get_flash_size() < kStorageEnd ||
      iap().get_erase_value() != 0xFF) {
    return "the flash is not laid out as the nRF52840's (4 KB sectors, 1 MB)";
  }
  program_unit_ = iap().get_page_size();
  // storage::program_bytes pads writes to it: a power of two up to 256 bytes (the nRF52840's is a word).
  if (program_unit_ == 0 || program_unit_ > storage::kMaxProgramUnit || (program_unit_ & (program_unit_ - 1)) != 0) {
    return "the flash's program unit is not a power of two up to 256 bytes";
  }
#ifdef FLASHIAP_APP_ROM_END_ADDR  // FlashIAP.h defines it for the GCC_ARM toolchain, which the core uses
  if (FLASHIAP_APP_ROM_END_ADDR > kStorageStart) return "the sketch is too large: it reaches the model slots";
#endif
  ready_ = true;
  return "";
}

bool IapPageFlash::erase_page(uint32_t address) {
  if (!ready_ || address % kFlashPage != 0 || !in_storage(address, kFlashPage)) return false;
  return iap().erase(address, kFlashPage) == 0;
}

bool IapPageFlash::program(uint32_t address, const uint8_t* data, size_t size) {
  if (size == 0) return true;
  if (!ready_ || !in_storage(address, size)) return false;
  return storage::program_bytes(address, data, size, program_unit_, [](uint32_t at, const uint8_t* bytes, size_t n) {
    return iap().program(bytes, at, static_cast<uint32_t>(n)) == 0;
  });
}

const uint8_t* IapPageFlash::map(uint32_t address) const {
  return reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(address));
}

}  // namespace nano33
}  // namespace wandlab
