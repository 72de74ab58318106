// Wandlab firmware for the Seeed XIAO nRF52840 Sense: the app's board protocol over USB CDC and BLE,
// the LSM6DS3 IMU and the PDM microphone, and on-board recognition (model slots, TFLM, k-NN, HID over
// GATT). Build offline with ../build.sh xiao (README.md); the sketch is only the entry points - the
// board layer is xiao_board.{h,cpp}, the protocol and recognition logic wandlab_core.

#include "xiao_board.h"

namespace {

// The core's loop task has a 4 KB stack; a request or an IMU block that ends an enrollment needs about
// 3.5 KB of the recogniser's own (recognizer.h), so the wand runs in a task of its own with more.
constexpr uint32_t kWandStackWords = 2048;  // 8 KB, from the FreeRTOS heap like the loop task's

wandlab::xiao::XiaoBoard wand;

void wand_task(void*) {
  wand.begin();
  for (;;) {
    wand.loop();
    yield();
  }
}

}  // namespace

void setup() { xTaskCreate(wand_task, "wand", kWandStackWords, nullptr, TASK_PRIO_LOW, nullptr); }

// Everything happens in wand_task: the loop task has nothing left to do.
void loop() { vTaskSuspend(nullptr); }
