// Host test: crypto::Sha256 against the FIPS 180-2 examples (with one million 'a'), the padding
// boundaries, every way of splitting updates from 1 to 130 bytes, and (given a file) digests Python's
// hashlib computed.
// Build: g++ -std=c++17 -O2 -Isrc -Itests tests/test_sha256.cpp src/sha256.cpp
// Usage: test_sha256 [CASES]   CASES: lines "DATA_HEX DIGEST_HEX" ("-" for empty data), written by
//        tests/firmware/test_model_slots.py from random data.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "protocol_test_support.h"
#include "sha256.h"

namespace wt = wandlab::test;
using wandlab::crypto::kSha256DigestBytes;
using wandlab::crypto::Sha256;

namespace {

std::string digest_hex(const uint8_t* data, size_t size) {
  uint8_t d[kSha256DigestBytes];
  Sha256::hash(data, size, d);
  return wt::to_hex(d, sizeof(d));
}

std::string digest_hex(const std::string& text) {
  return digest_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// i % 251 for i < n: the pattern the boundary digests below were computed on (hashlib).
wt::ByteVec pattern(size_t n) {
  wt::ByteVec out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i % 251);
  return out;
}

void fips_examples() {
  CHECK(digest_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(digest_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(digest_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // One million 'a', fed 1000 bytes at a time as a board reads flash pages.
  const std::string thousand(1000, 'a');
  Sha256 h;
  for (int i = 0; i < 1000; ++i) h.update(reinterpret_cast<const uint8_t*>(thousand.data()), thousand.size());
  uint8_t d[kSha256DigestBytes];
  h.finish(d);
  CHECK(wt::to_hex(d, sizeof(d)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

void padding_boundaries() {
  // 55 bytes: length fits the first block; 56: it does not; 63/64/119/120 around the block edges.
  const struct {
    size_t size;
    const char* digest;
  } cases[] = {
      {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
      {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
      {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
      {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
      {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
      {120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"},
  };
  for (const auto& c : cases) {
    const wt::ByteVec data = pattern(c.size);
    CHECK_MSG(digest_hex(data.data(), data.size()) == c.digest, std::to_string(c.size) + " bytes");
  }
}

void split_updates() {
  // (i * 7 + 3) % 256 for 1000 bytes, digest from hashlib; every piece size 1..130, and the object
  // reused after finish() (it re-inits itself).
  wt::ByteVec data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>((i * 7 + 3) % 256);
  const std::string expected = "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371";
  Sha256 h;
  for (size_t piece = 1; piece <= 130; ++piece) {
    for (size_t at = 0; at < data.size(); at += piece) {
      h.update(data.data() + at, at + piece <= data.size() ? piece : data.size() - at);
      h.update(nullptr, 0);  // empty updates change nothing
    }
    uint8_t d[kSha256DigestBytes];
    h.finish(d);
    CHECK_MSG(wt::to_hex(d, sizeof(d)) == expected, "pieces of " + std::to_string(piece));
  }
  // Uneven pieces: 1, 2, 3, ... bytes.
  size_t at = 0;
  for (size_t piece = 1; at < data.size(); ++piece) {
    const size_t n = at + piece <= data.size() ? piece : data.size() - at;
    h.update(data.data() + at, n);
    at += n;
  }
  uint8_t d[kSha256DigestBytes];
  h.finish(d);
  CHECK(wt::to_hex(d, sizeof(d)) == expected);
}

size_t hashlib_cases(const char* path) {
  std::ifstream f(path);
  CHECK_MSG(static_cast<bool>(f), std::string("cannot read ") + path);
  size_t n = 0;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream fields(line);
    std::string data_hex, digest;
    if (!(fields >> data_hex >> digest)) continue;
    wt::ByteVec data;
    if (data_hex != "-") CHECK(wt::parse_hex(data_hex, &data));
    CHECK_MSG(digest_hex(data.data(), data.size()) == digest, std::to_string(data.size()) + " random bytes");
    // The same data in two updates, cut at a point that depends on the case.
    if (data.size() > 1) {
      const size_t cut = (n * 37) % data.size();
      Sha256 h;
      h.update(data.data(), cut);
      h.update(data.data() + cut, data.size() - cut);
      uint8_t d[kSha256DigestBytes];
      h.finish(d);
      CHECK(wt::to_hex(d, sizeof(d)) == digest);
    }
    ++n;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  fips_examples();
  padding_boundaries();
  split_updates();
  size_t random_cases = 0;
  if (argc > 1) random_cases = hashlib_cases(argv[1]);
  const wt::Tally& t = wt::tally();
  std::printf("%s: %d checks, %d failures, %zu hashlib cases\n", t.failures == 0 ? "OK" : "FAILED", t.checks,
              t.failures, random_cases);
  return t.failures == 0 ? 0 : 1;
}
