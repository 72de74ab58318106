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
// A record copy is a 16-byte header - "WLRC", u32 sequence, u32 size, u32 CRC-32 of the data - and the
// data. save() erases the older copy, programs the data, then the header last: a copy cut by a power
// loss fails its CRC and load() takes the other one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "record_store.h"
#include "slot_flash.h"

namespace wandlab {
namespace xiao {

constexpr uint32_t kFlashPage = 4096;
constexpr uint32_t kSlotBytes = 128 * 1024;
constexpr uint32_t kSlotsStart = 0xA5000;
constexpr uint32_t kSlotRecordStart = kSlotsStart + 2 * kSlotBytes;  // 0xE5000
constexpr uint32_t kClassRecordStart = kSlotRecordStart + 2 * kFlashPage;  // 0xE7000
constexpr uint32_t kClassRecordPages = 2;
constexpr uint32_t kHidRecordStart = kClassRecordStart + 2 * kClassRecordPages * kFlashPage;  // 0xEB000
constexpr uint32_t kHidRecordPages = 1;
constexpr uint32_t kStorageEnd = kHidRecordStart + 2 * kHidRecordPages * kFlashPage;
static_assert(kStorageEnd == 0xED000, "the storage must end where the core's LittleFS begins");
constexpr uint32_t kWordsRecordPages = 1;
constexpr uint32_t kWordsRecordStart = kSlotsStart - 2 * kWordsRecordPages * kFlashPage;  // 0xA3000
constexpr uint32_t kStorageStart = kWordsRecordStart;  // storage_guard.ld keeps the image below it

class NrfSlotFlash : public slots::SlotFlash {
 public:
  size_t slot_capacity() const override { return kSlotBytes; }
  size_t erase_unit() const override { return kFlashPage; }
  bool erase(uint8_t slot, size_t offset) override;
  bool write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) override;
  const uint8_t* data(uint8_t slot) const override;

  size_t record_page_bytes() const override { return kFlashPage; }
  bool erase_record_page(uint8_t page) override;
  bool write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) override;
  const uint8_t* record_page(uint8_t page) const override;
};

class FlashRecord : public RecordStore {
 public:
  static constexpr size_t kHeaderBytes = 16;

  // Two copies of `pages` flash pages each, from `start`.
  FlashRecord(uint32_t start, uint32_t pages) : start_(start), pages_(pages) {}
  size_t capacity() const { return pages_ * kFlashPage - kHeaderBytes; }

  bool load(uint8_t* data, size_t* size) override;
  bool save(const uint8_t* data, size_t size) override;

 private:
  struct Header {
    uint32_t magic;
    uint32_t sequence;
    uint32_t size;
    uint32_t crc;
  };
  uint32_t copy_address(int copy) const { return start_ + static_cast<uint32_t>(copy) * pages_ * kFlashPage; }
  // The copy's header if the copy checks out.
  bool valid(int copy, Header* header) const;
  // The newest valid copy (-1: none).
  int newest(Header* header) const;

  uint32_t start_;
  uint32_t pages_;
};

}  // namespace xiao
}  // namespace wandlab
