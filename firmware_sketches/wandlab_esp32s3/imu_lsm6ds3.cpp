#include "imu_lsm6ds3.h"

#include <Arduino.h>
#include <Wire.h>

namespace wandlab {
namespace esp32s3 {
namespace {

// Registers (LSM6DS3TR-C datasheet, section 9; the LSM6DS3 has the same FIFO registers).
constexpr uint8_t kFifoCtrl3 = 0x08;
constexpr uint8_t kFifoCtrl5 = 0x0A;
constexpr uint8_t kWhoAmI = 0x0F;
constexpr uint8_t kCtrl1Xl = 0x10;
constexpr uint8_t kCtrl2G = 0x11;
constexpr uint8_t kCtrl3C = 0x12;
constexpr uint8_t kFifoStatus1 = 0x3A;
constexpr uint8_t kFifoDataOutL = 0x3E;

constexpr uint8_t kWhoAmILsm6ds3trc = 0x6A;
constexpr uint8_t kWhoAmILsm6ds3 = 0x69;
constexpr uint8_t kAddresses[] = {0x6A, 0x6B};  // SA0 low (most breakouts, Seeed's Grove module), high

constexpr int kSdaPin = 5;  // D4
constexpr int kSclPin = 6;  // D5
constexpr uint32_t kI2cHz = 400000;

constexpr uint8_t kFifoModeContinuous = 0x06;
constexpr uint8_t kFsXl4g = 0x08;        // FS_XL = 10
constexpr uint8_t kFsG2000 = 0x0C;       // FS_G = 11
constexpr uint8_t kBduIfInc = 0x44;      // block data update, register address auto-increment
constexpr uint8_t kNoDecimation = 0x09;  // gyro and accel into the FIFO, every sample
constexpr size_t kWordsPerFrame = 6;     // FIFO pattern: Gx Gy Gz XLx XLy XLz
constexpr size_t kFramesPerRead = 8;     // 96 bytes: within the Wire library's 128-byte buffer

// ODR code for 26/25 of the requested rate (26 Hz = 0010 ... 416 Hz = 0110); 0 if unsupported.
uint8_t odr_code(uint16_t rate_hz) {
  switch (rate_hz) {
    case 25: return 0x2;
    case 50: return 0x3;
    case 100: return 0x4;
    case 200: return 0x5;
    case 400: return 0x6;
    default: return 0;
  }
}

}  // namespace

bool ImuLsm6ds3::write_register(uint8_t reg, uint8_t value) {
  Wire.beginTransmission(address_);
  Wire.write(reg);
  Wire.write(value);
  return Wire.endTransmission() == 0;
}

bool ImuLsm6ds3::read_registers(uint8_t reg, uint8_t* out, size_t n) {
  Wire.beginTransmission(address_);
  Wire.write(reg);
  if (Wire.endTransmission(false) != 0) return false;  // repeated start: the read follows at once
  if (Wire.requestFrom(address_, n) != n) return false;
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(Wire.read());
  return true;
}

bool ImuLsm6ds3::begin() {
  if (!Wire.begin(kSdaPin, kSclPin, kI2cHz)) return false;
  present_ = false;
  for (uint8_t address : kAddresses) {
    address_ = address;
    uint8_t who = 0;
    if (read_registers(kWhoAmI, &who, 1) && (who == kWhoAmILsm6ds3trc || who == kWhoAmILsm6ds3)) {
      present_ = true;
      break;
    }
  }
  stop();
  return present_;
}

bool ImuLsm6ds3::start(uint16_t rate_hz) {
  const uint8_t odr = odr_code(rate_hz);
  if (!present_ || odr == 0) return false;
  resampler_.reset(26, 25, kWordsPerFrame);
  const bool ok = write_register(kCtrl3C, kBduIfInc) && write_register(kFifoCtrl5, 0x00) &&  // bypass: empty
                  write_register(kCtrl1Xl, static_cast<uint8_t>(odr << 4 | kFsXl4g)) &&
                  write_register(kCtrl2G, static_cast<uint8_t>(odr << 4 | kFsG2000)) &&
                  write_register(kFifoCtrl3, kNoDecimation) &&
                  write_register(kFifoCtrl5, static_cast<uint8_t>(odr << 3 | kFifoModeContinuous));
  rate_hz_ = rate_hz;
  index_ = 0;
  running_ = ok;
  return ok;
}

void ImuLsm6ds3::stop() {
  running_ = false;
  if (!present_) return;
  write_register(kFifoCtrl5, 0x00);  // bypass
  write_register(kCtrl1Xl, 0x00);    // power down
  write_register(kCtrl2G, 0x00);
}

size_t ImuLsm6ds3::poll(board::ImuRing* ring, recognizer::RecognizerTap* tap) {
  if (!running_) return 0;
  uint8_t status[4];
  if (!read_registers(kFifoStatus1, status, sizeof(status))) return 0;
  size_t words = static_cast<size_t>(status[0] | (status[1] & 0x07) << 8);
  if (status[1] & 0x40) ++overruns_;  // OVER_RUN: the FIFO filled and lost samples
  // FIFO_PATTERN: which word comes next. Skip to the start of a frame (Gx) if a read was cut short.
  size_t pattern = static_cast<size_t>(status[2] | (status[3] & 0x03) << 8) % kWordsPerFrame;
  uint8_t raw[kFramesPerRead * kWordsPerFrame * 2];
  while (pattern != 0 && words > 0) {
    if (!read_registers(kFifoDataOutL, raw, 2)) return 0;
    pattern = (pattern + 1) % kWordsPerFrame;
    --words;
  }
  size_t pushed = 0;
  while (words >= kWordsPerFrame) {
    size_t frames = words / kWordsPerFrame;
    if (frames > kFramesPerRead) frames = kFramesPerRead;
    // With auto-increment the FIFO output address rolls back from 0x3F to 0x3E, so one burst reads
    // several words (unverified on hardware, as on the XIAO nRF52840 Sense).
    if (!read_registers(kFifoDataOutL, raw, frames * kWordsPerFrame * 2)) break;
    for (size_t f = 0; f < frames; ++f) {
      const uint8_t* w = raw + f * kWordsPerFrame * 2;
      int16_t in[kWordsPerFrame];
      for (size_t i = 0; i < kWordsPerFrame; ++i) in[i] = static_cast<int16_t>(w[2 * i] | w[2 * i + 1] << 8);
      const int16_t frame[kWordsPerFrame] = {in[3], in[4], in[5], in[0], in[1], in[2]};  // accel first
      int16_t out[kWordsPerFrame];
      if (resampler_.push(frame, out) == 1) {
        if (ring != nullptr) ring->push(out, 1);
        if (tap != nullptr) tap->on_imu(out, kWordsPerFrame, index_, rate_hz_);
        ++index_;
        ++pushed;
      }
    }
    words -= frames * kWordsPerFrame;
  }
  return pushed;
}

}  // namespace esp32s3
}  // namespace wandlab
