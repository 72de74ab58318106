// The XIAO ESP32S3 Sense's PDM microphone (on its camera board: clock GPIO42, data GPIO41) at 16 kHz mono,
// through the core's ESP_I2S (ESP-IDF's I2S driver in PDM RX mode; the chip turns PDM into 16-bit PCM in
// hardware). I2SClass::readBytes() blocks until a buffer is full, so a FreeRTOS task reads 256 samples at a
// time (16 ms) and pushes them into the Board's audio ring - the single producer of that lock-free ring
// (block_ring.h), as the nRF52 boards' PDM interrupt is. loop() never waits for audio.
#pragma once

#include <atomic>
#include <cstdint>

#include "board.h"

namespace wandlab {
namespace esp32s3 {

class Microphone {
 public:
  bool start(board::AudioRing& ring);
  // Returns once the reader task can no longer push into the ring (the Board resets it next).
  void stop();
  bool running() const { return running_; }

 private:
  static void task_entry(void* self);
  void task_loop();

  board::AudioRing* ring_ = nullptr;
  bool task_started_ = false;
  bool running_ = false;
  std::atomic<bool> want_{false};  // loop() -> task: read and push
  std::atomic<uint32_t> idle_acks_{0};  // task -> loop(): passes through the idle branch
};

}  // namespace esp32s3
}  // namespace wandlab
