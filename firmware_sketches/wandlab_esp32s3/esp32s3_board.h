// The Seeed XIAO ESP32S3 Sense board layer (with an LSM6DS3TR-C on its I2C pins: README.md): the hardware
// behind wandlab_core's Board. It owns the Board and gives it the USB link (usb_link.h), the BLE link
// (ble_link.h), the clock, the IMU (imu_lsm6ds3.h) and the microphone (microphone.h); it reads the BOOT
// button and drives the user LED. Everything the protocol does is the Board's - the code the native board
// runs on the PC. The structure mirrors ../wandlab_xiao_sense/xiao_board.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ble_link.h"
#include "board.h"
#include "imu_lsm6ds3.h"
#include "microphone.h"
#include "usb_link.h"

namespace wandlab {
namespace esp32s3 {

class Esp32s3Board : public board::SensorControl, public board::Clock, public board::BoardExtension {
 public:
  Esp32s3Board();
  void begin();
  void loop();

  // board::SensorControl. No battery gauge (the XIAO ESP32S3 charges a cell on its BAT pads but has no
  // divider to an ADC pin): battery_percent() keeps the default 255.
  bool start_imu(uint16_t rate_hz) override;
  void stop_imu() override;
  bool start_audio() override;
  void stop_audio() override;
  uint32_t free_ram_bytes() const override;
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
  ImuLsm6ds3 imu_;
  Microphone mic_;
  board::Board board_;
  bool imu_ok_ = false;
  bool ble_ok_ = false;
  bool forget_hosts_ = false;  // ForgetHosts was acknowledged: drop the bonds once the Ack is out
  bool usb_host_ = false;
  bool button_down_ = false;
  unsigned long button_changed_ms_ = 0;
};

}  // namespace esp32s3
}  // namespace wandlab
