// Wandlab firmware for the Seeed XIAO ESP32S3 Sense with an LSM6DS3TR-C on I2C: the app's board protocol
// over USB CDC and BLE (NimBLE: the Wandlab service, HID over GATT, bonding), with the IMU and the PDM
// microphone. How to build and flash it: README.md. The sketch is only the entry points - the board layer
// is esp32s3_board.{h,cpp}, the protocol logic wandlab_core.

#include "esp32s3_board.h"

wandlab::esp32s3::Esp32s3Board wand;

void setup() { wand.begin(); }

void loop() { wand.loop(); }
