// Minimal host-test helpers for test_protocol.cpp: a CHECK macro that counts failures, hex
// conversion, and a packet collector. No framework, standard library only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "frame_decoder.h"

namespace wandlab {
namespace test {

using ByteVec = std::vector<uint8_t>;

struct Tally {
  int checks = 0;
  int failures = 0;
};

inline Tally& tally() {
  // Function-local so the header holds no global; only the test binary uses it.
  static Tally t;
  return t;
}

inline bool check(bool ok, const char* expr, const char* file, int line, const std::string& what) {
  ++tally().checks;
  if (!ok) {
    ++tally().failures;
    std::printf("FAIL %s:%d: %s%s%s\n", file, line, expr, what.empty() ? "" : "  -- ", what.c_str());
  }
  return ok;
}

#define CHECK(expr) ::wandlab::test::check(static_cast<bool>(expr), #expr, __FILE__, __LINE__, "")
#define CHECK_MSG(expr, what) \
  ::wandlab::test::check(static_cast<bool>(expr), #expr, __FILE__, __LINE__, (what))

inline bool parse_hex(const std::string& hex, ByteVec* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (size_t k = 0; k < 2; ++k) {
      const char c = hex[i + k];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out->push_back(static_cast<uint8_t>(v));
  }
  return true;
}

inline std::string to_hex(const uint8_t* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s += kDigits[data[i] >> 4];
    s += kDigits[data[i] & 0xF];
  }
  return s;
}

inline std::string to_hex(const ByteVec& v) { return to_hex(v.data(), v.size()); }

// A received packet, copied out of the decoder.
struct Received {
  uint8_t type;
  uint8_t flags;
  uint16_t seq;
  ByteVec payload;
};

class Collector : public protocol::PacketHandler {
 public:
  void on_packet(const protocol::Packet& p) override {
    packets.push_back({p.type, p.flags, p.seq, ByteVec(p.payload, p.payload + p.payload_size)});
  }
  std::vector<Received> packets;
};

}  // namespace test
}  // namespace wandlab
