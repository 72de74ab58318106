// Packets and serial frames (see docs/protocol.md; the Python twin is app/wandlab/protocol/framing.py).
//
//   packet = u8 type | u8 flags | u16 seq | payload | u32 CRC-32 of everything before it   (little-endian)
//   serial frame = COBS(packet) | 0x00
#pragma once

#include <cstddef>
#include <cstdint>

#include "cobs.h"

namespace wandlab {
namespace protocol {

constexpr size_t kHeaderSize = 4;
constexpr size_t kCrcSize = 4;
constexpr size_t kMinPacket = kHeaderSize + kCrcSize;
// Largest payload either side may send: bounds every buffer on both ends.
constexpr size_t kMaxPayload = 4096;
constexpr size_t kMaxPacket = kMinPacket + kMaxPayload;
// Longest run of bytes between two delimiters the decoder accepts (framing.py MAX_ENCODED_FRAME).
// One byte roomier than COBS needs for kMaxPacket, so a frame of exactly that much is still decoded.
constexpr size_t kMaxEncodedFrame = kMaxPacket + kMaxPacket / 254 + 2;
// Most bytes encode_frame()/encode_message() write for a kMaxPacket packet: COBS + delimiter.
constexpr size_t kMaxFrameBytes = cobs_max_encoded_size(kMaxPacket) + 1;
constexpr uint8_t kFrameDelimiter = 0x00;

// A packet whose payload is a view: into the decoder's buffer (valid only during the callback) or
// into the caller's bytes.
struct Packet {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint16_t seq = 0;
  const uint8_t* payload = nullptr;
  size_t payload_size = 0;
};

enum class PacketError : uint8_t {
  kOk = 0,
  kShort,        // fewer than kMinPacket bytes
  kCrcMismatch,  // the trailing CRC-32 does not match
  kTooLarge,     // payload over kMaxPayload (packing only)
  kNoRoom,       // the caller's output buffer is too small
};

const char* packet_error_name(PacketError error);

// Packet bytes into `out`. Returns the packet size, 0 if the payload is over kMaxPayload or out is
// too small.
size_t pack_packet(const Packet& packet, uint8_t* out, size_t capacity);

// Checks length and CRC; on success `out->payload` points into `raw`.
PacketError unpack_packet(const uint8_t* raw, size_t size, Packet* out);

// Serial frame (COBS(packet) + 0x00) into `out`, straight from the packet's parts (no scratch
// copy). Returns the frame size including the delimiter, 0 if it does not fit or the payload is
// over kMaxPayload. kMaxFrameBytes always suffices.
size_t encode_frame(const Packet& packet, uint8_t* out, size_t capacity);

// In-place framing, for encode_message() (messages.h): the payload is written into the frame
// buffer itself at payload_slot(), then frame_payload_in_place() adds header and CRC and
// COBS-encodes over it. No second buffer; `frame` must hold the whole finished frame.
struct PayloadSlot {
  uint8_t* data;
  size_t capacity;
};
PayloadSlot payload_slot(uint8_t* frame, size_t capacity);
size_t frame_payload_in_place(uint8_t type, uint8_t flags, uint16_t seq, uint8_t* frame,
                              size_t capacity, size_t payload_size);

}  // namespace protocol
}  // namespace wandlab
