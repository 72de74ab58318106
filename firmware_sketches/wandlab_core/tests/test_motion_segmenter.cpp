// Host test of src/motion_segmenter against the Python board's cut of the same streams.
//
//   test_motion_segmenter [FILE...]
//
// FILEs are written by tests/firmware/segmenter_vectors.py (segmenter_*.txt streams, trim_cases.txt).
// Every stream is fed twice: as int16 counts in the blocks Python used (buffer exactly
// segment_frames(rate) long, so a write past it trips ASan), and as floats converted the Python way
// (float64 product, cast to float) in one block. Both must give the same segments as Python (end_index,
// length, clipped, settled), the same trim (range, and floor and peak to the bit), the same window
// floats to the bit, the same discard count, and the detector's level after every block to the bit.
// Without FILEs only the unit checks run.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "motion_segmenter.h"
#include "protocol_test_support.h"

namespace wm = wandlab::motion;

namespace {

uint32_t bits_of(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
uint64_t bits_of(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
float float_from(uint32_t b) {
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

struct Timing {
  double push_ns = 0.0;
  long long frames = 0;
  double trim_ns = 0.0;
  long long trimmed_frames = 0;
};

Timing& timing() {
  static Timing t;  // test binary only
  return t;
}

// -- reading the golden files ---------------------------------------------------------------------------

class Tokens {
 public:
  explicit Tokens(const char* path) : in_(path) {}
  bool ok() const { return static_cast<bool>(in_); }
  std::string word() {
    std::string w;
    in_ >> w;
    return w;
  }
  bool expect(const char* keyword) {
    const std::string w = word();
    if (w == keyword) return true;
    std::printf("FAIL: expected '%s', read '%s'\n", keyword, w.c_str());
    return false;
  }
  long long integer() { return std::stoll(word()); }
  double real() { return std::stod(word()); }
  uint64_t hex() { return std::stoull(word(), nullptr, 16); }

 private:
  std::ifstream in_;
};

struct Expected {
  uint64_t end_index = 0;
  int32_t count = 0;
  bool clipped = false;
  bool settled = false;
  int32_t start = 0;
  int32_t end = 0;
  uint64_t floor_bits = 0;
  uint64_t peak_bits = 0;
  std::vector<uint32_t> window;
};

struct StreamFile {
  std::string name;
  double rate = 0.0;
  int32_t axes = 0;
  float accel_scale = 0.0f;
  float gyro_scale = 0.0f;
  uint64_t first_index = 0;
  std::vector<int16_t> counts;
  std::vector<int32_t> blocks;
  std::vector<uint64_t> levels;
  uint32_t discards = 0;
  std::vector<Expected> segments;
};

bool read_stream(Tokens& t, StreamFile* s) {
  s->name = t.word();
  if (!t.expect("rate")) return false;
  s->rate = t.real();
  if (!t.expect("axes")) return false;
  s->axes = static_cast<int32_t>(t.integer());
  if (!t.expect("scales")) return false;
  s->accel_scale = float_from(static_cast<uint32_t>(t.hex()));
  s->gyro_scale = float_from(static_cast<uint32_t>(t.hex()));
  if (!t.expect("first_index")) return false;
  s->first_index = static_cast<uint64_t>(t.integer());
  if (!t.expect("frames")) return false;
  const long long frames = t.integer();
  s->counts.resize(static_cast<size_t>(frames * s->axes));
  for (auto& c : s->counts) c = static_cast<int16_t>(t.integer());
  if (!t.expect("blocks")) return false;
  s->blocks.resize(static_cast<size_t>(t.integer()));
  for (auto& b : s->blocks) b = static_cast<int32_t>(t.integer());
  if (!t.expect("levels")) return false;
  s->levels.resize(s->blocks.size());
  for (auto& l : s->levels) l = t.hex();
  if (!t.expect("discards")) return false;
  s->discards = static_cast<uint32_t>(t.integer());
  if (!t.expect("segments")) return false;
  s->segments.resize(static_cast<size_t>(t.integer()));
  for (auto& e : s->segments) {
    if (!t.expect("segment")) return false;
    e.end_index = static_cast<uint64_t>(t.integer());
    e.count = static_cast<int32_t>(t.integer());
    e.clipped = t.integer() != 0;
    e.settled = t.integer() != 0;
    e.start = static_cast<int32_t>(t.integer());
    e.end = static_cast<int32_t>(t.integer());
    e.floor_bits = t.hex();
    e.peak_bits = t.hex();
    if (!t.expect("window")) return false;
    e.window.resize(static_cast<size_t>((e.end - e.start) * s->axes));
    for (auto& w : e.window) w = static_cast<uint32_t>(t.hex());
  }
  return t.expect("end");
}

// -- running the C++ segmenter ------------------------------------------------------------------------

struct Found {
  wm::Segment segment;
  wm::Status window_status = wm::Status::kOk;
  wm::Window window;
  std::vector<float> window_frames;
};

Found capture(wm::MotionSegmenterCore& seg, const wm::Segment& s) {
  Found f;
  f.segment = s;
  const auto t0 = std::chrono::steady_clock::now();
  f.window_status = seg.model_window(s, &f.window);
  timing().trim_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  timing().trimmed_frames += s.count;
  if (f.window_status == wm::Status::kOk) {
    f.window_frames.assign(f.window.frames, f.window.frames + static_cast<size_t>(f.window.count) * s.axes);
    // The window is a view into the segment.
    CHECK(f.window.frames == s.frames + static_cast<size_t>(f.window.start) * s.axes);
  }
  f.segment.frames = nullptr;  // the buffer is reused by the next push
  return f;
}

bool same_segments(const StreamFile& s, const std::vector<Found>& found, const char* how) {
  bool ok = CHECK_MSG(found.size() == s.segments.size(),
                      s.name + " (" + how + "): " + std::to_string(found.size()) + " segments, Python " +
                          std::to_string(s.segments.size()));
  for (size_t i = 0; ok && i < found.size(); ++i) {
    const Found& f = found[i];
    const Expected& e = s.segments[i];
    const std::string where = s.name + " (" + how + ") segment " + std::to_string(i) + " ending at " +
                              std::to_string(e.end_index);
    ok &= CHECK_MSG(f.segment.end_index == e.end_index,
                    where + ": end_index " + std::to_string(f.segment.end_index));
    ok &= CHECK_MSG(f.segment.count == e.count, where + ": length " + std::to_string(f.segment.count) +
                                                    ", Python " + std::to_string(e.count));
    ok &= CHECK_MSG(f.segment.clipped == e.clipped, where + ": clipped differs");
    ok &= CHECK_MSG(f.segment.settled == e.settled, where + ": settled differs");
    ok &= CHECK_MSG(f.segment.axes == s.axes, where + ": axes");
    ok &= CHECK_MSG(f.window_status == wm::Status::kOk, where + ": model_window failed");
    ok &= CHECK_MSG(f.window.trim.start == e.start && f.window.trim.end == e.end,
                    where + ": trim " + std::to_string(f.window.trim.start) + ".." + std::to_string(f.window.trim.end) +
                        ", Python " + std::to_string(e.start) + ".." + std::to_string(e.end));
    ok &= CHECK_MSG(bits_of(f.window.trim.floor) == e.floor_bits && bits_of(f.window.trim.peak) == e.peak_bits,
                    where + ": trim floor/peak bits differ");
    ok &= CHECK_MSG(f.window.start == e.start && f.window.count == e.end - e.start, where + ": window range");
    bool same = f.window_frames.size() == e.window.size();
    for (size_t k = 0; same && k < e.window.size(); ++k) same = bits_of(f.window_frames[k]) == e.window[k];
    ok &= CHECK_MSG(same, where + ": window floats differ");
  }
  return ok;
}

// Feeds int16 counts in Python's blocks into a segmenter sized exactly for the rate.
bool run_counts(const StreamFile& s, wm::MotionSegmenterCore& seg) {
  bool ok = CHECK_MSG(seg.reset(s.rate) == wm::Status::kOk, s.name + ": reset");
  std::vector<Found> found;
  size_t position = 0;
  for (size_t b = 0; ok && b < s.blocks.size(); ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<wm::Segment> ended;
    seg.feed_counts(&s.counts[position * s.axes], s.blocks[b], s.accel_scale, s.gyro_scale, s.first_index + position,
                    [&](const wm::Segment& segment) { found.push_back(capture(seg, segment)); });
    timing().push_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    timing().frames += s.blocks[b];
    ok &= CHECK_MSG(bits_of(seg.level()) == s.levels[b],
                    s.name + ": detector level differs after block " + std::to_string(b));
    position += static_cast<size_t>(s.blocks[b]);
  }
  ok &= CHECK_MSG(seg.discarded() == s.discards, s.name + ": " + std::to_string(seg.discarded()) +
                                                     " discarded, Python " + std::to_string(s.discards));
  return same_segments(s, found, "int16 blocks") && ok;
}

// Feeds floats converted as Python converts them (float64 product, then float32), all in one block, into
// a segmenter with room to spare.
bool run_floats(const StreamFile& s) {
  const int32_t capacity = 2 * wm::segment_frames(s.rate) + 7;
  std::vector<float> buffer(static_cast<size_t>(capacity) * s.axes);
  std::vector<double> scratch(static_cast<size_t>(wm::trim_scratch_doubles(capacity)));
  wm::MotionSegmenterCore seg(buffer.data(), capacity, s.axes, scratch.data(), static_cast<int32_t>(scratch.size()));
  bool ok = CHECK(seg.reset(s.rate) == wm::Status::kOk);
  std::vector<float> frames(s.counts.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const double scale = (i % s.axes) < 3 ? s.accel_scale : s.gyro_scale;
    frames[i] = static_cast<float>(static_cast<double>(s.counts[i]) * scale);
  }
  std::vector<Found> found;
  seg.feed(frames.data(), static_cast<int32_t>(frames.size() / s.axes), s.first_index,
           [&](const wm::Segment& segment) { found.push_back(capture(seg, segment)); });
  ok &= CHECK(bits_of(seg.level()) == s.levels.back());
  ok &= CHECK(seg.discarded() == s.discards);
  return same_segments(s, found, "float frames") && ok;
}

bool run_stream_file(Tokens& t, int* segments, long long* frames) {
  StreamFile s;
  if (!read_stream(t, &s)) return CHECK_MSG(false, "malformed stream file");
  bool ok;
  if (s.rate == 100.0 && s.axes == 6) {
    // The board's own type: MotionSegmenter sized at compile time for 100 Hz.
    static wm::MotionSegmenter<wm::segment_frames(100.0), 6> board(100.0);
    ok = run_counts(s, board);
  } else {
    const int32_t capacity = wm::segment_frames(s.rate);
    std::vector<float> buffer(static_cast<size_t>(capacity) * s.axes);
    std::vector<double> scratch(static_cast<size_t>(wm::trim_scratch_doubles(capacity)));
    wm::MotionSegmenterCore seg(buffer.data(), capacity, s.axes, scratch.data(), static_cast<int32_t>(scratch.size()));
    ok = run_counts(s, seg);
  }
  ok = run_floats(s) && ok;
  *segments += static_cast<int>(s.segments.size());
  *frames += static_cast<long long>(s.counts.size() / s.axes);
  std::printf("%s %s: %zu frames, %zu segments\n", ok ? "ok  " : "FAIL", s.name.c_str(), s.counts.size() / s.axes,
              s.segments.size());
  return ok;
}

bool run_trim_file(Tokens& t, int* cases) {
  bool ok = true;
  for (std::string w = t.word(); w == "trim"; w = t.word()) {
    const std::string name = t.word();
    const double rate = t.real();
    const int32_t axes = static_cast<int32_t>(t.integer());
    const int32_t n = static_cast<int32_t>(t.integer());
    if (!t.expect("take")) return false;
    std::vector<float> take(static_cast<size_t>(n) * axes);
    for (auto& v : take) v = float_from(static_cast<uint32_t>(t.hex()));
    if (!t.expect("expect")) return false;
    const int32_t start = static_cast<int32_t>(t.integer());
    const int32_t end = static_cast<int32_t>(t.integer());
    const uint64_t floor_bits = t.hex();
    const uint64_t peak_bits = t.hex();

    const int32_t needed = wm::trim_scratch_needed(n, rate);
    std::vector<double> scratch(static_cast<size_t>(needed));  // exactly: ASan catches a write beyond
    wm::TrimRange r;
    const wm::Status status = wm::trim_imu(take.data(), n, axes, rate, scratch.data(), needed, &r);
    const bool same = status == wm::Status::kOk && r.start == start && r.end == end &&
                      bits_of(r.floor) == floor_bits && bits_of(r.peak) == peak_bits;
    ok &= CHECK_MSG(same, "trim " + name + ": " + std::to_string(r.start) + ".." + std::to_string(r.end) +
                              ", Python " + std::to_string(start) + ".." + std::to_string(end));
    if (needed > 0) {
      wm::TrimRange untouched{-1, -1, 0.0, 0.0};
      ok &= CHECK(wm::trim_imu(take.data(), n, axes, rate, scratch.data(), needed - 1, &untouched) ==
                      wm::Status::kScratchTooSmall &&
                  untouched.start == -1);
    }
    ++*cases;
  }
  return ok;
}

bool run_file(const char* path, int* streams, int* segments, long long* frames, int* trims) {
  Tokens t(path);
  if (!t.ok()) return CHECK_MSG(false, std::string("cannot read ") + path);
  if (!t.expect("wandlab-segmenter-vectors") || t.integer() != 1) return CHECK_MSG(false, "not a vector file");
  const std::string kind = t.word();
  if (kind == "stream") {
    ++*streams;
    return run_stream_file(t, segments, frames);
  }
  if (kind == "trim") {
    // run_trim_file reads the "trim" keyword itself: start it over.
    Tokens again(path);
    again.word();
    again.word();
    return run_trim_file(again, trims);
  }
  return CHECK_MSG(false, std::string("unknown vector file ") + path);
}

// -- unit checks ------------------------------------------------------------------------------------------

// A held wand at rest, then `spin_frames` of fast rotation, then rest: one frame of 6 floats at a time.
void held_then_spin(std::vector<float>* frames, int rest_before, int spin_frames, int rest_after) {
  for (int i = 0; i < rest_before + spin_frames + rest_after; ++i) {
    const bool spin = i >= rest_before && i < rest_before + spin_frames;
    const float frame[6] = {0.01f * static_cast<float>(i % 3), 0.0f, 1.0f, 0.0f, 0.0f, spin ? 500.0f : 0.2f};
    frames->insert(frames->end(), frame, frame + 6);
  }
}

void unit_checks() {
  // Python's round(): ties to even.
  CHECK(wm::py_round(0.5) == 0 && wm::py_round(1.5) == 2 && wm::py_round(2.5) == 2 && wm::py_round(7.5) == 8);
  CHECK(wm::py_round(12.5) == 12 && wm::py_round(29.75) == 30 && wm::py_round(59.5) == 60);
  CHECK(wm::py_round(0.49999999999999994) == 0 && wm::py_round(1.0) == 1 && wm::py_round(0.0) == 0);
  CHECK(wm::segment_frames(25.0) == 81 && wm::segment_frames(50.0) == 162 && wm::segment_frames(100.0) == 325);
  CHECK(wm::segment_frames(119.0) == 387 && wm::segment_frames(400.0) == 1300);

  // trim_scratch_doubles(K) suffices at every rate whose segments fit in K frames.
  int short_of_scratch = 0;
  for (double rate = wm::kMinRateHz; rate <= wm::kMaxRateHz; rate += 0.25) {
    const int32_t k = wm::segment_frames(rate);
    short_of_scratch += wm::trim_scratch_doubles(k) < wm::trim_scratch_needed(k, rate);
  }
  CHECK_MSG(short_of_scratch == 0, "trim_scratch_doubles() is too small for some rate");

  // Statuses.
  static wm::MotionSegmenter<wm::segment_frames(100.0), 6> seg(100.0);
  CHECK(seg.status() == wm::Status::kOk && seg.capacity_frames() == 325 && seg.axes() == 6);
  CHECK(seg.reset(119.0) == wm::Status::kBufferTooSmall);
  const float still[6] = {0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f};
  CHECK(!seg.push(still, 0) && seg.level() == 0.0);  // ignored until a reset succeeds
  CHECK(seg.reset(0.5) == wm::Status::kBadRate && seg.reset(1001.0) == wm::Status::kBadRate);
  CHECK(seg.reset(std::numeric_limits<double>::quiet_NaN()) == wm::Status::kBadRate);
  CHECK(seg.reset(50.0) == wm::Status::kOk);  // a lower rate fits
  CHECK(seg.reset(100.0) == wm::Status::kOk);
  float buffer[10 * 4];
  double scratch[8];
  wm::MotionSegmenterCore four(buffer, 10, 4, scratch, 8);
  CHECK(four.reset(2.0) == wm::Status::kBadAxes);
  wm::MotionSegmenterCore small(buffer, 6, 6, scratch, 8);
  CHECK(small.reset(2.0) == wm::Status::kOk);  // 2 Hz: 0 + 6 frames
  CHECK(small.reset(3.0) == wm::Status::kBufferTooSmall);
  for (int s = 0; s <= static_cast<int>(wm::Status::kScratchTooSmall); ++s) {
    CHECK(std::strlen(wm::status_text(static_cast<wm::Status>(s))) > 1);
  }

  // trim_imu's arguments, and takes too short to score.
  wm::TrimRange r;
  const float take[6 * 3] = {};
  CHECK(wm::trim_imu(take, 3, 6, 100.0, scratch, 8, nullptr) == wm::Status::kBadArgument);
  CHECK(wm::trim_imu(nullptr, 3, 6, 100.0, scratch, 8, &r) == wm::Status::kBadArgument);
  CHECK(wm::trim_imu(take, -1, 6, 100.0, scratch, 8, &r) == wm::Status::kBadArgument);
  CHECK(wm::trim_imu(take, 3, 5, 100.0, scratch, 8, &r) == wm::Status::kBadAxes);
  CHECK(wm::trim_imu(take, 3, 6, 0.0, scratch, 8, &r) == wm::Status::kBadRate);
  for (int32_t n = 0; n < 3; ++n) {
    CHECK(wm::trim_imu(take, n, 6, 100.0, nullptr, 0, &r) == wm::Status::kOk && r.start == 0 && r.end == n);
  }

  // One gesture from a held wand: one segment, a view of the buffer with 0.25 s of pre-roll, decidable.
  std::vector<float> frames;
  held_then_spin(&frames, 100, 40, 100);
  std::vector<wm::Segment> ended;
  std::vector<wm::Window> windows;
  const int32_t n = static_cast<int32_t>(frames.size() / 6);
  CHECK(seg.feed(frames.data(), n, 5000, [&](const wm::Segment& s) {
    ended.push_back(s);
    wm::Window w;
    CHECK(seg.model_window(s, &w) == wm::Status::kOk);
    windows.push_back(w);
  }) == 1);
  CHECK(ended.size() == 1 && !seg.active());
  if (ended.size() == 1) {
    const wm::Segment& s = ended[0];
    CHECK(s.pre_roll == 25 && s.settled && !s.clipped && s.decidable() && s.axes == 6);
    // The smoothed score falls below 0.7 some 8 frames after the spin (30 ms smoother from 8.3 units),
    // then 0.3 s (30 frames) of stillness ends the segment.
    CHECK_MSG(s.end_index >= 5000 + 140 + 30 && s.end_index <= 5000 + 140 + 30 + 15, std::to_string(s.end_index));
    CHECK(s.end_index - static_cast<uint64_t>(s.count) == 5000 + 100 - 25);  // the pre-roll: frames 75..99
    CHECK(s.frames == seg.segment().frames && s.frames[2] == 1.0f);
    CHECK(windows[0].count > 0 && windows[0].start >= 0 && windows[0].start + windows[0].count <= s.count);
    CHECK(std::fabs(s.seconds(100.0) - s.count / 100.0) < 1e-12);
  }
}

}  // namespace

int main(int argc, char** argv) {
  unit_checks();
  int streams = 0, segments = 0, trims = 0;
  long long frames = 0;
  int files_ok = 0;
  for (int i = 1; i < argc; ++i) files_ok += run_file(argv[i], &streams, &segments, &frames, &trims) ? 1 : 0;
  const auto& t = wandlab::test::tally();
  const Timing& time = timing();
  if (time.frames > 0) {
    std::printf("host cost: %.0f ns per frame pushed (segments included), %.0f ns per segment frame trimmed\n",
                time.push_ns / static_cast<double>(time.frames),
                time.trim_ns / static_cast<double>(time.trimmed_frames > 0 ? time.trimmed_frames : 1));
  }
  std::printf("sizeof(MotionSegmenter<segment_frames(100), 6>) = %zu bytes\n",
              sizeof(wm::MotionSegmenter<wm::segment_frames(100.0), 6>));
  const bool ok = t.failures == 0 && files_ok == argc - 1;
  std::printf("%s: motion segmenter: %d streams, %lld frames, %d segments, %d trim cases; %d checks, %d failures\n",
              ok ? "OK" : "FAILED", streams, frames, segments, trims, t.checks, t.failures);
  return ok ? 0 : 1;
}
