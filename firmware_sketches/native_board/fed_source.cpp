#include "fed_source.h"

namespace wandlab {
namespace native {

namespace {

constexpr size_t kConvertValues = 96;  // 16 frames of 6 axes: the stack copy while converting a record

}  // namespace

FedSource::FedSource(FeedLink& link, const board::BoardDescription& description)
    : link_(link), description_(description) {
  imu_.reset(description.imu_axes);
  audio_.reset(1);
}

void FedSource::begin() {
  imu_rate_ = description_.imu_default_rate_hz;
  ++epoch_;
  send_sense();
}

void FedSource::send_sense() {
  uint8_t record[feed::kSenseBytes] = {};
  feed::put_u16(record, epoch_);
  feed::put_u16(record + 2, imu_rate_);
  record[4] = description_.imu_axes;
  feed::put_f32(record + 6, description_.accel_scale);
  feed::put_f32(record + 10, description_.gyro_scale);
  feed::put_u16(record + 14, description_.audio_rate_hz);
  feed::put_u16(record + 16, kLeadMs);
  link_.send(feed::Kind::kSense, record, sizeof(record));
}

void FedSource::imu_started(uint16_t rate_hz) {
  if (rate_hz == imu_rate_) return;  // same rate: the motion goes on where it was, as board.py's
  imu_rate_ = rate_hz;
  ++epoch_;
  imu_.clear();
  imu_credit_ = 0;
  send_sense();
}

size_t FedSource::read_imu(int16_t* out, size_t frames) {
  const size_t n = imu_.pop(out, frames);
  imu_credit_ += static_cast<uint32_t>(n);
  return n;
}

size_t FedSource::read_audio(int16_t* out, size_t count) {
  const size_t n = audio_.pop(out, count);
  audio_credit_ += static_cast<uint32_t>(n);
  return n;
}

void FedSource::on_imu(uint16_t epoch, const uint8_t* counts, size_t values) {
  if (epoch != epoch_) return;  // sampled at a rate the board no longer runs
  const size_t axes = imu_.channels();
  const size_t chunk_frames = kConvertValues / axes;
  int16_t frames[kConvertValues];
  size_t left = values / axes;  // a torn frame at the end would shift every later one: dropped
  while (left > 0) {
    const size_t n = left < chunk_frames ? left : chunk_frames;
    feed::get_i16s(counts, frames, n * axes);
    overflows_ += static_cast<uint32_t>((n - imu_.push(frames, n)) * axes);
    counts += 2 * n * axes;
    left -= n;
  }
}

void FedSource::on_audio(const uint8_t* samples, size_t count) {
  int16_t chunk[kConvertValues];
  while (count > 0) {
    const size_t n = count < kConvertValues ? count : kConvertValues;
    feed::get_i16s(samples, chunk, n);
    overflows_ += static_cast<uint32_t>(n - audio_.push(chunk, n));
    samples += 2 * n;
    count -= n;
  }
}

void FedSource::tick(uint32_t now_us) {
  if ((imu_credit_ == 0 && audio_credit_ == 0) || now_us - last_credit_us_ < kCreditIntervalUs) return;
  uint8_t record[feed::kConsumedBytes];
  feed::put_u32(record, imu_credit_);
  feed::put_u32(record + 4, audio_credit_);
  if (link_.send(feed::Kind::kConsumed, record, sizeof(record))) {
    imu_credit_ = audio_credit_ = 0;
    last_credit_us_ = now_us;
  }
}

bool FedSource::primed() const {
  return imu_.frames() >= lead_frames() / 2 && audio_.frames() >= lead_samples() / 2;
}

}  // namespace native
}  // namespace wandlab
