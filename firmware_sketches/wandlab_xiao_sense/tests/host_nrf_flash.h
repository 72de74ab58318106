// The PC's stand-in for the XIAO's flash (host_nrf_flash.cpp), for tests/test_flash_storage.cpp.
#pragma once

#include <cstdint>

namespace wandlab {
namespace xiao {
namespace host_flash {

// Maps 0xA3000-0xED000 (the XIAO's slots and records) at those addresses, erased. Exits if it cannot.
void map_storage();
// Bytes programmed or pages erased before the power goes; -1: never.
extern long cut_after;
// Programs of each 32-bit word since its page was last erased (index: (address - 0xA3000) / 4).
extern uint8_t program_count[];

}  // namespace host_flash
}  // namespace xiao
}  // namespace wandlab
