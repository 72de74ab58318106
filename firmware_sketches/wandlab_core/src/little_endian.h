// Little-endian reads and writes of fixed-width values in byte buffers: the board's records (classes,
// words, HID map, slots) and packet headers store every multi-byte field this way, whatever the CPU.
#pragma once

#include <cstdint>
#include <cstring>

namespace wandlab {
namespace le {

inline uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

inline uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint64_t get_u64(const uint8_t* p) { return get_u32(p) | static_cast<uint64_t>(get_u32(p + 4)) << 32; }

inline void put_u64(uint8_t* p, uint64_t v) {
  put_u32(p, static_cast<uint32_t>(v));
  put_u32(p + 4, static_cast<uint32_t>(v >> 32));
}

inline float get_f32(const uint8_t* p) {
  const uint32_t bits = get_u32(p);
  float v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

inline void put_f32(uint8_t* p, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  put_u32(p, bits);
}

inline double get_f64(const uint8_t* p) {
  const uint64_t bits = get_u64(p);
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

inline void put_f64(uint8_t* p, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  put_u64(p, bits);
}

}  // namespace le
}  // namespace wandlab
