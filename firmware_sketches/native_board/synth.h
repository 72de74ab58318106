// Synthetic sensors for the native board: deterministic functions of the sample index, so a run is
// reproducible and a test can predict what it receives. A wand lying still (1 g on z, a slow sway, a
// little noise) and a quiet room with a faint hum.
#pragma once

#include <cstddef>
#include <cstdint>

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

}  // namespace native
}  // namespace wandlab
