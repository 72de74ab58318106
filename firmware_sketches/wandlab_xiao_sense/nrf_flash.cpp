#include "nrf_flash.h"

#include "nor_program.h"

#include <Arduino.h>
#include <flash/flash_cache.h>
#include <nrf_sdm.h>
#include <nrf_soc.h>
#include <rtos.h>

#include <cstring>

// The core's flash API, which InternalFileSystem.cpp (LittleFS) calls; the declarations are the
// core's flash/flash_nrf5x.h.
extern "C" {
void flash_nrf5x_flush(void);
bool flash_nrf5x_erase(uint32_t addr);
int flash_nrf5x_write(uint32_t dst, void const* src, uint32_t len);
int flash_nrf5x_read(void* dst, uint32_t src, uint32_t len);
// Bluefruit's SoC event handler calls this for NRF_EVT_FLASH_OPERATION_SUCCESS / _ERROR.
void flash_nrf5x_event_cb(uint32_t event);
extern uint32_t __flash_arduino_start[];  // the linker script's start of the application area
}

namespace wandlab {
namespace xiao {
namespace nrf_flash {
namespace {

constexpr uint32_t kBootloaderStart = 0xF4000;  // nRF52840: the UF2 bootloader
// S140 asserts when asked to write a whole page at once (the core writes half pages); 1 KB at a time.
constexpr size_t kWordsPerWrite = 256;

SemaphoreHandle_t g_lock = nullptr;  // one operation at a time, any task
SemaphoreHandle_t g_done = nullptr;  // given by the SoC event that ends an operation
volatile uint32_t g_event = NRF_EVT_FLASH_OPERATION_SUCCESS;

bool softdevice_on() {
  uint8_t enabled = 0;
  sd_softdevice_is_enabled(&enabled);
  return enabled != 0;
}

bool in_range(uint32_t address, size_t size) {
  return address >= reinterpret_cast<uint32_t>(__flash_arduino_start) && address + size <= kBootloaderStart &&
         address + size >= address;
}

}  // namespace

void begin() {
  if (g_lock != nullptr) return;
  g_lock = xSemaphoreCreateMutex();
  g_done = xSemaphoreCreateBinary();
}

namespace {

// One SoftDevice flash call, retried while busy, then its completion event (with the SoftDevice off the
// call is synchronous).
template <class Call>
bool run(Call call) {
  uint32_t err;
  while ((err = call()) == NRF_ERROR_BUSY) delay(1);
  if (err != NRF_SUCCESS) return false;
  if (!softdevice_on()) return true;
  xSemaphoreTake(g_done, portMAX_DELAY);
  return g_event == NRF_EVT_FLASH_OPERATION_SUCCESS;
}

bool erase_locked(uint32_t address) {
  return run([address] { return sd_flash_page_erase(address / kPageBytes); });
}

// `words` whole words from a word-aligned RAM buffer.
bool program_words_locked(uint32_t address, const uint32_t* words, size_t count) {
  while (count > 0) {
    const size_t n = count < kWordsPerWrite ? count : kWordsPerWrite;
    if (!run([address, words, n] {
          return sd_flash_write(reinterpret_cast<uint32_t*>(address), words, static_cast<uint32_t>(n));
        })) {
      return false;
    }
    address += 4 * n;
    words += n;
    count -= n;
  }
  return true;
}

class Lock {
 public:
  Lock() {
    begin();  // in case LittleFS writes before setup() called it (boot is single-threaded)
    xSemaphoreTake(g_lock, portMAX_DELAY);
  }
  ~Lock() { xSemaphoreGive(g_lock); }
};

// The page cache LittleFS writes through (the core's flash_cache.c), as the core sets it up.
bool cache_erase(uint32_t address) {
  Lock lock;
  return erase_locked(address);
}
uint32_t cache_program(uint32_t dst, const void* src, uint32_t len) {
  Lock lock;
  return program_words_locked(dst, static_cast<const uint32_t*>(src), len / 4) ? len : 0;
}
uint32_t cache_read(void* dst, uint32_t src, uint32_t len) {
  memcpy(dst, reinterpret_cast<const void*>(src), len);
  return len;
}
bool cache_verify(uint32_t address, const void* buf, uint32_t len) {
  return memcmp(reinterpret_cast<const void*>(address), buf, len) == 0;
}

uint8_t g_cache_buffer[FLASH_CACHE_SIZE] __attribute__((aligned(4)));
flash_cache_t g_cache = {cache_erase, cache_program, cache_read, cache_verify, FLASH_CACHE_INVALID_ADDR,
                         g_cache_buffer};

}  // namespace

bool erase_page(uint32_t address) {
  if (address % kPageBytes != 0 || !in_range(address, kPageBytes)) return false;
  Lock lock;
  return erase_locked(address);
}

bool program(uint32_t address, const uint8_t* data, size_t size) {
  if (size == 0) return true;
  if (!in_range(address, size)) return false;
  Lock lock;
  return storage::program_bytes(address, data, size, 4, [](uint32_t at, const uint8_t* bytes, size_t count) {
    return program_words_locked(at, reinterpret_cast<const uint32_t*>(bytes), count / 4);
  });
}

}  // namespace nrf_flash
}  // namespace xiao
}  // namespace wandlab

// -- the core's API, for LittleFS --------------------------------------------------------------------

namespace nf = wandlab::xiao::nrf_flash;

extern "C" void flash_nrf5x_event_cb(uint32_t event) {
  nf::g_event = event;
  if (nf::g_done != nullptr) xSemaphoreGive(nf::g_done);
}

extern "C" void flash_nrf5x_flush(void) { flash_cache_flush(&nf::g_cache); }

extern "C" bool flash_nrf5x_erase(uint32_t addr) { return nf::erase_page(addr); }

extern "C" int flash_nrf5x_write(uint32_t dst, void const* src, uint32_t len) {
  if (!nf::in_range(dst, len)) return -1;
  return flash_cache_write(&nf::g_cache, dst, src, len);
}

extern "C" int flash_nrf5x_read(void* dst, uint32_t src, uint32_t len) {
  return flash_cache_read(&nf::g_cache, dst, src, len);
}
