#include "fragments.h"

namespace wandlab {
namespace protocol {

size_t Fragmenter::fragments_for(size_t packet_size) const {
  if (packet_size < kMinPacket || packet_size > kMaxPacket || fragment_size_ < 4) return 0;
  const size_t first = fragment_size_ - 3;
  if (packet_size <= first) return 1;
  const size_t rest = fragment_size_ - 1;
  return 1 + (packet_size - first + rest - 1) / rest;
}

bool Fragmenter::send(const uint8_t* packet, size_t size, FragmentSink& sink) {
  if (fragments_for(size) == 0) return false;
  uint8_t fragment[kMaxAttMtu];
  size_t offset = 0;
  bool first = true;
  while (first || offset < size) {
    size_t head = 0;
    if (first) {
      fragment[0] = static_cast<uint8_t>(kFragmentStart | counter_);
      fragment[1] = static_cast<uint8_t>(size);
      fragment[2] = static_cast<uint8_t>(size >> 8);
      head = 3;
    } else {
      fragment[0] = counter_;
      head = 1;
    }
    size_t take = fragment_size_ - head;
    if (take > size - offset) take = size - offset;
    for (size_t i = 0; i < take; ++i) fragment[head + i] = packet[offset + i];
    offset += take;
    counter_ = static_cast<uint8_t>((counter_ + 1) & kFragmentCounterMask);
    first = false;
    if (!sink.on_fragment(fragment, head + take)) return false;
  }
  return true;
}

void Reassembler::reset() {
  drop();
  expect_ = 0;
}

void Reassembler::feed(const uint8_t* fragment, size_t size, PacketHandler& handler) {
  stats_.bytes += size;
  if (size == 0) {
    ++stats_.short_frames;
    return;
  }
  const uint8_t head = fragment[0];
  const uint8_t counter = head & kFragmentCounterMask;
  const bool in_order = counter == expect_;
  expect_ = static_cast<uint8_t>((counter + 1) & kFragmentCounterMask);
  if (!in_order) {  // something went missing (or came twice): the packet being built is incomplete
    ++stats_.lost_fragments;
    drop();
  }
  const uint8_t* body = nullptr;
  size_t body_size = 0;
  if (head & kFragmentStart) {
    if (length_ != 0) ++stats_.lost_fragments;  // a new packet before the last one ended
    drop();
    if (size < 3) {
      ++stats_.short_frames;
      return;
    }
    const size_t length = static_cast<size_t>(fragment[1] | fragment[2] << 8);
    if (length < kMinPacket || length > kMaxPacket) {
      ++stats_.oversize_frames;
      return;
    }
    length_ = length;
    body = fragment + 3;
    body_size = size - 3;
  } else if (length_ == 0) {
    ++stats_.orphan_fragments;
    return;
  } else {
    body = fragment + 1;
    body_size = size - 1;
  }
  if (body_size > length_ - size_) {
    ++stats_.oversize_frames;
    drop();
    return;
  }
  for (size_t i = 0; i < body_size; ++i) buffer_[size_ + i] = body[i];
  size_ += body_size;
  if (size_ < length_) return;
  const size_t n = size_;
  drop();
  Packet packet;
  if (unpack_packet(buffer_, n, &packet) != PacketError::kOk) {
    ++stats_.crc_errors;
    return;
  }
  ++stats_.frames;
  handler.on_packet(packet);
}

}  // namespace protocol
}  // namespace wandlab
