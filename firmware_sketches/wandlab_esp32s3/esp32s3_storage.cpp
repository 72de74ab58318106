#include "esp32s3_storage.h"

#include <esp_partition.h>

namespace wandlab {
namespace esp32s3 {
namespace {

const esp_partition_t* as_partition(const void* p) { return static_cast<const esp_partition_t*>(p); }

}  // namespace

const char* PartitionPageFlash::begin() {
  const esp_partition_t* partition =
      esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, kPartitionLabel);
  if (partition == nullptr) {
    return "no 'wandlab' flash partition: upload the sketch with its partitions.csv (README, Build)";
  }
  if (partition->size < kStorageBytes || partition->erase_size != kFlashSector) {
    return "the 'wandlab' flash partition is smaller than 296 KB or not in 4 KB sectors";
  }
  // Encrypted flash is written in 16-byte blocks that do not follow NOR rules: the records' two-step
  // commit would not hold.
  if (partition->encrypted) return "the 'wandlab' flash partition is encrypted: flash encryption is not supported";
  const void* mapped = nullptr;
  esp_partition_mmap_handle_t handle = 0;
  if (esp_partition_mmap(partition, 0, kStorageBytes, ESP_PARTITION_MMAP_DATA, &mapped, &handle) != ESP_OK ||
      mapped == nullptr) {
    return "the 'wandlab' flash partition could not be mapped into memory";
  }
  partition_ = partition;
  mapped_ = static_cast<const uint8_t*>(mapped);  // kept for the program's life: the model runs from it
  return "";
}

bool PartitionPageFlash::erase_page(uint32_t address) {
  if (address % kFlashSector != 0 || !in_storage(address, kFlashSector)) return false;
  return esp_partition_erase_range(as_partition(partition_), address, kFlashSector) == ESP_OK;
}

bool PartitionPageFlash::program(uint32_t address, const uint8_t* data, size_t size) {
  if (size == 0) return true;
  if (!in_storage(address, size)) return false;
  // Unencrypted partitions take any offset and size; bits only clear (the core's NOR rules, slot_flash.h).
  return esp_partition_write(as_partition(partition_), address, data, size) == ESP_OK;
}

}  // namespace esp32s3
}  // namespace wandlab
