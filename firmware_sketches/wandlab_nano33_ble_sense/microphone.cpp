#include "microphone.h"

#include <Arduino.h>
#include <PDM.h>

#include "audio_route.h"

namespace wandlab {
namespace nano33 {
namespace {

constexpr int kRateHz = 16000;  // with 41667 the only rates the nRF52 PDM driver takes
constexpr int kChannels = 1;
constexpr int kGain = 20;  // the driver's default (0-80); the app normalises levels itself
constexpr size_t kCallbackSamples = 256;  // 512-byte driver buffer

// PDM.onReceive() takes a plain function: where its samples go is set by route().
board::AudioRoute& targets() {
  static board::AudioRoute route;
  return route;
}

// PDM interrupt.
void on_pdm_data() {
  int16_t samples[kCallbackSamples];
  int bytes = PDM.available();
  if (bytes > static_cast<int>(sizeof(samples))) bytes = sizeof(samples);
  bytes = PDM.read(samples, static_cast<size_t>(bytes));
  if (bytes > 0) targets().push(samples, static_cast<size_t>(bytes) / sizeof(int16_t));
}

}  // namespace

bool Microphone::route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard) {
  if (host == nullptr && heard == nullptr) {
    // end() disables the PDM interrupt first: after it, on_pdm_data() cannot run into a ring being reset.
    if (running_) PDM.end();
    running_ = false;
    targets().set(nullptr, nullptr, false);
    return true;
  }
  // With the PDM interrupt held off, both targets (and a restarted ring) change between two of its blocks.
  if (running_) NVIC_DisableIRQ(PDM_IRQn);
  targets().set(host, heard, restart_heard);
  if (running_) {
    NVIC_EnableIRQ(PDM_IRQn);
    return true;
  }
  PDM.onReceive(on_pdm_data);
  PDM.setGain(kGain);  // before begin(): begin() applies the gain it holds
  running_ = PDM.begin(kChannels, kRateHz) == 1;
  if (!running_) targets().set(nullptr, nullptr, false);
  return running_;
}

}  // namespace nano33
}  // namespace wandlab
