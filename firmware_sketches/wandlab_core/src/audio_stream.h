// The incremental audio front end: int16 chunks of any length in, int8 log-mel frames out, as the
// board hears its microphone. Twin of app/wandlab/onboard/audio_stream.py (AudioFrontEnd).
//
// A frame needs kWindowSamples (480) samples and frames start every kHopSamples (320), so only the
// samples not yet consumed by a frame are kept (fewer than 480) and each frame is computed once, by
// audio::log_mel_frame and audio::quantize themselves: the codes equal the batch front end's
// (audio::log_mel on the whole signal) bit for bit whatever the chunking, because there is one
// definition of a frame, not two. The last kClipFrames (49 = 1 s) codes stay in a ring - the model's
// input - with each frame's RMS level for the wake detector's energy gate.
//
// Memory (no heap): the pending samples 960 B, the code ring 49 x 40 = 1960 B, the levels (double, as
// Python's gate compares them) 392 B: sizeof 3,344 B on a Cortex-M4. Not reentrant: audio::log_mel_frame
// uses static FFT buffers (one audio pipeline).
#pragma once

#include <cstddef>
#include <cstdint>

#include "audio_features.h"

namespace wandlab {
namespace audio {

// Level of a frame of digital silence, and of ring slots not filled yet (Python's SILENT_DBFS).
constexpr double kSilentDbfs = -120.0;
constexpr int kWindowCodes = kClipFrames * kNumMelBands;  // the model input: 49 x 40 int8

class AudioStream {
 public:
  AudioStream() { reset(); }

  // Forgets everything heard: the next sample starts frame 0.
  void reset();

  // Appends `count` samples; returns how many frames they completed (their codes are the newest in
  // the ring). A chunk longer than a window leaves only its last kClipFrames frames in the ring.
  int feed(const int16_t* pcm, size_t count);

  // Whether a whole window (kClipFrames frames) has been heard.
  bool full() const { return frames_ >= static_cast<uint64_t>(kClipFrames); }
  uint64_t frames() const { return frames_; }    // frames computed since reset()
  uint64_t samples() const { return samples_; }  // samples fed since reset()

  // Stream sample index one past the last sample of frame `frame` (counted from 0).
  static uint64_t frame_end(uint64_t frame) {
    return frame * static_cast<uint64_t>(kHopSamples) + static_cast<uint64_t>(kWindowSamples);
  }

  // The last kClipFrames frames into `out` (kWindowCodes values, oldest frame first; frames not heard
  // yet are zeros, as Python's).
  void window(int8_t* out) const;

  // The loudest frame's RMS level (dBFS) among the last `frames` frames (clamped to 1..kClipFrames).
  double window_level_dbfs(int frames = kClipFrames) const;

 private:
  void add_frame();

  int16_t pending_[kWindowSamples];  // from the first sample of the next frame
  int pending_count_;
  int8_t ring_[kClipFrames][kNumMelBands];
  double levels_[kClipFrames];
  int head_;  // slot the next frame goes into (the oldest frame's slot once full)
  uint64_t frames_;
  uint64_t samples_;
};

}  // namespace audio
}  // namespace wandlab
