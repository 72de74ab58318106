// The streaming wake-word detector; see wake_detector.h.

#include "wake_detector.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "model_runner.h"

namespace wandlab {
namespace wake {

const char* status_text(Status status) {
  switch (status) {
    case Status::kOk: return "";
    case Status::kTooManyWords: return "the board detects at most 16 wake words";
    case Status::kNoReferences: return "a wake word needs at least one reference";
    case Status::kTooManyReferences: return "a wake word holds at most 8 references";
    case Status::kBadThreshold: return "a wake word's threshold must be a cosine distance between 0 and 2";
    case Status::kBadEmbedder: return "the speech model's embedding is empty or wider than 64 values";
  }
  return "unknown wake detector status";
}

WakeDetector::WakeDetector(Embedder& embedder, const Settings& settings)
    : embedder_(embedder), settings_(settings) {
  if (settings_.hop_frames < 1) settings_.hop_frames = 1;
  for (float& d : last_distances_) d = -1.0f;
}

Status WakeDetector::set_words(const Word* words, size_t count) {
  if (count > kMaxWords) return Status::kTooManyWords;
  const size_t dim = embedder_.dim();
  if (count > 0 && (dim == 0 || dim > kMaxEmbeddingDim)) return Status::kBadEmbedder;
  for (size_t i = 0; i < count; ++i) {
    if (words[i].count == 0 || words[i].codes == nullptr) return Status::kNoReferences;
    if (words[i].count > kMaxRefsPerWord) return Status::kTooManyReferences;
    if (!(words[i].threshold > 0.0f && words[i].threshold < 2.0f)) return Status::kBadThreshold;
  }
  for (size_t i = 0; i < count; ++i) words_[i] = words[i];
  word_count_ = count;
  for (float& d : last_distances_) d = -1.0f;
  recent_count_ = 0;
  return Status::kOk;
}

void WakeDetector::restart() {
  front_.reset();
  offset_ = 0;
  deaf_until_ = -1;
  recent_count_ = 0;
}

size_t WakeDetector::feed(const int16_t* pcm, size_t count, Listener& listener) {
  return feed(pcm, count, next_index(), listener);
}

size_t WakeDetector::feed(const int16_t* pcm, size_t count, int64_t first_index, Listener& listener) {
  if (first_index != next_index()) {
    deaf_until_ += first_index - next_index();  // a renumbered stream keeps its timing
    offset_ = first_index - static_cast<int64_t>(front_.samples());
  }
  size_t wakes = 0;
  size_t done = 0;
  while (done < count) {
    // Up to the sample that completes the next hop, decide, go on.
    size_t step = samples_to_next_hop();
    if (step < 1) step = 1;
    if (step > count - done) step = count - done;
    const uint64_t before = front_.frames();
    front_.feed(pcm + done, step);
    done += step;
    if (front_.frames() >= next_decision(before)) {
      Wake wake;
      if (decide(&wake, listener)) {
        ++wakes;
        listener.on_wake(wake);
      }
    }
  }
  return wakes;
}

uint64_t WakeDetector::next_decision(uint64_t frames) const {
  const uint64_t first = static_cast<uint64_t>(audio::kClipFrames);
  if (frames < first) return first;
  const uint64_t hop = static_cast<uint64_t>(settings_.hop_frames);
  return first + ((frames - first) / hop + 1) * hop;
}

size_t WakeDetector::samples_to_next_hop() const {
  return static_cast<size_t>(audio::AudioStream::frame_end(next_decision(front_.frames()) - 1) -
                             front_.samples());
}

void WakeDetector::remember(bool embedded) {
  if (recent_count_ == kConfirmWindow) {
    std::memmove(recent_[0], recent_[1], sizeof(recent_[0]) * (kConfirmWindow - 1));
    --recent_count_;
  }
  float* hop = recent_[recent_count_++];
  for (size_t i = 0; i < kMaxWords; ++i) {
    hop[i] = embedded && i < word_count_ ? last_distances_[i] : std::numeric_limits<float>::infinity();
  }
}

float WakeDetector::distance(const Word& word, const int8_t* raw) const {
  const size_t dim = embedder_.dim();
  const int32_t zero = embedder_.output_zero_point();
  int64_t ne = 0;
  for (size_t k = 0; k < dim; ++k) ne += static_cast<int64_t>(raw[k] - zero) * (raw[k] - zero);
  double best = 0.0;
  for (size_t r = 0; r < word.count; ++r) {
    const int8_t* ref = word.codes + r * dim;
    int64_t dot = 0;
    int64_t nr = 0;
    for (size_t k = 0; k < dim; ++k) {
      dot += static_cast<int64_t>(ref[k] - zero) * (raw[k] - zero);
      nr += static_cast<int64_t>(ref[k] - zero) * (ref[k] - zero);
    }
    // A zero vector normalises to zero in Python (e / max(|e|, 1e-6)): distance 1.
    const double d = (ne == 0 || nr == 0)
                         ? 1.0
                         : 1.0 - static_cast<double>(dot) /
                                     (std::sqrt(static_cast<double>(nr)) * std::sqrt(static_cast<double>(ne)));
    if (r == 0 || d < best) best = d;
  }
  return static_cast<float>(best);  // Python's distances are float32
}

bool WakeDetector::decide(Wake* wake, Listener& listener) {
  ++hops_;
  const int64_t end =
      offset_ + static_cast<int64_t>(audio::AudioStream::frame_end(front_.frames() - 1)) - 1;
  Hop hop{hops_, end, HopKind::kDeaf};
  if (word_count_ == 0 || end < deaf_until_) {
    recent_count_ = 0;
    listener.on_hop(hop);
    return false;
  }
  if (front_.window_level_dbfs() < settings_.gate_dbfs) {
    remember(false);
    hop.kind = HopKind::kGated;
    listener.on_hop(hop);
    return false;
  }
  front_.window(embedder_.input());
  if (!embedder_.embed(raw_)) {
    ++embed_failures_;
    remember(false);
    hop.kind = HopKind::kFailed;
    listener.on_hop(hop);
    return false;
  }
  ++embeddings_;
  for (size_t i = 0; i < word_count_; ++i) last_distances_[i] = distance(words_[i], raw_);
  remember(true);
  hop.kind = HopKind::kEmbedded;
  listener.on_hop(hop);
  int best = -1;
  double best_ratio = 0.0;
  for (size_t i = 0; i < word_count_; ++i) {
    const double d = last_distances_[i];
    const double threshold = words_[i].threshold;
    int within = 0;
    for (int h = 0; h < recent_count_; ++h) within += recent_[h][i] <= threshold ? 1 : 0;
    const bool confirmed = within >= kConfirmHops;
    if ((d <= kStrictFactor * threshold || (d <= threshold && confirmed)) &&
        (best < 0 || d / threshold < best_ratio)) {
      best = static_cast<int>(i);
      best_ratio = d / threshold;
    }
  }
  if (best < 0) return false;
  const Word& word = words_[best];
  deaf_until_ = end + settings_.refractory_samples;
  recent_count_ = 0;
  *wake = Wake{word.word_id, word.label, last_distances_[best], word.threshold, end};
  return true;
}

const char* TflmEmbedder::check() const {
  if (!runner_.loaded()) return "the speech model is not loaded";
  if (runner_.input_bytes() != static_cast<size_t>(audio::kWindowCodes)) {
    return "the speech model does not take the board's 49 x 40 int8 features";
  }
  if (runner_.output_bytes() == 0 || runner_.output_bytes() > kMaxEmbeddingDim) {
    return "the speech model's embedding is empty or wider than 64 values";
  }
  return "";
}

size_t TflmEmbedder::dim() const { return runner_.loaded() ? runner_.output_bytes() : 0; }

int32_t TflmEmbedder::output_zero_point() const { return runner_.output_zero_point(); }

int8_t* TflmEmbedder::input() { return runner_.input(); }

bool TflmEmbedder::embed(int8_t* raw) {
  if (check()[0] != '\0' || !runner_.invoke()) return false;
  std::memcpy(raw, runner_.output(), runner_.output_bytes());
  return true;
}

}  // namespace wake
}  // namespace wandlab
