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


// RAM the board takes at boot besides its static RAM: the size table (size_report.py) reads it from the
// image, and begin() allocates it, which keeps the linker from dropping it.
extern "C" const volatile uint32_t wandlab_boot_allocation_bytes = sizeof(Recognition) + alignof(Recognition) - 1;

XiaoBoard::XiaoBoard()
    : uid_{},
      description_(),
      storage_(pages_, kLayout),
      hid_press_(ble_),
      board_(description_, usb_, *this, *this, &extensions_),
      sensors_(imu_, mic_, Recognition::kRecognizerRateHz) {
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
  sensors_.begin(imu_ok_);
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
      Recognition(storage_, *this, speech, speech_bytes);
  sensors_.attach(recognition_);
  recognition_->attach(board_, extensions_, &hid_press_);
}

void XiaoBoard::loop() {
  if (millis() - battery_read_ms_ >= kBatteryEveryMs) {
    battery_ = read_battery_percent();
    ble_.set_battery(battery_);
  }
  poll_usb();
  sensors_.poll_imu(board_.imu_ring());
  sensors_.poll_mic(board_.audio_ring());
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
  return sensors_.start_imu(rate_hz);
}

void XiaoBoard::stop_imu() { sensors_.stop_imu(); }

bool XiaoBoard::start_audio() { return sensors_.start_audio(board_.audio_ring()); }

void XiaoBoard::stop_audio() { sensors_.stop_audio(); }

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
