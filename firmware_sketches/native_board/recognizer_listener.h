// The native board's sensors to what listens on the board: every IMU frame they produce, fed or
// synthesized, streamed or not, goes to the core's RecognizerTap (recognizer_tap.h), which hands the
// recogniser the Python board's blocks; every microphone sample goes to the wake-word detector
// (board_words.h), which keeps them until the loop delivers them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board_words.h"
#include "recognizer_tap.h"
#include "sample_listener.h"

namespace wandlab {
namespace native {

class RecognizerListener : public SampleListener {
 public:
  RecognizerListener(recognizer::RecognizerTap& tap, words::BoardWords& words) : tap_(tap), words_(words) {}

  void on_imu(const int16_t* frame, size_t axes, uint32_t index, uint16_t rate_hz) override {
    tap_.on_imu(frame, axes, index, rate_hz);
  }
  void on_audio(const int16_t* samples, size_t n, uint32_t index) override { words_.hear(samples, n, index); }

 private:
  recognizer::RecognizerTap& tap_;
  words::BoardWords& words_;
};

}  // namespace native
}  // namespace wandlab
