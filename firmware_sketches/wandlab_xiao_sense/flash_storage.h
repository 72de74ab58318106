// Where the XIAO keeps what must survive power cuts and firmware updates, in its internal flash
// (memory-mapped; nrf_flash.h writes it): the two model slots and the slots' record pages
// (slots::SlotFlash), and three small records - the board's own classes, its HID map and its wake words
// (RecordStore).
//
// Layout, top of the application area down (the UF2 bootloader writes only the firmware's own blocks,
// so a firmware update keeps all of it):
//   0xED000-0xF4000  LittleFS of the core (Bluefruit's bonds)           not ours
//   0xEB000-0xED000  HID map record: 2 copies x 1 page
//   0xE7000-0xEB000  class table record: 2 copies x 2 pages
//   0xE5000-0xE7000  the model slots' record: 2 pages (SlotRecord alternates between them)
//   0xA5000-0xE5000  model slots A and B, 128 KB each (Info.max_model_bytes)
//   0xA3000-0xA5000  wake words record: 2 copies x 1 page
//   0x27000-0xA3000  the firmware (507,904 bytes at most; the link fails beyond, storage_guard.ld)
//
// The slots and records are wandlab_core's (paged_storage.h); this file gives them the chip's flash.
#pragma once

#include <cstddef>
#include <cstdint>

#include "paged_storage.h"

namespace wandlab {
namespace xiao {

constexpr uint32_t kFlashPage = 4096;
constexpr uint32_t kSlotBytes = 128 * 1024;
constexpr storage::StorageLayout kLayout = {0xA3000, kFlashPage, kSlotBytes};
constexpr uint32_t kStorageStart = kLayout.start;  // storage_guard.ld keeps the image below it
constexpr uint32_t kStorageEnd = kLayout.end();
static_assert(kStorageEnd == 0xED000, "the storage must end where the core's LittleFS begins");
static_assert(kLayout.slots().slots_start == 0xA5000 && kLayout.class_record() == 0xE7000,
              "the layout the comment above draws");

// The internal flash through nrf_flash.h (the SoftDevice's flash calls), read in place.
class NrfPageFlash : public storage::PageFlash {
 public:
  uint32_t page_bytes() const override { return kFlashPage; }
  bool erase_page(uint32_t address) override;
  bool program(uint32_t address, const uint8_t* data, size_t size) override;
  const uint8_t* map(uint32_t address) const override;
};

}  // namespace xiao
}  // namespace wandlab
