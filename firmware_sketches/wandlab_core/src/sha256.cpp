// SHA-256 as FIPS 180-4 specifies it; tests/test_sha256.cpp checks it against the FIPS examples and
// Python's hashlib.

#include "sha256.h"

#include <cstring>

namespace wandlab {
namespace crypto {
namespace {

constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr uint32_t kInitialState[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

constexpr uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

}  // namespace

void Sha256::init() {
  std::memcpy(state_, kInitialState, sizeof(state_));
  length_ = 0;
  fill_ = 0;
}

// The message schedule is kept as a 16-word ring instead of 64 words: 192 bytes less stack.
void Sha256::compress(const uint8_t* block) {
  uint32_t w[16];
  for (size_t i = 0; i < 16; ++i) {
    const uint8_t* p = block + 4 * i;
    w[i] = (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
           (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
  }
  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
  for (size_t i = 0; i < 64; ++i) {
    if (i >= 16) {
      const uint32_t w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
      const uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
      const uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
      w[i & 15] += s0 + w[(i - 7) & 15] + s1;
    }
    const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                        kRoundConstants[i] + w[i & 15];
    const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  state_[4] += e;
  state_[5] += f;
  state_[6] += g;
  state_[7] += h;
}

void Sha256::update(const uint8_t* data, size_t size) {
  if (size == 0) return;  // data may be null then
  length_ += size;
  if (fill_ > 0) {
    const size_t take = size < kSha256BlockBytes - fill_ ? size : kSha256BlockBytes - fill_;
    std::memcpy(block_ + fill_, data, take);
    fill_ += take;
    data += take;
    size -= take;
    if (fill_ < kSha256BlockBytes) return;
    compress(block_);
    fill_ = 0;
  }
  // Whole blocks straight from the caller's buffer (flash on a board): no copy.
  for (; size >= kSha256BlockBytes; data += kSha256BlockBytes, size -= kSha256BlockBytes) compress(data);
  if (size > 0) {
    std::memcpy(block_, data, size);
    fill_ = size;
  }
}

void Sha256::finish(uint8_t* digest) {
  const uint64_t bits = length_ * 8;
  block_[fill_++] = 0x80;
  if (fill_ > kSha256BlockBytes - 8) {
    std::memset(block_ + fill_, 0, kSha256BlockBytes - fill_);
    compress(block_);
    fill_ = 0;
  }
  std::memset(block_ + fill_, 0, kSha256BlockBytes - 8 - fill_);
  for (size_t i = 0; i < 8; ++i) block_[kSha256BlockBytes - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  compress(block_);
  for (size_t i = 0; i < 8; ++i) {
    digest[4 * i] = static_cast<uint8_t>(state_[i] >> 24);
    digest[4 * i + 1] = static_cast<uint8_t>(state_[i] >> 16);
    digest[4 * i + 2] = static_cast<uint8_t>(state_[i] >> 8);
    digest[4 * i + 3] = static_cast<uint8_t>(state_[i]);
  }
  init();
}

void Sha256::hash(const uint8_t* data, size_t size, uint8_t* digest) {
  Sha256 h;
  h.update(data, size);
  h.finish(digest);
}

}  // namespace crypto
}  // namespace wandlab
