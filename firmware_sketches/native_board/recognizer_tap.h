// Between the native board's sensors and the recogniser: every IMU frame the sensors produce, streamed
// to the host or sampled for the board alone, goes to Recognizer::on_imu in the blocks the Python board
// feeds its BoardRecognizer (max(1, rate / 25) frames, about 25 a second), so the recogniser sees the
// stream cut as there. A block cut short by a restarted or re-rated IMU goes as it is.
//
// Blocks wait here until deliver(), which the loop calls after Board::poll(): the samples reach the host
// before what the recogniser decides on them, as board.py orders them. Should more than kQueuedBlocks
// complete before a deliver(), the oldest go at once (order then as it comes; nothing is lost).
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "recognizer.h"
#include "sample_listener.h"

namespace wandlab {
namespace native {

class RecognizerTap : public SampleListener {
 public:
  static constexpr size_t kQueuedBlocks = 8;  // 0.32 s of blocks: far more than one 2 ms loop makes

  explicit RecognizerTap(recognizer::Recognizer& recognizer) : recognizer_(recognizer) {}
  // The board the recogniser answers through; frames before bind() are ignored.
  void bind(board::Board& board) { board_ = &board; }

  void on_imu(const int16_t* frame, size_t axes, uint32_t index, uint16_t rate_hz) override;
  // The C++ core has no wake-word detector yet: the microphone is not listened to.
  void on_audio(const int16_t* samples, size_t n, uint32_t index) override {
    (void)samples;
    (void)n;
    (void)index;
  }

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

  recognizer::Recognizer& recognizer_;
  board::Board* board_ = nullptr;
  Block open_;
  Block queue_[kQueuedBlocks];
  size_t queued_ = 0;
  uint32_t blocks_ = 0;
};

}  // namespace native
}  // namespace wandlab
