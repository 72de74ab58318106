#include "esp32s3_board.h"

#include <Arduino.h>

#include "firmware_version.h"

namespace wandlab {
namespace esp32s3 {
namespace {

// The BOOT button (GPIO0, pulled up on the board, LOW when pressed) is free once the sketch runs.
constexpr uint8_t kButtonPin = 0;
constexpr unsigned long kDebounceMs = 20;
// The user LED (GPIO21, orange) is lit by LOW.
constexpr uint8_t kLedPin = LED_BUILTIN;
constexpr uint8_t kLedOn = LOW;
constexpr uint8_t kLedOff = HIGH;

const char kBoardName[] = "Wandlab XIAO ESP32S3";
constexpr size_t kFirmwareChars = 24;

// "esp32s3-" + the firmware version, built once.
const char* firmware_version() {
  static char text[kFirmwareChars] = "esp32s3-";
  if (text[8] == '\0') strncat(text, kFirmwareVersion, kFirmwareChars - 9);
  return text;
}

void set_led(bool on) { digitalWrite(kLedPin, on ? kLedOn : kLedOff); }

}  // namespace


Esp32s3Board::Esp32s3Board()
    : uid_{},
      description_(),
      storage_(pages_, kLayout),
      hid_press_(ble_),
      board_(description_, usb_, *this, *this, &extensions_),
      sensors_(imu_, mic_, Recognition::kRecognizerRateHz) {
  // Requests the core leaves alone: ForgetHosts here, then the recogniser's families (begin()).
  extensions_.add(*this);
  // The factory MAC in eFuse (48 bits, zero-extended), as 16 hex digits like the nRF52 boards' device id.
  const uint64_t id = ESP.getEfuseMac();
  const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < 16; ++i) uid_[i] = kHex[(id >> (60 - 4 * i)) & 0xF];
  uid_[16] = '\0';
  description_.name = kBoardName;
  description_.firmware_version = firmware_version();
  description_.uid = uid_;
  description_.imu_axes = 6;
  description_.accel_range_g = kAccelRangeG;
  description_.accel_scale = kAccelScale;
  description_.gyro_range_dps = kGyroRangeDps;
  description_.gyro_scale = kGyroScale;
  // imu_rates_hz keeps the default 25, 50, 100, 200, 400 Hz: the LSM6DS3's ODRs, resampled 26:25.
  description_.imu_default_rate_hz = 100;
  description_.microphone = true;
  description_.audio_rate_hz = 16000;
}

void Esp32s3Board::begin() {
  pinMode(kLedPin, OUTPUT);
  set_led(false);
  pinMode(kButtonPin, INPUT_PULLUP);
  usb_.begin();
  imu_ok_ = imu_.begin();
  sensors_.begin(imu_ok_);
  ble_ok_ = ble_.begin(kBoardName, firmware_version());
  start_recognition();
}

void Esp32s3Board::start_recognition() {
  storage_problem_ = pages_.begin();
  // Without the partition the board still streams; the model families answer UNSUPPORTED.
  if (storage_problem_[0] != '\0') return;
  recognition_ = Recognition::start(recognition_space_, storage_, *this, speech_model, board_, extensions_, &hid_press_);
  sensors_.attach(recognition_);
}

void Esp32s3Board::loop() {
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
  ble_.poll(board_);  // BLE packets in, queued notifications out
  if (forget_hosts_) {
    forget_hosts_ = false;
    ble_.forget_bonds();
  }
  poll_button();
  update_led();
}

void Esp32s3Board::poll_usb() {
  const bool present = usb_.host_present();
  // The cable came out (a session over BLE goes on). HWCDC cannot tell a closed port: usb_link.h.
  if (usb_host_ && !present && board_.link() == &usb_) board_.disconnected();
  usb_host_ = present;
  uint8_t rx[256];
  for (size_t n = usb_.read(rx, sizeof(rx)); n > 0; n = usb_.read(rx, sizeof(rx))) {
    board_.use_link(usb_, board::Framing::kSerial);
    board_.receive(rx, n);
  }
}

void Esp32s3Board::poll_button() {
  const bool down = digitalRead(kButtonPin) == LOW;
  const unsigned long now = millis();
  if (down != button_down_ && now - button_changed_ms_ >= kDebounceMs) {
    button_down_ = down;
    button_changed_ms_ = now;
    if (board_.in_session()) board_.button(0, down);
  }
}

// One LED, so patterns: the same states as the XIAO nRF52840's colours.
void Esp32s3Board::update_led() {
  const unsigned long now = millis();
  // On, dark 60 ms a second: the IMU, the radio or the flash partition for the model slots failed.
  if (!imu_ok_ || !ble_ok_ || recognition_ == nullptr) return set_led(now % 1000 >= 60);
  if (board_.streaming_imu() || board_.streaming_audio()) return set_led((now / 125) % 2 == 0);  // fast blink
  if (board_.in_session()) return set_led(true);  // on: the app is connected
  if (ble_.connected()) return set_led((now / 500) % 2 == 0);  // slow blink: a BLE central is connected
  set_led(now % 1000 < 60);  // a blip a second: waiting for the app
}

// -- board::SensorControl and board::Clock --------------------------------------------------------

bool Esp32s3Board::start_imu(uint16_t rate_hz) {
  // The rate is already one the board supports (BoardDescription.imu_rates_hz).
  return sensors_.start_imu(rate_hz);
}

void Esp32s3Board::stop_imu() { sensors_.stop_imu(); }

bool Esp32s3Board::start_audio() { return sensors_.start_audio(board_.audio_ring()); }

void Esp32s3Board::stop_audio() { sensors_.stop_audio(); }

uint32_t Esp32s3Board::free_ram_bytes() const { return ESP.getFreeHeap(); }

uint32_t Esp32s3Board::micros() const { return static_cast<uint32_t>(::micros()); }

bool Esp32s3Board::on_request(const protocol::Packet& packet, board::Board& board) {
  // The model, enroll, controller and word families go on down the chain to the recognition.
  if (packet.type != protocol::ForgetHosts::kType) return false;
  board.ack(packet.seq);  // first the Ack (docs/protocol.md), then the bonds and their links
  forget_hosts_ = true;
  return true;
}

}  // namespace esp32s3
}  // namespace wandlab
