// Test doubles for the model slots (tests/test_model_slots.cpp, tests/model_slots_twin.cpp): a SlotFlash
// in RAM that behaves like NOR flash and can lose power after a given number of bytes, and the image
// checks the tests plug in.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "board_image.h"
#include "model_slots.h"

namespace wandlab {
namespace test {

// NOR flash in RAM: erase sets 0xFF, write can only clear bits (new = old & data). Writing a bit from 0
// back to 1 is counted as a violation (the core must never need it). A power cut: cut_after(n) lets n
// more bytes be erased or programmed; the operation that reaches the limit stops halfway through, and
// every later one fails, until restore_power().
class RamSlotFlash : public slots::SlotFlash {
 public:
  RamSlotFlash(size_t capacity, size_t erase_unit, size_t record_page)
      : capacity_(capacity), unit_(erase_unit), page_(record_page) {
    for (auto& s : slot_) s.assign(capacity, 0xFF);
    for (auto& p : record_) p.assign(record_page, 0xFF);
  }

  size_t slot_capacity() const override { return capacity_; }
  size_t erase_unit() const override { return unit_; }
  bool erase(uint8_t slot, size_t offset) override {
    if (slot >= slots::kSlotCount || offset % unit_ != 0 || offset + unit_ > capacity_) return misuse();
    return erase_bytes(slot_[slot].data() + offset, unit_);
  }
  bool write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) override {
    if (slot >= slots::kSlotCount || offset + size > capacity_) return misuse();
    if (offset < slot_end_[slot]) ++rewrites;  // in order, except a chunk written again after a cut
    slot_end_[slot] = offset + size;
    return program(slot_[slot].data() + offset, data, size);
  }
  const uint8_t* data(uint8_t slot) const override { return slot_[slot].data(); }

  size_t record_page_bytes() const override { return page_; }
  bool erase_record_page(uint8_t page) override {
    if (page >= slots::kRecordPages) return misuse();
    ++record_erases[page];
    return erase_bytes(record_[page].data(), page_);
  }
  bool write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) override {
    if (page >= slots::kRecordPages || offset + size > page_) return misuse();
    return program(record_[page].data() + offset, data, size);
  }
  const uint8_t* record_page(uint8_t page) const override { return record_[page].data(); }

  // Power.
  void cut_after(long bytes) { budget_ = bytes; }
  void restore_power() { budget_ = -1; dead_ = false; }
  bool power_lost() const { return dead_; }
  // The next `n` operations report a failure (a flash error, not a power cut) and change nothing.
  void fail_next(int n) { failures_ = n; }

  // Direct access for tests that damage flash.
  std::vector<uint8_t>& slot_bytes(uint8_t slot) { return slot_[slot]; }
  std::vector<uint8_t>& record_bytes(uint8_t page) { return record_[page]; }

  long violations = 0;   // 0 -> 1 bit programming attempted
  long misuses = 0;      // out-of-range or unaligned calls
  long rewrites = 0;     // slot writes below the end of the previous one
  long record_erases[slots::kRecordPages] = {0, 0};
  long bytes_touched = 0;  // erased or programmed, for sizing power-cut sweeps

 private:
  bool misuse() {
    ++misuses;
    return false;
  }
  // How many of `size` bytes this operation may touch before the power goes.
  bool allowance(size_t size, size_t* n) {
    if (dead_) return false;
    if (failures_ > 0) {
      --failures_;
      return false;
    }
    *n = size;
    if (budget_ >= 0 && static_cast<long>(size) >= budget_) {
      *n = static_cast<size_t>(budget_);
      budget_ = 0;
      dead_ = true;
    } else if (budget_ >= 0) {
      budget_ -= static_cast<long>(size);
    }
    bytes_touched += static_cast<long>(*n);
    return true;
  }
  bool erase_bytes(uint8_t* at, size_t size) {
    size_t n = 0;
    if (!allowance(size, &n)) return false;
    std::memset(at, 0xFF, n);
    return n == size && !dead_;
  }
  bool program(uint8_t* at, const uint8_t* data, size_t size) {
    size_t n = 0;
    if (!allowance(size, &n)) return false;
    for (size_t i = 0; i < n; ++i) {
      if ((at[i] & data[i]) != data[i]) ++violations;
      at[i] &= data[i];
    }
    return n == size && !dead_;
  }

  size_t capacity_, unit_, page_;
  std::vector<uint8_t> slot_[slots::kSlotCount];
  std::vector<uint8_t> record_[slots::kRecordPages];
  size_t slot_end_[slots::kSlotCount] = {0, 0};
  long budget_ = -1;  // bytes left before the power goes; -1: no cut planned
  bool dead_ = false;
  int failures_ = 0;
};

// The structural board image check (board_image::validate) with a sentence per reason; the twin test
// gives Python's ModelStore the same sentences for the same refusals.
class StructuralCheck : public slots::ImageCheck {
 public:
  const char* check(const uint8_t* image, size_t size) override {
    const board_image::Reason reason = board_image::validate(image, size, nullptr);
    if (reason == board_image::Reason::kOk) return "";
    text_ = std::string("not a board image this firmware can run (") + board_image::reason_name(reason) + ")";
    return text_.c_str();
  }

 private:
  std::string text_;
};

// The structural check, plus a refusal on demand (an arena that is too small, say) with a given text.
class SwitchableCheck : public slots::ImageCheck {
 public:
  const char* check(const uint8_t* image, size_t size) override {
    ++calls;
    if (!refusal.empty()) return refusal.c_str();
    return structural_.check(image, size);
  }
  std::string refusal;  // empty: accept what the structural check accepts
  int calls = 0;

 private:
  StructuralCheck structural_;
};

}  // namespace test
}  // namespace wandlab
