// The Nano 33 BLE Sense Rev2's MP34DT06JTR PDM microphone at 16 kHz mono, through the mbed core's PDM
// library. Its driver calls back from the PDM interrupt with 256 samples (the default 512-byte buffer); the
// callback must take them all or the driver stops, so it copies them straight into up to two rings
// (audio_route.h): the board's audio ring while the host streams audio, and the wake-word detector's while
// the board holds words, exactly as the XIAO's microphone does. The microphone runs while either is set.
#pragma once

#include "board.h"

namespace wandlab {
namespace nano33 {

class Microphone {
 public:
  // Where the samples go from now on (null: not there); starts or stops the microphone as needed.
  // restart_heard: `heard` starts over at the same sample as `host` (audio_route.h). False if the
  // microphone should run and could not start.
  bool route(board::AudioRing* host, board::AudioRing* heard, bool restart_heard = false);
  bool running() const { return running_; }

 private:
  bool running_ = false;
};

}  // namespace nano33
}  // namespace wandlab
