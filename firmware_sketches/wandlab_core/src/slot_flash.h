// The flash a board gives its model slots: what ModelSlots (model_slots.h) and SlotRecord
// (slot_record.h) need, as one small interface a board implements - over nRF52 internal flash (4 KB
// erase pages, memory-mapped) or, on the native board, over files mapped into memory.
//
// Two kinds of area, both read through plain pointers (memory-mapped), both NOR-flash-like:
//   - kSlotCount model slots of slot_capacity() bytes each: erased an erase unit at a time, written in
//     order while a model arrives, read in place (the model runs from flash; no RAM copy).
//   - kRecordPages raw record pages of record_page_bytes() each, where SlotRecord keeps the slots'
//     state (which slot is active, what each holds, the transfer in progress) as two alternating copies.
//
// Flash rules the core keeps, so a board may implement write() as plain NOR programming:
//   - Erased bytes read 0xFF. Writes only program bytes that are erased, or program again the very value a
//     byte already holds (a chunk sent again after a power cut). Nothing is written twice otherwise.
//   - Slot writes come in increasing offsets, each erase unit erased right before its first byte is
//     written; sizes and offsets are arbitrary (a model chunk is 16-4000 bytes), so a board whose flash
//     programs 32-bit words (nRF52) combines a partial word with the bytes around it (erased 0xFF).
//     Chunk sizes that are a multiple of 4 (the app sends 2048) never share a word between writes; other
//     sizes program the word at a chunk boundary twice (nRF52's nWRITE limit is 2). A chunk written
//     again after a power cut programs its words once more: 2 for aligned chunks, 3 for a shared word.
//   - Record writes are 8-byte aligned where they are small (progress entries: two 32-bit words).
//   - A write or erase cut by a power loss may leave any prefix done. The core never relies on more.
// Every erase and write returns false when the flash reports a failure; the core then answers the
// host with an Error and goes no further.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace slots {

constexpr uint8_t kSlotCount = 2;    // A/B: the one being written is never the active one
constexpr uint8_t kRecordPages = 2;  // the record alternates between them

class SlotFlash {
 public:
  // Bytes in each model slot: the largest model the board takes (Info.max_model_bytes).
  virtual size_t slot_capacity() const = 0;
  // The slots' erase unit (nRF52840: 4096). slot_capacity() is a multiple of it.
  virtual size_t erase_unit() const = 0;
  // Erases erase_unit() bytes of `slot` from `offset` (a multiple of erase_unit()) to 0xFF.
  virtual bool erase(uint8_t slot, size_t offset) = 0;
  virtual bool write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) = 0;
  // The slot's bytes, memory-mapped (valid as long as the flash object lives).
  virtual const uint8_t* data(uint8_t slot) const = 0;

  // Bytes in each record page (nRF52840: one 4096-byte erase page); see SlotRecord::kMinPageBytes.
  virtual size_t record_page_bytes() const = 0;
  virtual bool erase_record_page(uint8_t page) = 0;
  virtual bool write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) = 0;
  virtual const uint8_t* record_page(uint8_t page) const = 0;

 protected:
  ~SlotFlash() = default;
};

}  // namespace slots
}  // namespace wandlab
