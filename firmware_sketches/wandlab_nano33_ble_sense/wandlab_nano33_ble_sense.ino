// Wandlab firmware for the Arduino Nano 33 BLE Sense Rev2: the app's board protocol over USB CDC, with the
// BMI270 IMU, the PDM microphone and BLE (ArduinoBLE). How to build and flash it: README.md. The sketch is
// only the entry points - the board layer is nano33_board.{h,cpp}, the protocol logic wandlab_core.

#include "nano33_board.h"

wandlab::nano33::Nano33Board wand;

void setup() { wand.begin(); }

void loop() { wand.loop(); }
