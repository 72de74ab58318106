// Consistent Overhead Byte Stuffing: removes every 0x00 from a packet so that 0x00 can end a frame on
// a byte stream. Byte-for-byte the same encoding as app/wandlab/protocol/cobs.py: a full run of 254
// non-zero bytes is written as code 0xFF, which carries no implied zero.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace protocol {

// Worst-case COBS size of `size` bytes (one code byte per started 254-byte run), without delimiter.
constexpr size_t cobs_max_encoded_size(size_t size) { return size + size / 254 + 1; }

// Streaming encoder into a caller's buffer: put() bytes, then finish(). Never writes past capacity.
// It may run in place over a buffer whose unread input starts at least 1 + size / 254 bytes after
// `out` (encode_message() in packet.h relies on this: every write lands at or before the byte just
// read).
class CobsEncoder {
 public:
  CobsEncoder(uint8_t* out, size_t capacity);

  void put(uint8_t byte);
  void put(const uint8_t* data, size_t size);
  // Closes the last block. Returns the encoded size, or 0 if it did not fit in `capacity`.
  size_t finish();

 private:
  void close_block();

  uint8_t* out_;
  size_t capacity_;
  size_t size_ = 0;     // bytes written, including the open block's reserved code byte
  size_t code_at_ = 0;  // where the open block's code byte goes
  uint8_t code_ = 1;    // 1 + data bytes in the open block
  bool overflow_ = false;
};

// Whole-buffer forms. Both return false (and leave *out_size alone) on failure.
bool cobs_encode(const uint8_t* in, size_t size, uint8_t* out, size_t capacity, size_t* out_size);
// Fails on a 0x00 inside the frame, a block running past the end, or output over `capacity`.
// `out` may equal `in` (decoding in place is safe: output never overtakes input).
bool cobs_decode(const uint8_t* in, size_t size, uint8_t* out, size_t capacity, size_t* out_size);

}  // namespace protocol
}  // namespace wandlab
