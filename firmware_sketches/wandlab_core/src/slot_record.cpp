// Two alternating record pages with sequence number, CRC and a progress log. See slot_record.h.

#include "slot_record.h"

#include <cstring>

#include "crc32.h"
#include "little_endian.h"

namespace wandlab {
namespace slots {
namespace {

constexpr uint8_t kMagic[4] = {'W', 'L', 'S', 'R'};

using le::put_u32;
using le::get_u32;

size_t log_start(size_t payload_size) {
  return (SlotRecord::kHeaderBytes + payload_size + SlotRecord::kEntryBytes - 1) / SlotRecord::kEntryBytes *
         SlotRecord::kEntryBytes;
}

bool erased(const uint8_t* p, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (p[i] != 0xFF) return false;
  }
  return true;
}

// Sequence a is newer than b, also across the 2^32 wrap.
bool newer(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

}  // namespace

bool SlotRecord::page_valid(uint8_t page, uint32_t* sequence, uint32_t* size) const {
  const uint8_t* p = flash_.record_page(page);
  const size_t page_bytes = flash_.record_page_bytes();
  if (p == nullptr || page_bytes < kHeaderBytes || std::memcmp(p, kMagic, 4) != 0) return false;
  const uint32_t payload = get_u32(p + 8);
  if (payload > page_bytes - kHeaderBytes) return false;
  uint32_t crc = protocol::crc32(p + 4, 8);
  crc = protocol::crc32(p + kHeaderBytes, payload, crc);
  if (crc != get_u32(p + 12)) return false;
  *sequence = get_u32(p + 4);
  *size = payload;
  return true;
}

void SlotRecord::read_log(uint8_t page, size_t payload_size) {
  const uint8_t* p = flash_.record_page(page);
  const size_t page_bytes = flash_.record_page_bytes();
  has_entry_ = false;
  size_t at = log_start(payload_size);
  for (; at + kEntryBytes <= page_bytes; at += kEntryBytes) {
    if (erased(p + at, kEntryBytes)) break;
    const uint32_t value = get_u32(p + at);
    if (get_u32(p + at + 4) == ~value) {  // a torn entry fails this and is skipped
      has_entry_ = true;
      last_entry_ = value;
    }
  }
  next_entry_ = at;
}

SlotRecord::Found SlotRecord::load(uint8_t* out, size_t capacity, size_t* size) {
  current_ = kNoPage;
  has_entry_ = false;
  uint32_t best_sequence = 0, best_size = 0;
  bool complete = false;
  for (uint8_t page = 0; page < kRecordPages; ++page) {
    const uint8_t* p = flash_.record_page(page);
    if (p != nullptr && flash_.record_page_bytes() >= 4 && std::memcmp(p, kMagic, 4) == 0) complete = true;
    uint32_t sequence = 0, payload = 0;
    if (!page_valid(page, &sequence, &payload) || payload > capacity) continue;
    if (current_ == kNoPage || newer(sequence, best_sequence)) {
      current_ = page;
      best_sequence = sequence;
      best_size = payload;
    }
  }
  if (current_ == kNoPage) return complete ? Found::kDamaged : Found::kBlank;
  sequence_ = best_sequence;
  std::memcpy(out, flash_.record_page(current_) + kHeaderBytes, best_size);
  *size = best_size;
  read_log(current_, best_size);
  return Found::kValid;
}

bool SlotRecord::write(const uint8_t* payload, size_t size) {
  const size_t page_bytes = flash_.record_page_bytes();
  if (page_bytes < kHeaderBytes || size > page_bytes - kHeaderBytes) return false;
  const uint8_t page = current_ == 0 ? 1 : 0;
  const uint32_t sequence = current_ == kNoPage ? 1 : sequence_ + 1;
  uint8_t header[kHeaderBytes];
  std::memcpy(header, kMagic, 4);
  put_u32(header + 4, sequence);
  put_u32(header + 8, static_cast<uint32_t>(size));
  put_u32(header + 12, protocol::crc32(payload, size, protocol::crc32(header + 4, 8)));
  // Payload, then the rest of the header, then the magic: a copy with its magic is a complete one.
  if (!flash_.erase_record_page(page)) return false;
  if (size > 0 && !flash_.write_record_page(page, kHeaderBytes, payload, size)) return false;
  if (!flash_.write_record_page(page, 4, header + 4, kHeaderBytes - 4)) return false;
  if (!flash_.write_record_page(page, 0, header, 4)) return false;
  current_ = page;
  sequence_ = sequence;
  next_entry_ = log_start(size);
  has_entry_ = false;
  return true;
}

bool SlotRecord::append(uint32_t value) {
  if (current_ == kNoPage || next_entry_ + kEntryBytes > flash_.record_page_bytes()) return false;
  uint8_t entry[kEntryBytes];
  put_u32(entry, value);
  put_u32(entry + 4, ~value);
  const size_t at = next_entry_;
  next_entry_ += kEntryBytes;  // also when the write fails: that entry may be half programmed
  if (!flash_.write_record_page(current_, at, entry, kEntryBytes)) return false;
  has_entry_ = true;
  last_entry_ = value;
  return true;
}

bool SlotRecord::latest(uint32_t* value) const {
  if (current_ == kNoPage || !has_entry_) return false;
  *value = last_entry_;
  return true;
}

size_t SlotRecord::log_room() const {
  const size_t page_bytes = flash_.record_page_bytes();
  if (current_ == kNoPage || next_entry_ >= page_bytes) return 0;
  return (page_bytes - next_entry_) / kEntryBytes;
}

}  // namespace slots
}  // namespace wandlab
