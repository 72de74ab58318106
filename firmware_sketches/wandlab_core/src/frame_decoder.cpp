#include "frame_decoder.h"

namespace wandlab {
namespace protocol {

void FrameDecoder::feed(uint8_t byte, PacketHandler& handler) {
  ++stats_.bytes;
  if (byte == kFrameDelimiter) {
    end_frame(handler);
    return;
  }
  if (discarding_) return;
  if (size_ == kMaxEncodedFrame) {
    // One count per oversized frame, however long it runs on.
    ++stats_.oversize_frames;
    discarding_ = true;
    size_ = 0;
    return;
  }
  buffer_[size_++] = byte;
}

void FrameDecoder::feed(const uint8_t* data, size_t size, PacketHandler& handler) {
  for (size_t i = 0; i < size; ++i) feed(data[i], handler);
}

void FrameDecoder::drop_partial_frame() {
  size_ = 0;
  discarding_ = false;
}

void FrameDecoder::end_frame(PacketHandler& handler) {
  const size_t encoded = size_;
  size_ = 0;
  if (discarding_) {
    discarding_ = false;
    return;
  }
  if (encoded == 0) return;  // back-to-back delimiters: an empty frame is not an error
  size_t decoded = 0;
  if (!cobs_decode(buffer_, encoded, buffer_, sizeof(buffer_), &decoded)) {
    ++stats_.cobs_errors;
    return;
  }
  Packet packet;
  switch (unpack_packet(buffer_, decoded, &packet)) {
    case PacketError::kOk:
      ++stats_.frames;
      handler.on_packet(packet);
      return;
    case PacketError::kShort:
      ++stats_.short_frames;
      return;
    default:
      ++stats_.crc_errors;
      return;
  }
}

}  // namespace protocol
}  // namespace wandlab
