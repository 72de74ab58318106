#include "frame_resampler.h"

namespace wandlab {
namespace board {
namespace {

// round(num / den) with halves rounded up, for any sign of num (den > 0).
int32_t round_div(int32_t num, int32_t den) {
  const int32_t twice = 2 * num + den;
  const int32_t q = twice / (2 * den);
  return (twice % (2 * den) != 0 && twice < 0) ? q - 1 : q;
}

}  // namespace

bool FrameResampler::reset(uint32_t in_per_out, uint32_t out_per_in, size_t channels) {
  if (in_per_out == 0 || out_per_in == 0 || in_per_out < out_per_in || channels == 0 ||
      channels > kMaxChannels || out_per_in > 1000) {
    return false;
  }
  step_ = in_per_out;
  units_ = out_per_in;
  channels_ = channels;
  pos_ = 0;
  primed_ = false;
  return true;
}

size_t FrameResampler::push(const int16_t* in, int16_t* out) {
  if (!primed_) {
    for (size_t c = 0; c < channels_; ++c) prev_[c] = in[c];
    primed_ = true;
    return 0;
  }
  size_t produced = 0;
  // Outputs between the previous frame (position 0) and this one (position units_). Downsampling
  // (step_ >= units_) means at most one.
  if (pos_ < units_) {
    const int32_t u = static_cast<int32_t>(units_);
    const int32_t f = static_cast<int32_t>(pos_);
    for (size_t c = 0; c < channels_; ++c) {
      const int32_t a = prev_[c];
      const int32_t b = in[c];
      out[c] = static_cast<int16_t>(round_div(a * u + (b - a) * f, u));
    }
    pos_ += step_;
    produced = 1;
  }
  pos_ -= units_;
  for (size_t c = 0; c < channels_; ++c) prev_[c] = in[c];
  return produced;
}

}  // namespace board
}  // namespace wandlab
