// The native board's "Bluetooth HID": it has no radio, so an action the recogniser presses (HID on, an
// accepted class with an action) goes to stderr - "HID press: ..." - where a test or a person can see
// what a board would have typed, and no host ever receives it (HidReport.sent 0, as the Python virtual
// wand without its BLE server).
#pragma once

#include <cstdint>
#include <cstdio>

#include "recognizer.h"

namespace wandlab {
namespace native {

class HidPressLog : public recognizer::HidPress {
 public:
  bool press(const protocol::HidAction& action) override {
    ++presses_;
    std::fprintf(stderr,
                 "wandlab_native_board: HID press: class %u, kind %u, code 0x%02X, modifiers 0x%02X "
                 "(no Bluetooth host)\n",
                 static_cast<unsigned>(action.class_id), static_cast<unsigned>(action.kind),
                 static_cast<unsigned>(action.code), static_cast<unsigned>(action.modifiers));
    return false;
  }
  uint32_t presses() const { return presses_; }

 private:
  uint32_t presses_ = 0;
};

}  // namespace native
}  // namespace wandlab
