#include "esp32s3_board.h"

#include <Arduino.h>
#include <new>

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

static_assert(refs::kMaxRecordBytes <= kClassRecordPages * kFlashSector - storage::PagedRecord::kHeaderBytes,
              "the class table's record must fit its flash sectors: build with the README's WANDLAB_* flags");
static_assert(words::kMaxRecordBytes <= kWordsRecordPages * kFlashSector - storage::PagedRecord::kHeaderBytes,
              "the wake words' record must fit its flash sector: build with the README's WANDLAB_* flags");

Esp32s3Board::Esp32s3Board()
    : uid_{},
      description_(),
      flash_(pages_, kSlotLayout),
      classes_record_(pages_, kClassRecordStart, kClassRecordPages),
      hid_record_(pages_, kHidRecordStart, kHidRecordPages),
      words_record_(pages_, kWordsRecordStart, kWordsRecordPages),
      hid_press_(ble_),
      board_(description_, usb_, *this, *this, &extensions_) {
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
  ble_ok_ = ble_.begin(kBoardName, firmware_version());
  start_recognition();
}

void Esp32s3Board::start_recognition() {
  storage_problem_ = pages_.begin();
  // Without the partition the board still streams; the model families answer UNSUPPORTED.
  if (storage_problem_[0] != '\0') return;
  size_t speech_bytes = 0;
  const uint8_t* speech = speech_model(&speech_bytes);
  recognition_ = new (recognition_space_)
      Recognition(flash_, *this, &classes_record_, &hid_record_, &words_record_, speech, speech_bytes);
  recognition_->attach(board_, extensions_, &hid_press_);
}

void Esp32s3Board::loop() {
  poll_usb();
  poll_imu();
  poll_mic();
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

void Esp32s3Board::poll_imu() {
  // Recognising, HID on or enrolling keeps the IMU running with nobody streaming, at the rate the
  // recogniser's segment buffer is sized for.
  const bool wanted = recognition_ != nullptr && recognition_->recognizer.wants_imu();
  if (imu_ok_ && !host_imu_) {
    if (wanted && (!imu_.running() || imu_.rate_hz() != kRecognizerMaxRateHz)) {
      imu_.start(kRecognizerMaxRateHz);
    } else if (!wanted && imu_.running()) {
      imu_.stop();
    }
  }
  recognizer::RecognizerTap* tap = recognition_ != nullptr && (host_imu_ || wanted) ? &recognition_->tap : nullptr;
  imu_.poll(host_imu_ ? &board_.imu_ring() : nullptr, tap);
}

void Esp32s3Board::poll_mic() {
  if (recognition_ == nullptr) return;
  // Holding words keeps the microphone running with nobody streaming.
  const bool listen = recognition_->words.listening();
  if (listen != listening_) {
    listening_ = listen;
    mic_.route(host_audio_ ? &board_.audio_ring() : nullptr, listen ? &recognition_->heard : nullptr, listen);
  }
  recognition_->hear_pending();
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
  host_imu_ = imu_ok_ && imu_.start(rate_hz);
  return host_imu_;
}

void Esp32s3Board::stop_imu() {
  host_imu_ = false;
  // If the recogniser wants the IMU, poll_imu() moves it to the recogniser's rate.
  if (recognition_ == nullptr || !recognition_->recognizer.wants_imu()) imu_.stop();
}

bool Esp32s3Board::start_audio() {
  // The Board has just reset its audio ring; the detector's ring starts over with it, so a WakeEvent
  // names samples as the host's AudioBlocks do.
  board::AudioRing* heard = listening_ ? &recognition_->heard : nullptr;
  host_audio_ = mic_.route(&board_.audio_ring(), heard, heard != nullptr);
  return host_audio_;
}

void Esp32s3Board::stop_audio() {
  host_audio_ = false;
  mic_.route(nullptr, listening_ ? &recognition_->heard : nullptr);
}

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
