// What a board keeps in its own flash, over one small interface a board implements for its chip
// (PageFlash: erase a page, program bytes, read through a pointer): the model slots and their record
// pages (slots::SlotFlash) and the small records that must survive power cuts - its own classes, its HID
// map, its wake words (RecordStore). The XIAO (nRF52 through the SoftDevice), the Nano 33 (mbed's
// FlashIAP) and the ESP32-S3 (a flash partition) differ only in their PageFlash and where the areas lie.
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
namespace storage {

// A NOR flash by address, memory-mapped for reading.
class PageFlash {
 public:
  // The erase unit (nRF52840: 4096).
  virtual uint32_t page_bytes() const = 0;
  // Erases the page at `address` (a multiple of page_bytes()) to 0xFF.
  virtual bool erase_page(uint32_t address) = 0;
  // Programs `size` bytes at `address`, any alignment (NOR: bits only clear; see slot_flash.h's rules).
  virtual bool program(uint32_t address, const uint8_t* data, size_t size) = 0;
  // Where `address` reads in memory.
  virtual const uint8_t* map(uint32_t address) const = 0;

 protected:
  ~PageFlash() = default;
};

// Two model slots of slot_bytes from slots_start, then the slots' two record pages.
struct SlotLayout {
  uint32_t slots_start;
  uint32_t slot_bytes;  // a multiple of the flash's page
  constexpr uint32_t record_start() const { return slots_start + 2 * slot_bytes; }
};

class PagedSlotFlash : public slots::SlotFlash {
 public:
  PagedSlotFlash(PageFlash& flash, SlotLayout layout) : flash_(flash), layout_(layout) {}

  size_t slot_capacity() const override { return layout_.slot_bytes; }
  size_t erase_unit() const override { return flash_.page_bytes(); }
  bool erase(uint8_t slot, size_t offset) override;
  bool write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) override;
  const uint8_t* data(uint8_t slot) const override;

  size_t record_page_bytes() const override { return flash_.page_bytes(); }
  bool erase_record_page(uint8_t page) override;
  bool write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) override;
  const uint8_t* record_page(uint8_t page) const override;

 private:
  uint32_t slot_start(uint8_t slot) const { return layout_.slots_start + slot * layout_.slot_bytes; }
  uint32_t record_page_start(uint8_t page) const { return layout_.record_start() + page * flash_.page_bytes(); }

  PageFlash& flash_;
  SlotLayout layout_;
};

class PagedRecord : public RecordStore {
 public:
  static constexpr size_t kHeaderBytes = 16;

  // Two copies of `pages` flash pages each, from `start`.
  PagedRecord(PageFlash& flash, uint32_t start, uint32_t pages) : flash_(flash), start_(start), pages_(pages) {}
  size_t capacity() const { return pages_ * flash_.page_bytes() - kHeaderBytes; }

  bool load(uint8_t* data, size_t* size) override;
  bool save(const uint8_t* data, size_t size) override;

 private:
  struct Header {
    uint32_t magic;
    uint32_t sequence;
    uint32_t size;
    uint32_t crc;
  };
  uint32_t copy_address(int copy) const { return start_ + static_cast<uint32_t>(copy) * pages_ * flash_.page_bytes(); }
  // The copy's header if the copy checks out.
  bool valid(int copy, Header* header) const;
  // The newest valid copy (-1: none).
  int newest(Header* header) const;

  PageFlash& flash_;
  uint32_t start_;
  uint32_t pages_;
};

// Where a board's areas lie, from `start` up, in flash pages of `page` bytes - the same order on every
// board: the wake words' record (2 copies x 1 page), model slots A and B of `slot_bytes` each and their
// two record pages, the class table's record (2 copies x 2 pages), the HID map's record (2 copies x 1 page).
struct StorageLayout {
  static constexpr uint32_t kWordsPages = 1;
  static constexpr uint32_t kClassPages = 2;
  static constexpr uint32_t kHidPages = 1;

  uint32_t start;
  uint32_t page;
  uint32_t slot_bytes;

  constexpr uint32_t words_record() const { return start; }
  constexpr SlotLayout slots() const { return {start + 2 * kWordsPages * page, slot_bytes}; }
  constexpr uint32_t class_record() const { return slots().record_start() + 2 * page; }
  constexpr uint32_t hid_record() const { return class_record() + 2 * kClassPages * page; }
  constexpr uint32_t end() const { return hid_record() + 2 * kHidPages * page; }
  // The largest record each area holds.
  constexpr size_t class_capacity() const { return kClassPages * page - PagedRecord::kHeaderBytes; }
  constexpr size_t words_capacity() const { return kWordsPages * page - PagedRecord::kHeaderBytes; }
};

// A board's slots and records over its flash, laid out by a StorageLayout.
struct BoardStorage {
  BoardStorage(PageFlash& flash, const StorageLayout& layout)
      : slots(flash, layout.slots()),
        classes(flash, layout.class_record(), StorageLayout::kClassPages),
        hid(flash, layout.hid_record(), StorageLayout::kHidPages),
        words(flash, layout.words_record(), StorageLayout::kWordsPages) {}

  PagedSlotFlash slots;
  PagedRecord classes;
  PagedRecord hid;
  PagedRecord words;
};

}  // namespace storage
}  // namespace wandlab
