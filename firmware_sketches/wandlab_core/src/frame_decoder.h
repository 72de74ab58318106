// Incremental serial deframer: feed bytes one at a time or in chunks of any size, get whole,
// CRC-checked packets through a handler. Never fails on input: garbage is counted and skipped, and
// decoding resumes at the next 0x00. Counts errors exactly as framing.py's FrameDecoder does
// (tests/firmware/test_host_build.py feeds both the same streams). Fixed buffer, no heap.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet.h"

namespace wandlab {
namespace protocol {

struct DecoderStats {
  uint32_t frames = 0;           // good packets handed on
  uint64_t bytes = 0;            // every byte fed, delimiters and garbage included
  uint32_t crc_errors = 0;
  uint32_t cobs_errors = 0;      // a COBS block runs past the end of its frame
  uint32_t short_frames = 0;     // decodes to fewer than header + CRC bytes
  uint32_t oversize_frames = 0;  // more than kMaxEncodedFrame bytes between delimiters

  uint32_t errors() const { return crc_errors + cobs_errors + short_frames + oversize_frames; }
};

// Receives each good packet. The payload points into the decoder: copy what must outlive the call.
class PacketHandler {
 public:
  virtual void on_packet(const Packet& packet) = 0;

 protected:
  ~PacketHandler() = default;
};

class FrameDecoder {
 public:
  void feed(uint8_t byte, PacketHandler& handler);
  void feed(const uint8_t* data, size_t size, PacketHandler& handler);

  const DecoderStats& stats() const { return stats_; }
  // Forget a half-received frame (e.g. after the link was reopened). Counters are kept.
  void drop_partial_frame();

 private:
  void end_frame(PacketHandler& handler);

  // Encoded bytes of the current frame; decoded in place at its delimiter.
  uint8_t buffer_[kMaxEncodedFrame];
  size_t size_ = 0;
  // Set when the current frame overflowed the buffer: skip to the next delimiter.
  bool discarding_ = false;
  DecoderStats stats_;
};

}  // namespace protocol
}  // namespace wandlab
