// The XIAO nRF52840 Sense board layer: the hardware behind wandlab_core's Board and Recognizer. It owns
// both and gives them the USB link (usb_link.h), the BLE link (ble_link.h), the clock, the IMU
// (imu_fifo.h), the microphone (microphone.h), the battery gauge, the flash for model slots and records
// (flash_storage.h) and HID over GATT for presses; it reads the button and drives the RGB LED. Everything
// the protocol does is the core's - the same code the native board runs on the PC
// (firmware_sketches/native_board).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ble_link.h"
#include "board.h"
#include "extension_chain.h"
#include "flash_storage.h"
#include "imu_fifo.h"
#include "microphone.h"
#include "recognizer.h"
#include "recognizer_tap.h"
#include "usb_link.h"

namespace wandlab {
namespace xiao {

// What the XIAO gives a model (docs/firmware.md, "XIAO nRF52840 Sense"): it runs in place from its slot
// in flash; TFLM's tensor arena; the segment buffer for 100 Hz, the board's default rate (the highest
// rate the recogniser segments at; at 200 and 400 Hz a gesture's longest segment is shorter).
constexpr size_t kArenaBytes = 8 * 1024;
constexpr int kRecognizerMaxRateHz = 100;
using RecognizerMemory = recognizer::RecognizerMemory<kArenaBytes, kRecognizerMaxRateHz, 6>;

// The recogniser and its buffers: about 37 KB, allocated once at boot (XiaoBoard::begin) rather than
// static - see docs/firmware.md, "XIAO nRF52840 Sense", for the RAM table and why.
struct Recognition {
  Recognition(slots::SlotFlash& flash, board::Clock& clock, RecordStore* classes, RecordStore* hid)
      : recognizer(flash, clock, memory.memory(), 6, classes, hid), tap(recognizer) {}
  RecognizerMemory memory;
  recognizer::Recognizer recognizer;
  recognizer::RecognizerTap tap;
};

// The recogniser's presses, as HID over GATT input reports to the bonded host.
class BleHidPress : public recognizer::HidPress {
 public:
  explicit BleHidPress(BleLink& ble) : ble_(ble) {}
  bool press(const protocol::HidAction& action) override;

 private:
  BleLink& ble_;
};

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
  // board::BoardExtension: ForgetHosts (the model, enroll and controller families are the recogniser's;
  // the word family is not in this firmware yet).
  bool on_request(const protocol::Packet& packet, board::Board& board) override;

 private:
  void poll_usb();
  void poll_imu();
  void poll_button();
  void update_led();
  uint8_t read_battery_percent();

  char uid_[17];
  board::BoardDescription description_;
  UsbLink usb_;
  BleLink ble_;
  ImuFifo imu_;
  Microphone mic_;
  NrfSlotFlash flash_;
  FlashRecord classes_record_;
  FlashRecord hid_record_;
  Recognition* recognition_ = nullptr;  // null only if the boot allocation failed
  BleHidPress hid_press_;
  board::ExtensionChain extensions_;
  board::Board board_;
  bool imu_ok_ = false;
  bool ble_ok_ = false;
  bool host_imu_ = false;  // the host streams the IMU (else only the recogniser may want it)
  bool forget_hosts_ = false;  // ForgetHosts was acknowledged: drop the bonds once the Ack is out
  bool usb_host_ = false;
  bool button_down_ = false;
  uint32_t button_changed_ms_ = 0;
  uint8_t battery_ = protocol::kBatteryUnknown;
  uint32_t battery_read_ms_ = 0;
};

}  // namespace xiao
}  // namespace wandlab
