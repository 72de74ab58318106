#include "cobs.h"

namespace wandlab {
namespace protocol {

CobsEncoder::CobsEncoder(uint8_t* out, size_t capacity) : out_(out), capacity_(capacity) {
  // Reserve the first block's code byte.
  if (capacity_ == 0) overflow_ = true;
  size_ = 1;
}

void CobsEncoder::close_block() {
  if (!overflow_) out_[code_at_] = code_;
  code_at_ = size_;
  code_ = 1;
  if (size_ >= capacity_) overflow_ = true;
  ++size_;
}

void CobsEncoder::put(uint8_t byte) {
  if (byte == 0) {
    close_block();
    return;
  }
  if (size_ >= capacity_) overflow_ = true;
  if (!overflow_) out_[size_] = byte;
  ++size_;
  ++code_;
  if (code_ == 0xFF) close_block();
}

void CobsEncoder::put(const uint8_t* data, size_t size) {
  for (size_t i = 0; i < size; ++i) put(data[i]);
}

size_t CobsEncoder::finish() {
  if (overflow_) return 0;
  out_[code_at_] = code_;
  return size_;
}

bool cobs_encode(const uint8_t* in, size_t size, uint8_t* out, size_t capacity, size_t* out_size) {
  CobsEncoder encoder(out, capacity);
  encoder.put(in, size);
  const size_t written = encoder.finish();
  if (written == 0) return false;
  *out_size = written;
  return true;
}

bool cobs_decode(const uint8_t* in, size_t size, uint8_t* out, size_t capacity, size_t* out_size) {
  size_t i = 0;
  size_t o = 0;
  while (i < size) {
    const uint8_t code = in[i];
    if (code == 0) return false;
    const size_t end = i + code;
    if (end > size) return false;
    // Byte by byte, front to back, so that in-place decoding (out == in) is safe.
    for (size_t j = i + 1; j < end; ++j) {
      if (o >= capacity) return false;
      if (in[j] == 0) return false;
      out[o++] = in[j];
    }
    i = end;
    if (code != 0xFF && i < size) {
      if (o >= capacity) return false;
      out[o++] = 0;
    }
  }
  *out_size = o;
  return true;
}

}  // namespace protocol
}  // namespace wandlab
