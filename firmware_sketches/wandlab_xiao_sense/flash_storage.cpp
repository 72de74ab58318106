#include "flash_storage.h"

#include "nrf_flash.h"

namespace wandlab {
namespace xiao {

bool NrfPageFlash::erase_page(uint32_t address) { return nrf_flash::erase_page(address); }

bool NrfPageFlash::program(uint32_t address, const uint8_t* data, size_t size) {
  return nrf_flash::program(address, data, size);
}

const uint8_t* NrfPageFlash::map(uint32_t address) const { return reinterpret_cast<const uint8_t*>(address); }

}  // namespace xiao
}  // namespace wandlab
