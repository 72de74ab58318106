// The XIAO Sense's PDM microphone at 16 kHz mono. The PDM driver calls back from its interrupt with
// 256 samples (its default 512-byte buffer); the callback copies them straight into up to two rings
// (single producer, lock-free: block_ring.h): the board's audio ring while the host streams audio, and
// the wake-word detector's while the board holds words. The microphone runs while either is set.
#pragma once

#include "board.h"

namespace wandlab {
namespace xiao {

class Microphone {
 public:
  // Where the samples go from now on (null: not there); starts or stops the microphone as needed.
  // restart_heard: `heard` starts over (reset) at the same sample as `host`, so both number the samples
  // alike - the host's ring was reset by the Board before it asked for audio. False if the microphone
  // should run and could not start.
  bool route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard = false);
  bool running() const { return running_; }

 private:
  bool running_ = false;
};

}  // namespace xiao
}  // namespace wandlab
