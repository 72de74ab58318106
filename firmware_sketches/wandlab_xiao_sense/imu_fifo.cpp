#include "imu_fifo.h"

#include <Arduino.h>
#include <LSM6DS3.h>
#include <Wire.h>

namespace wandlab {
namespace xiao {
namespace {

// Registers (LSM6DS3TR-C datasheet, section 9).
constexpr uint8_t kFifoCtrl3 = 0x08;
constexpr uint8_t kFifoCtrl5 = 0x0A;
constexpr uint8_t kCtrl1Xl = 0x10;
constexpr uint8_t kCtrl2G = 0x11;
constexpr uint8_t kCtrl3C = 0x12;
constexpr uint8_t kFifoStatus1 = 0x3A;
constexpr uint8_t kFifoDataOutL = 0x3E;
constexpr uint8_t kWhoAmI = 0x0F;

constexpr uint8_t kFifoModeContinuous = 0x06;
constexpr uint8_t kFsXl4g = 0x08;       // FS_XL = 10
constexpr uint8_t kFsG2000 = 0x0C;      // FS_G = 11
constexpr uint8_t kBduIfInc = 0x44;     // block data update, register address auto-increment
constexpr uint8_t kNoDecimation = 0x09; // gyro and accel into the FIFO, every sample
constexpr size_t kWordsPerFrame = 6;    // FIFO pattern: Gx Gy Gz XLx XLy XLz
constexpr size_t kFramesPerRead = 4;    // 48 bytes: within the Wire library's 64-byte buffer

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

// The driver object: it owns the sensor's power pin and I2C bus setup (Wire1 on the Sense).
LSM6DS3& sensor() {
  static LSM6DS3 imu(I2C_MODE, 0x6A);
  return imu;
}

}  // namespace

bool ImuFifo::write_register(uint8_t reg, uint8_t value) {
  return sensor().writeRegister(reg, value) == IMU_SUCCESS;
}

bool ImuFifo::read_registers(uint8_t reg, uint8_t* out, size_t n) {
  return sensor().readRegisterRegion(out, reg, static_cast<uint8_t>(n)) == IMU_SUCCESS;
}

bool ImuFifo::begin() {
  if (sensor().begin() != IMU_SUCCESS) return false;
  uint8_t who = 0;
  present_ = read_registers(kWhoAmI, &who, 1) && who == LSM6DS3_C_ACC_GYRO_WHO_AM_I;
  stop();
  return present_;
}

bool ImuFifo::start(uint16_t rate_hz) {
  const uint8_t odr = odr_code(rate_hz);
  if (!present_ || odr == 0) return false;
  resampler_.reset(26, 25, kWordsPerFrame);
  const bool ok = write_register(kCtrl3C, kBduIfInc) && write_register(kFifoCtrl5, 0x00) &&  // bypass: empty
                  write_register(kCtrl1Xl, static_cast<uint8_t>(odr << 4 | kFsXl4g)) &&
                  write_register(kCtrl2G, static_cast<uint8_t>(odr << 4 | kFsG2000)) &&
                  write_register(kFifoCtrl3, kNoDecimation) &&
                  write_register(kFifoCtrl5, static_cast<uint8_t>(odr << 3 | kFifoModeContinuous));
  running_ = ok;
  rate_hz_ = rate_hz;
  index_ = 0;
  return ok;
}

void ImuFifo::stop() {
  running_ = false;
  if (!present_) return;
  write_register(kFifoCtrl5, 0x00);  // bypass
  write_register(kCtrl1Xl, 0x00);    // power down
  write_register(kCtrl2G, 0x00);
}

size_t ImuFifo::poll(board::ImuRing* ring, recognizer::RecognizerTap* tap) {
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
    // several words (unverified on hardware: see README).
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

}  // namespace xiao
}  // namespace wandlab
