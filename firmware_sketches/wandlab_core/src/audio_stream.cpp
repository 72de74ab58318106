// The incremental audio front end; see audio_stream.h.

#include "audio_stream.h"

#include <cmath>
#include <cstring>

namespace wandlab {
namespace audio {
namespace {

static_assert(kHopSamples <= kWindowSamples, "frames must overlap or touch for the carry-over below");

// A frame's RMS level in dBFS, as Python's _frame_levels computes it in float64. The sum of squares is
// an integer below 2^39 and x = s / 32768 squares exactly in double, so the sum is exact in any order
// and this equals numpy's mean bit for bit; only log10's last bit could differ from numpy's.
double frame_level_dbfs(const int16_t* samples) {
  int64_t sum_squares = 0;
  for (int i = 0; i < kWindowSamples; ++i) sum_squares += static_cast<int64_t>(samples[i]) * samples[i];
  const double mean = static_cast<double>(sum_squares) / 1073741824.0 / kWindowSamples;
  const double rms = std::sqrt(mean);
  return rms > 0.0 ? 20.0 * std::log10(rms) : kSilentDbfs;
}

}  // namespace

void AudioStream::reset() {
  pending_count_ = 0;
  std::memset(ring_, 0, sizeof(ring_));
  for (double& level : levels_) level = kSilentDbfs;
  head_ = 0;
  frames_ = 0;
  samples_ = 0;
}

int AudioStream::feed(const int16_t* pcm, size_t count) {
  samples_ += count;
  int completed = 0;
  while (count > 0) {
    size_t take = static_cast<size_t>(kWindowSamples - pending_count_);
    if (take > count) take = count;
    std::memcpy(pending_ + pending_count_, pcm, take * sizeof(int16_t));
    pending_count_ += static_cast<int>(take);
    pcm += take;
    count -= take;
    if (pending_count_ == kWindowSamples) {
      add_frame();
      ++completed;
      // The next frame starts one hop later: its first window - hop samples are already here.
      std::memmove(pending_, pending_ + kHopSamples, (kWindowSamples - kHopSamples) * sizeof(int16_t));
      pending_count_ = kWindowSamples - kHopSamples;
    }
  }
  return completed;
}

void AudioStream::add_frame() {
  float mel[kNumMelBands];
  log_mel_frame(pending_, mel);
  for (int b = 0; b < kNumMelBands; ++b) ring_[head_][b] = quantize(mel[b]);
  levels_[head_] = frame_level_dbfs(pending_);
  head_ = (head_ + 1) % kClipFrames;
  ++frames_;
}

void AudioStream::window(int8_t* out) const {
  const size_t older = static_cast<size_t>(kClipFrames - head_) * kNumMelBands;
  std::memcpy(out, ring_[head_], older);
  std::memcpy(out + older, ring_[0], static_cast<size_t>(head_) * kNumMelBands);
}

double AudioStream::window_level_dbfs(int frames) const {
  if (frames < 1) frames = 1;
  if (frames > kClipFrames) frames = kClipFrames;
  double loudest = kSilentDbfs;
  bool first = true;
  for (int k = 1; k <= frames; ++k) {  // the newest `frames` slots, whether filled or not (as Python)
    const double level = levels_[(head_ - k + kClipFrames) % kClipFrames];
    if (first || level > loudest) loudest = level;
    first = false;
  }
  return loudest;
}

}  // namespace audio
}  // namespace wandlab
