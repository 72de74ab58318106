// The arithmetic of shape_dtw.h; keep -ffast-math out (the XIAO build's -Ofast): the z-normalisation
// must round as the host's.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-fast-math")
#endif

#include "shape_dtw.h"

#include <cmath>

namespace wandlab {
namespace shape {

namespace {

// numpy's np.round: half to even (rint under the default rounding mode).
int32_t round_half_even(double v) { return static_cast<int32_t>(std::nearbyint(v)); }

}  // namespace

bool shape_codes(const float* window, size_t points, size_t channels, int8_t* out) {
  if (points == 0 || points % kStep != 0 || points / kStep > kMaxFrames || channels == 0 ||
      channels > kMaxChannels) {
    return false;
  }
  const size_t frames = points / kStep;
  for (size_t c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (size_t i = 0; i < points; ++i) sum += window[i * channels + c];
    const double mean = sum / static_cast<double>(points);
    double sq = 0.0;
    for (size_t i = 0; i < points; ++i) {
      const double d = window[i * channels + c] - mean;
      sq += d * d;
    }
    const double sd = std::sqrt(sq / static_cast<double>(points));
    const double scale = sd > 1e-8 ? sd : 1.0;  // a flat channel stays 0 (onboard.dtw.znorm)
    for (size_t f = 0; f < frames; ++f) {
      const double z = (window[f * kStep * channels + c] - mean) / scale;
      int32_t v = round_half_even(z * kScale);
      v = v > 127 ? 127 : (v < -127 ? -127 : v);
      out[f * channels + c] = static_cast<int8_t>(v);
    }
  }
  return true;
}

int32_t dtw_cost(const int8_t* a, const int8_t* b, size_t frames, size_t channels) {
  if (frames == 0 || frames > kMaxFrames || channels == 0 || channels > kMaxChannels) return -1;
  int32_t prev[kMaxFrames];
  int32_t cur[kMaxFrames];
  for (size_t i = 0; i < frames; ++i) {
    for (size_t j = 0; j < frames; ++j) {
      int32_t cost = 0;
      for (size_t c = 0; c < channels; ++c) {
        const int32_t d = static_cast<int32_t>(a[i * channels + c]) - static_cast<int32_t>(b[j * channels + c]);
        cost += d * d;
      }
      int32_t best;
      if (i == 0) {
        best = j == 0 ? 0 : cur[j - 1];
      } else {
        best = prev[j];
        if (j > 0 && prev[j - 1] < best) best = prev[j - 1];
        if (j > 0 && cur[j - 1] < best) best = cur[j - 1];
      }
      cur[j] = cost + best;
    }
    for (size_t j = 0; j < frames; ++j) prev[j] = cur[j];
  }
  return prev[frames - 1];
}

int64_t fused_distance(int64_t embedding_distance, int32_t dtw, size_t channels) {
  const int64_t per_channel = kScale * kScale * static_cast<int64_t>(channels);
  return embedding_distance + static_cast<int64_t>(dtw) * kDtwWeight / per_channel;
}

}  // namespace shape
}  // namespace wandlab
