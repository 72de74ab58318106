// Between a board's IMU and its recogniser: every IMU frame the board samples, streamed to the host or
// sampled for the board alone, goes to Recognizer::on_imu in the blocks the Python board feeds its
// BoardRecognizer (max(1, rate / 25) frames, about 25 a second), so the recogniser sees the stream cut
// as there. A block cut short by a restarted or re-rated IMU goes as it is.
//
// Blocks wait here until deliver(), which the loop calls after Board::poll(): the samples reach the host
// before what the recogniser decides on them, as board.py orders them. Should more than kQueuedBlocks
// complete before a deliver(), the oldest go at once (order then as it comes; nothing is lost).
// RAM: about 1.9 KB (nine blocks of up to 16 six-axis frames; the XIAO queues 4: 1 KB).
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "recognizer.h"

#ifndef WANDLAB_TAP_QUEUED_BLOCKS
#define WANDLAB_TAP_QUEUED_BLOCKS 8
#endif

namespace wandlab {
namespace recognizer {

class RecognizerTap {
 public:
  // 0.32 s of blocks: far more than one loop makes (a board short of RAM defines fewer).
  static constexpr size_t kQueuedBlocks = WANDLAB_TAP_QUEUED_BLOCKS;

  explicit RecognizerTap(Recognizer& recognizer) : recognizer_(recognizer) {}
  // The board the recogniser answers through; frames before bind() are ignored.
  void bind(board::Board& board) { board_ = &board; }

  // One IMU frame: `axes` int16 counts at the board's scales, frame `index` since the IMU last started.
  void on_imu(const int16_t* frame, size_t axes, uint32_t index, uint16_t rate_hz);
  // The completed blocks to the recogniser.
  void deliver();

  uint32_t blocks() const { return blocks_; }

 private:
  struct Block {
    int16_t counts[board::kImuMaxBlockFrames * 6] = {};
    size_t frames = 0;
    size_t axes = 0;
    uint32_t first_index = 0;
    uint16_t rate_hz = 0;
  };

  void close_block();

  Recognizer& recognizer_;
  board::Board* board_ = nullptr;
  Block open_;
  Block queue_[kQueuedBlocks];
  size_t queued_ = 0;
  uint32_t blocks_ = 0;
};

}  // namespace recognizer
}  // namespace wandlab
