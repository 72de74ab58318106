// An LSM6DS3TR-C (or LSM6DS3) on the XIAO ESP32S3's I2C pins (D4 = SDA, GPIO5; D5 = SCL, GPIO6), read
// through its FIFO: the XIAO ESP32S3 Sense has no IMU, and this is the sensor of the XIAO nRF52840 Sense,
// so both wands give the same counts at the same scales and rates and share models. Accel +-4 g and gyro
// +-2000 dps at the sensor's ODR (26, 52, 104, 208 or 416 Hz - 26/25 of the rate the host asked for),
// resampled to exactly 25, 50, 100, 200 or 400 Hz (FrameResampler) and pushed into the Board's IMU ring as
// ax ay az gx gy gz. The FIFO (4 KB, ~0.8 s at 416 Hz) rides out a busy loop(); poll() empties it. The
// register work is ../wandlab_xiao_sense/imu_fifo.cpp's, over the Wire library instead of Seeed's driver.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "frame_resampler.h"
#include "recognizer_tap.h"

namespace wandlab {
namespace esp32s3 {

// Datasheet sensitivities (LSM6DS3TR-C, table 3): 0.122 mg/LSB at +-4 g, 70 mdps/LSB at +-2000 dps.
constexpr float kAccelRangeG = 4.0f;
constexpr float kAccelScale = 0.000122f;
constexpr float kGyroRangeDps = 2000.0f;
constexpr float kGyroScale = 0.070f;

class ImuLsm6ds3 {
 public:
  // Starts I2C at 400 kHz, finds the sensor at 0x6A or 0x6B and checks WHO_AM_I; false if none answers.
  bool begin();
  bool start(uint16_t rate_hz);
  void stop();
  // Moves what the FIFO holds into `ring` (null: the host is not streaming) and to `tap` (null: nobody
  // on the board listens). Call every loop(). Returns frames read.
  size_t poll(board::ImuRing* ring, recognizer::RecognizerTap* tap);
  bool running() const { return running_; }
  uint16_t rate_hz() const { return rate_hz_; }
  // FIFO overruns seen (the sensor's own, before the board's ring).
  uint32_t overruns() const { return overruns_; }

 private:
  bool write_register(uint8_t reg, uint8_t value);
  bool read_registers(uint8_t reg, uint8_t* out, size_t n);

  board::FrameResampler resampler_;
  uint8_t address_ = 0;
  bool present_ = false;
  bool running_ = false;
  uint16_t rate_hz_ = 100;
  uint32_t index_ = 0;  // frames since start(), as the tap numbers them
  uint32_t overruns_ = 0;
};

}  // namespace esp32s3
}  // namespace wandlab
