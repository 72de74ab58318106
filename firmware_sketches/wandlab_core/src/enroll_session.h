// Enrollment on the board: capture a few takes, embed them, store them as a class. No training.
//
// The C++ twin of app/wandlab/virtual/enrollment.py EnrollSession: a small state machine the recogniser
// (recognizer.h) drives - on_segment() for every motion segment the board cuts while a session runs,
// tick() for time passing (the per-take timeout). It only reports progress, as EnrollProgress messages
// with Python's texts byte for byte; storing the class is the recogniser's job (refs::RefStore::
// store_enrollment) once finished() holds the takes' embeddings.
//
// Time is the board's, in microseconds on a 64-bit count that does not wrap (the recogniser extends
// its 32-bit Clock). Python compares float seconds; the two agree except when a poll lands within a
// microsecond of a deadline.
//
// Memory: no heap; sizeof is about 1 KB (the takes' embeddings: kMaxShots x kMaxEmbeddingValues bytes,
// and the text of the progress message being sent).
#pragma once

#include <cstddef>
#include <cstdint>

#include "message_text.h"
#include "messages.h"
#include "shape_dtw.h"

namespace wandlab {
namespace enroll {

constexpr size_t kMaxShots = 10;              // enrollment.MAX_SHOTS
constexpr size_t kMaxEmbeddingValues = 64;    // refs::kMaxDim: what the board stores per reference
constexpr size_t kMaxLabelBytes = 64;

// Receives the progress messages (the recogniser sends each to the host as it comes).
class ProgressSink {
 public:
  virtual void progress(const protocol::EnrollProgress& message) = 0;

 protected:
  ~ProgressSink() = default;
};

class EnrollSession {
 public:
  // EnrollSession.start: `request` was checked (check_start and the class table's checks) and
  // `class_id` is the class it enrolls. Sends WAITING "Perform take 1 of N".
  void start(const protocol::EnrollStart& request, uint8_t class_id, uint64_t now_us, ProgressSink& sink);

  // Started and neither stored, failed nor cancelled (Python: a session that is not done).
  bool running() const { return running_; }
  // Every take captured: the recogniser stores them, then calls succeed() or fail().
  bool finished() const { return count_ >= wanted_; }

  // A motion segment ended with this embedding (dim values; false if dim > kMaxEmbeddingValues):
  // capture it, or say why not and wait for another take.
  // `codes` (code_bytes values; may be null): the take's shape codes, kept with it.
  bool on_segment(const int8_t* embedding, size_t dim, double seconds, bool clipped, uint64_t now_us,
                  ProgressSink& sink, const int8_t* codes = nullptr, size_t code_bytes = 0);
  // Time passing: FAILED once the current take's deadline has passed.
  void tick(uint64_t now_us, ProgressSink& sink);
  void fail(const protocol::Str& message, ProgressSink& sink);
  void succeed(const protocol::Str& message, ProgressSink& sink);
  // Ends the session without a message (a new host session, or EnrollCancel after its reply).
  void stop() { running_ = false; }

  uint8_t class_id() const { return class_id_; }
  protocol::Str label() const { return protocol::Str{label_, label_size_}; }
  const int8_t* shots() const { return shots_; }  // shot_count() x dim values
  size_t shot_count() const { return count_; }
  // shot_count() x code_bytes shape codes, or null if a take came without them.
  const int8_t* shapes() const { return has_codes_ && count_ ? shapes_ : nullptr; }

 private:
  void prompt(Text* text) const;  // "Perform take 2 of 3"
  void send(protocol::EnrollState state, ProgressSink& sink);

  bool running_ = false;
  uint8_t class_id_ = 0;
  uint8_t wanted_ = 0;
  uint32_t timeout_ms_ = 0;
  char label_[kMaxLabelBytes] = {};
  uint8_t label_size_ = 0;
  uint64_t deadline_us_ = 0;  // the current take must have started by then
  uint8_t count_ = 0;
  int8_t shots_[kMaxShots * kMaxEmbeddingValues] = {};
  bool has_codes_ = true;
  int8_t shapes_[kMaxShots * shape::kMaxFrames * shape::kMaxChannels] = {};
  Text text_;  // the message being sent
};

// Python's f"{value:.{decimals}f}" for 0 <= value < 2^31 and decimals 0-3: the double's exact binary
// value rounded half to even, as Python formats it (no printf, no heap).
void add_fixed(Text* text, double value, int decimals);
// Python's f"{milliseconds / 1000:g}": six significant digits, trailing zeros dropped, an exponent
// from 1e6 s on ("15", "1.001", "4.29497e+06").
void add_seconds_g(Text* text, uint32_t milliseconds);

}  // namespace enroll
}  // namespace wandlab
