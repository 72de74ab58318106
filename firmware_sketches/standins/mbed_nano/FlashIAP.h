// Stand-in for mbed OS's FlashIAP (drivers/include/drivers/FlashIAP.h, mbed-os 6.x, commit 5246b5e, which
// the Arduino Mbed OS Nano core ships; sketches include it as "FlashIAP.h"), for compiling the
// wandlab_nano33_ble_sense layer on a PC. Declared as mbed declares it. What the layer relies on
// (drivers/source/FlashIAP.cpp and the nRF52 flash HAL): program() takes an address aligned to
// get_page_size() and pads a short tail with the erase value; erase() takes whole sectors (4 KB on the
// nRF52840); both block the calling thread until the NVMC is done (an erase stalls the CPU for up to ~85
// ms); a mutex makes the object thread-safe.
#pragma once

#include <cstdint>

namespace mbed {

class FlashIAP {
 public:
  constexpr FlashIAP() : page_buf_(nullptr) {}
  ~FlashIAP() {}
  FlashIAP(const FlashIAP&) = delete;  // NonCopyable<FlashIAP>
  FlashIAP& operator=(const FlashIAP&) = delete;

  int init() { return 0; }
  int deinit() { return 0; }
  int read(void* buffer, uint32_t addr, uint32_t size);
  int program(const void* buffer, uint32_t addr, uint32_t size);
  int erase(uint32_t addr, uint32_t size);
  uint32_t get_sector_size(uint32_t addr) const;
  uint32_t get_flash_start() const { return 0; }
  uint32_t get_flash_size() const { return 0x100000; }
  uint32_t get_page_size() const { return 4; }
  uint8_t get_erase_value() const { return 0xFF; }

 private:
  uint8_t* page_buf_;
};

inline int FlashIAP::read(void*, uint32_t, uint32_t) { return 0; }
inline int FlashIAP::program(const void*, uint32_t, uint32_t) { return 0; }
inline int FlashIAP::erase(uint32_t, uint32_t) { return 0; }
inline uint32_t FlashIAP::get_sector_size(uint32_t) const { return 4096; }

}  // namespace mbed

// The end of the firmware in flash: FlashIAP.h computes it for GCC_ARM from the linker's symbols,
// (__etext + __data_end__ - __data_start__); a PC has no such symbols.
inline uint32_t wandlab_standin_rom_end = 0x60000;
#define FLASHIAP_APP_ROM_END_ADDR (wandlab_standin_rom_end)
