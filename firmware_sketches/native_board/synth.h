// Synthetic sensors for the native board: deterministic functions of the sample index, so a run is
// reproducible and a test can predict what it receives. A wand lying still (1 g on z, a slow sway, a
// little noise) and a quiet room with a faint hum.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sample_source.h"

namespace wandlab {
namespace native {

struct ImuScale {
  float accel_g_per_lsb;
  float gyro_dps_per_lsb;
};

// `axes` (3 or 6) int16 counts of IMU sample `index` at `rate_hz` into out.
void imu_sample(uint32_t index, uint16_t rate_hz, size_t axes, ImuScale scale, uint32_t seed, int16_t* out);
// Audio sample `index` at 16 kHz.
int16_t audio_sample(uint32_t index, uint32_t seed);

// The functions above as the sensors' source (--feed synth): always ready, counted from each start.
class SynthSource : public SampleSource {
 public:
  SynthSource(size_t axes, ImuScale scale, uint32_t seed) : axes_(axes), scale_(scale), seed_(seed) {}

  void imu_started(uint16_t rate_hz) override {
    imu_rate_ = rate_hz;
    imu_index_ = 0;
  }
  size_t read_imu(int16_t* out, size_t frames) override;
  void audio_started() override { audio_index_ = 0; }
  size_t read_audio(int16_t* out, size_t count) override;

 private:
  size_t axes_;
  ImuScale scale_;
  uint32_t seed_;
  uint16_t imu_rate_ = 100;
  uint32_t imu_index_ = 0;
  uint32_t audio_index_ = 0;
};

}  // namespace native
}  // namespace wandlab
