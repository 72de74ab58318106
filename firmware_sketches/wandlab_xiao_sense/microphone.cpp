#include "microphone.h"

#include <Arduino.h>
#include <PDM.h>

#include "audio_route.h"

namespace wandlab {
namespace xiao {
namespace {

constexpr long kRateHz = 16000;
constexpr int kGain = 20;  // the PDM library's default; the app normalises levels itself

// PDM.onReceive() takes a plain function: where its samples go is set by route().
board::AudioRoute& targets() {
  static board::AudioRoute route;
  return route;
}

void on_pdm_data() {
  int16_t samples[256];
  const int bytes = PDM.read(samples, sizeof(samples));
  if (bytes <= 0) return;
  targets().push(samples, static_cast<size_t>(bytes) / 2);
}

}  // namespace

bool Microphone::route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard) {
  if (host == nullptr && heard == nullptr) {
    if (running_) PDM.end();
    running_ = false;
    targets().set(nullptr, nullptr, false);
    return true;
  }
  // The callback runs in the PDM interrupt: with it held off, both pointers (and a restarted ring)
  // change between two of its blocks, never inside one.
  NVIC_DisableIRQ(PDM_IRQn);
  targets().set(host, heard, restart_heard);
  if (running_) NVIC_EnableIRQ(PDM_IRQn);
  if (!running_) {
    PDM.onReceive(on_pdm_data);
    running_ = PDM.begin(1, kRateHz) == 1;  // begin() enables the interrupt and sets the default gain
    if (running_) PDM.setGain(kGain);
    if (!running_) targets().set(nullptr, nullptr, false);
  }
  return running_;
}

}  // namespace xiao
}  // namespace wandlab
