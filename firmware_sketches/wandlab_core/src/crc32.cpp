#include "crc32.h"

namespace wandlab {
namespace protocol {
namespace {

constexpr uint32_t kReflectedPolynomial = 0xEDB88320u;

// 256-entry lookup table computed at compile time: constant data in flash, no state.
struct Crc32Table {
  uint32_t entry[256];
  constexpr Crc32Table() : entry() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ kReflectedPolynomial : c >> 1;
      entry[i] = c;
    }
  }
};

constexpr Crc32Table kTable;

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kTable.entry[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace protocol
}  // namespace wandlab
