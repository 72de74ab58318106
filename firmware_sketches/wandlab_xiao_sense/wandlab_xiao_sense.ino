// Wandlab firmware for the Seeed XIAO nRF52840 Sense: the app's board protocol over USB CDC, with the
// LSM6DS3 IMU and the PDM microphone. Build offline with ../build.sh xiao (README.md); the sketch is
// only the entry points - the board layer is xiao_board.{h,cpp}, the protocol logic wandlab_core.

#include "xiao_board.h"

wandlab::xiao::XiaoBoard wand;

void setup() { wand.begin(); }

void loop() { wand.loop(); }
