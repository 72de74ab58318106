// Where the XIAO ESP32S3 keeps what must survive power cuts and firmware uploads: the "wandlab" flash
// partition (partitions.csv, 320 KB), memory-mapped for reading and written through ESP-IDF's partition
// API - the two model slots and their record pages, and three small records: the board's own classes,
// its HID map and its wake words. The slots and records are wandlab_core's (paged_storage.h), as on the
// nRF52 boards; addresses here are offsets in the partition. An upload rewrites only the app partition,
// so the storage outlives it (uploading a different partition table does not).
//
// Layout (offsets in the partition):
//   0x48000-0x4A000  HID map record: 2 copies x 1 sector
//   0x44000-0x48000  class table record: 2 copies x 2 sectors
//   0x42000-0x44000  the model slots' record: 2 sectors
//   0x02000-0x42000  model slots A and B, 128 KB each (Info.max_model_bytes)
//   0x00000-0x02000  wake words record: 2 copies x 1 sector
#pragma once

#include <cstddef>
#include <cstdint>

#include "paged_storage.h"

namespace wandlab {
namespace esp32s3 {

constexpr uint32_t kFlashSector = 4096;
constexpr storage::StorageLayout kLayout = {0, kFlashSector, 128 * 1024};
constexpr uint32_t kStorageBytes = kLayout.end();  // 0x4A000
constexpr char kPartitionLabel[] = "wandlab";

// The partition through esp_partition_*, read through its mapping.
class PartitionPageFlash : public storage::PageFlash {
 public:
  // "" when the partition is there and mapped, else why not (no such partition: the sketch was uploaded
  // without its partitions.csv; too small; encrypted; the mapping failed).
  const char* begin();

  uint32_t page_bytes() const override { return kFlashSector; }
  bool erase_page(uint32_t address) override;
  bool program(uint32_t address, const uint8_t* data, size_t size) override;
  const uint8_t* map(uint32_t address) const override { return mapped_ + address; }

 private:
  bool in_storage(uint32_t address, size_t size) const {
    return mapped_ != nullptr && address <= kStorageBytes && size <= kStorageBytes - address;
  }

  const void* partition_ = nullptr;  // const esp_partition_t*: kept out of this header
  const uint8_t* mapped_ = nullptr;
};

}  // namespace esp32s3
}  // namespace wandlab
