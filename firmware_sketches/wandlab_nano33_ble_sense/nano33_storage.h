// Where the Nano 33 BLE Sense keeps what must survive power cuts and firmware uploads, in the nRF52840's
// internal flash (memory-mapped; written through mbed's FlashIAP): the two model slots and their record
// pages, and three small records - the board's own classes, its HID map and its wake words. The slots and
// records are wandlab_core's (paged_storage.h), as on the XIAO; only the flash calls and the addresses
// differ.
//
// Layout (1 MB flash; the Arduino bootloader below 0x10000, the sketch from 0x10000 up). The storage ends
// at 0xE0000, below the 128 KB at the top that the SoftDevice-capable Arduino bootloader takes when a user
// installs it; an upload rewrites only the sketch's own pages, so the storage outlives it:
//   0xDE000-0xE0000  HID map record: 2 copies x 1 page
//   0xDA000-0xDE000  class table record: 2 copies x 2 pages
//   0xD8000-0xDA000  the model slots' record: 2 pages
//   0x98000-0xD8000  model slots A and B, 128 KB each (Info.max_model_bytes)
//   0x96000-0x98000  wake words record: 2 copies x 1 page
//   0x10000-0x96000  the sketch (548 KB at most: begin() refuses the storage if the sketch reaches it)
#pragma once

#include <cstddef>
#include <cstdint>

#include "paged_storage.h"

namespace wandlab {
namespace nano33 {

constexpr uint32_t kFlashPage = 4096;
constexpr storage::StorageLayout kLayout = {0x96000, kFlashPage, 128 * 1024};
constexpr uint32_t kStorageStart = kLayout.start;
constexpr uint32_t kStorageEnd = kLayout.end();
static_assert(kStorageEnd == 0xE0000, "the storage must end below the SoftDevice bootloader's area");

// The internal flash through mbed::FlashIAP, read in place. Every erase and program is kept inside
// the storage, so a slip can never reach the sketch or the bootloader.
class IapPageFlash : public storage::PageFlash {
 public:
  // "" when the flash is usable for the storage, else why not (FlashIAP failed, its geometry is not the
  // nRF52840's, or the sketch reaches into the storage).
  const char* begin();

  uint32_t page_bytes() const override { return kFlashPage; }
  bool erase_page(uint32_t address) override;
  bool program(uint32_t address, const uint8_t* data, size_t size) override;
  const uint8_t* map(uint32_t address) const override;

 private:
  bool ready_ = false;
  uint32_t program_unit_ = 4;
};

}  // namespace nano33
}  // namespace wandlab
