// The Nano 33 BLE Sense Rev2's BMI270 through the Arduino_BMI270_BMM150 library. The library fixes the
// sensor at 100 Hz (it reports (1 << odr) * 0.39 = 99.84 Hz), +-4 g and +-2000 dps, and reads one sample at
// a time when its data-ready bit is set (no FIFO). So the board offers 25, 50 and 100 Hz: the 100 Hz stream
// decimated by FrameResampler(round(rate_in / rate), 1), i.e. 4:1, 2:1 or 1:1. Faster rates would need the
// sensor's own FIFO and ODR registers, which this library keeps private.
//
// The library returns floats (g, deg/s) already turned into the Nano's axes (x = -raw y, y = -raw x); they
// go back to int16 counts at the library's own scale (8192 LSB/g, 16.384 LSB/dps), so nothing is lost.
// Without a FIFO, a loop() that takes longer than a sample period loses samples, and the stream's
// first_sample clock slips by as many. A loss cannot be told from loop() jitter for sure (data-ready is seen
// up to one loop() late), but a gap over two periods means at least one: those are counted in late_reads().
// Keep loop() well under 10 ms (BLE.poll() and the PDM callback are short).
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "frame_resampler.h"
#include "recognizer_tap.h"

namespace wandlab {
namespace nano33 {

constexpr float kAccelRangeG = 4.0f;
constexpr float kAccelLsbPerG = 8192.0f;  // BMI270.cpp INT16_to_G, +-4 g
constexpr float kAccelScale = 1.0f / kAccelLsbPerG;
constexpr float kGyroRangeDps = 2000.0f;
constexpr float kGyroLsbPerDps = 16.384f;  // BMI270.cpp INT16_to_DPS, +-2000 dps
constexpr float kGyroScale = 1.0f / kGyroLsbPerDps;
constexpr uint16_t kImuRatesHz[] = {25, 50, 100};

class ImuBmi270 {
 public:
  // Starts the BMI270 (not the BMM150 magnetometer); false if it does not answer.
  bool begin();
  // rate_hz: one of kImuRatesHz.
  bool start(uint16_t rate_hz);
  void stop();
  // Reads the sample the sensor has ready, if any, into `ring` (null: the host is not streaming) and to
  // `tap` (null: nobody on the board listens). Call every loop(). Returns frames read.
  size_t poll(board::ImuRing* ring, recognizer::RecognizerTap* tap);
  bool running() const { return running_; }
  uint16_t rate_hz() const { return rate_hz_; }
  // Reads more than two sample periods apart: at least one sample was lost there.
  uint32_t late_reads() const { return late_reads_; }

 private:
  board::FrameResampler resampler_;
  float sensor_rate_hz_ = 100.0f;
  uint32_t period_us_ = 10000;
  uint32_t last_read_us_ = 0;
  uint16_t rate_hz_ = 0;
  uint32_t index_ = 0;  // frames since start(), as the tap numbers them
  bool have_read_ = false;
  bool present_ = false;
  bool running_ = false;
  uint32_t late_reads_ = 0;
};

}  // namespace nano33
}  // namespace wandlab
