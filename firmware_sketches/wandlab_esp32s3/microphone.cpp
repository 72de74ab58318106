#include "microphone.h"

#include <Arduino.h>
#include <ESP_I2S.h>

namespace wandlab {
namespace esp32s3 {
namespace {

constexpr int8_t kPdmClockPin = 42;
constexpr int8_t kPdmDataPin = 41;
constexpr uint32_t kRateHz = 16000;
constexpr size_t kBlockSamples = board::kAudioBlockSamples;  // 256: one ring block per read
constexpr uint32_t kTaskStackBytes = 4096;
constexpr UBaseType_t kTaskPriority = 5;  // above loop()'s 1: audio must not wait for the protocol
constexpr BaseType_t kTaskCore = 0;  // loop() runs on core 1
constexpr uint32_t kReadTimeoutMs = 50;  // a read normally returns after 16 ms
constexpr uint32_t kStopWaitMs = 200;

I2SClass& i2s() {
  static I2SClass bus;
  return bus;
}

}  // namespace

bool Microphone::route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard) {
  if (host == nullptr && heard == nullptr) {
    stop();
    return true;
  }
  if (running_) {
    pause_task();  // as stop(): a task stuck in a read for over kStopWaitMs is not waited for
    route_.set(host, heard, restart_heard);
    want_.store(true, std::memory_order_release);
    return true;
  }
  route_.set(host, heard, restart_heard);  // the task is idle: it pushes nothing until want_
  if (!start()) {
    route_.set(nullptr, nullptr, false);
    return false;
  }
  return true;
}

bool Microphone::start() {
  i2s().setPinsPdmRx(kPdmClockPin, kPdmDataPin);
  if (!i2s().begin(I2S_MODE_PDM_RX, kRateHz, I2S_DATA_BIT_WIDTH_16BIT, I2S_SLOT_MODE_MONO)) return false;
  i2s().setTimeout(kReadTimeoutMs);
  if (!task_started_) {
    task_started_ = xTaskCreatePinnedToCore(task_entry, "wandlab_mic", kTaskStackBytes, this, kTaskPriority,
                                            nullptr, kTaskCore) == pdPASS;
    if (!task_started_) {
      i2s().end();
      return false;
    }
  }
  want_.store(true, std::memory_order_release);
  running_ = true;
  return true;
}

bool Microphone::pause_task() {
  want_.store(false, std::memory_order_release);
  // The task finishes the read it is in (at most kReadTimeoutMs), pushes it, and only then passes through
  // its idle branch: once the count moves, nothing more goes into the rings.
  const uint32_t seen = idle_acks_.load(std::memory_order_acquire);
  for (unsigned long start = millis(); idle_acks_.load(std::memory_order_acquire) == seen;) {
    if (millis() - start > kStopWaitMs) return false;  // a stuck task: give up rather than hang loop()
    delay(1);
  }
  return true;
}

void Microphone::stop() {
  if (!running_) return;
  pause_task();
  i2s().end();
  route_.set(nullptr, nullptr, false);
  running_ = false;
}

void Microphone::task_entry(void* self) { static_cast<Microphone*>(self)->task_loop(); }

// The reader task: runs for the life of the program.
void Microphone::task_loop() {
  int16_t samples[kBlockSamples];
  for (;;) {
    if (!want_.load(std::memory_order_acquire)) {
      idle_acks_.fetch_add(1, std::memory_order_acq_rel);
      vTaskDelay(pdMS_TO_TICKS(5));
      continue;
    }
    const size_t bytes = i2s().readBytes(reinterpret_cast<char*>(samples), sizeof(samples));
    if (bytes >= sizeof(int16_t)) route_.push(samples, bytes / sizeof(int16_t));
  }
}

}  // namespace esp32s3
}  // namespace wandlab
