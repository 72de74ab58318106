// A ring of fixed-size sample blocks between one producer (a sensor callback, possibly an interrupt)
// and one consumer (Board::poll). The producer pushes frames of `channels` int16 values; every
// `block_frames` frames close a block, numbered from 0 with the index of its first frame - exactly
// the block_seq / first_sample of ImuBlock and AudioBlock. When the consumer falls behind and no slot
// is free, the block being filled is dropped whole: its number is used up (the host sees the gap) and
// counted in overruns() (the board tells the host in StreamStats). No heap, no locks: the two sides
// meet only at two atomic indices.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace board {

template <size_t kSlots, size_t kMaxValues>
class BlockRing {
  static_assert(kSlots >= 2 && (kSlots & (kSlots - 1)) == 0, "kSlots must be a power of two");

 public:
  struct Block {
    uint32_t block_seq = 0;
    uint32_t first_sample = 0;  // frame index since reset(), mod 2^32
    size_t values = 0;          // frames x channels
    int16_t data[kMaxValues] = {};
  };

  static constexpr size_t kMaxBlockValues = kMaxValues;

  // Consumer side, while the producer is stopped: forget everything, number blocks from 0 again.
  // False (and nothing changes) if a block of that shape does not fit a slot.
  bool reset(size_t block_frames, size_t channels) {
    if (block_frames == 0 || channels == 0 || block_frames * channels > kMaxValues) return false;
    block_values_ = block_frames * channels;
    channels_ = channels;
    fill_ = 0;
    writing_ = false;
    next_seq_.store(0, std::memory_order_relaxed);
    overruns_.store(0, std::memory_order_relaxed);
    frames_ = 0;
    head_.store(0, std::memory_order_relaxed);
    tail_.store(0, std::memory_order_release);
    return true;
  }

  // Producer side: `frames` frames of channels() interleaved values.
  void push(const int16_t* values, size_t frames) {
    size_t n = frames * channels_;
    while (n > 0) {
      if (fill_ == 0) begin_block();
      size_t take = block_values_ - fill_;
      if (take > n) take = n;
      if (writing_) {
        int16_t* out = slots_[head_.load(std::memory_order_relaxed) & (kSlots - 1)].data + fill_;
        for (size_t i = 0; i < take; ++i) out[i] = values[i];
      }
      values += take;
      n -= take;
      fill_ += take;
      if (fill_ == block_values_) end_block();
    }
  }

  // Producer side: the stream index the next pushed frame gets (frames since reset(), mod 2^32).
  uint32_t next_frame() const { return frames_ + static_cast<uint32_t>(channels_ ? fill_ / channels_ : 0); }

  // Consumer side: the oldest complete block, or nullptr. Valid until pop().
  const Block* peek() const {
    const uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (head_.load(std::memory_order_acquire) == tail) return nullptr;
    return &slots_[tail & (kSlots - 1)];
  }
  void pop() {
    const uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (head_.load(std::memory_order_acquire) != tail) tail_.store(tail + 1, std::memory_order_release);
  }

  // Blocks numbered so far (queued, sent or dropped): StreamStats.imu_blocks / audio_blocks.
  uint32_t blocks() const { return next_seq_.load(std::memory_order_acquire); }
  // Blocks dropped because every slot was full.
  uint32_t overruns() const { return overruns_.load(std::memory_order_acquire); }
  size_t channels() const { return channels_; }
  size_t block_frames() const { return channels_ ? block_values_ / channels_ : 0; }

 private:
  void begin_block() {
    const uint32_t head = head_.load(std::memory_order_relaxed);
    writing_ = head - tail_.load(std::memory_order_acquire) < kSlots;
  }

  void end_block() {
    const uint32_t seq = next_seq_.load(std::memory_order_relaxed);
    if (writing_) {
      const uint32_t head = head_.load(std::memory_order_relaxed);
      Block& block = slots_[head & (kSlots - 1)];
      block.block_seq = seq;
      block.first_sample = frames_;
      block.values = block_values_;
      head_.store(head + 1, std::memory_order_release);
    } else {
      overruns_.store(overruns_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    frames_ += static_cast<uint32_t>(block_values_ / channels_);
    next_seq_.store(seq + 1, std::memory_order_release);
    fill_ = 0;
  }

  Block slots_[kSlots];
  // Producer-only state.
  size_t block_values_ = 0;
  size_t channels_ = 0;
  size_t fill_ = 0;
  bool writing_ = false;
  uint32_t frames_ = 0;
  // Shared: head_ written by the producer, tail_ by the consumer; counters read by the consumer.
  std::atomic<uint32_t> head_{0};
  std::atomic<uint32_t> tail_{0};
  std::atomic<uint32_t> next_seq_{0};
  std::atomic<uint32_t> overruns_{0};
};

}  // namespace board
}  // namespace wandlab
