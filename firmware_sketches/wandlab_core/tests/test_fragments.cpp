// Host test of src/fragments (BLE fragments). Without arguments: unit checks. With --driver: reads
// commands on stdin for tests/firmware/test_fragments.py, which compares every answer with Python's
// Fragmenter and Reassembler:
//   mtu N        set the fragmenter's ATT MTU
//   send HEX     fragment one packet: prints "F HEX" per fragment, then "END"
//   feed [HEX]   one fragment into the reassembler: prints "P HEX" per packet, then
//                "S frames bytes crc short oversize lost orphan"

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fragments.h"
#include "protocol_test_support.h"

namespace wp = wandlab::protocol;
using wandlab::test::ByteVec;
using wandlab::test::parse_hex;
using wandlab::test::to_hex;

namespace {

class Collect : public wp::FragmentSink {
 public:
  bool on_fragment(const uint8_t* data, size_t size) override {
    fragments.emplace_back(data, data + size);
    return fragments.size() < limit;
  }
  std::vector<ByteVec> fragments;
  size_t limit = 100000;
};

ByteVec make_packet(uint8_t type, uint16_t seq, size_t payload_size) {
  ByteVec payload(payload_size);
  for (size_t i = 0; i < payload_size; ++i) payload[i] = static_cast<uint8_t>(i * 7 + 3);
  ByteVec raw(payload_size + wp::kMinPacket);
  const wp::Packet p{type, 0, seq, payload.data(), payload_size};
  raw.resize(wp::pack_packet(p, raw.data(), raw.size()));
  return raw;
}

int unit_checks() {
  wp::Fragmenter fragmenter;
  wandlab::test::Collector packets;
  wp::Reassembler reassembler;
  // Every size from the smallest packet to the largest, at the default and the largest MTU.
  for (size_t mtu : {wp::kDefaultAttMtu, size_t{100}, wp::kMaxAttMtu}) {
    fragmenter.set_att_mtu(mtu);
    for (size_t payload = 0; payload <= wp::kMaxPayload; payload += (payload < 600 ? 1 : 97)) {
      const ByteVec raw = make_packet(0x13, static_cast<uint16_t>(payload), payload);
      Collect c;
      CHECK(fragmenter.send(raw.data(), raw.size(), c));
      CHECK(c.fragments.size() == fragmenter.fragments_for(raw.size()));
      for (const ByteVec& f : c.fragments) {
        CHECK(f.size() <= mtu - 3);
        reassembler.feed(f.data(), f.size(), packets);
      }
    }
  }
  CHECK(reassembler.stats().errors() == 0 && packets.packets.size() == reassembler.stats().frames);
  // A lost fragment costs its packet, counted; the next START recovers.
  fragmenter.set_att_mtu(23);
  fragmenter.reset();  // a new connection: both ends count from 0
  const ByteVec raw = make_packet(0x12, 9, 100);
  Collect c;
  fragmenter.send(raw.data(), raw.size(), c);
  wp::Reassembler r;
  wandlab::test::Collector got;
  for (size_t i = 0; i < c.fragments.size(); ++i) {
    if (i != 2) r.feed(c.fragments[i].data(), c.fragments[i].size(), got);
  }
  CHECK(got.packets.empty() && r.stats().lost_fragments == 1 && r.stats().orphan_fragments > 0);
  Collect again;
  fragmenter.send(raw.data(), raw.size(), again);
  for (const ByteVec& f : again.fragments) r.feed(f.data(), f.size(), got);
  CHECK(got.packets.size() == 1 && got.packets[0].payload.size() == 100);
  // Out-of-range sizes are refused; a sink that says stop stops.
  CHECK(!fragmenter.send(raw.data(), 7, c) && fragmenter.fragments_for(wp::kMaxPacket + 1) == 0);
  Collect stopper;
  stopper.limit = 2;
  CHECK(!fragmenter.send(raw.data(), raw.size(), stopper) && stopper.fragments.size() == 2);
  const auto& t = wandlab::test::tally();
  if (t.failures > 0) {
    std::printf("FAILED: %d of %d checks\n", t.failures, t.checks);
    return 1;
  }
  std::printf("OK: %d checks, BLE fragments\n", t.checks);
  return 0;
}

int driver() {
  wp::Fragmenter fragmenter;
  wp::Reassembler reassembler;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command, hex;
    in >> command >> hex;
    ByteVec bytes;
    if (!parse_hex(hex, &bytes)) {
      std::printf("ERR bad hex\n");
      continue;
    }
    if (command == "mtu") {
      fragmenter.set_att_mtu(static_cast<size_t>(std::stoul(hex.empty() ? "23" : hex, nullptr, 16)));
    } else if (command == "send") {
      Collect c;
      fragmenter.send(bytes.data(), bytes.size(), c);
      for (const ByteVec& f : c.fragments) std::printf("F %s\n", to_hex(f).c_str());
      std::printf("END\n");
    } else if (command == "feed") {
      wandlab::test::Collector got;
      reassembler.feed(bytes.data(), bytes.size(), got);
      for (const auto& p : got.packets) {
        ByteVec raw(p.payload.size() + wp::kMinPacket);
        const wp::Packet packet{p.type, p.flags, p.seq, p.payload.data(), p.payload.size()};
        raw.resize(wp::pack_packet(packet, raw.data(), raw.size()));
        std::printf("P %s\n", to_hex(raw).c_str());
      }
      const auto& s = reassembler.stats();
      std::printf("S %u %llu %u %u %u %u %u\n", s.frames, static_cast<unsigned long long>(s.bytes), s.crc_errors,
                  s.short_frames, s.oversize_frames, s.lost_fragments, s.orphan_fragments);
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--driver") return driver();
  return unit_checks();
}
