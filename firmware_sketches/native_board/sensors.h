// The native board's IMU and microphone: they produce samples on the board's clock from a SampleSource
// (the C++ synthesis or the feed), whether or not the host streams. Every sample passes the one
// SampleListener (where an on-board recogniser listens); it reaches the Board's rings, and so the host,
// only while the host streams that sensor. A sensor runs while the host streams it or the board wants
// it (want(): a recogniser that works with nobody streaming).
//
// A source that runs late (the feeder) is waited for up to kGraceUs; past that the sensor repeats its
// last frame (the microphone its last sample) and counts an underrun, so the stream keeps its rate
// and the protocol loop never waits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "sample_listener.h"
#include "sample_source.h"

namespace wandlab {
namespace native {

class NativeSensors : public board::SensorControl {
 public:
  static constexpr uint32_t kGraceUs = 50000;

  struct Underruns {
    uint32_t imu_frames = 0;     // frames repeated because the source had none yet
    uint32_t audio_samples = 0;  // samples repeated likewise
  };

  NativeSensors(const board::Clock& clock, const board::BoardDescription& description, SampleSource& source);
  NativeSensors(const NativeSensors&) = delete;
  NativeSensors& operator=(const NativeSensors&) = delete;

  // The host's StreamStart / StreamStop, through the Board.
  bool start_imu(uint16_t rate_hz) override;
  void stop_imu() override;
  bool start_audio() override;
  void stop_audio() override;
  // A nominal figure: the PC has plenty, a real board reports what its heap has left.
  uint32_t free_ram_bytes() const override { return 192 * 1024; }

  // The board itself needs samples (a recogniser): the sensors run even while the host streams nothing.
  // The IMU then runs at the rate it last ran at (the board's default rate at first).
  void want(bool imu, bool audio);
  void set_listener(SampleListener* listener) { listener_ = listener; }

  // The samples due by now: to the listener, and to the board's rings while the host streams.
  void produce(board::Board& board);

  const Underruns& underruns() const { return underruns_; }
  bool imu_running() const { return imu_.on; }
  bool audio_running() const { return audio_.on; }

 private:
  // One sensor's clock: how many samples are due, whatever the loop's jitter and the clock's wrap.
  struct Run {
    bool on = false;
    uint16_t rate_hz = 0;
    uint32_t last_us = 0;
    uint64_t elapsed_us = 0;
    uint64_t emitted = 0;

    void start(uint16_t rate, uint32_t now_us);
    uint64_t due(uint32_t now_us);
  };

  void update_imu(uint16_t rate_hz);
  void update_audio();
  void produce_imu(board::Board& board, uint32_t now_us);
  void produce_audio(board::Board& board, uint32_t now_us);

  const board::Clock& clock_;
  const board::BoardDescription& description_;
  SampleSource& source_;
  SampleListener* listener_ = nullptr;
  bool host_imu_ = false;
  bool want_imu_ = false;
  bool host_audio_ = false;
  bool want_audio_ = false;
  uint16_t imu_rate_hz_;  // the rate the IMU runs at, or last ran at
  Run imu_;
  Run audio_;
  int16_t last_frame_[6] = {};
  int16_t last_sample_ = 0;
  Underruns underruns_;
};

}  // namespace native
}  // namespace wandlab
