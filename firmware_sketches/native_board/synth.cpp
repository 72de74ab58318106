#include "synth.h"

#include <cmath>

namespace wandlab {
namespace native {
namespace {

constexpr double kTwoPi = 6.283185307179586;

// A hash of (index, seed, channel) in [-1, 1): noise that needs no state.
double noise(uint32_t index, uint32_t seed, uint32_t channel) {
  uint32_t x = index * 0x9E3779B1u ^ (seed + 0x7F4A7C15u) * 0x85EBCA77u ^ channel * 0xC2B2AE3Du;
  x ^= x >> 15;
  x *= 0x2C1B3C6Du;
  x ^= x >> 12;
  x *= 0x297A2D39u;
  x ^= x >> 15;
  return static_cast<double>(x) / 2147483648.0 - 1.0;
}

int16_t counts(double value, float per_lsb) {
  const double c = std::lround(value / per_lsb);
  return static_cast<int16_t>(c > 32767 ? 32767 : (c < -32768 ? -32768 : c));
}

}  // namespace

void imu_sample(uint32_t index, uint16_t rate_hz, size_t axes, ImuScale scale, uint32_t seed, int16_t* out) {
  const double t = static_cast<double>(index) / rate_hz;
  const double sway = 0.03 * std::sin(kTwoPi * 0.4 * t);
  out[0] = counts(sway + 0.004 * noise(index, seed, 0), scale.accel_g_per_lsb);
  out[1] = counts(0.5 * sway + 0.004 * noise(index, seed, 1), scale.accel_g_per_lsb);
  out[2] = counts(1.0 + 0.004 * noise(index, seed, 2), scale.accel_g_per_lsb);
  if (axes == 6) {
    const double turn = 3.0 * std::cos(kTwoPi * 0.4 * t);
    out[3] = counts(turn + 0.3 * noise(index, seed, 3), scale.gyro_dps_per_lsb);
    out[4] = counts(-0.5 * turn + 0.3 * noise(index, seed, 4), scale.gyro_dps_per_lsb);
    out[5] = counts(0.3 * noise(index, seed, 5), scale.gyro_dps_per_lsb);
  }
}

int16_t audio_sample(uint32_t index, uint32_t seed) {
  const double t = static_cast<double>(index) / 16000.0;
  const double hum = 0.01 * std::sin(kTwoPi * 120.0 * t);
  return counts(hum + 0.003 * noise(index, seed, 9), 1.0f / 32768.0f);
}

size_t SynthSource::read_imu(int16_t* out, size_t frames) {
  for (size_t i = 0; i < frames; ++i) imu_sample(imu_index_++, imu_rate_, axes_, scale_, seed_, out + i * axes_);
  return frames;
}

size_t SynthSource::read_audio(int16_t* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = audio_sample(audio_index_++, seed_);
  return count;
}

}  // namespace native
}  // namespace wandlab
