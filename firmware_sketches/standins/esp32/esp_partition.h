// Stand-in for ESP-IDF 5.x components/esp_partition/include/esp_partition.h (espressif/esp-idf, 5.1-5.3,
// which Arduino-ESP32 3.x builds on; sketches include it as <esp_partition.h>), for compiling the
// wandlab_esp32s3 layer on a PC. Only what the layer calls, declared as IDF declares it (C linkage, the
// enums' values, esp_partition_t's fields); bodies trivial. What the layer relies on from the real code:
// esp_partition_find_first() returns a pointer valid for the program's life, or NULL; write() to an
// unencrypted partition takes any offset and size (it does not erase: NOR rules); erase_range() takes
// whole erase_size (4 KB) sectors; mmap() maps flash read-only into the data address space, and a write
// or erase through the flash API invalidates the cache for the range it changed, so the mapping reads the
// new bytes (esp_flash_api.c, for the main flash chip). Flash operations stall both cores' cache access
// while they run: code not in IRAM waits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "esp_err.h"

extern "C" {

typedef struct esp_flash_t esp_flash_t;

typedef enum {
  ESP_PARTITION_MMAP_DATA,
  ESP_PARTITION_MMAP_INST,
} esp_partition_mmap_memory_t;

typedef uint32_t esp_partition_mmap_handle_t;

typedef enum {
  ESP_PARTITION_TYPE_APP = 0x00,
  ESP_PARTITION_TYPE_DATA = 0x01,
  ESP_PARTITION_TYPE_ANY = 0xff,
} esp_partition_type_t;

typedef enum {
  ESP_PARTITION_SUBTYPE_APP_FACTORY = 0x00,
  ESP_PARTITION_SUBTYPE_DATA_OTA = 0x00,
  ESP_PARTITION_SUBTYPE_DATA_PHY = 0x01,
  ESP_PARTITION_SUBTYPE_DATA_NVS = 0x02,
  ESP_PARTITION_SUBTYPE_DATA_COREDUMP = 0x03,
  ESP_PARTITION_SUBTYPE_DATA_NVS_KEYS = 0x04,
  ESP_PARTITION_SUBTYPE_DATA_EFUSE_EM = 0x05,
  ESP_PARTITION_SUBTYPE_DATA_UNDEFINED = 0x06,
  ESP_PARTITION_SUBTYPE_DATA_SPIFFS = 0x82,
  ESP_PARTITION_SUBTYPE_ANY = 0xff,
} esp_partition_subtype_t;

typedef struct {
  esp_flash_t* flash_chip;
  esp_partition_type_t type;
  esp_partition_subtype_t subtype;
  uint32_t address;
  uint32_t size;
  uint32_t erase_size;
  char label[17];
  bool encrypted;
} esp_partition_t;

inline const esp_partition_t* esp_partition_find_first(esp_partition_type_t, esp_partition_subtype_t, const char*) {
  return nullptr;
}
inline esp_err_t esp_partition_write(const esp_partition_t*, size_t, const void*, size_t) { return ESP_OK; }
inline esp_err_t esp_partition_erase_range(const esp_partition_t*, size_t, size_t) { return ESP_OK; }
inline esp_err_t esp_partition_mmap(const esp_partition_t*, size_t, size_t, esp_partition_mmap_memory_t,
                                    const void**, esp_partition_mmap_handle_t*) {
  return ESP_OK;
}

}  // extern "C"
