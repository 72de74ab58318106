// The Seeed XIAO ESP32S3 Sense board layer (with an LSM6DS3TR-C on its I2C pins: README.md): the hardware
// behind wandlab_core's Board and its recognition (board_recognition.h: the gesture recogniser and the
// wake-word detector). It owns both and gives them the USB link (usb_link.h), the BLE link (ble_link.h),
// the clock, the IMU (imu_lsm6ds3.h), the microphone (microphone.h), the flash partition for model slots
// and records (esp32s3_storage.h) and HID over GATT for presses; it reads the BOOT button and drives the
// user LED. Everything the protocol does is the core's - the code the native board runs on the PC. The
// structure mirrors ../wandlab_xiao_sense/xiao_board.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ble_link.h"
#include "board.h"
#include "board_recognition.h"
#include "esp32s3_storage.h"
#include "extension_chain.h"
#include "imu_lsm6ds3.h"
#include "microphone.h"
#include "sensor_sharing.h"
#include "usb_link.h"

namespace wandlab {
namespace esp32s3 {

using Recognition = recognition::SensorBoardRecognition;
static_assert(recognition::records_fit(kLayout),
              "the class table's and wake words' records must fit their flash pages: build with the WANDLAB_* "
              "limits of the board's build (its README or Makefile)");

// The shipped speech embedding model, compiled into the sketch (speech_model.cpp, written by
// firmware_sketches/embed_binary.py from models/speech_embedding/model.tflite; README "Build").
const uint8_t* speech_model(size_t* size);

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
  // board::BoardExtension: ForgetHosts (the model, enroll and controller families are the recogniser's,
  // the word family the wake-word detector's).
  bool on_request(const protocol::Packet& packet, board::Board& board) override;

 private:
  void start_recognition();
  void poll_usb();
  void poll_button();
  void update_led();

  char uid_[17];
  board::BoardDescription description_;
  UsbLink usb_;
  BleLink ble_;
  ImuLsm6ds3 imu_;
  Microphone mic_;
  PartitionPageFlash pages_;
  storage::BoardStorage storage_;  // the model slots and the class, HID-map and wake-word records
  recognition::ReportHidPress<BleLink> hid_press_;  // the recogniser's presses, as HID over GATT
  board::ExtensionChain extensions_;
  board::Board board_;
  recognition::SensorSharing<ImuLsm6ds3, Microphone, Recognition> sensors_;
  // The recognition lives here, built in begin() (its constructor runs TFLM, which must not happen
  // during static initialisation); null until then, or when the flash partition is unusable.
  alignas(Recognition) unsigned char recognition_space_[sizeof(Recognition)];
  Recognition* recognition_ = nullptr;
  const char* storage_problem_ = "";
  bool imu_ok_ = false;
  bool ble_ok_ = false;
  bool forget_hosts_ = false;  // ForgetHosts was acknowledged: drop the bonds once the Ack is out
  bool in_session_ = false;
  bool usb_host_ = false;
  bool button_down_ = false;
  unsigned long button_changed_ms_ = 0;
};

}  // namespace esp32s3
}  // namespace wandlab
