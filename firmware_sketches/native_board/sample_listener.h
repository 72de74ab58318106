// The one place every sample the native board's sensors produce passes through, fed or synthesized,
// streamed to the host or not: where an on-board recogniser listens (NativeSensors::set_listener).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace native {

class SampleListener {
 public:
  // One IMU frame: `axes` int16 counts at the board's scales (BoardDescription), frame `index` since
  // the IMU last started (wraps at 2^32).
  virtual void on_imu(const int16_t* frame, size_t axes, uint32_t index, uint16_t rate_hz) = 0;
  // `n` consecutive 16 kHz samples, the first being sample `index`: in the host's AudioBlock numbering
  // while it streams audio, else since the microphone last started.
  virtual void on_audio(const int16_t* samples, size_t n, uint32_t index) = 0;

 protected:
  ~SampleListener() = default;
};

}  // namespace native
}  // namespace wandlab
