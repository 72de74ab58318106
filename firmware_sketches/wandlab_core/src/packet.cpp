#include "packet.h"

#include "crc32.h"
#include "little_endian.h"

namespace wandlab {
namespace protocol {
namespace {

using le::get_u32;
using le::put_u16;
using le::put_u32;

void fill_header(const Packet& packet, uint8_t* header) {
  header[0] = packet.type;
  header[1] = packet.flags;
  put_u16(header + 2, packet.seq);
}

// Where the packet starts inside an in-place frame buffer. COBS output runs ahead of its input by
// at most 1 + n / 254 bytes, so from this offset it never overwrites packet bytes not yet read; and
// packet + COBS overhead + delimiter still fit in `capacity` whatever the packet size.
size_t in_place_offset(size_t capacity) { return 2 + capacity / 254; }

}  // namespace

const char* packet_error_name(PacketError error) {
  switch (error) {
    case PacketError::kOk: return "ok";
    case PacketError::kShort: return "packet shorter than header + CRC";
    case PacketError::kCrcMismatch: return "CRC mismatch";
    case PacketError::kTooLarge: return "payload over the 4096-byte limit";
    case PacketError::kNoRoom: return "output buffer too small";
  }
  return "?";
}

size_t pack_packet(const Packet& packet, uint8_t* out, size_t capacity) {
  if (packet.payload_size > kMaxPayload) return 0;
  const size_t size = kMinPacket + packet.payload_size;
  if (size > capacity) return 0;
  fill_header(packet, out);
  for (size_t i = 0; i < packet.payload_size; ++i) out[kHeaderSize + i] = packet.payload[i];
  const size_t body = kHeaderSize + packet.payload_size;
  put_u32(out + body, crc32(out, body));
  return size;
}

PacketError unpack_packet(const uint8_t* raw, size_t size, Packet* out) {
  if (size < kMinPacket) return PacketError::kShort;
  const size_t body = size - kCrcSize;
  if (crc32(raw, body) != get_u32(raw + body)) return PacketError::kCrcMismatch;
  out->type = raw[0];
  out->flags = raw[1];
  out->seq = static_cast<uint16_t>(raw[2] | raw[3] << 8);
  out->payload = raw + kHeaderSize;
  out->payload_size = body - kHeaderSize;
  return PacketError::kOk;
}

size_t encode_frame(const Packet& packet, uint8_t* out, size_t capacity) {
  if (packet.payload_size > kMaxPayload || capacity == 0) return 0;
  uint8_t header[kHeaderSize];
  fill_header(packet, header);
  uint32_t crc = crc32(header, kHeaderSize);
  crc = crc32(packet.payload, packet.payload_size, crc);
  uint8_t trailer[kCrcSize];
  put_u32(trailer, crc);
  CobsEncoder encoder(out, capacity - 1);  // keep one byte for the delimiter
  encoder.put(header, kHeaderSize);
  encoder.put(packet.payload, packet.payload_size);
  encoder.put(trailer, kCrcSize);
  const size_t size = encoder.finish();
  if (size == 0) return 0;
  out[size] = kFrameDelimiter;
  return size + 1;
}

PayloadSlot payload_slot(uint8_t* frame, size_t capacity) {
  const size_t reserved = in_place_offset(capacity) + kMinPacket;
  if (capacity < reserved) return {frame, 0};
  size_t room = capacity - reserved;
  if (room > kMaxPayload) room = kMaxPayload;
  return {frame + in_place_offset(capacity) + kHeaderSize, room};
}

size_t frame_payload_in_place(uint8_t type, uint8_t flags, uint16_t seq, uint8_t* frame,
                              size_t capacity, size_t payload_size) {
  const size_t offset = in_place_offset(capacity);
  if (capacity < offset + kMinPacket || payload_size > kMaxPayload ||
      payload_size > capacity - offset - kMinPacket) {
    return 0;
  }
  uint8_t* packet = frame + offset;
  packet[0] = type;
  packet[1] = flags;
  put_u16(packet + 2, seq);
  const size_t body = kHeaderSize + payload_size;
  put_u32(packet + body, crc32(packet, body));
  CobsEncoder encoder(frame, capacity - 1);
  encoder.put(packet, body + kCrcSize);
  const size_t size = encoder.finish();
  if (size == 0) return 0;
  frame[size] = kFrameDelimiter;
  return size + 1;
}

}  // namespace protocol
}  // namespace wandlab
