#include "microphone.h"

#include <Arduino.h>
#include <PDM.h>

namespace wandlab {
namespace nano33 {
namespace {

constexpr int kRateHz = 16000;  // with 41667 the only rates the nRF52 PDM driver takes
constexpr int kChannels = 1;
constexpr int kGain = 20;  // the driver's default (0-80); the app normalises levels itself
constexpr size_t kCallbackSamples = 256;  // 512-byte driver buffer

// PDM.onReceive() takes a plain function: where its samples go is set by start().
board::AudioRing*& target() {
  static board::AudioRing* ring = nullptr;
  return ring;
}

// PDM interrupt.
void on_pdm_data() {
  int16_t samples[kCallbackSamples];
  int bytes = PDM.available();
  if (bytes > static_cast<int>(sizeof(samples))) bytes = sizeof(samples);
  bytes = PDM.read(samples, static_cast<size_t>(bytes));
  board::AudioRing* ring = target();
  if (ring != nullptr && bytes > 0) ring->push(samples, static_cast<size_t>(bytes) / sizeof(int16_t));
}

}  // namespace

bool Microphone::start(board::AudioRing& ring) {
  stop();
  target() = &ring;
  PDM.onReceive(on_pdm_data);
  PDM.setGain(kGain);  // before begin(): begin() applies the gain it holds
  running_ = PDM.begin(kChannels, kRateHz) == 1;
  if (!running_) target() = nullptr;
  return running_;
}

void Microphone::stop() {
  // end() disables the PDM interrupt first: after it, on_pdm_data() cannot run into a ring being reset.
  if (running_) PDM.end();
  running_ = false;
  target() = nullptr;
}

}  // namespace nano33
}  // namespace wandlab
