// The native board's sensors to the recogniser: every IMU frame they produce, fed or synthesized,
// streamed or not, goes to the core's RecognizerTap (recognizer_tap.h), which hands the recogniser the
// Python board's blocks. The C++ core has no wake-word detector in the board yet: the microphone is
// not listened to.
#pragma once

#include <cstddef>
#include <cstdint>

#include "recognizer_tap.h"
#include "sample_listener.h"

namespace wandlab {
namespace native {

class RecognizerListener : public SampleListener {
 public:
  explicit RecognizerListener(recognizer::RecognizerTap& tap) : tap_(tap) {}

  void on_imu(const int16_t* frame, size_t axes, uint32_t index, uint16_t rate_hz) override {
    tap_.on_imu(frame, axes, index, rate_hz);
  }
  void on_audio(const int16_t* samples, size_t n, uint32_t index) override {
    (void)samples;
    (void)n;
    (void)index;
  }

 private:
  recognizer::RecognizerTap& tap_;
};

}  // namespace native
}  // namespace wandlab
