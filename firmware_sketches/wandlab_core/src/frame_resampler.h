// Streaming linear-interpolation resampler for interleaved int16 frames with an integer rate ratio.
// Sensors rarely run at the protocol's rates: the LSM6DS3 has ODRs of 26, 52, 104, 208 and 416 Hz,
// 26/25 of the 25, 50, 100, 200 and 400 Hz the host asks for. FrameResampler(26, 25) turns every 26
// input frames into 25 output frames at the exact requested rate (output k is input position
// k * 26 / 25, interpolated between its two neighbours and rounded half up), so block_seq /
// first_sample stay honest sample clocks. One frame of delay, no heap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace board {

class FrameResampler {
 public:
  static constexpr size_t kMaxChannels = 6;

  // in_per_out / out_per_in: 26 / 25 for an ODR 4 % above the wanted rate; 1 / 1 passes frames on.
  // False (and nothing changes) for a zero ratio, an upsampling ratio or too many channels.
  bool reset(uint32_t in_per_out, uint32_t out_per_in, size_t channels);

  // One input frame in; writes 0, 1 or (when upsampling is not allowed, never more than) 1 output
  // frame to `out` (channels values) and returns how many.
  size_t push(const int16_t* in, int16_t* out);

  size_t channels() const { return channels_; }

 private:
  uint32_t step_ = 1;   // input units between two outputs
  uint32_t units_ = 1;  // units per input frame
  uint32_t pos_ = 0;    // next output's position, in units after the previous input frame
  size_t channels_ = 0;
  bool primed_ = false;
  int16_t prev_[kMaxChannels] = {};
};

}  // namespace board
}  // namespace wandlab
