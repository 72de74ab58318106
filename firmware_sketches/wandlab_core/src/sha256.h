// SHA-256 (FIPS 180-4), incremental: what a board needs to check a received model against the hash
// the host sent (ModelBegin.sha256) and to re-check its model slots at boot, over memory-mapped flash,
// without a copy. No heap, no tables in RAM: the round constants are constant data.
//
//   crypto::Sha256 h;              // or h.init() to reuse one
//   h.update(part1, n1);           // any sizes, any number of times
//   h.update(part2, n2);
//   uint8_t digest[crypto::kSha256DigestBytes];
//   h.finish(digest);              // then init() before hashing something else
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace crypto {

constexpr size_t kSha256DigestBytes = 32;
constexpr size_t kSha256BlockBytes = 64;

class Sha256 {
 public:
  Sha256() { init(); }

  void init();
  void update(const uint8_t* data, size_t size);
  // Pads, writes the 32-byte digest to `digest` and leaves the object to be init()ed again.
  void finish(uint8_t* digest);

  // The digest of one buffer.
  static void hash(const uint8_t* data, size_t size, uint8_t* digest);

 private:
  void compress(const uint8_t* block);

  uint32_t state_[8];
  uint64_t length_ = 0;  // bytes hashed so far
  uint8_t block_[kSha256BlockBytes];
  size_t fill_ = 0;  // bytes waiting in block_
};

}  // namespace crypto
}  // namespace wandlab
