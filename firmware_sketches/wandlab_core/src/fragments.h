// BLE framing (docs/protocol.md "Fragments"; the Python twin is app/wandlab/protocol/fragments.py):
// packets cut into GATT notifications/writes of at most ATT_MTU - 3 bytes and put back together.
//
//   u8 header    bit 7 START (a u16 little-endian packet length follows), bits 0-6 fragment counter
//                (0 for the first fragment in a direction on a connection, then +1 mod 128)
//   [u16 length] after START only: the whole packet's length (8 .. 4104)
//   bytes        the next part of the packet
//
// The reassembler never fails on input: a counter gap, a continuation with no START, a packet longer
// than announced or a bad CRC drop the packet being built and are counted exactly as the Python
// Reassembler counts them; decoding resumes at the next START. No heap: one kMaxPacket buffer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "frame_decoder.h"
#include "packet.h"

namespace wandlab {
namespace protocol {

constexpr uint8_t kFragmentStart = 0x80;
constexpr uint8_t kFragmentCounterMask = 0x7F;
constexpr size_t kDefaultAttMtu = 23;  // before the MTU exchange; the app asks for 247
constexpr size_t kMaxAttMtu = 247;

// Bytes of one notification / write at this ATT MTU (0 below the minimum of 23).
constexpr size_t fragment_payload_size(size_t att_mtu) { return att_mtu < kDefaultAttMtu ? 0 : att_mtu - 3; }

// Receives each fragment as it is cut. Return false to stop (the link refused it).
class FragmentSink {
 public:
  virtual bool on_fragment(const uint8_t* data, size_t size) = 0;

 protected:
  ~FragmentSink() = default;
};

class Fragmenter {
 public:
  void set_att_mtu(size_t att_mtu) { fragment_size_ = fragment_payload_size(att_mtu); }
  size_t fragment_size() const { return fragment_size_; }
  // A new connection: counting starts again at 0.
  void reset() { counter_ = 0; }
  // How many fragments `packet_size` bytes take (0 if the packet cannot be sent).
  size_t fragments_for(size_t packet_size) const;
  // Cuts one packet (header, payload, CRC: as pack_packet() writes it) into fragments. False if the
  // packet's size is out of range or the sink stopped; the counter has advanced past what was sent.
  bool send(const uint8_t* packet, size_t size, FragmentSink& sink);

 private:
  size_t fragment_size_ = fragment_payload_size(kDefaultAttMtu);
  uint8_t counter_ = 0;
};

struct ReassemblyStats {
  uint32_t frames = 0;  // good packets handed on
  uint64_t bytes = 0;
  uint32_t crc_errors = 0;
  uint32_t short_frames = 0;     // empty fragment, or a START too short for its length
  uint32_t oversize_frames = 0;  // a length out of range, or more bytes than announced
  uint32_t lost_fragments = 0;   // counter gaps, and a START while a packet was unfinished
  uint32_t orphan_fragments = 0; // a continuation with no packet started

  uint32_t errors() const {
    return crc_errors + short_frames + oversize_frames + lost_fragments + orphan_fragments;
  }
};

class Reassembler {
 public:
  void feed(const uint8_t* fragment, size_t size, PacketHandler& handler);
  // A new connection: counters of the link restart at 0, a half-built packet is forgotten.
  void reset();
  const ReassemblyStats& stats() const { return stats_; }
  // True while a packet is being built (its START has come, its last byte has not).
  bool building() const { return length_ != 0; }

 private:
  void drop() {
    size_ = 0;
    length_ = 0;
  }

  uint8_t buffer_[kMaxPacket];
  size_t size_ = 0;
  size_t length_ = 0;  // of the packet being built; 0: none
  uint8_t expect_ = 0;
  ReassemblyStats stats_;
};

}  // namespace protocol
}  // namespace wandlab
