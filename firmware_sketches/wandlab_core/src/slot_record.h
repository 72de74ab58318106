// The model slots' persistent state as one record that survives a power cut at any moment: two raw
// record pages of the SlotFlash (slot_flash.h) hold alternating copies, each with a sequence number and
// a CRC-32, and the newer valid copy wins. A new record always goes into the page that does not hold the
// current one, so a cut while it is written leaves the previous record valid.
//
// Page layout (little-endian):
//   0   "WLSR"          written last: a copy is complete once its magic is there
//   4   u32 sequence    +1 per record (compared with wrap-around)
//   8   u32 size        of the payload
//   12  u32 CRC-32      over bytes 4-11 and the payload
//   16  payload         what the caller stores (ModelSlots: slots, active slot, transfer)
//   then, 8-aligned, up to the end of the page: the progress log, entries of {u32 value, u32 ~value}
//
// The progress log lets a transfer record how far it got once per chunk without writing a whole record
// (that would erase a 4 KB page per chunk: slow, and wear). Entries are appended into erased bytes
// only; one cut halfway fails its complement check and is ignored. When the log is full, the caller
// writes a new record carrying the value, which starts an empty log in the other page.
#pragma once

#include <cstddef>
#include <cstdint>

#include "slot_flash.h"

namespace wandlab {
namespace slots {

class SlotRecord {
 public:
  static constexpr size_t kHeaderBytes = 16;
  static constexpr size_t kEntryBytes = 8;

  enum class Found : uint8_t {
    kBlank,    // no complete record in either page: a new board, or a cut during the very first write
    kValid,    // the newer valid copy's payload was copied out
    kDamaged,  // a complete copy exists but none passes its CRC (or fits the caller's buffer)
  };

  explicit SlotRecord(SlotFlash& flash) : flash_(flash) {}

  // Finds the newer valid copy, copies its payload into `out` (at most `capacity` bytes) and sets
  // `*size`; reads its progress log.
  Found load(uint8_t* out, size_t capacity, size_t* size);
  // Makes `payload` the current record (in the other page); its progress log starts empty.
  bool write(const uint8_t* payload, size_t size);
  // Appends an entry to the current record's log. false: no current record, the log is full, or the
  // flash failed - write a new record instead.
  bool append(uint32_t value);
  // The last valid entry of the current record's log; false if it has none.
  bool latest(uint32_t* value) const;
  // Entries the current log still takes.
  size_t log_room() const;

 private:
  static constexpr uint8_t kNoPage = 0xFF;

  bool page_valid(uint8_t page, uint32_t* sequence, uint32_t* size) const;
  void read_log(uint8_t page, size_t payload_size);

  SlotFlash& flash_;
  uint8_t current_ = kNoPage;
  uint32_t sequence_ = 0;
  size_t next_entry_ = 0;  // offset in the current page of the next free entry
  bool has_entry_ = false;
  uint32_t last_entry_ = 0;
};

}  // namespace slots
}  // namespace wandlab
