// The native board's speech model: the shipped speech embedding flatbuffer (--speech-model FILE), read
// once into a 16-byte aligned buffer and run from there in its own TFLM runner and arena, as a board
// keeps it in flash beside (not in) the gesture model slots. Words are checked against the CRC-32 of
// the file (WordUpload.model_crc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "model_runner.h"
#include "wake_detector.h"

namespace wandlab {
namespace native {

// The shipped model is ~29 KB; TFLM on the 64-bit host needs ~18 KB of arena where the XIAO needs ~15 KB
// (Python's board gives it 32 KB: virtual/word_model.py SPEECH_ARENA_BYTES).
constexpr size_t kSpeechModelBytes = 64 * 1024;
constexpr size_t kSpeechArenaBytes = 32 * 1024;

class SpeechModel {
 public:
  SpeechModel() : runner_(nullptr, 0, arena_, sizeof(arena_)), embedder_(runner_) {}
  SpeechModel(const SpeechModel&) = delete;
  SpeechModel& operator=(const SpeechModel&) = delete;

  // Reads and loads the model; false with problem() saying why (path empty: none was given).
  bool open(const char* path);
  // The detector's embedder, or null when open() failed.
  wake::Embedder* embedder() { return ok_ ? &embedder_ : nullptr; }
  uint32_t crc() const { return crc_; }
  size_t bytes() const { return size_; }
  const char* problem() const { return problem_; }

 private:
  alignas(tflm::kBufferAlignment) uint8_t model_[kSpeechModelBytes] = {};
  alignas(tflm::kBufferAlignment) uint8_t arena_[kSpeechArenaBytes] = {};
  tflm::ModelRunner runner_;
  wake::TflmEmbedder embedder_;
  bool ok_ = false;
  uint32_t crc_ = 0;
  size_t size_ = 0;
  char problem_[256] = "no speech model was given to this board (--speech-model FILE)";
};

}  // namespace native
}  // namespace wandlab
