#include "sensors.h"

namespace wandlab {
namespace native {

namespace {

constexpr size_t kImuChunkFrames = 16;
constexpr size_t kAudioChunk = 256;

uint64_t samples_in(uint64_t us, uint32_t rate_hz) { return us * rate_hz / 1000000u; }

}  // namespace

void NativeSensors::Run::start(uint16_t rate, uint32_t now_us) {
  on = true;
  rate_hz = rate;
  last_us = now_us;
  elapsed_us = 0;
  emitted = 0;
}

uint64_t NativeSensors::Run::due(uint32_t now_us) {
  elapsed_us += now_us - last_us;  // unsigned: right across the 32-bit clock's wrap
  last_us = now_us;
  return samples_in(elapsed_us, rate_hz);
}

NativeSensors::NativeSensors(const board::Clock& clock, const board::BoardDescription& description,
                             SampleSource& source)
    : clock_(clock), description_(description), source_(source), imu_rate_hz_(description.imu_default_rate_hz) {
  // Before the first sample, the last frame is a wand lying still: 1 g up.
  last_frame_[2] = static_cast<int16_t>(1.0f / description.accel_scale + 0.5f);
}

bool NativeSensors::start_imu(uint16_t rate_hz) {
  host_imu_ = true;
  update_imu(rate_hz);
  return true;
}

void NativeSensors::stop_imu() {
  host_imu_ = false;
  update_imu(imu_rate_hz_);
}

bool NativeSensors::start_audio() {
  host_audio_ = true;
  update_audio();
  return true;
}

void NativeSensors::stop_audio() {
  host_audio_ = false;
  update_audio();
}

void NativeSensors::want(bool imu, bool audio) {
  want_imu_ = imu;
  want_audio_ = audio;
  update_imu(imu_rate_hz_);
  update_audio();
}

void NativeSensors::update_imu(uint16_t rate_hz) {
  if (!(host_imu_ || want_imu_) || description_.imu_axes == 0) {
    imu_.on = false;
    return;
  }
  // Running at this rate already (the board wanted it, now the host streams too): go on, no gap.
  if (imu_.on && imu_.rate_hz == rate_hz) return;
  imu_rate_hz_ = rate_hz;
  imu_.start(rate_hz, clock_.micros());
  source_.imu_started(rate_hz);
}

void NativeSensors::update_audio() {
  if (!(host_audio_ || want_audio_) || !description_.microphone) {
    audio_.on = false;
    return;
  }
  if (audio_.on) return;
  audio_.start(description_.audio_rate_hz, clock_.micros());
  source_.audio_started();
}

void NativeSensors::produce(board::Board& board) {
  const uint32_t now = clock_.micros();
  if (imu_.on) produce_imu(board, now);
  if (audio_.on) produce_audio(board, now);
}

void NativeSensors::produce_imu(board::Board& board, uint32_t now_us) {
  const size_t axes = description_.imu_axes;
  const uint64_t due = imu_.due(now_us);
  const uint64_t grace = samples_in(kGraceUs, imu_.rate_hz);
  int16_t frames[kImuChunkFrames * 6];
  while (imu_.emitted < due) {
    const uint64_t missing = due - imu_.emitted;
    const size_t want = missing < kImuChunkFrames ? static_cast<size_t>(missing) : kImuChunkFrames;
    size_t got = source_.read_imu(frames, want);
    if (got == 0) {
      if (missing <= grace) break;  // late, but within the grace: the next loop may have it
      for (size_t i = 0; i < want; ++i) {
        for (size_t a = 0; a < axes; ++a) frames[i * axes + a] = last_frame_[a];
      }
      got = want;
      underruns_.imu_frames += static_cast<uint32_t>(want);
    }
    if (listener_ != nullptr) {
      for (size_t i = 0; i < got; ++i) {
        listener_->on_imu(frames + i * axes, axes, static_cast<uint32_t>(imu_.emitted + i), imu_.rate_hz);
      }
    }
    if (host_imu_) board.imu_ring().push(frames, got);
    for (size_t a = 0; a < axes; ++a) last_frame_[a] = frames[(got - 1) * axes + a];
    imu_.emitted += got;
  }
}

void NativeSensors::produce_audio(board::Board& board, uint32_t now_us) {
  const uint64_t due = audio_.due(now_us);
  const uint64_t grace = samples_in(kGraceUs, audio_.rate_hz);
  int16_t chunk[kAudioChunk];
  while (audio_.emitted < due) {
    const uint64_t missing = due - audio_.emitted;
    const size_t want = missing < kAudioChunk ? static_cast<size_t>(missing) : kAudioChunk;
    size_t got = source_.read_audio(chunk, want);
    if (got == 0) {
      if (missing <= grace) break;
      for (size_t i = 0; i < want; ++i) chunk[i] = last_sample_;
      got = want;
      underruns_.audio_samples += static_cast<uint32_t>(want);
    }
    if (listener_ != nullptr) {
      // While the host streams, in its AudioBlocks' numbering: what the board says about a sample (a
      // WakeEvent's index) names it as the host has it.
      const uint32_t index = host_audio_ ? board.audio_ring().next_frame() : static_cast<uint32_t>(audio_.emitted);
      listener_->on_audio(chunk, got, index);
    }
    if (host_audio_) board.audio_ring().push(chunk, got);
    last_sample_ = chunk[got - 1];
    audio_.emitted += got;
  }
}

}  // namespace native
}  // namespace wandlab
