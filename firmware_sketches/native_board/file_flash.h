// The native board's flash, as files in its state directory (state_dir.h): the model slots' NOR-like
// flash (slot_flash.h) in one memory-mapped file, and the small records the class table and the HID map
// keep (record_store.h) as files replaced atomically.
//
// FileFlash keeps the rules a real NOR flash imposes, so a core that breaks them fails here before it
// fails on a board: erased bytes read 0xFF, an erase covers exactly one erase unit (4096 bytes, the
// nRF52840's page) at a multiple of it, and a write only programs erased bytes or programs a byte again
// with the value it already holds (slot_flash.h). A write that would need to turn a 0 bit back into a 1
// is refused (false: the core answers the host with an Error), counted, and said on stderr.
//
// Layout of the file (native-flash.bin): slot 0, slot 1 (slot_capacity bytes each), record page 0,
// record page 1 (4096 bytes each). A file of another size (a board built with another slot size) is
// not trusted: the flash starts erased and created() says so.
//
// Power cuts: with `durable` (a state directory the user gave), every erase and write is msync'ed before
// it returns, so the order the core relies on - a chunk's bytes in the slot before the record that says
// they are there - holds even if the PC itself goes down. Killing the board process alone loses nothing
// either way: the pages are the kernel's (MAP_SHARED). Without `durable` (a temporary directory removed
// at exit) nothing is synced.
#pragma once

#include <cstddef>
#include <cstdint>

#include "record_store.h"
#include "slot_flash.h"

namespace wandlab {
namespace native {

constexpr size_t kFlashEraseUnit = 4096;  // nRF52840: one flash page
constexpr size_t kFlashRecordPageBytes = 4096;
constexpr size_t kMaxPathBytes = 512;   // a state file's path, NUL included
constexpr size_t kMaxErrorBytes = kMaxPathBytes + 128;  // a sentence naming a path and what failed

class FileFlash : public slots::SlotFlash {
 public:
  // slot_capacity: bytes per model slot, a multiple of kFlashEraseUnit (Info.max_model_bytes).
  explicit FileFlash(size_t slot_capacity) : capacity_(slot_capacity) {}
  ~FileFlash();
  FileFlash(const FileFlash&) = delete;
  FileFlash& operator=(const FileFlash&) = delete;

  // Maps `path`, creating it erased when it is absent or of another size. False, with error(), if the
  // file cannot be created or mapped.
  bool open(const char* path, bool durable);
  void close();
  const char* error() const { return error_; }
  // open() started from an erased flash (no file, or one of another size: then also replaced_size()).
  bool created() const { return created_; }
  size_t replaced_size() const { return replaced_size_; }
  // Writes and erases refused for breaking the NOR rules or the geometry (a core bug; 0 when all is well).
  uint32_t violations() const { return violations_; }
  size_t file_bytes() const { return 2 * capacity_ + 2 * kFlashRecordPageBytes; }

  // -- SlotFlash ------------------------------------------------------------------------------------
  size_t slot_capacity() const override { return capacity_; }
  size_t erase_unit() const override { return kFlashEraseUnit; }
  bool erase(uint8_t slot, size_t offset) override;
  bool write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) override;
  const uint8_t* data(uint8_t slot) const override;

  size_t record_page_bytes() const override { return kFlashRecordPageBytes; }
  bool erase_record_page(uint8_t page) override;
  bool write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) override;
  const uint8_t* record_page(uint8_t page) const override;

 private:
  uint8_t* area(bool record, uint8_t index) const;
  bool erase_at(uint8_t* at, size_t size);
  bool program(uint8_t* at, const uint8_t* data, size_t size);
  bool violation(const char* what, size_t a, size_t b);
  void sync(uint8_t* at, size_t size);

  size_t capacity_;
  uint8_t* map_ = nullptr;
  bool durable_ = false;
  bool created_ = false;
  size_t replaced_size_ = 0;
  uint32_t violations_ = 0;
  char error_[kMaxErrorBytes] = {};
};

// One record (the class table's, the HID map's) as one file: save() writes a temporary file beside it,
// fsyncs it (durable only), renames it over the old one and fsyncs the directory, so after a power cut
// load() finds the old record or the new one, never a mix.
class FileRecord : public RecordStore {
 public:
  // The record `name` in directory `dir`; false if the path is too long.
  bool open(const char* dir, const char* name, bool durable);
  bool load(uint8_t* data, size_t* size) override;
  bool save(const uint8_t* data, size_t size) override;
  const char* path() const { return path_; }
  // Why the last save() failed ("" when it did not).
  const char* error() const { return error_; }

 private:
  bool failed(const char* step, int err);

  char dir_[kMaxPathBytes] = {};
  char path_[kMaxPathBytes] = {};
  char temp_[kMaxPathBytes] = {};
  bool durable_ = false;
  char error_[kMaxErrorBytes] = {};
};

}  // namespace native
}  // namespace wandlab
