// Where a microphone's interrupt puts its samples: the board's audio ring while the host streams audio,
// the wake-word detector's ring while the board holds words - both, either or neither. The interrupt is
// the rings' single producer (lock-free, block_ring.h); the board changes the route with that interrupt
// held off, so a change falls between two of its blocks, never inside one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"

namespace wandlab {
namespace board {

class AudioRoute {
 public:
  // From the microphone's interrupt.
  void push(const int16_t* samples, size_t n) {
    AudioRing* host = host_;
    AudioRing* heard = heard_;
    if (host != nullptr) host->push(samples, n);
    if (heard != nullptr) heard->push(samples, n);
  }

  // With the interrupt held off (or the microphone stopped). restart_heard: `heard` starts over at the
  // same sample as `host` - the Board reset the host's ring before it asked for audio - so a WakeEvent
  // numbers samples as the host's AudioBlocks do.
  void set(AudioRing* host, AudioRing* heard, bool restart_heard) {
    if (restart_heard && heard != nullptr) heard->reset(kAudioBlockSamples, 1);
    host_ = host;
    heard_ = heard;
  }

  bool empty() const { return host_ == nullptr && heard_ == nullptr; }

 private:
  AudioRing* volatile host_ = nullptr;
  AudioRing* volatile heard_ = nullptr;
};

}  // namespace board
}  // namespace wandlab
