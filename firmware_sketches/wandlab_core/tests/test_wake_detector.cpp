// The board's wake-word detector (src/wake_detector.{h,cpp}) and incremental audio front end
// (src/audio_stream.{h,cpp}) on the PC, with TFLM for the speech model.
//
//   test_wake_detector selftest MODEL             unit checks: set_words' refusals, the gate, the 2-of-3
//                                                 and strict rules, the refractory second, renumbering,
//                                                 best-of-words, the front end on a synthetic signal, the
//                                                 TFLM adapter on the speech model; sizes
//   test_wake_detector twin GOLDEN STREAM MODEL   the C++ half of tests/firmware/test_wake_twin.py on the
//                                                 files tests/firmware/wake_vectors.py writes
// Prints "N checks, F failures" (exit 1 on any failure) and "measure NAME VALUE" lines.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "audio_features.h"
#include "audio_stream.h"
#include "messages.h"
#include "model_runner.h"
#include "wake_detector.h"

namespace af = wandlab::audio;
namespace wk = wandlab::wake;
namespace wt = wandlab::tflm;

namespace {

static_assert(wk::kMaxWords == wandlab::protocol::kMaxWords, "the detector holds as many words as the protocol");

int g_checks = 0;
int g_failures = 0;

void check(bool ok, const char* what, long a = 0, long b = 0) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    if (g_failures <= 30) std::printf("FAIL %s (%ld, %ld)\n", what, a, b);
  }
}

// -- a stand-in model: returns whatever raw codes the test sets -------------------------------------
class FakeEmbedder : public wk::Embedder {
 public:
  explicit FakeEmbedder(size_t dim) : dim_(dim) {}
  size_t dim() const override { return dim_; }
  int32_t output_zero_point() const override { return 0; }
  int8_t* input() override { return input_; }
  bool embed(int8_t* raw) override {
    ++calls;
    if (fail) return false;
    std::memcpy(raw, next, dim_);
    return true;
  }
  int8_t next[wk::kMaxEmbeddingDim] = {};
  bool fail = false;
  int calls = 0;

 private:
  size_t dim_;
  int8_t input_[af::kWindowCodes] = {};
};

struct Recorder : public wk::Listener {
  void on_wake(const wk::Wake& wake) override { wakes.push_back(wake); }
  void on_hop(const wk::Hop& hop) override { hops.push_back(hop); }
  std::vector<wk::Wake> wakes;
  std::vector<wk::Hop> hops;
};

std::vector<int16_t> tone(size_t n, double freq, double amplitude, uint32_t seed = 1) {
  std::vector<int16_t> out(n);
  uint32_t state = seed;
  for (size_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    const double noise = (static_cast<double>(state >> 8) / 16777216.0 - 0.5) * 20.0;
    out[i] = static_cast<int16_t>(std::lround(amplitude * std::sin(6.283185307179586 * freq * i / 16000.0) + noise));
  }
  return out;
}

std::vector<std::vector<int8_t>> batch_codes(const std::vector<int16_t>& pcm) {
  const int frames = af::frames_for(static_cast<int>(pcm.size()));
  std::vector<float> mel(static_cast<size_t>(frames) * af::kNumMelBands);
  af::log_mel(pcm.data(), static_cast<int>(pcm.size()), mel.data(), frames);
  std::vector<std::vector<int8_t>> out(static_cast<size_t>(frames), std::vector<int8_t>(af::kNumMelBands));
  for (int f = 0; f < frames; ++f)
    for (int b = 0; b < af::kNumMelBands; ++b) {
      out[f][b] = af::quantize(mel[static_cast<size_t>(f) * af::kNumMelBands + b]);
    }
  return out;
}

// Feeds pcm in chunks of the given sizes (cycled) and checks every new frame against the batch codes.
// Returns the number of frames compared.
long incremental_matches_batch(const std::vector<int16_t>& pcm, const std::vector<std::vector<int8_t>>& batch,
                               const std::vector<size_t>& sizes, bool* all_equal) {
  af::AudioStream stream;
  std::vector<int8_t> window(af::kWindowCodes);
  size_t done = 0;
  size_t turn = 0;
  long compared = 0;
  while (done < pcm.size()) {
    size_t n = sizes[turn++ % sizes.size()];
    if (n > pcm.size() - done) n = pcm.size() - done;
    const int fresh = stream.feed(pcm.data() + done, n);
    done += n;
    stream.window(window.data());
    const int kept = fresh < af::kClipFrames ? fresh : af::kClipFrames;
    for (int k = 0; k < kept; ++k) {
      const size_t frame = stream.frames() - kept + k;
      const int8_t* row = window.data() + static_cast<size_t>(af::kClipFrames - kept + k) * af::kNumMelBands;
      if (frame >= batch.size() || std::memcmp(row, batch[frame].data(), af::kNumMelBands) != 0) *all_equal = false;
      ++compared;
    }
  }
  if (stream.frames() != batch.size() || stream.samples() != pcm.size()) *all_equal = false;
  return compared;
}

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The speech model in a runner with the board's buffers (Python's SPEECH_ARENA_BYTES = 32 KB).
constexpr size_t kModelBytes = 32 * 1024;
constexpr size_t kArenaBytes = 32 * 1024;
struct Speech {
  alignas(16) uint8_t model[kModelBytes];
  alignas(16) uint8_t arena[kArenaBytes];
  wt::ModelRunner runner{model, sizeof(model), arena, sizeof(arena)};
};

// -- selftest ------------------------------------------------------------------------------------------
void selftest_words() {
  FakeEmbedder model(4);
  wk::WakeDetector detector(model);
  const int8_t codes[8 * 4 * 2] = {};
  wk::Word words[wk::kMaxWords + 1];
  for (size_t i = 0; i <= wk::kMaxWords; ++i) words[i] = wk::Word{static_cast<uint8_t>(i), "w", codes, 1, 0.1f};
  check(detector.set_words(words, wk::kMaxWords + 1) == wk::Status::kTooManyWords, "17 words refused");
  check(detector.set_words(words, wk::kMaxWords) == wk::Status::kOk, "16 words taken");
  wk::Word bad = words[0];
  bad.count = 0;
  check(detector.set_words(&bad, 1) == wk::Status::kNoReferences, "no references refused");
  bad.count = 9;
  check(detector.set_words(&bad, 1) == wk::Status::kTooManyReferences, "9 references refused");
  bad.count = 1;
  bad.threshold = 0.0f;
  check(detector.set_words(&bad, 1) == wk::Status::kBadThreshold, "threshold 0 refused");
  bad.threshold = std::nanf("");
  check(detector.set_words(&bad, 1) == wk::Status::kBadThreshold, "threshold NaN refused");
  check(detector.word_count() == wk::kMaxWords, "a refusal keeps the words");
  check(std::strlen(wk::status_text(wk::Status::kTooManyReferences)) > 10, "status sentence");
  FakeEmbedder wide(wk::kMaxEmbeddingDim + 1);
  wk::WakeDetector wide_detector(wide);
  check(wide_detector.set_words(words, 1) == wk::Status::kBadEmbedder, "a too wide model refused");
}

void selftest_rules() {
  // Word 0's reference is (100, 0, 0, 0); the fake model's output sets the cosine distance directly.
  const int8_t ref0[4] = {100, 0, 0, 0};
  const int8_t ref1[4] = {0, 100, 0, 0};
  wk::Word words[2] = {{3, "zero", ref0, 1, 0.05f}, {7, "one", ref1, 1, 0.05f}};
  const std::vector<int16_t> loud = tone(16000 * 6, 700.0, 8000.0);
  const std::vector<int16_t> quiet = tone(16000 * 3, 700.0, 40.0);  // about -58 dBFS

  {  // Digital and quiet room audio: the gate keeps the model off.
    FakeEmbedder model(4);
    wk::WakeDetector detector(model);
    detector.set_words(words, 2);
    Recorder rec;
    detector.feed(quiet.data(), quiet.size(), rec);
    check(model.calls == 0 && detector.hops() > 10 && rec.wakes.empty(), "quiet: gated", model.calls,
          static_cast<long>(detector.hops()));
    check(rec.hops.size() == detector.hops() && rec.hops[0].kind == wk::HopKind::kGated, "hops reported");
    check(rec.hops[0].end == 48 * 320 + 480 - 1, "first hop: the first full second",
          static_cast<long>(rec.hops[0].end));
  }
  {  // Exactly the reference: strict rule, one wake, then deaf for a second.
    FakeEmbedder model(4);
    std::memcpy(model.next, ref0, 4);
    wk::WakeDetector detector(model);
    detector.set_words(words, 2);
    Recorder rec;
    detector.feed(loud.data(), loud.size(), rec);
    check(rec.wakes.size() >= 2 && rec.wakes[0].word_id == 3 && rec.wakes[0].distance == 0.0f, "strict wake",
          static_cast<long>(rec.wakes.size()));
    check(rec.wakes[0].sample_index == 15839 && std::strcmp(rec.wakes[0].label, "zero") == 0, "first window wakes",
          static_cast<long>(rec.wakes[0].sample_index));
    bool spaced = true;
    for (size_t i = 1; i < rec.wakes.size(); ++i)
      spaced = spaced && rec.wakes[i].sample_index - rec.wakes[i - 1].sample_index >= wk::kRefractorySamples;
    check(spaced, "wakes at least the refractory second apart");
    check(model.calls < static_cast<int>(detector.hops()), "no model runs while deaf");
  }
  {  // Within the threshold but not 0.6 x: needs two of three hops.
    FakeEmbedder model(4);
    const int8_t near[4] = {100, 30, 0, 0};  // cosine distance 1 - 100/sqrt(10900) = 0.0422
    std::memcpy(model.next, near, 4);
    wk::WakeDetector detector(model);
    detector.set_words(words, 2);
    Recorder rec;
    detector.feed(loud.data(), loud.size(), rec);
    check(!rec.wakes.empty() && rec.wakes[0].sample_index == 15839 + 2560, "2 of 3 hops: second hop wakes",
          rec.wakes.empty() ? -1 : static_cast<long>(rec.wakes[0].sample_index));
    const double want = 1.0 - 100.0 / std::sqrt(10900.0);
    check(!rec.wakes.empty() && std::fabs(rec.wakes[0].distance - want) < 1e-6, "distance",
          rec.wakes.empty() ? -1 : static_cast<long>(rec.wakes[0].distance * 1e6));
  }
  {  // Just within 0.6 x the threshold: the strict rule wakes at the first hop.
    FakeEmbedder model(4);
    const int8_t strict[4] = {100, 25, 0, 0};  // 1 - 100/sqrt(10625) = 0.0299 <= 0.6 x 0.05
    std::memcpy(model.next, strict, 4);
    wk::WakeDetector detector(model);
    detector.set_words(words, 2);
    Recorder rec;
    detector.feed(loud.data(), loud.size(), rec);
    check(!rec.wakes.empty() && rec.wakes[0].sample_index == 15839, "within 0.6 x threshold: first hop wakes",
          rec.wakes.empty() ? -1 : static_cast<long>(rec.wakes[0].sample_index));
  }
  {  // A model that fails decides nothing.
    FakeEmbedder model(4);
    model.fail = true;
    wk::WakeDetector detector(model);
    detector.set_words(words, 2);
    Recorder rec;
    detector.feed(loud.data(), loud.size(), rec);
    check(rec.wakes.empty() && detector.embed_failures() > 0 && detector.embeddings() == 0, "failed model");
  }
  {  // Two words: the smaller distance / threshold wins.
    FakeEmbedder model(4);
    const int8_t between[4] = {100, 90, 0, 0};  // far from both
    const int8_t closer_one[4] = {2, 100, 0, 0};
    std::memcpy(model.next, between, 4);
    wk::WakeDetector detector(model);
    detector.set_words(words, 2);
    Recorder rec;
    detector.feed(loud.data(), 16000 * 2, rec);
    check(rec.wakes.empty(), "between two words: no wake");
    std::memcpy(model.next, closer_one, 4);
    detector.feed(loud.data(), 16000, rec);
    check(rec.wakes.size() == 1 && rec.wakes[0].word_id == 7, "the nearer word wakes");
    // Renumbering: a stream restarted at index 1,000,000 keeps the refractory second.
    const int64_t before = detector.next_index();
    detector.feed(loud.data(), 16000 * 2, 1000000, rec);
    check(detector.next_index() == 1000000 + 32000 && before != 1000000, "renumbered index");
    check(rec.wakes.size() >= 2 && rec.wakes[1].sample_index - 1000000 >= rec.wakes[0].sample_index + 16000 - before,
          "refractory kept across renumbering");
  }
}

void selftest_front_end() {
  const std::vector<int16_t> pcm = tone(16000 * 2 + 123, 440.0, 5000.0, 9);
  const auto batch = batch_codes(pcm);
  bool equal = true;
  for (size_t n : {1, 2, 3, 159, 160, 161, 319, 320, 321, 479, 480, 481, 1000}) {
    incremental_matches_batch(pcm, batch, {n}, &equal);
  }
  check(equal, "incremental == batch (synthetic)");
  af::AudioStream stream;
  std::vector<int8_t> window(af::kWindowCodes, 1);
  stream.window(window.data());
  bool zeros = true;
  for (int8_t v : window) zeros = zeros && v == 0;
  check(zeros && stream.window_level_dbfs() == af::kSilentDbfs && !stream.full(), "empty stream");
  const std::vector<int16_t> silence(16000, 0);
  stream.feed(silence.data(), silence.size());
  check(stream.full() && stream.window_level_dbfs() == af::kSilentDbfs, "digital silence level");
  const std::vector<int16_t> full_scale(480, -32768);
  stream.feed(full_scale.data(), 480);
  check(stream.window_level_dbfs(1) == 0.0, "full scale is 0 dBFS");
}

int selftest(const char* model_path) {
  selftest_words();
  selftest_rules();
  selftest_front_end();
  static Speech speech;
  const std::vector<uint8_t> blob = read_file(model_path);
  const char* problem = speech.runner.load(blob.data(), blob.size());
  check(problem[0] == '\0', "speech model loads");
  if (problem[0] != '\0') std::printf("load: %s\n", problem);
  wk::TflmEmbedder embedder(speech.runner);
  check(embedder.check()[0] == '\0' && embedder.dim() == 32, "adapter accepts the speech model",
        static_cast<long>(embedder.dim()));
  std::memset(embedder.input(), 5, af::kWindowCodes);
  int8_t a[wk::kMaxEmbeddingDim];
  int8_t b[wk::kMaxEmbeddingDim];
  check(embedder.embed(a), "embed");
  std::memset(embedder.input(), 5, af::kWindowCodes);
  check(embedder.embed(b) && std::memcmp(a, b, embedder.dim()) == 0, "embed repeatable");
  std::printf("measure arena_used %zu\n", speech.runner.arena_used_bytes());
  // The smallest arena that loads (binary search, 16-byte steps): what a board must give the model.
  size_t lo = 0;
  size_t hi = kArenaBytes;
  while (hi - lo > 16) {
    const size_t mid = (lo + hi) / 2 / 16 * 16;
    alignas(16) static uint8_t model_copy[kModelBytes];
    wt::ModelRunner trial(model_copy, sizeof(model_copy), speech.arena, mid);
    (trial.load(blob.data(), blob.size())[0] == '\0' ? hi : lo) = mid;
  }
  std::printf("measure arena_min_to_load %zu\n", hi);
  std::printf("measure model_bytes %zu\n", blob.size());
  std::printf("measure sizeof_AudioStream %zu\n", sizeof(af::AudioStream));
  std::printf("measure sizeof_WakeDetector %zu\n", sizeof(wk::WakeDetector));
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

// -- twin ----------------------------------------------------------------------------------------------
struct GoldenHop {
  long index;
  long end;
  char kind;
  std::vector<double> distances;
  std::vector<int8_t> raw;
  std::vector<int8_t> window;
};
struct GoldenWord {
  int id;
  std::string label;
  float threshold;
  std::vector<int8_t> codes;
};
struct GoldenWake {
  int id;
  long sample_index;
  double distance;
};
struct Golden {
  size_t dim = 0;
  int zero = 0;
  std::vector<GoldenWord> words;
  std::vector<GoldenHop> hops;
  std::vector<GoldenWake> wakes;
};

bool read_golden(const char* path, Golden* g) {
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  int version = 0;
  size_t count = 0;
  bool ok = std::fscanf(f, " wake_golden %d dim %zu zero %d words %zu", &version, &g->dim, &g->zero, &count) == 4;
  for (size_t w = 0; ok && w < count; ++w) {
    GoldenWord word;
    char label[64];
    size_t refs = 0;
    ok = std::fscanf(f, " word %d %63s %f %zu", &word.id, label, &word.threshold, &refs) == 4;
    word.label = label;
    for (size_t i = 0; ok && i < refs * g->dim; ++i) {
      int v = 0;
      ok = std::fscanf(f, "%d", &v) == 1;
      word.codes.push_back(static_cast<int8_t>(v));
    }
    g->words.push_back(word);
  }
  ok = ok && std::fscanf(f, " hops %zu", &count) == 1;
  for (size_t h = 0; ok && h < count; ++h) {
    GoldenHop hop;
    ok = std::fscanf(f, " hop %ld %ld %c", &hop.index, &hop.end, &hop.kind) == 3;
    if (ok && hop.kind == 'E') {
      for (size_t i = 0; ok && i < g->words.size(); ++i) {
        double d = 0;
        ok = std::fscanf(f, "%lf", &d) == 1;
        hop.distances.push_back(d);
      }
      for (size_t i = 0; ok && i < g->dim + af::kWindowCodes; ++i) {
        int v = 0;
        ok = std::fscanf(f, "%d", &v) == 1;
        (i < g->dim ? hop.raw : hop.window).push_back(static_cast<int8_t>(v));
      }
    }
    g->hops.push_back(hop);
  }
  ok = ok && std::fscanf(f, " wakes %zu", &count) == 1;
  for (size_t w = 0; ok && w < count; ++w) {
    GoldenWake wake;
    float threshold = 0;
    ok = std::fscanf(f, " wake %d %ld %lf %f", &wake.id, &wake.sample_index, &wake.distance, &threshold) == 4;
    g->wakes.push_back(wake);
  }
  std::fclose(f);
  return ok && version == 1;
}

// Returns Python's raw output for the k-th embedding, and compares the window it was given with Python's.
class ReplayEmbedder : public wk::Embedder {
 public:
  explicit ReplayEmbedder(const Golden& g) : g_(g) {
    for (const GoldenHop& h : g.hops)
      if (h.kind == 'E') embedded_.push_back(&h);
  }
  size_t dim() const override { return g_.dim; }
  int32_t output_zero_point() const override { return g_.zero; }
  int8_t* input() override { return input_; }
  bool embed(int8_t* raw) override {
    if (next_ >= embedded_.size()) {
      ++extra;
      return false;
    }
    const GoldenHop& h = *embedded_[next_++];
    for (int i = 0; i < af::kWindowCodes; ++i) {
      const int diff = std::abs(input_[i] - h.window[static_cast<size_t>(i)]);
      if (diff != 0) ++codes_differing;
      if (diff > max_code_diff) max_code_diff = diff;
    }
    std::memcpy(raw, h.raw.data(), g_.dim);
    return true;
  }
  long codes_differing = 0;
  int max_code_diff = 0;
  int extra = 0;

 private:
  const Golden& g_;
  std::vector<const GoldenHop*> embedded_;
  size_t next_ = 0;
  int8_t input_[af::kWindowCodes] = {};
};

std::vector<wk::Word> words_of(const Golden& g) {
  std::vector<wk::Word> words;
  for (const GoldenWord& w : g.words)
    words.push_back(wk::Word{static_cast<uint8_t>(w.id), w.label.c_str(), w.codes.data(), w.codes.size() / g.dim,
                             w.threshold});
  return words;
}

struct DetectorLog : public wk::Listener {
  explicit DetectorLog(const wk::WakeDetector* d) : detector(d) {}
  void on_wake(const wk::Wake& wake) override { wakes.push_back(wake); }
  void on_hop(const wk::Hop& hop) override {
    hops.push_back(hop);
    std::vector<float> d;
    if (hop.kind == wk::HopKind::kEmbedded)
      for (size_t i = 0; i < detector->word_count(); ++i) d.push_back(detector->last_distance(i));
    distances.push_back(d);
  }
  const wk::WakeDetector* detector;
  std::vector<wk::Wake> wakes;
  std::vector<wk::Hop> hops;
  std::vector<std::vector<float>> distances;
};

void run_detector(wk::WakeDetector& detector, const std::vector<int16_t>& pcm, size_t chunk, int64_t first,
                  DetectorLog& log) {
  for (size_t i = 0; i < pcm.size(); i += chunk) {
    const size_t n = chunk < pcm.size() - i ? chunk : pcm.size() - i;
    detector.feed(pcm.data() + i, n, first + static_cast<int64_t>(i), log);
  }
}

// Compares a run with Python's log: hop kinds and ends, distances, wakes. Returns the largest |distance
// difference|.
double compare_with_python(const Golden& g, const DetectorLog& log, int64_t first, const char* what) {
  double worst = 0.0;
  bool hops_ok = log.hops.size() == g.hops.size();
  for (size_t h = 0; hops_ok && h < g.hops.size(); ++h) {
    const GoldenHop& want = g.hops[h];
    const wk::Hop& got = log.hops[h];
    const char kind = got.kind == wk::HopKind::kEmbedded ? 'E' : got.kind == wk::HopKind::kGated ? 'G'
                      : got.kind == wk::HopKind::kDeaf   ? 'D' : 'F';
    hops_ok = kind == want.kind && got.end - first == want.end && static_cast<long>(got.index) == want.index;
    for (size_t i = 0; hops_ok && i < want.distances.size(); ++i) {
      const double diff = std::fabs(log.distances[h][i] - want.distances[i]);
      if (diff > worst) worst = diff;
    }
  }
  check(hops_ok, what, static_cast<long>(log.hops.size()), static_cast<long>(g.hops.size()));
  check(worst <= 1e-5, "per-hop distances within 1e-5 of Python's", static_cast<long>(worst * 1e9));
  bool wakes_ok = log.wakes.size() == g.wakes.size();
  for (size_t w = 0; wakes_ok && w < g.wakes.size(); ++w) {
    wakes_ok = log.wakes[w].word_id == g.wakes[w].id && log.wakes[w].sample_index - first == g.wakes[w].sample_index &&
               std::fabs(log.wakes[w].distance - g.wakes[w].distance) <= 1e-5;
  }
  check(wakes_ok, "the same wakes as Python (word, sample index, distance)", static_cast<long>(log.wakes.size()),
        static_cast<long>(g.wakes.size()));
  return worst;
}

int twin(const char* golden_path, const char* stream_path, const char* model_path) {
  Golden g;
  if (!read_golden(golden_path, &g)) {
    std::printf("FAIL cannot read %s\n", golden_path);
    return 1;
  }
  const std::vector<uint8_t> bytes = read_file(stream_path);
  std::vector<int16_t> pcm(bytes.size() / 2);
  std::memcpy(pcm.data(), bytes.data(), pcm.size() * 2);
  const std::vector<wk::Word> words = words_of(g);

  // 1. The incremental front end equals the batch one bit for bit, for a selection of chunk sizes 1..1000
  //    and a run of random sizes.
  const auto batch = batch_codes(pcm);
  bool equal = true;
  long frames_compared = 0;
  std::vector<size_t> sizes = {1, 2, 3, 5, 7, 16, 31, 64, 100, 159, 160, 161, 239, 240, 256, 319, 320, 321,
                               333, 479, 480, 481, 511, 512, 640, 641, 800, 960, 997, 1000};
  for (size_t n : sizes) frames_compared += incremental_matches_batch(pcm, batch, {n}, &equal);
  std::vector<size_t> random_sizes;
  uint32_t state = 12345;
  for (int i = 0; i < 500; ++i) {
    state = state * 1664525u + 1013904223u;
    random_sizes.push_back(1 + (state >> 8) % 1000);
  }
  frames_compared += incremental_matches_batch(pcm, batch, random_sizes, &equal);
  check(equal, "incremental front end == batch front end, bit for bit");
  std::printf("measure front_end_frames_compared %ld\n", frames_compared);

  // 2. The detector with Python's model outputs: the same hops, distances and wakes, however the stream
  //    is cut and whatever it is numbered from.
  double worst = 0.0;
  long differing = 0;
  int max_diff = 0;
  for (size_t chunk : {size_t(1), size_t(160), size_t(333), size_t(512), size_t(4096), pcm.size()}) {
    for (int64_t first : {int64_t(0), int64_t(5000000000LL)}) {
      if (first != 0 && chunk != 512) continue;
      ReplayEmbedder replay(g);
      wk::WakeDetector detector(replay);
      check(detector.set_words(words.data(), words.size()) == wk::Status::kOk, "golden words taken");
      DetectorLog log(&detector);
      run_detector(detector, pcm, chunk, first, log);
      const double w = compare_with_python(g, log, first, "the same hops as Python (kind, end)");
      if (w > worst) worst = w;
      check(replay.extra == 0, "no more embeddings than Python");
      differing = replay.codes_differing;
      max_diff = replay.max_code_diff;
    }
  }
  std::printf("measure replay_max_distance_diff %.3g\n", worst);
  std::printf("measure window_codes_differing_from_python %ld max %d\n", differing, max_diff);

  // 3. TFLM: the C++ runner gives Python's raw outputs on Python's windows, bit for bit.
  static Speech speech;
  const std::vector<uint8_t> blob = read_file(model_path);
  const char* problem = speech.runner.load(blob.data(), blob.size());
  check(problem[0] == '\0', "speech model loads");
  wk::TflmEmbedder embedder(speech.runner);
  check(embedder.check()[0] == '\0' && embedder.dim() == g.dim, "adapter accepts the speech model");
  long raw_equal = 0;
  long embedded = 0;
  double invoke_us = 0.0;
  for (const GoldenHop& h : g.hops) {
    if (h.kind != 'E') continue;
    ++embedded;
    std::memcpy(embedder.input(), h.window.data(), af::kWindowCodes);
    int8_t raw[wk::kMaxEmbeddingDim];
    const auto t0 = std::chrono::steady_clock::now();
    const bool ran = embedder.embed(raw);
    invoke_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    if (ran && std::memcmp(raw, h.raw.data(), g.dim) == 0) ++raw_equal;
  }
  check(embedded > 0 && raw_equal == embedded, "TFLM raw outputs == Python's", raw_equal, embedded);
  std::printf("measure tflm_invoke_us %.0f\n", embedded ? invoke_us / embedded : 0.0);

  // 4. End to end in C++ (its front end, TFLM): with the same windows as Python the same decisions.
  wk::WakeDetector detector(embedder);
  detector.set_words(words.data(), words.size());
  DetectorLog log(&detector);
  const auto t0 = std::chrono::steady_clock::now();
  run_detector(detector, pcm, 256, 0, log);
  const double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  // The C++ windows equal Python's (measured above), so nothing may differ; were they ever to differ
  // by a rounding, only the counts would be reported.
  if (differing == 0) compare_with_python(g, log, 0, "end to end in C++: the same hops as Python");
  check(differing == 0, "C++ model inputs == Python's (the front ends agree bit for bit)", differing);
  std::printf("measure end_to_end_wakes %zu python %zu\n", log.wakes.size(), g.wakes.size());
  std::printf("measure end_to_end_ms %.1f for %.2f s of audio\n", run_ms, pcm.size() / 16000.0);
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "selftest") == 0) return selftest(argv[2]);
  if (argc == 5 && std::strcmp(argv[1], "twin") == 0) return twin(argv[2], argv[3], argv[4]);
  std::fprintf(stderr, "usage: %s selftest MODEL | %s twin GOLDEN STREAM MODEL\n", argv[0], argv[0]);
  return 2;
}
