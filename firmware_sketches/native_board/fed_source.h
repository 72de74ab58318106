// The sensors' samples from the feed (--feed-fd): the Python virtual wand's motion and sound, played
// out of two FIFOs that the feeder keeps kLeadMs ahead of the sensors. The feeder sends more only for
// what the board took (kConsumed credits), so a FIFO holds about the lead and never overflows unless
// the feeder ignores the credits (counted). A new IMU rate starts a new epoch: the IMU FIFO is emptied
// and the frames of the old rate still in the pipe are dropped when they arrive.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "feed_link.h"
#include "sample_fifo.h"
#include "sample_source.h"

namespace wandlab {
namespace native {

class FedSource : public SampleSource, public FeedSamples {
 public:
  static constexpr uint16_t kLeadMs = 150;
  static constexpr size_t kImuCapacityValues = 512 * 6;  // 1.28 s of 6-axis frames at 400 Hz
  static constexpr size_t kAudioCapacity = 16384;  // 1 s at 16 kHz
  // Credits go back at most this often: the feeder wakes ~50 times a second, not once per frame.
  static constexpr uint32_t kCreditIntervalUs = 20000;

  FedSource(FeedLink& link, const board::BoardDescription& description);
  FedSource(const FedSource&) = delete;
  FedSource& operator=(const FedSource&) = delete;

  // Tells the feeder the board's default IMU rate, axes and scales: the first epoch.
  void begin();
  // Sends the credits gathered since the last call, at most every kCreditIntervalUs.
  void tick(uint32_t now_us);
  // Both FIFOs hold at least half the lead: the sensors can start without waiting on the feeder.
  bool primed() const;
  // Fed values that found the FIFO full (a feeder sending more than it was asked for).
  uint32_t overflows() const { return overflows_; }

  void imu_started(uint16_t rate_hz) override;
  size_t read_imu(int16_t* out, size_t frames) override;
  void audio_started() override {}
  size_t read_audio(int16_t* out, size_t count) override;

  void on_imu(uint16_t epoch, const uint8_t* counts, size_t values) override;
  void on_audio(const uint8_t* samples, size_t count) override;

 private:
  void send_sense();
  size_t lead_frames() const { return static_cast<size_t>(imu_rate_) * kLeadMs / 1000; }
  size_t lead_samples() const { return static_cast<size_t>(description_.audio_rate_hz) * kLeadMs / 1000; }

  FeedLink& link_;
  const board::BoardDescription& description_;
  SampleFifo<kImuCapacityValues> imu_;
  SampleFifo<kAudioCapacity> audio_;
  uint16_t epoch_ = 0;
  uint16_t imu_rate_ = 0;
  uint32_t imu_credit_ = 0;
  uint32_t audio_credit_ = 0;
  uint32_t last_credit_us_ = 0;
  uint32_t overflows_ = 0;
};

}  // namespace native
}  // namespace wandlab
