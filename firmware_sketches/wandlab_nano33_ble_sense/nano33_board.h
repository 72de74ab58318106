// The Arduino Nano 33 BLE Sense Rev2 board layer: the hardware behind wandlab_core's Board. It owns the
// Board and gives it the USB link (usb_link.h), the BLE link (ble_link.h), the clock, the IMU
// (imu_bmi270.h) and the microphone (microphone.h); it reads the button and drives the RGB LED. Everything
// the protocol does is the Board's - the code the native board runs on the PC and the XIAO runs on its
// nRF52840. The structure mirrors ../wandlab_xiao_sense/xiao_board.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ble_link.h"
#include "board.h"
#include "imu_bmi270.h"
#include "microphone.h"
#include "usb_link.h"

namespace wandlab {
namespace nano33 {

class Nano33Board : public board::SensorControl, public board::Clock, public board::BoardExtension {
 public:
  Nano33Board();
  void begin();
  void loop();

  // board::SensorControl. No battery gauge on this board: battery_percent() keeps the default 255, and
  // free_ram_bytes() its 0 ("unknown"): mbed's heap statistics are compiled out unless
  // MBED_HEAP_STATS_ENABLED, which the core's prebuilt mbed-os is not known to set.
  bool start_imu(uint16_t rate_hz) override;
  void stop_imu() override;
  bool start_audio() override;
  void stop_audio() override;
  // board::Clock
  uint32_t micros() const override;
  // board::BoardExtension: ForgetHosts (the rest of the families is not in this firmware yet).
  bool on_request(const protocol::Packet& packet, board::Board& board) override;

 private:
  void poll_usb();
  void poll_button();
  void update_led();

  char uid_[17];
  board::BoardDescription description_;
  UsbLink usb_;
  BleLink ble_;
  ImuBmi270 imu_;
  Microphone mic_;
  board::Board board_;
  bool imu_ok_ = false;
  bool ble_ok_ = false;
  bool usb_host_ = false;
  bool button_down_ = false;
  unsigned long button_changed_ms_ = 0;
};

}  // namespace nano33
}  // namespace wandlab
