#include "recognizer_tap.h"

#include <cstring>

namespace wandlab {
namespace recognizer {

void RecognizerTap::on_imu(const int16_t* frame, size_t axes, uint32_t index, uint16_t rate_hz) {
  if (board_ == nullptr || axes == 0 || axes > 6) return;
  const bool continues = open_.frames > 0 && rate_hz == open_.rate_hz && axes == open_.axes &&
                         index == static_cast<uint32_t>(open_.first_index + open_.frames);
  if (open_.frames > 0 && !continues) close_block();
  if (open_.frames == 0) {
    open_.first_index = index;
    open_.rate_hz = rate_hz;
    open_.axes = axes;
  }
  std::memcpy(open_.counts + open_.frames * axes, frame, axes * sizeof(int16_t));
  ++open_.frames;
  size_t block_frames = rate_hz / board::kImuBlocksPerSecond;  // board.py: max(1, rate // 25)
  if (block_frames < 1) block_frames = 1;
  if (block_frames > board::kImuMaxBlockFrames) block_frames = board::kImuMaxBlockFrames;
  if (open_.frames >= block_frames) close_block();
}

void RecognizerTap::close_block() {
  if (queued_ == kQueuedBlocks) deliver();
  queue_[queued_++] = open_;
  open_.frames = 0;
}

void RecognizerTap::deliver() {
  for (size_t i = 0; i < queued_; ++i) {
    const Block& b = queue_[i];
    recognizer_.on_imu(*board_, b.counts, b.frames, b.first_index, b.rate_hz);
    ++blocks_;
  }
  queued_ = 0;
}

}  // namespace recognizer
}  // namespace wandlab
