// wandlab_core's paged storage (paged_storage.h, nor_program.h) over a NOR flash in RAM whose program unit
// a board's driver dictates (nRF52: 4-byte words; mbed's FlashIAP: its page size, 4 to 256 bytes; ESP32:
// 1): byte runs at any alignment land whole and change nothing else, every unit is programmed only with
// 0xFF around the bytes (NOR programming only clears bits), slots keep their bounds, and a record survives
// a power cut at any step of a save. The XIAO's addresses and driver: tests/firmware/test_flash_storage.py.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "nor_program.h"
#include "paged_storage.h"

using wandlab_test::check;
namespace ws = wandlab::storage;

namespace {

constexpr uint32_t kPage = 4096;
constexpr uint32_t kBase = 0x40000;  // the area's first address, as a board's would not start at 0
constexpr uint32_t kPages = 74;      // a StorageLayout: 2 + 64 + 2 + 4 + 2 pages

// NOR flash in RAM, programmed through program_bytes in `unit`s; a power cut after `cut_after` steps.
class RamFlash : public ws::PageFlash {
 public:
  explicit RamFlash(uint32_t unit) : unit_(unit), bytes_(kPages * kPage, 0xFF) {}

  uint32_t page_bytes() const override { return kPage; }
  bool erase_page(uint32_t address) override {
    if (address % kPage != 0 || address < kBase || address + kPage > kBase + bytes_.size() || !alive()) return false;
    std::fill_n(bytes_.begin() + (address - kBase), kPage, 0xFF);
    return true;
  }
  bool program(uint32_t address, const uint8_t* data, size_t size) override {
    if (address < kBase || address + size > kBase + bytes_.size()) return false;
    return ws::program_bytes(address, data, size, unit_, [this](uint32_t at, const uint8_t* unit_bytes, size_t n) {
      if (at % unit_ != 0 || n % unit_ != 0 || at < kBase || at + n > kBase + bytes_.size()) {
        misaligned_ = true;
        return false;
      }
      for (size_t i = 0; i < n; ++i) {
        if (!alive()) return false;
        bytes_[at - kBase + i] &= unit_bytes[i];
      }
      return true;
    });
  }
  const uint8_t* map(uint32_t address) const override { return bytes_.data() + (address - kBase); }

  long cut_after = -1;
  bool misaligned_ = false;

 private:
  bool alive() {
    if (cut_after == 0) return false;
    if (cut_after > 0) --cut_after;
    return true;
  }

  uint32_t unit_;
  std::vector<uint8_t> bytes_;
};

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void test_slots(uint32_t unit, std::mt19937& rng) {
  RamFlash ram(unit);
  ws::PagedSlotFlash flash(ram, {kBase, 128 * 1024});
  check(flash.slot_capacity() == 128 * 1024 && flash.erase_unit() == kPage, "slot geometry");
  check(flash.data(1) == ram.map(kBase + 128 * 1024) && flash.record_page(1) == ram.map(kBase + 257 * 1024 + 3072),
        "slot B and the record pages follow slot A");
  for (size_t page = 0; page < 3; ++page) check(flash.erase(1, page * kPage), "erase a slot page");
  // A model in chunks of odd sizes at odd offsets: every byte lands, the bytes after it stay erased.
  const std::vector<uint8_t> model = random_bytes(rng, 3 * kPage - 77);
  for (size_t offset = 0; offset < model.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 700, model.size() - offset);
    check(flash.write(1, offset, model.data() + offset, n), "write a chunk");
    offset += n;
  }
  check(std::memcmp(flash.data(1), model.data(), model.size()) == 0, "the slot holds the model");
  bool erased_after = true;
  for (size_t i = model.size(); i < 3 * kPage; ++i) erased_after &= flash.data(1)[i] == 0xFF;
  check(erased_after && !ram.misaligned_, "bytes after it stay erased, every program whole units");
  bool slot_a_erased = true;
  for (size_t i = 0; i < 128 * 1024; ++i) slot_a_erased &= flash.data(0)[i] == 0xFF;
  check(slot_a_erased, "slot A untouched");
  const uint8_t byte = 0;
  check(!flash.write(0, 128 * 1024 - 1, &byte, 2), "a write past the slot is refused");
  check(!flash.write(2, 0, &byte, 1) && !flash.erase(2, 0), "slot 2 does not exist");
  check(!flash.erase(0, 100), "an erase off a page boundary is refused");
  check(!flash.write_record_page(0, kPage - 1, &byte, 2), "a write past a record page is refused");
  // Record pages take small writes at 8-byte steps (SlotRecord's progress entries).
  check(flash.erase_record_page(1), "erase a record page");
  for (uint32_t i = 0; i < 16; ++i) {
    const uint8_t entry[8] = {1, 2, 3, 4, 5, 6, 7, static_cast<uint8_t>(i)};
    flash.write_record_page(1, 64 + 8 * i, entry, sizeof(entry));
  }
  check(flash.record_page(1)[64 + 8 * 15 + 7] == 15 && flash.record_page(1)[63] == 0xFF &&
            flash.record_page(1)[64 + 128] == 0xFF,
        "record entries land, nothing around them changes");
}

void test_record(uint32_t unit, std::mt19937& rng) {
  RamFlash ram(unit);
  ws::PagedRecord record(ram, kBase + 66 * kPage, 2);
  uint8_t out[3 * kPage];
  size_t size = sizeof(out);
  check(!record.load(out, &size), "a blank record loads nothing");
  check(record.capacity() == 2 * kPage - 16, "capacity: two pages less the header");
  const std::vector<uint8_t> too_big(record.capacity() + 1, 1);
  check(!record.save(too_big.data(), too_big.size()), "a record over the capacity is refused");
  const std::vector<uint8_t> old_record = random_bytes(rng, 300);
  check(record.save(old_record.data(), old_record.size()), "save");
  const std::vector<uint8_t> new_record = random_bytes(rng, 301);
  int old_seen = 0;
  int new_seen = 0;
  for (long cut = 0; cut <= 2 * 2 + 320 + 3 * 256; ++cut) {
    ram.cut_after = cut;
    const bool saved = record.save(new_record.data(), new_record.size());
    ram.cut_after = -1;
    size = sizeof(out);
    const bool loaded = record.load(out, &size);
    const bool is_old = loaded && size == old_record.size() && std::memcmp(out, old_record.data(), size) == 0;
    const bool is_new = loaded && size == new_record.size() && std::memcmp(out, new_record.data(), size) == 0;
    check(is_old || is_new, "after a power cut the record is the old one or the new one");
    check(!saved || is_new, "a save that says it is done loads");
    old_seen += is_old;
    new_seen += is_new;
    if (is_new) record.save(old_record.data(), old_record.size());
  }
  check(old_seen > 0 && new_seen > 0, "the cuts fell both before and after the save's commit");
}

// The areas a StorageLayout gives follow each other without gap or overlap, and a BoardStorage's records
// keep apart: a save to one leaves the others loading what they held.
void test_layout(std::mt19937& rng) {
  constexpr ws::StorageLayout layout = {kBase, kPage, 128 * 1024};
  static_assert(layout.words_record() == kBase && layout.slots().slots_start == kBase + 2 * kPage,
                "words record, then the slots");
  static_assert(layout.class_record() == layout.slots().record_start() + 2 * kPage, "slot record pages, then classes");
  static_assert(layout.hid_record() == layout.class_record() + 4 * kPage && layout.end() == layout.hid_record() + 2 * kPage,
                "classes, then the HID map, then the end");
  static_assert(layout.end() - kBase == kPages * kPage, "the test flash is exactly the layout");
  RamFlash ram(4);
  ws::BoardStorage storage(ram, layout);
  ws::PagedRecord* records[] = {&storage.classes, &storage.hid, &storage.words};
  std::vector<std::vector<uint8_t>> saved;
  for (ws::PagedRecord* record : records) {
    saved.push_back(random_bytes(rng, 1 + rng() % record->capacity()));
    check(record->save(saved.back().data(), saved.back().size()), "save each record");
  }
  check(storage.slots.erase(1, 128 * 1024 - kPage) && storage.slots.erase_record_page(1), "erase next to them");
  for (size_t i = 0; i < 3; ++i) {
    uint8_t out[2 * kPage];
    size_t size = sizeof(out);
    check(records[i]->load(out, &size) && size == saved[i].size() && std::memcmp(out, saved[i].data(), size) == 0,
          "each record loads its own bytes");
  }
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  uint8_t data[4] = {1, 2, 3, 4};
  const auto refuse = [](uint32_t, const uint8_t*, size_t) { return true; };
  check(!ws::program_bytes(0, data, 4, 0, refuse) && !ws::program_bytes(0, data, 4, 3, refuse) &&
            !ws::program_bytes(0, data, 4, 512, refuse),
        "a program unit that is not a power of two up to 256 is refused");
  test_layout(rng);
  for (uint32_t unit : {1u, 4u, 8u, 16u, 256u}) {
    test_slots(unit, rng);
    test_record(unit, rng);
  }
  std::printf("%s: %d checks, %d failures\n", wandlab_test::g_failures == 0 ? "OK" : "FAILED", wandlab_test::g_checks,
              wandlab_test::g_failures);
  return wandlab_test::g_failures == 0 ? 0 : 1;
}
