// Where the native board's sensors get their samples: the C++ synthesis (synth.h) or the feed from the
// Python virtual wand (fed_source.h). The sensors (sensors.h) pace them by the board's clock; a source
// only says what the next samples are, and whether it has them yet.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace native {

class SampleSource {
 public:
  // The IMU starts (or changes rate): frames from now on are at rate_hz.
  virtual void imu_started(uint16_t rate_hz) = 0;
  // Up to `frames` IMU frames (the board's axes, int16 counts) into out; fewer if the source has no
  // more yet (a feed running late).
  virtual size_t read_imu(int16_t* out, size_t frames) = 0;
  virtual void audio_started() = 0;
  // Up to `count` 16 kHz samples into out; fewer if the source has no more yet.
  virtual size_t read_audio(int16_t* out, size_t count) = 0;

 protected:
  ~SampleSource() = default;
};

}  // namespace native
}  // namespace wandlab
