// The feed: the native board's second cable, to the process that synthesizes what its sensors sense
// (the Python virtual wand's motion and speech, app/wandlab/virtual/native_feeder.py). Two pipes carry
// records: a 4-byte header (kind u8, 0 u8, payload length u16) and the payload; little-endian, no
// padding. README.md ("The feed") describes the conversation.
//
//   feeder -> board (--feed-fd)
//     kImu       u16 epoch, then int16 counts: frames x axes interleaved, at the board's axes and scales
//     kAudio     int16 samples at the board's audio rate (16 kHz)
//     kReply     u16 seq of a forwarded request, u16 code (0: Ack, else a protocol ErrorCode), UTF-8 text
//   board -> feeder (--request-fd)
//     kSense     u16 epoch, u16 IMU rate (Hz), u8 axes, u8 0, f32 accel g/LSB, f32 gyro deg/s/LSB,
//                u16 audio rate (Hz), u16 lead (ms): IMU frames from now on are at this rate and carry
//                this epoch; the board holds no frames of this epoch yet
//     kConsumed  u32 IMU frames, u32 audio samples the board took from its FIFOs since the last one
//     kRequest   u8 message type, u8 0, u16 seq, then the request's payload exactly as on the wire
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet.h"

namespace wandlab {
namespace native {
namespace feed {

enum class Kind : uint8_t {
  kImu = 0x01,
  kAudio = 0x02,
  kReply = 0x03,
  kSense = 0x81,
  kConsumed = 0x82,
  kRequest = 0x83,
};

constexpr size_t kHeaderBytes = 4;
constexpr size_t kRequestHeaderBytes = 4;
// The largest record either side sends: a forwarded request with the largest protocol payload.
constexpr size_t kMaxPayload = kRequestHeaderBytes + protocol::kMaxPayload;
constexpr size_t kMaxRecord = kHeaderBytes + kMaxPayload;
constexpr size_t kSenseBytes = 18;
constexpr size_t kConsumedBytes = 8;
// kReply text is a protocol string: at most this many bytes reach the host.
constexpr size_t kMaxReplyText = 255;

inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_f32(uint8_t* p, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  put_u32(p, bits);
}
inline uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
// Samples from a record, which need not be aligned for int16.
inline void get_i16s(const uint8_t* p, int16_t* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<int16_t>(get_u16(p + 2 * i));
}

}  // namespace feed
}  // namespace native
}  // namespace wandlab
