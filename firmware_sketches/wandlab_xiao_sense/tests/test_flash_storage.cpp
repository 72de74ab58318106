// The XIAO's flash storage on the PC (flash_storage.cpp and nor_program.h over host_nrf_flash.cpp's NOR
// flash at the real addresses): byte runs programmed at any alignment, the model slots' bounds, and the
// records - the newest copy loads, and a power cut at any byte of a save leaves the old record or the
// new one, never a damaged one. Run by tests/firmware/test_flash_storage.py.
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "../flash_storage.h"
#include "../nrf_flash.h"
#include "host_nrf_flash.h"

namespace ws = wandlab::storage;
namespace wx = wandlab::xiao;
namespace hf = wandlab::xiao::host_flash;

namespace {

int checks = 0;
int failures = 0;

void check(bool ok, const char* what) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAIL: %s\n", what);
  }
}

const uint8_t* at(uint32_t address) { return reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(address)); }

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void test_slot_writes(std::mt19937& rng) {
  wx::NrfPageFlash pages;
  ws::PagedSlotFlash flash(pages, wx::kLayout.slots());
  check(flash.slot_capacity() == 128 * 1024 && flash.erase_unit() == 4096, "slot geometry");
  check(flash.data(0) == at(0xA5000) && flash.data(1) == at(0xC5000), "slots at 0xA5000 and 0xC5000");
  check(flash.record_page(0) == at(0xE5000) && flash.record_page(1) == at(0xE6000), "record pages");
  // A model arriving in chunks of odd sizes at odd offsets: every byte lands, nothing else changes.
  for (size_t page = 0; page < 4; ++page) check(flash.erase(1, page * 4096), "erase a slot page");
  const std::vector<uint8_t> model = random_bytes(rng, 4 * 4096 - 100);
  for (size_t offset = 0; offset < model.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 700, model.size() - offset);
    check(flash.write(1, offset, model.data() + offset, n), "write a chunk");
    offset += n;
  }
  check(std::memcmp(flash.data(1), model.data(), model.size()) == 0, "the slot holds the model");
  bool erased_after = true;
  for (size_t i = model.size(); i < 4 * 4096; ++i) erased_after &= flash.data(1)[i] == 0xFF;
  check(erased_after, "bytes after the model stay erased");
  unsigned most = 0;
  for (size_t w = 0; w < 4 * 4096 / 4; ++w) most = std::max<unsigned>(most, hf::program_count[(0xC5000 - wx::kStorageStart) / 4 + w]);
  check(most <= 2, "no word programmed more than twice (nRF52's nWRITE)");
  // Chunks that are multiples of 4 at aligned offsets (the app's 2048) program each word once.
  for (size_t page = 0; page < 4; ++page) flash.erase(0, page * 4096);
  for (size_t offset = 0; offset < model.size(); offset += 2048) {
    flash.write(0, offset, model.data() + offset, std::min<size_t>(2048, model.size() - offset));
  }
  most = 0;
  for (size_t w = 0; w < 4 * 4096 / 4; ++w) most = std::max<unsigned>(most, hf::program_count[w]);
  check(most == 1 && std::memcmp(flash.data(0), model.data(), model.size()) == 0, "aligned chunks: one program a word");
  // Out of bounds: refused, nothing written.
  const uint8_t byte = 0;
  check(!flash.write(0, 128 * 1024 - 1, &byte, 2), "a write past the slot is refused");
  check(!flash.write(2, 0, &byte, 1), "slot 2 does not exist");
  check(!flash.erase(0, 100), "an erase off a page boundary is refused");
  check(!flash.write_record_page(0, 4095, &byte, 2), "a write past a record page is refused");
}

void test_records(std::mt19937& rng) {
  wx::NrfPageFlash pages;
  ws::PagedRecord record(pages, wx::kLayout.class_record(), ws::StorageLayout::kClassPages);
  uint8_t out[8192];
  size_t size = sizeof(out);
  check(!record.load(out, &size), "a blank record loads nothing");
  check(record.capacity() == 2 * 4096 - 16, "capacity: two pages less the header");
  const std::vector<uint8_t> too_big(record.capacity() + 1, 1);
  check(!record.save(too_big.data(), too_big.size()), "a record over the capacity is refused");
  std::vector<uint8_t> last;
  for (int i = 0; i < 7; ++i) {
    last = random_bytes(rng, 1 + rng() % record.capacity());
    check(record.save(last.data(), last.size()), "save");
    size = sizeof(out);
    check(record.load(out, &size) && size == last.size() && std::memcmp(out, last.data(), size) == 0,
          "the newest save loads");
  }
  size = 10;
  check(!record.load(out, &size), "a record larger than the caller's buffer is not loaded");

  // The wake words' record, below the slots, keeps its own bytes beside the others.
  ws::PagedRecord words(pages, wx::kLayout.words_record(), ws::StorageLayout::kWordsPages);
  const std::vector<uint8_t> word_bytes = random_bytes(rng, words.capacity());
  check(words.save(word_bytes.data(), word_bytes.size()), "the words' record saves a full page");
  size = sizeof(out);
  check(words.load(out, &size) && size == word_bytes.size() && std::memcmp(out, word_bytes.data(), size) == 0,
        "and loads it");
  size = sizeof(out);
  check(record.load(out, &size) && size == last.size() && std::memcmp(out, last.data(), size) == 0,
        "the class record is untouched by it");

  // A power cut at every step of a save: the old record or the new one, whole.
  ws::PagedRecord hid(pages, wx::kLayout.hid_record(), ws::StorageLayout::kHidPages);
  const std::vector<uint8_t> old_record = random_bytes(rng, 300);
  hid.save(old_record.data(), old_record.size());
  const std::vector<uint8_t> new_record = random_bytes(rng, 301);
  int old_seen = 0;
  int new_seen = 0;
  for (long cut = 0; cut <= 400; ++cut) {  // the save takes 321 steps: 1 erase, 304 + 16 bytes
    hf::cut_after = cut;
    const bool saved = hid.save(new_record.data(), new_record.size());
    hf::cut_after = -1;
    size = sizeof(out);
    const bool loaded = hid.load(out, &size);
    const bool is_old = loaded && size == old_record.size() && std::memcmp(out, old_record.data(), size) == 0;
    const bool is_new = loaded && size == new_record.size() && std::memcmp(out, new_record.data(), size) == 0;
    check(is_old || is_new, "after a power cut the record is the old one or the new one");
    check(!saved || is_new, "a save that says it is done loads");
    old_seen += is_old;
    new_seen += is_new;
    if (is_new) hid.save(old_record.data(), old_record.size());  // back to the old one for the next cut
  }
  check(old_seen > 0 && new_seen > 0, "the cuts fell both before and after the save's commit");
  std::printf("power cuts in a record save: %d left the old record, %d the new one\n", old_seen, new_seen);
}

}  // namespace

int main() {
  hf::map_storage();
  std::mt19937 rng(5);
  test_slot_writes(rng);
  test_records(rng);
  std::printf("%s: %d checks, %d failures\n", failures == 0 ? "OK" : "FAILED", checks, failures);
  return failures == 0 ? 0 : 1;
}
