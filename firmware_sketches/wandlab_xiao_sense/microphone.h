// The XIAO Sense's PDM microphone at 16 kHz mono. The PDM driver calls back from its interrupt with
// 256 samples (its default 512-byte buffer); the callback copies them straight into the board's audio
// ring (single producer, lock-free: block_ring.h).
#pragma once

#include "board.h"

namespace wandlab {
namespace xiao {

class Microphone {
 public:
  bool start(board::AudioRing& ring);
  void stop();
  bool running() const { return running_; }

 private:
  bool running_ = false;
};

}  // namespace xiao
}  // namespace wandlab
