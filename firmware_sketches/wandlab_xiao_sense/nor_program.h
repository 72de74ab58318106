// Programming any run of bytes on a flash that programs whole 32-bit words (nRF52): the bytes around
// them in the first and last word are programmed as 0xFF, which leaves them as they are, since NOR
// programming only clears bits. Header-only and hardware-free, so the PC tests the very code the
// board runs (tests/test_flash_storage.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wandlab {
namespace xiao {

// Calls write_words(word_address, words, count) for spans of at most 64 words; false as soon as one
// fails.
template <class WriteWords>
bool program_bytes(uint32_t address, const uint8_t* data, size_t size, WriteWords write_words) {
  uint32_t buffer[64];
  const uint32_t end = address + static_cast<uint32_t>(size);
  for (uint32_t word = address & ~3u; word < end; word += sizeof(buffer)) {
    const uint32_t span_end = word + sizeof(buffer) < end ? word + sizeof(buffer) : end;
    const size_t words = (span_end - word + 3) / 4;
    uint8_t* bytes = reinterpret_cast<uint8_t*>(buffer);
    std::memset(bytes, 0xFF, words * 4);
    const uint32_t from = address > word ? address : word;
    std::memcpy(bytes + (from - word), data + (from - address), span_end - from);
    if (!write_words(word, buffer, words)) return false;
  }
  return true;
}

}  // namespace xiao
}  // namespace wandlab
