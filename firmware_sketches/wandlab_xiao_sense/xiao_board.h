// The XIAO nRF52840 Sense board layer: the hardware behind wandlab_core's Board. It owns the Board and
// gives it the USB link (usb_link.h), the BLE link (ble_link.h), the clock, the IMU (imu_fifo.h), the microphone (microphone.h),
// the battery gauge; it reads the button and drives the RGB LED. Everything the protocol does is the
// Board's - the same code the native board runs on the PC (firmware_sketches/native_board).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ble_link.h"
#include "board.h"
#include "imu_fifo.h"
#include "microphone.h"
#include "usb_link.h"

namespace wandlab {
namespace xiao {

class XiaoBoard : public board::SensorControl, public board::Clock, public board::BoardExtension {
 public:
  XiaoBoard();
  void begin();
  void loop();

  // board::SensorControl
  bool start_imu(uint16_t rate_hz) override;
  void stop_imu() override;
  bool start_audio() override;
  void stop_audio() override;
  uint32_t free_ram_bytes() const override;
  uint8_t battery_percent() const override;
  // board::Clock
  uint32_t micros() const override;
  // board::BoardExtension: ForgetHosts (the rest of the families is not in this firmware yet).
  bool on_request(const protocol::Packet& packet, board::Board& board) override;

 private:
  void poll_usb();
  void poll_button();
  void update_led();
  uint8_t read_battery_percent();

  char uid_[17];
  board::BoardDescription description_;
  UsbLink usb_;
  BleLink ble_;
  ImuFifo imu_;
  Microphone mic_;
  board::Board board_;
  bool imu_ok_ = false;
  bool ble_ok_ = false;
  bool forget_hosts_ = false;  // ForgetHosts was acknowledged: drop the bonds once the Ack is out
  bool usb_host_ = false;
  bool button_down_ = false;
  uint32_t button_changed_ms_ = 0;
  uint8_t battery_ = protocol::kBatteryUnknown;
  uint32_t battery_read_ms_ = 0;
};

}  // namespace xiao
}  // namespace wandlab
