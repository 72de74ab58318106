// Wake words on the board: a streaming 1-NN detector over the speech model's embeddings. Twin of
// app/wandlab/onboard/wake_detector.py (WakeDetector); the module docstring there has the measurements
// behind the rule.
//
// The microphone stream goes through the incremental front end (audio_stream.h). Every hop
// (kHopFrames = 8 frames = 160 ms) once a whole second is heard, and only while the loudest frame of
// that second reaches the gate (kGateDbfs), the last 49 frames are embedded and compared with every
// word: distance = the 1-NN cosine distance to the word's references, accepted at or below the word's
// threshold. A word wakes when it is accepted in kConfirmHops of the last kConfirmWindow hops, or at once
// within kStrictFactor x its threshold (the word with the smallest distance / threshold wins); then
// the detector is deaf for the refractory second (the model does not run), so one utterance wakes once.
//
// The model is behind `Embedder` (raw int8 outputs), so the detector is testable without TFLM;
// `TflmEmbedder` runs the speech model in a tflm::ModelRunner. Distances come from the int8 codes:
// integer dot products and norms (exact), then one division in double, so the scale cancels; Python
// computes the same cosine on float32 unit vectors and agrees to float rounding (~1e-7; the twin
// test allows 1e-5 and checks no decision sits that close to a threshold).
//
// What differs from Python: no latency is measured here (the board has the clock: time feed()); an
// embedding the model fails to compute counts in embed_failures() and the hop decides nothing, as a
// shut gate does (Python would raise).
//
// Memory (no heap): sizeof(WakeDetector) is 4,072 B on a Cortex-M4 - the front end 3,344 B, the words
// (views into the caller's word store, 20 B each) 320 B, the distances of the last hop and of three hops
// 256 B, the raw embedding 64 B. The model input is written straight into the embedder's buffer (TFLM's
// input tensor), not copied; the speech model's buffer and arena are the caller's (see README).
#pragma once

#include <cstddef>
#include <cstdint>

#include "audio_stream.h"

namespace wandlab {
namespace tflm {
class ModelRunner;
}

namespace wake {

constexpr int kHopFrames = 8;                            // 160 ms between decisions
constexpr int64_t kRefractorySamples = audio::kSampleRateHz;  // 1 s deaf after a wake
// The loudest 30 ms frame of the window must reach this for the model to run (Python's GATE_DBFS:
// no higher than the quietest take enrolment accepts, above a quiet room).
constexpr double kGateDbfs = -50.0;
constexpr int kConfirmHops = 2;
constexpr int kConfirmWindow = 3;
constexpr double kStrictFactor = 0.6;
constexpr size_t kMaxWords = 16;          // protocol kMaxWords (ids 0-15); the test checks they agree
constexpr size_t kMaxRefsPerWord = 8;     // virtual/word_store.py MAX_REFS_PER_WORD
constexpr size_t kMaxEmbeddingDim = 64;   // the shipped speech model gives 32

// The speech model as the detector uses it: kWindowCodes int8 features in, dim() raw int8 codes out.
class Embedder {
 public:
  virtual size_t dim() const = 0;
  virtual int32_t output_zero_point() const = 0;
  // Where the detector writes the next input (audio::kWindowCodes values, oldest frame first), before
  // every embed(); may be the model's own input tensor.
  virtual int8_t* input() = 0;
  // Runs the model on input(); writes dim() raw outputs. False when it could not run.
  virtual bool embed(int8_t* raw) = 0;

 protected:
  ~Embedder() = default;
};

// One enrolled word, as views into the caller's memory (the word store), valid while it is set.
struct Word {
  uint8_t word_id;
  const char* label;    // NUL-terminated
  const int8_t* codes;  // count x dim raw int8 speech model outputs
  size_t count;
  float threshold;      // cosine distance, 0 < threshold < 2
};

struct Wake {
  uint8_t word_id;
  const char* label;
  float distance;
  float threshold;
  int64_t sample_index;  // stream index of the last sample of the window that woke
};

enum class HopKind : uint8_t {
  kDeaf,      // no words, or within the refractory second: nothing decided, the hop history cleared
  kGated,     // the window was too quiet: the model did not run
  kEmbedded,  // the model ran; last_distance() holds this hop's distances
  kFailed,    // the model did not run (Embedder::embed returned false)
};

struct Hop {
  uint64_t index;      // hops so far, this one included (Python's `hops`)
  int64_t end;         // stream index of the last sample of its window
  HopKind kind;
};

// What the detector tells its owner: every wake, and (for tests and diagnostics) every hop.
class Listener {
 public:
  virtual void on_wake(const Wake& wake) = 0;
  virtual void on_hop(const Hop& hop) { (void)hop; }

 protected:
  ~Listener() = default;
};

enum class Status : uint8_t {
  kOk,
  kTooManyWords,
  kNoReferences,
  kTooManyReferences,
  kBadThreshold,
  kBadEmbedder,
};
// A short English sentence for a status (for the host).
const char* status_text(Status status);

struct Settings {
  int hop_frames = kHopFrames;                    // at least 1
  int64_t refractory_samples = kRefractorySamples;
  double gate_dbfs = kGateDbfs;
};

class WakeDetector {
 public:
  explicit WakeDetector(Embedder& embedder, const Settings& settings = Settings());
  WakeDetector(const WakeDetector&) = delete;
  WakeDetector& operator=(const WakeDetector&) = delete;

  // Replaces the words (copied as views; the hop history is cleared). Nothing changes unless kOk.
  Status set_words(const Word* words, size_t count);
  size_t word_count() const { return word_count_; }
  // Forgets the audio heard so far and the refractory time: the next feed() starts a new stream (the
  // board stopped listening in between, and a window must not join old audio to new).
  void restart();

  // Samples in, right after the previous ones; `first_index`: their stream index (a renumbered stream
  // keeps the refractory timing). A long chunk is decided hop by hop, as a live stream of small blocks
  // would be. Returns the number of wakes (each also given to listener.on_wake).
  size_t feed(const int16_t* pcm, size_t count, Listener& listener);
  size_t feed(const int16_t* pcm, size_t count, int64_t first_index, Listener& listener);

  // Stream index of the next sample feed() expects.
  int64_t next_index() const { return offset_ + static_cast<int64_t>(front_.samples()); }
  uint64_t hops() const { return hops_; }
  uint64_t embeddings() const { return embeddings_; }
  uint64_t embed_failures() const { return embed_failures_; }
  // Word i's (set_words order) distance at the last embedded hop; -1 before any.
  float last_distance(size_t i) const { return i < word_count_ ? last_distances_[i] : -1.0f; }
  const audio::AudioStream& front() const { return front_; }

 private:
  uint64_t next_decision(uint64_t frames) const;
  size_t samples_to_next_hop() const;
  bool decide(Wake* wake, Listener& listener);
  void remember(bool embedded);
  float distance(const Word& word, const int8_t* raw) const;

  Embedder& embedder_;
  Settings settings_;
  audio::AudioStream front_;
  Word words_[kMaxWords];
  size_t word_count_ = 0;
  int64_t offset_ = 0;        // stream index of front-end sample 0
  int64_t deaf_until_ = -1;   // no wake before this stream index
  uint64_t hops_ = 0;
  uint64_t embeddings_ = 0;
  uint64_t embed_failures_ = 0;
  int8_t raw_[kMaxEmbeddingDim];
  float last_distances_[kMaxWords];
  // Distances of the last hops, oldest first; a gated hop's are +inf (Python's missing entries).
  float recent_[kConfirmWindow][kMaxWords];
  int recent_count_ = 0;
};

// The speech model in TFLM as an Embedder. The runner must hold the model already (runner.load()).
class TflmEmbedder : public Embedder {
 public:
  explicit TflmEmbedder(tflm::ModelRunner& runner) : runner_(runner) {}
  // "" when the loaded model takes (1, 49, 40, 1)-sized int8 features and gives 1..kMaxEmbeddingDim
  // int8 values, else why not (SpeechModel's check in virtual/word_model.py).
  const char* check() const;
  size_t dim() const override;
  int32_t output_zero_point() const override;
  int8_t* input() override;
  bool embed(int8_t* raw) override;

 private:
  tflm::ModelRunner& runner_;
};

}  // namespace wake
}  // namespace wandlab
