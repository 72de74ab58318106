// The Nano 33 BLE Sense Rev2's MP34DT06JTR PDM microphone at 16 kHz mono, through the mbed core's PDM
// library. Its driver calls back from the PDM interrupt with 256 samples (the default 512-byte buffer); the
// callback must take them all or the driver stops, so it copies them straight into the Board's audio ring
// (single producer, lock-free: block_ring.h), exactly as the XIAO's microphone does.
#pragma once

#include "board.h"

namespace wandlab {
namespace nano33 {

class Microphone {
 public:
  bool start(board::AudioRing& ring);
  void stop();
  bool running() const { return running_; }

 private:
  bool running_ = false;
};

}  // namespace nano33
}  // namespace wandlab
