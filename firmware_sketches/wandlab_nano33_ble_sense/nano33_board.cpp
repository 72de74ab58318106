#include "nano33_board.h"

#include <Arduino.h>

#include "firmware_version.h"

namespace wandlab {
namespace nano33 {
namespace {

// The Nano 33 BLE Sense has no user button (only reset): wire a push button from D2 to GND.
constexpr pin_size_t kButtonPin = 2;
constexpr unsigned long kDebounceMs = 20;
// The RGB LED's three colours are lit by LOW (common anode); PinStatus, not int, on this core.
constexpr PinStatus kLedOn = LOW;
constexpr PinStatus kLedOff = HIGH;

const char kBoardName[] = "Wandlab Nano 33 BLE Sense";
constexpr size_t kFirmwareChars = 24;

// "nano33-" + the firmware version, built once.
const char* firmware_version() {
  static char text[kFirmwareChars] = "nano33-";
  if (text[7] == '\0') strncat(text, kFirmwareVersion, kFirmwareChars - 8);
  return text;
}

void set_led(bool red, bool green, bool blue) {
  digitalWrite(LEDR, red ? kLedOn : kLedOff);
  digitalWrite(LEDG, green ? kLedOn : kLedOff);
  digitalWrite(LEDB, blue ? kLedOn : kLedOff);
}

}  // namespace


Nano33Board::Nano33Board()
    : uid_{},
      description_(),
      storage_(pages_, kLayout),
      board_(description_, usb_, *this, *this, &extensions_),
      sensors_(imu_, mic_, Recognition::kRecognizerRateHz) {
  // Requests the core leaves alone: ForgetHosts here, then the recogniser's families (begin()).
  extensions_.add(*this);
  // The nRF52840's factory-programmed 64-bit device id, as 16 hex digits (as the XIAO, the same chip).
  const uint32_t id[2] = {NRF_FICR->DEVICEID[1], NRF_FICR->DEVICEID[0]};
  const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < 16; ++i) uid_[i] = kHex[(id[i / 8] >> (28 - 4 * (i % 8))) & 0xF];
  uid_[16] = '\0';
  description_.name = kBoardName;
  description_.firmware_version = firmware_version();
  description_.uid = uid_;
  description_.imu_axes = 6;
  description_.accel_range_g = kAccelRangeG;
  description_.accel_scale = kAccelScale;
  description_.gyro_range_dps = kGyroRangeDps;
  description_.gyro_scale = kGyroScale;
  // The library's 100 Hz, decimated (imu_bmi270.h): 25, 50 and 100 Hz only.
  description_.imu_rate_count = sizeof(kImuRatesHz) / sizeof(kImuRatesHz[0]);
  for (size_t i = 0; i < description_.imu_rate_count; ++i) description_.imu_rates_hz[i] = kImuRatesHz[i];
  description_.imu_default_rate_hz = 100;
  description_.microphone = true;
  description_.audio_rate_hz = 16000;
}

void Nano33Board::begin() {
  pinMode(LEDR, OUTPUT);
  pinMode(LEDG, OUTPUT);
  pinMode(LEDB, OUTPUT);
  set_led(false, false, false);
  pinMode(kButtonPin, INPUT_PULLUP);
  Serial.begin(115200);  // USB CDC: the baud rate means nothing on USB
  imu_ok_ = imu_.begin();
  sensors_.begin(imu_ok_);
  ble_ok_ = ble_.begin(kBoardName, firmware_version());
  start_recognition();
}

void Nano33Board::start_recognition() {
  storage_problem_ = pages_.begin();
  // Without usable flash the board still streams; the model families answer UNSUPPORTED (red LED).
  if (storage_problem_[0] != '\0') return;
  // No HID here (README, "BLE, pairing and HID"): the recogniser's decisions reach the app as
  // InferenceEvent / HidReport messages only.
  recognition_ = Recognition::start(recognition_space_, storage_, *this, speech_model, board_, extensions_, nullptr);
  sensors_.attach(recognition_);
}

void Nano33Board::loop() {
  poll_usb();
  sensors_.poll_imu(board_.imu_ring());
  sensors_.poll_mic(board_.audio_ring());
  board_.poll();
  if (recognition_ != nullptr) recognition_->poll(board_);
  // Each new session hears why the board cannot keep models, if it cannot (nobody listens at boot).
  const bool session = board_.in_session();
  if (session && !in_session_ && storage_problem_[0] != '\0') {
    board_.log(protocol::LogLevel::kError, storage_problem_);
  }
  in_session_ = session;
  usb_.flush();
  ble_.poll(board_);  // BLE events and received packets, then queued notifications out
  poll_button();
  update_led();
}

void Nano33Board::poll_usb() {
  const bool present = usb_.host_present();
  // The app closed the port, or the cable came out (a session over BLE goes on).
  if (usb_host_ && !present && board_.link() == &usb_) board_.disconnected();
  usb_host_ = present;
  uint8_t rx[256];
  for (size_t n = usb_.read(rx, sizeof(rx)); n > 0; n = usb_.read(rx, sizeof(rx))) {
    board_.use_link(usb_, board::Framing::kSerial);
    board_.receive(rx, n);
  }
}

void Nano33Board::poll_button() {
  const bool down = digitalRead(kButtonPin) == LOW;
  const unsigned long now = millis();
  if (down != button_down_ && now - button_changed_ms_ >= kDebounceMs) {
    button_down_ = down;
    button_changed_ms_ = now;
    if (board_.in_session()) board_.button(0, down);
  }
}

void Nano33Board::update_led() {
  const unsigned long now = millis();
  // Red: the IMU, the radio or the flash for the model slots failed.
  if (!imu_ok_ || !ble_ok_ || recognition_ == nullptr) return set_led(true, false, false);
  if (board_.streaming_imu() || board_.streaming_audio()) {
    return set_led(false, (now / 125) % 2 == 0, false);  // fast green: streaming
  }
  if (board_.in_session()) return set_led(false, true, false);  // green: the app is connected
  if (ble_.connected()) return set_led(false, false, true);  // blue: a BLE central is connected
  set_led(false, false, now % 1000 < 60);  // blue blink: waiting for the app
}

// -- board::SensorControl and board::Clock --------------------------------------------------------

bool Nano33Board::start_imu(uint16_t rate_hz) {
  // The rate is already one the board supports (BoardDescription.imu_rates_hz).
  return sensors_.start_imu(rate_hz);
}

void Nano33Board::stop_imu() { sensors_.stop_imu(); }

bool Nano33Board::start_audio() { return sensors_.start_audio(board_.audio_ring()); }

void Nano33Board::stop_audio() { sensors_.stop_audio(); }

uint32_t Nano33Board::micros() const { return static_cast<uint32_t>(::micros()); }

bool Nano33Board::on_request(const protocol::Packet& packet, board::Board& board) {
  // The model, enroll, controller and word families go on down the chain to the recognition.
  if (packet.type != protocol::ForgetHosts::kType) return false;
  // This board keeps no bonds (ble_link.h), so "every bond deleted" already holds: Ack. It cannot arrive
  // over BLE (not in the session family), so no link needs dropping either.
  board.ack(packet.seq);
  return true;
}

}  // namespace nano33
}  // namespace wandlab
