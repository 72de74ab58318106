// Audio log-mel features: the C++ twin of wandlab/onboard/audio_features.py.
// Portable C++17, float math, no allocation. All constants come from the generated audio_features.h,
// so the board and the Python training code cannot drift apart silently (golden vectors check it).

#include "audio_features.h"

#include <cmath>

namespace wandlab {
namespace audio {
namespace {

static_assert((kFftSize & (kFftSize - 1)) == 0, "FFT size must be a power of two");
static_assert(kWindowSamples <= kFftSize, "window must fit the FFT");

// Static so a frame does not need 4 KB of stack on a small board; this makes log_mel_frame
// non-reentrant, which is fine for one audio pipeline.
float g_re[kFftSize];
float g_im[kFftSize];
float g_cos[kFftSize / 2];
float g_sin[kFftSize / 2];
bool g_twiddles_ready = false;

void init_twiddles() {
  // Computed in double once, then stored as float: accurate twiddles keep the FFT close to numpy's.
  const double two_pi = 6.283185307179586476925286766559;
  for (int k = 0; k < kFftSize / 2; ++k) {
    g_cos[k] = static_cast<float>(std::cos(two_pi * k / kFftSize));
    g_sin[k] = static_cast<float>(-std::sin(two_pi * k / kFftSize));
  }
  g_twiddles_ready = true;
}

// In-place iterative radix-2 decimation-in-time FFT of g_re/g_im (forward, unnormalised).
void fft() {
  if (!g_twiddles_ready) init_twiddles();
  for (int i = 1, j = 0; i < kFftSize; ++i) {  // bit-reversal permutation
    int bit = kFftSize >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      float t = g_re[i]; g_re[i] = g_re[j]; g_re[j] = t;
      t = g_im[i]; g_im[i] = g_im[j]; g_im[j] = t;
    }
  }
  for (int len = 2; len <= kFftSize; len <<= 1) {
    const int half = len >> 1;
    const int step = kFftSize / len;
    for (int start = 0; start < kFftSize; start += len) {
      for (int k = 0; k < half; ++k) {
        const float wr = g_cos[k * step];
        const float wi = g_sin[k * step];
        const int a = start + k;
        const int b = a + half;
        const float tr = g_re[b] * wr - g_im[b] * wi;
        const float ti = g_re[b] * wi + g_im[b] * wr;
        g_re[b] = g_re[a] - tr;
        g_im[b] = g_im[a] - ti;
        g_re[a] += tr;
        g_im[a] += ti;
      }
    }
  }
}

}  // namespace

int frames_for(int num_samples) {
  if (num_samples < kWindowSamples) return 0;
  return 1 + (num_samples - kWindowSamples) / kHopSamples;
}

void log_mel_frame(const int16_t* samples, float* out) {
  for (int i = 0; i < kWindowSamples; ++i) {
    g_re[i] = (static_cast<float>(samples[i]) * (1.0f / 32768.0f)) * kWindow[i];
    g_im[i] = 0.0f;
  }
  for (int i = kWindowSamples; i < kFftSize; ++i) g_re[i] = g_im[i] = 0.0f;
  fft();
  // Power spectrum of bins 0..N/2 (in place in g_re: the mel weights only read those bins).
  for (int k = 0; k < kNumSpectrumBins; ++k) g_re[k] = g_re[k] * g_re[k] + g_im[k] * g_im[k];
  for (int b = 0; b < kNumMelBands; ++b) {
    const float* w = kMelWeights + kMelOffset[b];
    const float* p = g_re + kMelStart[b];
    float acc = 0.0f;
    for (int i = 0; i < kMelLength[b]; ++i) acc += w[i] * p[i];
    out[b] = std::log(acc + kLogFloor);
  }
}

int8_t quantize(float log_mel) {
  float q = std::floor(log_mel * kQuantInvScale + 0.5f) + static_cast<float>(kQuantZeroPoint);
  if (q < -128.0f) q = -128.0f;
  if (q > 127.0f) q = 127.0f;
  return static_cast<int8_t>(q);
}

int log_mel(const int16_t* samples, int num_samples, float* out, int max_frames) {
  int frames = frames_for(num_samples);
  if (frames > max_frames) frames = max_frames;
  for (int f = 0; f < frames; ++f) log_mel_frame(samples + f * kHopSamples, out + f * kNumMelBands);
  return frames;
}

}  // namespace audio
}  // namespace wandlab
