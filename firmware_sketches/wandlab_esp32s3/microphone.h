// The XIAO ESP32S3 Sense's PDM microphone (on its camera board: clock GPIO42, data GPIO41) at 16 kHz mono,
// through the core's ESP_I2S (ESP-IDF's I2S driver in PDM RX mode; the chip turns PDM into 16-bit PCM in
// hardware). I2SClass::readBytes() blocks until a buffer is full, so a FreeRTOS task reads 256 samples at a
// time (16 ms) and pushes them into up to two rings (audio_route.h): the Board's audio ring while the host
// streams audio, and the wake-word detector's while the board holds words - the single producer of those
// lock-free rings (block_ring.h), as the nRF52 boards' PDM interrupt is. loop() never waits for audio.
#pragma once

#include <atomic>
#include <cstdint>

#include "audio_route.h"
#include "board.h"

namespace wandlab {
namespace esp32s3 {

class Microphone {
 public:
  // Where the samples go from now on (null: not there); starts or stops the microphone as needed.
  // restart_heard: `heard` starts over at the same sample as `host` (audio_route.h). Returns once the
  // reader task pushes only into the new targets (the Board resets a dropped ring next). False if the
  // microphone should run and could not start.
  bool route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard = false);
  bool running() const { return running_; }

 private:
  bool start();
  void stop();
  // Holds the reader task between two reads (its "interrupt held off"); false if it did not answer.
  bool pause_task();
  static void task_entry(void* self);
  void task_loop();

  board::AudioRoute route_;
  bool task_started_ = false;
  bool running_ = false;
  std::atomic<bool> want_{false};  // loop() -> task: read and push
  std::atomic<uint32_t> idle_acks_{0};  // task -> loop(): passes through the idle branch
};

}  // namespace esp32s3
}  // namespace wandlab
