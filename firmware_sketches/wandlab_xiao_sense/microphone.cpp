#include "microphone.h"

#include <Arduino.h>
#include <PDM.h>

namespace wandlab {
namespace xiao {
namespace {

constexpr long kRateHz = 16000;
constexpr int kGain = 20;  // the PDM library's default; the app normalises levels itself

// PDM.onReceive() takes a plain function: where its samples go is set by start().
board::AudioRing*& target() {
  static board::AudioRing* ring = nullptr;
  return ring;
}

void on_pdm_data() {
  int16_t samples[256];
  const int bytes = PDM.read(samples, sizeof(samples));
  board::AudioRing* ring = target();
  if (ring != nullptr && bytes > 0) ring->push(samples, static_cast<size_t>(bytes) / 2);
}

}  // namespace

bool Microphone::start(board::AudioRing& ring) {
  stop();
  target() = &ring;
  PDM.onReceive(on_pdm_data);
  running_ = PDM.begin(1, kRateHz) == 1;  // begin() sets the library's default gain: ours after it
  if (running_) PDM.setGain(kGain);
  if (!running_) target() = nullptr;
  return running_;
}

void Microphone::stop() {
  if (running_) PDM.end();
  running_ = false;
  target() = nullptr;
}

}  // namespace xiao
}  // namespace wandlab
