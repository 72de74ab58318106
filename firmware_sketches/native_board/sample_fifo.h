// A fixed FIFO of int16 frames (`channels` values each) between the feed pipe and a sensor: the
// feeder keeps it a little ahead of the sensor, the sensor takes frames at its own clock's pace.
// Single-threaded (the native board's one loop), no heap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace native {

template <size_t kCapacityValues>
class SampleFifo {
 public:
  // Empties it and fixes the frame shape; channels must be 1..kCapacityValues.
  void reset(size_t channels) {
    channels_ = channels == 0 ? 1 : channels;
    head_ = tail_ = count_ = 0;
  }
  void clear() { head_ = tail_ = count_ = 0; }

  size_t frames() const { return count_ / channels_; }
  size_t capacity_frames() const { return kCapacityValues / channels_; }
  size_t channels() const { return channels_; }

  // Appends up to `frames` whole frames; returns how many fitted (the rest are the caller's to count).
  size_t push(const int16_t* values, size_t frames) {
    const size_t room = capacity_frames() - this->frames();
    const size_t n = frames < room ? frames : room;
    for (size_t i = 0; i < n * channels_; ++i) {
      data_[head_] = values[i];
      head_ = head_ + 1 == kCapacityValues ? 0 : head_ + 1;
    }
    count_ += n * channels_;
    return n;
  }

  // Takes up to `frames` frames into out; returns how many there were.
  size_t pop(int16_t* out, size_t frames) {
    const size_t have = this->frames();
    const size_t n = frames < have ? frames : have;
    for (size_t i = 0; i < n * channels_; ++i) {
      out[i] = data_[tail_];
      tail_ = tail_ + 1 == kCapacityValues ? 0 : tail_ + 1;
    }
    count_ -= n * channels_;
    return n;
  }

 private:
  int16_t data_[kCapacityValues] = {};
  size_t channels_ = 1;
  size_t head_ = 0;  // next value written
  size_t tail_ = 0;  // next value read
  size_t count_ = 0;  // values held
};

}  // namespace native
}  // namespace wandlab
