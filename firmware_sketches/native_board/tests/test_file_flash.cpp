// Host test of the native board's flash files (file_flash.{h,cpp}) and state directory (state_dir.{h,cpp}):
// a new flash reads erased; writes program only erased bytes (or the same value again) and anything else
// is refused and leaves the bytes as they were; erases take exactly one erase unit at a multiple of it;
// what was written is there after the file is mapped again; a file of another size is not trusted; the
// record pages are apart from the slots; a record file is replaced whole and a record larger than the
// reader's buffer is not read; a temporary state directory goes at the end with its files, a given one
// stays. Build and run: make -C firmware_sketches/native_board test

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "file_flash.h"
#include "state_dir.h"

namespace wn = wandlab::native;

namespace {

int failures = 0;

void expect(bool ok, const char* what, long got = 0, long want = 0) {
  if (ok) return;
  ++failures;
  std::printf("FAIL: %s (got %ld, want %ld)\n", what, got, want);
}

bool exists(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0;
}

bool all_erased(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0xFF) return false;
  }
  return true;
}

constexpr size_t kSlot = 3 * wn::kFlashEraseUnit;

void test_flash(const wn::StateDir& dir) {
  char path[wn::kMaxPathBytes];
  expect(dir.file(wn::kFlashFile, path, sizeof(path)), "the flash file's path fits");
  {
    wn::FileFlash flash(kSlot);
    expect(flash.open(path, true), "a new flash file opens");
    expect(flash.created() && flash.replaced_size() == 0, "a new file is a new, erased chip");
    expect(flash.slot_capacity() == kSlot && flash.erase_unit() == 4096 && flash.record_page_bytes() == 4096,
           "geometry");
    expect(all_erased(flash.data(0), kSlot) && all_erased(flash.data(1), kSlot) &&
               all_erased(flash.record_page(0), 4096) && all_erased(flash.record_page(1), 4096),
           "everything reads 0xFF");
    expect(flash.data(2) == nullptr && flash.record_page(2) == nullptr, "no third slot or page");

    const uint8_t chunk[5] = {1, 2, 3, 0xFF, 0};
    expect(flash.write(1, 4094, chunk, sizeof(chunk)), "a write across an erase unit's end");
    expect(std::memcmp(flash.data(1) + 4094, chunk, sizeof(chunk)) == 0, "the bytes are there");
    expect(all_erased(flash.data(0), kSlot), "the other slot is untouched");
    expect(flash.write(1, 4094, chunk, sizeof(chunk)), "the same bytes again (a chunk resent after a power cut)");

    const uint8_t other[2] = {7, 8};
    expect(!flash.write(1, 4095, other, sizeof(other)), "programmed bytes cannot take other values");
    expect(flash.data(1)[4095] == 2 && flash.data(1)[4096] == 3, "a refused write changes nothing");
    expect(flash.violations() == 1, "the refusal is counted", flash.violations(), 1);
    const uint8_t onto_erased[1] = {0x42};
    expect(flash.write(1, 4097, onto_erased, 1), "an erased byte (written as 0xFF before) still takes a value");

    expect(!flash.erase(1, 100), "an erase not at an erase unit is refused");
    expect(!flash.erase(1, kSlot), "an erase past the slot is refused");
    expect(!flash.write(0, kSlot - 2, chunk, sizeof(chunk)), "a write past the slot's end is refused");
    expect(flash.violations() == 4, "each refusal counted", flash.violations(), 4);
    expect(flash.erase(1, 4096), "the unit at 4096 erases");
    expect(flash.data(1)[4095] == 2 && all_erased(flash.data(1) + 4096, 4096), "exactly one unit is erased");
    expect(flash.write(1, 4096, other, sizeof(other)), "an erased unit takes new values");

    const uint8_t entry[8] = {9, 9, 9, 9, 1, 2, 3, 4};
    expect(flash.write_record_page(1, 8, entry, sizeof(entry)), "a record write");
    expect(all_erased(flash.record_page(0), 4096) && std::memcmp(flash.record_page(1) + 8, entry, 8) == 0,
           "record pages are their own");
    expect(!flash.write_record_page(1, 4090, entry, sizeof(entry)), "a record write past the page is refused");
    expect(flash.erase_record_page(1) && all_erased(flash.record_page(1), 4096), "a record page erases");
    expect(flash.write_record_page(0, 0, entry, sizeof(entry)), "record page 0 takes a write");
  }
  {
    wn::FileFlash flash(kSlot);
    expect(flash.open(path, true) && !flash.created(), "the same file maps again: not a new chip");
    expect(flash.data(1)[4094] == 1 && flash.data(1)[4095] == 2 && flash.data(1)[4096] == 7 && flash.data(1)[4097] == 8,
           "what was written is still there");
    expect(flash.record_page(0)[0] == 9 && all_erased(flash.record_page(1), 4096), "and the record pages");
  }
  {
    wn::FileFlash flash(2 * kSlot);  // a board built with bigger slots
    expect(flash.open(path, false) && flash.created(), "a file of another size is not trusted");
    expect(flash.replaced_size() == 2 * kSlot + 2 * 4096, "the old size is said", static_cast<long>(flash.replaced_size()));
    expect(all_erased(flash.data(0), 2 * kSlot) && all_erased(flash.data(1), 2 * kSlot), "it starts erased");
  }
  wn::FileFlash odd(4096 + 1);
  expect(!odd.open(path, false) && std::strstr(odd.error(), "erase unit") != nullptr,
         "a slot size that is not whole erase units is refused with a reason");
}

void test_records(const wn::StateDir& dir) {
  wn::FileRecord record;
  expect(record.open(dir.path(), wn::kRefsRecordFile, true), "a record in the state directory");
  uint8_t buffer[16];
  size_t size = sizeof(buffer);
  expect(!record.load(buffer, &size), "nothing saved yet");

  const uint8_t first[10] = {'W', 'L', 'R', 'S', 1, 2, 3, 4, 5, 6};
  expect(record.save(first, sizeof(first)), "save");
  size = sizeof(buffer);
  expect(record.load(buffer, &size) && size == sizeof(first) && std::memcmp(buffer, first, size) == 0,
         "load returns what was saved", static_cast<long>(size), sizeof(first));

  const uint8_t second[3] = {7, 7, 7};
  expect(record.save(second, sizeof(second)), "a shorter record replaces it");
  size = sizeof(buffer);
  expect(record.load(buffer, &size) && size == 3 && buffer[0] == 7, "the whole new record, nothing of the old",
         static_cast<long>(size), 3);

  char temp[wn::kMaxPathBytes + 32];
  std::snprintf(temp, sizeof(temp), "%s/.%s.tmp", dir.path(), wn::kRefsRecordFile);
  expect(!exists(temp), "no temporary file is left beside it");

  uint8_t big[32] = {};
  expect(record.save(big, sizeof(big)), "a record of 32 bytes");
  size = sizeof(buffer);
  expect(!record.load(buffer, &size), "a record larger than the reader's buffer is not read");

  wn::FileRecord nowhere;
  expect(nowhere.open("/nonexistent-wandlab-dir", "x.rec", false) && !nowhere.save(first, sizeof(first)) &&
             std::strstr(nowhere.error(), "cannot save") != nullptr,
         "a record that cannot be written says so");
}

void test_state_dirs() {
  char temp_path[wn::kMaxPathBytes];
  {
    wn::StateDir dir;
    expect(dir.open("") && !dir.kept(), "no directory given: a temporary one");
    std::snprintf(temp_path, sizeof(temp_path), "%s", dir.path());
    expect(std::strstr(temp_path, "wandlab-native-board-") != nullptr && exists(temp_path), "it exists");
    test_flash(dir);
    test_records(dir);
    char flash_path[wn::kMaxPathBytes];
    expect(dir.file(wn::kFlashFile, flash_path, sizeof(flash_path)) && exists(flash_path), "files in it");
  }
  expect(!exists(temp_path), "a temporary directory goes with its files");

  char kept_path[wn::kMaxPathBytes + 8];
  std::snprintf(kept_path, sizeof(kept_path), "%s.kept", temp_path);
  {
    wn::StateDir dir;
    expect(dir.open(kept_path) && dir.kept() && exists(kept_path), "a given directory is created and kept");
    wn::FileRecord record;
    const uint8_t data[2] = {1, 2};
    expect(record.open(dir.path(), wn::kHidRecordFile, true) && record.save(data, 2), "a record in it");
  }
  char record_path[wn::kMaxPathBytes + 40];
  std::snprintf(record_path, sizeof(record_path), "%s/%s", kept_path, wn::kHidRecordFile);
  expect(exists(kept_path) && exists(record_path), "a given directory stays, with its files");
  ::unlink(record_path);
  ::rmdir(kept_path);

  wn::StateDir not_a_dir;
  expect(!not_a_dir.open("/dev/null") && std::strstr(not_a_dir.error(), "not a directory") != nullptr,
         "a path that is not a directory is refused with a reason");
}

}  // namespace

int main() {
  test_state_dirs();
  if (failures == 0) std::printf("test_file_flash: all passed\n");
  return failures == 0 ? 0 : 1;
}
