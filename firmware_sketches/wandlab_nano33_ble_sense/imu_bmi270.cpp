#include "imu_bmi270.h"

#include <Arduino.h>
#include <Arduino_BMI270_BMM150.h>

namespace wandlab {
namespace nano33 {
namespace {

// Back to the sensor's counts, rounded. The library negates x and y for the Nano's axes, so -(-32768)
// comes back as +32768: clamp.
int16_t to_counts(float value, float lsb_per_unit) {
  const float counts = value * lsb_per_unit;
  if (counts >= 32767.0f) return 32767;
  if (counts <= -32768.0f) return -32768;
  return static_cast<int16_t>(counts < 0.0f ? counts - 0.5f : counts + 0.5f);
}

}  // namespace

bool ImuBmi270::begin() {
  // BOSCH_ACCELEROMETER_ONLY: the BMI270 (accelerometer and gyroscope), not the BMM150 magnetometer,
  // whose 10 Hz the protocol has no use for.
  present_ = IMU.begin(BOSCH_ACCELEROMETER_ONLY) == 1;
  if (present_) sensor_rate_hz_ = IMU.accelerationSampleRate();
  return present_;
}

bool ImuBmi270::start(uint16_t rate_hz) {
  if (!present_ || rate_hz == 0) return false;
  // 99.84 Hz / 25 Hz = 3.99: round to the integer decimation. The library's 99.84 is its formula's; the
  // datasheet ODR is 100 Hz, so block timing follows the requested rate exactly.
  const uint32_t ratio = static_cast<uint32_t>(sensor_rate_hz_ / static_cast<float>(rate_hz) + 0.5f);
  const float achieved = ratio > 0 ? sensor_rate_hz_ / static_cast<float>(ratio) : 0.0f;
  if (ratio == 0 || achieved < 0.99f * rate_hz || achieved > 1.01f * rate_hz) return false;
  if (!resampler_.reset(ratio, 1, 6)) return false;
  period_us_ = static_cast<uint32_t>(1e6f / sensor_rate_hz_);
  have_read_ = false;
  rate_hz_ = rate_hz;
  index_ = 0;
  running_ = true;
  return true;
}

// The sensor keeps running: the library has no power-down short of end(), and begin() again would upload
// the BMI270's 8 KB configuration file over I2C.
void ImuBmi270::stop() { running_ = false; }

size_t ImuBmi270::poll(board::ImuRing* ring, recognizer::RecognizerTap* tap) {
  if (!running_ || !IMU.accelerationAvailable()) return 0;
  float ax, ay, az, gx, gy, gz;
  // Each call reads the sensor's data registers over I2C: the pair is one sample unless the next one lands
  // between the two reads.
  if (!IMU.readAcceleration(ax, ay, az) || !IMU.readGyroscope(gx, gy, gz)) return 0;
  const uint32_t now = ::micros();
  if (have_read_ && now - last_read_us_ > 2 * period_us_) ++late_reads_;
  have_read_ = true;
  last_read_us_ = now;
  const int16_t frame[6] = {
      to_counts(ax, kAccelLsbPerG),   to_counts(ay, kAccelLsbPerG),   to_counts(az, kAccelLsbPerG),
      to_counts(gx, kGyroLsbPerDps), to_counts(gy, kGyroLsbPerDps), to_counts(gz, kGyroLsbPerDps),
  };
  int16_t out[6];
  if (resampler_.push(frame, out) != 1) return 0;
  if (ring != nullptr) ring->push(out, 1);
  if (tap != nullptr) tap->on_imu(out, 6, index_, rate_hz_);
  ++index_;
  return 1;
}

}  // namespace nano33
}  // namespace wandlab
