#include "xiao_board.h"

#include <Arduino.h>
#include <new>
#include <utility/debug.h>

#include "firmware_version.h"
#include "nrf_flash.h"

namespace wandlab {
namespace xiao {
namespace {

// The XIAO has no user button (only reset): wire a push button from D1 to GND.
constexpr uint8_t kButtonPin = D1;
constexpr uint32_t kDebounceMs = 20;
// Its RGB LED is common-anode: LOW lights a colour (initVariant() switches all three off with HIGH).
constexpr uint8_t kLedOn = LOW;
constexpr uint8_t kLedOff = HIGH;
constexpr uint32_t kBatteryEveryMs = 5000;

const char kBoardName[] = "Wandlab XIAO Sense";
constexpr size_t kFirmwareChars = 24;

// "xiao-" + the firmware version, built once.
const char* firmware_version() {
  static char text[kFirmwareChars] = "xiao-";
  if (text[5] == '\0') strncat(text, kFirmwareVersion, kFirmwareChars - 6);
  return text;
}

void set_led(bool red, bool green, bool blue) {
  digitalWrite(LED_RED, red ? kLedOn : kLedOff);
  digitalWrite(LED_GREEN, green ? kLedOn : kLedOff);
  digitalWrite(LED_BLUE, blue ? kLedOn : kLedOff);
}

bool usb_powered() {
  uint8_t sd_enabled = 0;
  sd_softdevice_is_enabled(&sd_enabled);
  uint32_t status = 0;
  if (sd_enabled) {
    sd_power_usbregstatus_get(&status);
  } else {
    status = NRF_POWER->USBREGSTATUS;
  }
  return (status & POWER_USBREGSTATUS_VBUSDETECT_Msk) != 0;
}

}  // namespace

static_assert(refs::kMaxRecordBytes <= kClassRecordPages * kFlashPage - storage::PagedRecord::kHeaderBytes,
              "the class table's record must fit its flash pages (WANDLAB_REF_POOL_BYTES in the Makefile)");
static_assert(words::kMaxRecordBytes <= kWordsRecordPages * kFlashPage - storage::PagedRecord::kHeaderBytes,
              "the wake words' record must fit its flash page (WANDLAB_WORD_POOL_BYTES in the Makefile)");

// RAM the board takes at boot besides its static RAM: the size table (size_report.py) reads it from the
// image, and begin() allocates it, which keeps the linker from dropping it.
extern "C" const volatile uint32_t wandlab_boot_allocation_bytes = sizeof(Recognition) + alignof(Recognition) - 1;

XiaoBoard::XiaoBoard()
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
  // The chip's factory-programmed 64-bit device id, as 16 hex digits.
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
  description_.imu_default_rate_hz = 100;
  description_.microphone = true;
  description_.audio_rate_hz = 16000;
}

void XiaoBoard::begin() {
  nrf_flash::begin();
  pinMode(LED_RED, OUTPUT);
  pinMode(LED_GREEN, OUTPUT);
  pinMode(LED_BLUE, OUTPUT);
  set_led(false, false, false);
  pinMode(kButtonPin, INPUT_PULLUP);
  // P0.14 low connects the battery divider to P0.31; Seeed advises keeping it low while charging.
  pinMode(VBAT_ENABLE, OUTPUT);
  digitalWrite(VBAT_ENABLE, LOW);
  Serial.begin(115200);  // USB CDC: the baud rate means nothing on USB
  imu_ok_ = imu_.begin();
  battery_ = read_battery_percent();
  ble_ok_ = ble_.begin(kBoardName, firmware_version());
  ble_.set_battery(battery_);
  // Once, never freed: the heap is the FreeRTOS one the tasks' stacks come from (about 150 KB are left
  // after it). The arena wants 16-byte alignment; malloc gives 8.
  void* block = malloc(wandlab_boot_allocation_bytes);
  if (block == nullptr) return;  // red LED; the board still streams, the model families answer UNSUPPORTED
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(block) + alignof(Recognition) - 1) & ~(alignof(Recognition) - 1);
  size_t speech_bytes = 0;
  const uint8_t* speech = speech_model(&speech_bytes);
  recognition_ = new (reinterpret_cast<void*>(aligned))
      Recognition(flash_, *this, &classes_record_, &hid_record_, &words_record_, speech, speech_bytes);
  recognition_->attach(board_, extensions_, &hid_press_);
}

void XiaoBoard::loop() {
  if (millis() - battery_read_ms_ >= kBatteryEveryMs) {
    battery_ = read_battery_percent();
    ble_.set_battery(battery_);
  }
  poll_usb();
  poll_imu();
  poll_mic();
  board_.poll();
  if (recognition_ != nullptr) recognition_->poll(board_);
  usb_.flush();
  ble_.poll(board_);  // BLE packets in, queued notifications out
  if (forget_hosts_) {
    forget_hosts_ = false;
    ble_.forget_bonds();
  }
  poll_button();
  update_led();
}

void XiaoBoard::poll_usb() {
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

void XiaoBoard::poll_imu() {
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

void XiaoBoard::poll_mic() {
  if (recognition_ == nullptr) return;
  // Holding words keeps the microphone running with nobody streaming.
  const bool listen = recognition_->words.listening();
  if (listen != listening_) {
    listening_ = listen;
    mic_.route(host_audio_ ? &board_.audio_ring() : nullptr, listen ? &recognition_->heard : nullptr, listen);
  }
  recognition_->hear_pending();
}

void XiaoBoard::poll_button() {
  const bool down = digitalRead(kButtonPin) == LOW;
  const uint32_t now = millis();
  if (down != button_down_ && now - button_changed_ms_ >= kDebounceMs) {
    button_down_ = down;
    button_changed_ms_ = now;
    if (board_.in_session()) board_.button(0, down);
  }
}

void XiaoBoard::update_led() {
  const uint32_t now = millis();
  // Red: the IMU, the radio or the recogniser's memory failed.
  if (!imu_ok_ || !ble_ok_ || recognition_ == nullptr) return set_led(true, false, false);
  if (board_.streaming_imu() || board_.streaming_audio()) {
    return set_led(false, (now / 125) % 2 == 0, false);  // fast green: streaming
  }
  if (board_.in_session()) return set_led(false, true, false);  // green: the app is connected
  if (ble_.connected()) return set_led(false, false, true);  // blue: a BLE host (app or computer)
  set_led(false, false, now % 1000 < 60);  // blue blink: waiting for the app
}

// -- board::SensorControl and board::Clock --------------------------------------------------------

bool XiaoBoard::start_imu(uint16_t rate_hz) {
  // The rate is already one the board supports (BoardDescription.imu_rates_hz).
  host_imu_ = imu_ok_ && imu_.start(rate_hz);
  return host_imu_;
}

void XiaoBoard::stop_imu() {
  host_imu_ = false;
  // If the recogniser wants the IMU, poll_imu() moves it to the recogniser's rate.
  if (recognition_ == nullptr || !recognition_->recognizer.wants_imu()) imu_.stop();
}

bool XiaoBoard::start_audio() {
  // The Board has just reset its audio ring; the detector's ring starts over with it, so a WakeEvent
  // names samples as the host's AudioBlocks do.
  board::AudioRing* heard = listening_ ? &recognition_->heard : nullptr;
  host_audio_ = mic_.route(&board_.audio_ring(), heard, heard != nullptr);
  return host_audio_;
}

void XiaoBoard::stop_audio() {
  host_audio_ = false;
  mic_.route(nullptr, listening_ ? &recognition_->heard : nullptr);
}

uint32_t XiaoBoard::free_ram_bytes() const { return static_cast<uint32_t>(dbgHeapFree()); }

uint8_t XiaoBoard::battery_percent() const {
  // Called while answering Hello: the cached value (loop() refreshes it) keeps Info quick.
  return battery_;
}

uint8_t XiaoBoard::read_battery_percent() {
  battery_read_ms_ = millis();
  if (usb_powered()) return protocol::kBatteryUnknown;  // on USB the "battery" is the charger
  analogReference(AR_INTERNAL_3_0);
  analogReadResolution(12);
  const uint32_t raw = analogRead(PIN_VBAT);
  // 1 M / 510 k divider: V_bat = V_pin * 1510 / 510; 3.0 V full scale over 4096 counts.
  const float volts = static_cast<float>(raw) * 3.0f / 4096.0f * 1510.0f / 510.0f;
  // A LiPo's usable range, linear: crude, but enough for a "charge me" hint.
  const float percent = (volts - 3.3f) / (4.2f - 3.3f) * 100.0f;
  if (percent <= 0.0f) return 0;
  if (percent >= 100.0f) return 100;
  return static_cast<uint8_t>(percent + 0.5f);
}

uint32_t XiaoBoard::micros() const { return ::micros(); }

bool XiaoBoard::on_request(const protocol::Packet& packet, board::Board& board) {
  // The model, enroll and controller families go on down the chain to the recogniser.
  if (packet.type != protocol::ForgetHosts::kType) return false;
  board.ack(packet.seq);  // first the Ack (docs/protocol.md), then the bonds and their links
  forget_hosts_ = true;
  return true;
}

}  // namespace xiao
}  // namespace wandlab
