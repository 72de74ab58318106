// The Arduino Nano 33 BLE Sense Rev2 board layer: the hardware behind wandlab_core's Board and its
// recognition (board_recognition.h: the gesture recogniser and the wake-word detector). It owns both and
// gives them the USB link (usb_link.h), the BLE link (ble_link.h), the clock, the IMU (imu_bmi270.h), the
// microphone (microphone.h) and the flash for model slots and records (nano33_storage.h); it reads the
// button and drives the RGB LED. Everything the protocol does is the core's - the code the native board
// runs on the PC and the XIAO runs on the same chip. The structure mirrors ../wandlab_xiao_sense/xiao_board.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ble_link.h"
#include "board.h"
#include "board_recognition.h"
#include "extension_chain.h"
#include "imu_bmi270.h"
#include "microphone.h"
#include "sensor_sharing.h"
#include "nano33_storage.h"
#include "usb_link.h"

namespace wandlab {
namespace nano33 {

using Recognition = recognition::SensorBoardRecognition;
static_assert(recognition::records_fit(kLayout),
              "the class table's and wake words' records must fit their flash pages: build with the WANDLAB_* "
              "limits of the board's build (its README or Makefile)");

// The shipped speech embedding model, compiled into the sketch (speech_model.cpp, written by
// firmware_sketches/embed_binary.py from models/speech_embedding/model.tflite; README "Build").
const uint8_t* speech_model(size_t* size);

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
  ImuBmi270 imu_;
  Microphone mic_;
  IapPageFlash pages_;
  storage::BoardStorage storage_;  // the model slots and the class, HID-map and wake-word records
  board::ExtensionChain extensions_;
  board::Board board_;
  recognition::SensorSharing<ImuBmi270, Microphone, Recognition> sensors_;
  // The recognition lives here, built in begin() (its constructor runs TFLM, which must not happen
  // during static initialisation); null until then, or when the flash is unusable.
  alignas(Recognition) unsigned char recognition_space_[sizeof(Recognition)];
  Recognition* recognition_ = nullptr;
  const char* storage_problem_ = "";
  bool imu_ok_ = false;
  bool ble_ok_ = false;
  bool in_session_ = false;
  bool usb_host_ = false;
  bool button_down_ = false;
  unsigned long button_changed_ms_ = 0;
};

}  // namespace nano33
}  // namespace wandlab
