// Host test of src/frame_resampler: rates, exact ramps, rounding, passthrough.
// Build: g++ -std=c++17 -Isrc tests/test_frame_resampler.cpp src/frame_resampler.cpp

#include <cmath>
#include <cstdio>
#include <vector>

#include "frame_resampler.h"
#include "protocol_test_support.h"

namespace wb = wandlab::board;

namespace {

std::vector<int16_t> run(wb::FrameResampler& r, const std::vector<int16_t>& in) {
  const size_t ch = r.channels();
  std::vector<int16_t> out;
  int16_t frame[wb::FrameResampler::kMaxChannels];
  for (size_t i = 0; i + ch <= in.size(); i += ch) {
    if (r.push(&in[i], frame) == 1) out.insert(out.end(), frame, frame + ch);
  }
  return out;
}

}  // namespace

int main() {
  wb::FrameResampler r;
  CHECK(!r.reset(25, 26, 3));  // upsampling is not what sensors need
  CHECK(!r.reset(26, 25, 7));
  CHECK(!r.reset(0, 25, 3));

  // 26 -> 25: 2601 input frames give 2500 outputs (positions 0 .. 2598.96; 2600 waits for frame 2601).
  CHECK(r.reset(26, 25, 1));
  std::vector<int16_t> ramp;
  for (int i = 0; i < 2601; ++i) ramp.push_back(static_cast<int16_t>(i * 5 - 6000));
  std::vector<int16_t> out = run(r, ramp);
  CHECK(out.size() == 2500);
  // A ramp stays a ramp: output k sits at input position k * 26/25, so its value is exact.
  bool exact = true;
  for (size_t k = 0; k < out.size(); ++k) {
    const double want = -6000.0 + 5.0 * (static_cast<double>(k) * 26.0 / 25.0);
    exact &= std::fabs(out[k] - want) <= 0.5;
  }
  CHECK_MSG(exact, "a linear ramp resamples exactly (within rounding)");

  // Six interleaved channels, constant: constant out, channels never mixed.
  CHECK(r.reset(26, 25, 6));
  std::vector<int16_t> still;
  for (int i = 0; i < 520; ++i) {
    const int16_t frame[6] = {1, -2, 8192, 300, -32768, 32767};
    still.insert(still.end(), frame, frame + 6);
  }
  out = run(r, still);
  CHECK(out.size() == 500 * 6);
  bool constant = true;
  for (size_t i = 0; i < out.size(); i += 6) {
    constant &= out[i] == 1 && out[i + 1] == -2 && out[i + 2] == 8192 && out[i + 3] == 300 &&
                out[i + 4] == -32768 && out[i + 5] == 32767;
  }
  CHECK(constant);

  // Halves round up, also below zero: between -3 and -2 at 1/2 gives -2; between 2 and 3 gives 3.
  CHECK(r.reset(2, 1, 1));  // every second frame, at the input positions themselves
  out = run(r, {-3, -2, 2, 3, 7});
  CHECK(out.size() == 2 && out[0] == -3 && out[1] == 2);
  CHECK(r.reset(3, 2, 1));  // positions 0, 1.5, 3, ...
  out = run(r, {-3, -2, -2, 2, 3});
  CHECK(out.size() == 3 && out[0] == -3 && out[1] == -2 && out[2] == 2);
  CHECK(r.reset(3, 2, 1));
  out = run(r, {2, 2, 3, 5, 5});
  CHECK(out.size() == 3 && out[0] == 2 && out[1] == 3 && out[2] == 5);

  // 1:1 passes every frame through, one frame late.
  CHECK(r.reset(1, 1, 2));
  out = run(r, {1, 2, 3, 4, 5, 6});
  CHECK((out == std::vector<int16_t>{1, 2, 3, 4}));

  const auto& t = wandlab::test::tally();
  if (t.failures > 0) {
    std::printf("FAILED: %d of %d checks\n", t.failures, t.checks);
    return 1;
  }
  std::printf("OK: %d checks, frame resampler\n", t.checks);
  return 0;
}
