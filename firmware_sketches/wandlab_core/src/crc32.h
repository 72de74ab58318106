// CRC-32 exactly as zlib.crc32 computes it (IEEE 802.3: reflected polynomial 0xEDB88320,
// initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF). Check value: crc32("123456789") == 0xCBF43926.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace protocol {

// Continue a running CRC: crc32(b, nb, crc32(a, na)) == crc32(a + b). Start with 0.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace protocol
}  // namespace wandlab
