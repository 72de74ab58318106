#include "microphone.h"

#include <Arduino.h>
#include <PDM.h>

namespace wandlab {
namespace xiao {
namespace {

constexpr long kRateHz = 16000;
constexpr int kGain = 20;  // the PDM library's default; the app normalises levels itself

// PDM.onReceive() takes a plain function: where its samples go is set by route().
struct Targets {
  board::AudioRing* volatile host = nullptr;
  board::AudioRing* volatile heard = nullptr;
};

Targets& targets() {
  static Targets t;
  return t;
}

void on_pdm_data() {
  int16_t samples[256];
  const int bytes = PDM.read(samples, sizeof(samples));
  if (bytes <= 0) return;
  const size_t n = static_cast<size_t>(bytes) / 2;
  board::AudioRing* host = targets().host;
  board::AudioRing* heard = targets().heard;
  if (host != nullptr) host->push(samples, n);
  if (heard != nullptr) heard->push(samples, n);
}

}  // namespace

bool Microphone::route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard) {
  if (host == nullptr && heard == nullptr) {
    if (running_) PDM.end();
    running_ = false;
    targets().host = nullptr;
    targets().heard = nullptr;
    return true;
  }
  // The callback runs in the PDM interrupt: with it held off, both pointers (and a restarted ring)
  // change between two of its blocks, never inside one.
  NVIC_DisableIRQ(PDM_IRQn);
  if (restart_heard && heard != nullptr) heard->reset(board::kAudioBlockSamples, 1);
  targets().host = host;
  targets().heard = heard;
  if (running_) NVIC_EnableIRQ(PDM_IRQn);
  if (!running_) {
    PDM.onReceive(on_pdm_data);
    running_ = PDM.begin(1, kRateHz) == 1;  // begin() enables the interrupt and sets the default gain
    if (running_) PDM.setGain(kGain);
    if (!running_) {
      targets().host = nullptr;
      targets().heard = nullptr;
    }
  }
  return running_;
}

}  // namespace xiao
}  // namespace wandlab
