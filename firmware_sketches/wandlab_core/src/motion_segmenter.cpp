// The board's motion segmenter, the C++ twin of onboard/motion.py, segmenter.py and trim.py. See
// motion_segmenter.h.
//
// Every score repeats Python's float64 expression in the same order, so that a threshold decision
// never flips on the last bit:
//   detector (per frame):  y = a * x + s, s = (1 - a) * y       (filters.one_pole; slow state starts
//                          at (1 - a) * x[0]); raw = |acc - slow| / 0.15 [+ |gyro| / 60];
//                          |v| = sqrt((v0 * v0 + v1 * v1) + v2 * v2) as np.linalg.norm(axis=1) sums.
//   trim (per segment):    moving_average = (S[i + size] - S[i]) / size over the edge-padded input,
//                          S its left-to-right cumulative sum (np.cumsum), the input itself when
//                          size <= 1; the 10th percentile of the smoothed score interpolated as
//                          numpy's _lerp: a + (b - a) * g, or b - (b - a) * (1 - g) when g >= 0.5.
// The trim never stores the scores: they are recomputed in order from the segment (twice, once for the
// percentile and peak, once for the active range), and the cumulative sums run as two accumulators, one
// `size` samples ahead of the other, each adding the same values in the same order as np.cumsum.

#include "motion_segmenter.h"

#include <cfloat>
#include <cmath>

#if defined(__FAST_MATH__)
#error "motion_segmenter.cpp must be built without -ffast-math (-Ofast): its scores must round as Python's"
#endif
#if FLT_EVAL_METHOD != 0
#error "motion_segmenter.cpp needs doubles evaluated as doubles (FLT_EVAL_METHOD 0), as numpy does"
#endif

namespace wandlab {
namespace motion {
namespace {

bool rate_ok(double rate_hz) { return rate_hz >= kMinRateHz && rate_hz <= kMaxRateHz; }  // false for NaN

double norm3(double x, double y, double z) { return std::sqrt((x * x + y * y) + z * z); }

int32_t clamp_index(int64_t i, int32_t n) {
  if (i < 0) return 0;
  if (i > n - 1) return n - 1;
  return static_cast<int32_t>(i);
}

// trim.py's window sizes: int(round(...)), at least 1.
int32_t average_size(double rate_hz) {
  const int32_t size = py_round(kTrimAverageS * rate_hz);
  return size > 1 ? size : 1;
}
int32_t smooth_size(double rate_hz) {
  const int32_t size = py_round(kTrimSmoothS * rate_hz);
  return size > 1 ? size : 1;
}

// np.percentile's index: floor((n - 1) * 0.1) and the fraction above it.
struct PercentileIndex {
  int32_t below;
  double gamma;
};
PercentileIndex percentile_index(int32_t n) {
  const double virtual_index = static_cast<double>(n - 1) * kTrimQuantile;
  const int32_t below = static_cast<int32_t>(virtual_index);  // floor: the index is not negative
  return PercentileIndex{below, virtual_index - static_cast<double>(below)};
}

// motion_score() before its smoothing, frame by frame in order: the distance of the acceleration from
// its centred 0.5 s average, in motion units, plus the rotation rate in motion units.
class RawScores {
 public:
  RawScores(const float* frames, int32_t n, int32_t axes, int32_t size)
      : frames_(frames), n_(n), axes_(axes), size_(size), before_(size / 2) {}

  double next() {
    const int32_t j = j_++;
    const float* row = frames_ + static_cast<size_t>(j) * static_cast<size_t>(axes_);
    double high[3] = {0.0, 0.0, 0.0};  // moving_average returns the input itself for size <= 1
    if (size_ > 1) {
      for (; lead_k_ < static_cast<int64_t>(j) + size_; ++lead_k_) add(lead_k_, lead_);
      for (; lag_k_ < j; ++lag_k_) add(lag_k_, lag_);
      for (int c = 0; c < 3; ++c) {
        const double average = (lead_[c] - lag_[c]) / static_cast<double>(size_);
        high[c] = static_cast<double>(row[c]) - average;
      }
    }
    double score = norm3(high[0], high[1], high[2]) / kAccelScaleG;
    if (axes_ >= 6) {
      score = score + norm3(static_cast<double>(row[3]), static_cast<double>(row[4]),
                            static_cast<double>(row[5])) / kGyroScaleDps;
    }
    return score;
  }

 private:
  // Adds padded sample k (the first/last frame repeated beyond the ends) to a cumulative sum.
  void add(int64_t k, double* sum) const {
    const size_t frame = static_cast<size_t>(clamp_index(k - before_, n_));
    const float* row = frames_ + frame * static_cast<size_t>(axes_);
    for (int c = 0; c < 3; ++c) sum[c] += static_cast<double>(row[c]);
  }

  const float* frames_;
  int32_t n_;
  int32_t axes_;
  int32_t size_;
  int32_t before_;
  int32_t j_ = 0;
  int64_t lead_k_ = 0;  // padded samples in lead_ = S[j + size]
  int64_t lag_k_ = 0;   // padded samples in lag_ = S[j]
  double lead_[3] = {0.0, 0.0, 0.0};
  double lag_[3] = {0.0, 0.0, 0.0};
};

// motion_score(): RawScores smoothed by a centred 0.05 s moving average, frame by frame in order. The raw
// scores the two running sums need lie at most `size` frames apart, so a ring of size + 1 holds them.
class SmoothedScores {
 public:
  SmoothedScores(const float* frames, int32_t n, int32_t axes, double rate_hz, double* ring)
      : raw_(frames, n, axes, average_size(rate_hz)),
        n_(n),
        size_(smooth_size(rate_hz)),
        before_(size_ / 2),
        ring_(ring),
        ring_size_(size_ + 1) {}

  // Doubles of ring the smoother needs at rate_hz (none when it is the identity).
  static int32_t ring_needed(double rate_hz) {
    const int32_t size = smooth_size(rate_hz);
    return size > 1 ? size + 1 : 0;
  }

  double next() {
    if (size_ <= 1) return raw_.next();
    const int32_t i = i_++;
    for (; lead_k_ < static_cast<int64_t>(i) + size_; ++lead_k_) {
      lead_ += raw_at(clamp_index(lead_k_ - before_, n_));
    }
    for (; lag_k_ < i; ++lag_k_) lag_ += raw_at(clamp_index(lag_k_ - before_, n_));
    return (lead_ - lag_) / static_cast<double>(size_);
  }

 private:
  // Raw score j; j never falls more than size_ behind the newest one computed.
  double raw_at(int32_t j) {
    for (; produced_ <= j; ++produced_) ring_[produced_ % ring_size_] = raw_.next();
    return ring_[j % ring_size_];
  }

  RawScores raw_;
  int32_t n_;
  int32_t size_;
  int32_t before_;
  double* ring_;
  int32_t ring_size_;
  int32_t produced_ = 0;
  int32_t i_ = 0;
  int64_t lead_k_ = 0;
  int64_t lag_k_ = 0;
  double lead_ = 0.0;
  double lag_ = 0.0;
};

// The `capacity` smallest values seen, as a max-heap: the two largest of them are the order statistics
// np.percentile interpolates between.
class SmallestValues {
 public:
  SmallestValues(double* heap, int32_t capacity) : heap_(heap), capacity_(capacity) {}

  void add(double v) {
    if (size_ < capacity_) {
      int32_t i = size_++;
      while (i > 0 && heap_[(i - 1) / 2] < v) {
        heap_[i] = heap_[(i - 1) / 2];
        i = (i - 1) / 2;
      }
      heap_[i] = v;
    } else if (v < heap_[0]) {
      int32_t i = 0;
      for (;;) {
        int32_t child = 2 * i + 1;
        if (child >= size_) break;
        if (child + 1 < size_ && heap_[child + 1] > heap_[child]) ++child;
        if (!(heap_[child] > v)) break;
        heap_[i] = heap_[child];
        i = child;
      }
      heap_[i] = v;
    }
  }

  // The largest kept value (rank capacity - 1 of all values), and the one below it (rank capacity - 2).
  double largest() const { return heap_[0]; }
  double second_largest() const {
    double v = heap_[1];
    if (size_ > 2 && heap_[2] > v) v = heap_[2];
    return v;
  }

 private:
  double* heap_;
  int32_t capacity_;
  int32_t size_ = 0;
};

// trim.py's _padded().
TrimRange padded(int32_t start, int32_t end, int32_t before, int32_t after, int32_t n) {
  TrimRange r;
  r.start = start - before > 0 ? start - before : 0;
  r.end = end + after < n ? end + after : n;
  if (!(r.end > r.start)) {
    r.start = 0;
    r.end = n;
  }
  return r;
}

}  // namespace

const char* status_text(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kBadRate:
      return "the IMU rate is outside 1-1000 Hz";
    case Status::kBadAxes:
      return "the segmenter needs 3 (accel) or 6 (accel + gyro) IMU axes";
    case Status::kBadArgument:
      return "a null buffer or a negative frame count was given to the segmenter";
    case Status::kBufferTooSmall:
      return "the segment buffer is too small for this IMU rate";
    case Status::kScratchTooSmall:
      return "the trim scratch buffer is too small for this segment";
  }
  return "unknown segmenter status";
}

int32_t trim_scratch_needed(int32_t n, double rate_hz) {
  if (n < 3 || !rate_ok(rate_hz)) return 0;
  return percentile_index(n).below + 2 + SmoothedScores::ring_needed(rate_hz);
}

Status trim_imu(const float* frames, int32_t n, int32_t axes, double rate_hz, double* scratch,
                int32_t scratch_doubles, TrimRange* out) {
  if (out == nullptr || n < 0 || (frames == nullptr && n > 0)) return Status::kBadArgument;
  if (axes != 3 && axes != 6) return Status::kBadAxes;
  if (!rate_ok(rate_hz)) return Status::kBadRate;
  if (n < 3) {
    *out = TrimRange{0, n, 0.0, 0.0};
    return Status::kOk;
  }
  const int32_t needed = trim_scratch_needed(n, rate_hz);
  if (scratch == nullptr || scratch_doubles < needed) return Status::kScratchTooSmall;

  const PercentileIndex index = percentile_index(n);
  const int32_t kept = index.below + 2;
  double* ring = scratch + kept;

  // Pass 1: the 10th percentile (floor) and the peak of the smoothed score.
  SmallestValues smallest(scratch, kept);
  SmoothedScores scores(frames, n, axes, rate_hz, ring);
  double peak = 0.0;
  for (int32_t i = 0; i < n; ++i) {
    const double v = scores.next();
    if (i == 0 || v > peak) peak = v;
    smallest.add(v);
  }
  const double a = smallest.second_largest();
  const double b = smallest.largest();
  const double diff = b - a;
  const double floor = index.gamma >= 0.5 ? b - diff * (1.0 - index.gamma) : a + diff * index.gamma;

  TrimRange result{0, n, floor, peak};
  if (!(peak < kMinMotion || peak < 2.0 * floor)) {
    // Pass 2: the first and last frame above the threshold, padded by IMU_PAD_S.
    const double threshold = floor + 0.2 * (peak - floor);
    SmoothedScores again(frames, n, axes, rate_hz, ring);
    int32_t first = -1;
    int32_t last = -1;
    for (int32_t i = 0; i < n; ++i) {
      if (again.next() > threshold) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) {  // always: the peak lies above the threshold
      const int32_t pad = py_round(kImuPadS * rate_hz);
      result = padded(first, last + 1, pad, pad, n);
      result.floor = floor;
      result.peak = peak;
    }
  }
  *out = result;
  return Status::kOk;
}

Status model_window(const Segment& segment, double rate_hz, double* scratch, int32_t scratch_doubles,
                    Window* out) {
  if (out == nullptr) return Status::kBadArgument;
  TrimRange trim;
  const Status status =
      trim_imu(segment.frames, segment.count, segment.axes, rate_hz, scratch, scratch_doubles, &trim);
  if (status != Status::kOk) return status;
  const int32_t pad = py_round(kContextS * rate_hz);
  const int32_t start = trim.start - pad > 0 ? trim.start - pad : 0;
  const int32_t end = trim.end + pad < segment.count ? trim.end + pad : segment.count;
  out->frames = segment.frames + static_cast<size_t>(start) * static_cast<size_t>(segment.axes);
  out->count = end - start;
  out->start = start;
  out->trim = trim;
  return Status::kOk;
}

void counts_to_units(const int16_t* counts, int32_t axes, float accel_scale, float gyro_scale, float* out) {
  for (int32_t c = 0; c < axes; ++c) {
    out[c] = static_cast<float>(counts[c]) * (c < 3 ? accel_scale : gyro_scale);
  }
}

MotionSegmenterCore::MotionSegmenterCore(float* frames, int32_t capacity_frames, int32_t axes,
                                         double* scratch, int32_t scratch_doubles)
    : frames_(frames),
      capacity_frames_(capacity_frames),
      axes_(axes),
      scratch_(scratch),
      scratch_doubles_(scratch_doubles) {}

Status MotionSegmenterCore::reset(double rate_hz) {
  active_ = false;
  primed_ = false;
  slow_[0] = slow_[1] = slow_[2] = 0.0;
  smooth_ = level_ = 0.0;
  frames_fed_ = idle_ = 0;
  ring_next_ = take_frames_ = still_ = count_ = pre_roll_count_ = 0;
  settled_ = true;
  discarded_ = 0;
  segment_ = Segment{};
  rate_hz_ = rate_hz;

  if (axes_ != 3 && axes_ != 6) return status_ = Status::kBadAxes;
  if (frames_ == nullptr || capacity_frames_ < 0 || (scratch_ == nullptr && scratch_doubles_ > 0)) {
    return status_ = Status::kBadArgument;
  }
  if (!rate_ok(rate_hz)) return status_ = Status::kBadRate;
  if (capacity_frames_ < segment_frames(rate_hz)) return status_ = Status::kBufferTooSmall;
  if (scratch_doubles_ < trim_scratch_needed(capacity_frames_, rate_hz)) {
    return status_ = Status::kScratchTooSmall;
  }

  pre_roll_ = pre_roll_frames(rate_hz);
  const int32_t still = py_round(kStillS * rate_hz);
  still_frames_ = still > 1 ? still : 1;
  min_frames_ = py_round(kMinS * rate_hz);
  max_frames_ = max_segment_frames(rate_hz);
  quiet_needed_ = py_round(kQuietBeforeS * rate_hz);
  a_slow_ = 1.0 - std::exp(-1.0 / (kSlowFilterS * rate_hz));
  keep_slow_ = 1.0 - a_slow_;
  a_smooth_ = 1.0 - std::exp(-1.0 / (kSmoothFilterS * rate_hz));
  keep_smooth_ = 1.0 - a_smooth_;
  return status_ = Status::kOk;
}

double MotionSegmenterCore::score(const float* frame) {
  double acc[3];
  for (int c = 0; c < 3; ++c) acc[c] = static_cast<double>(frame[c]);
  if (!primed_) {  // start settled on the first frame: no false trigger from gravity
    for (int c = 0; c < 3; ++c) slow_[c] = keep_slow_ * acc[c];
    primed_ = true;
  }
  double high[3];
  for (int c = 0; c < 3; ++c) {
    const double slow = a_slow_ * acc[c] + slow_[c];
    slow_[c] = keep_slow_ * slow;
    high[c] = acc[c] - slow;
  }
  double raw = norm3(high[0], high[1], high[2]) / kAccelScaleG;
  if (axes_ == 6) {
    raw = raw + norm3(static_cast<double>(frame[3]), static_cast<double>(frame[4]),
                      static_cast<double>(frame[5])) / kGyroScaleDps;
  }
  const double smooth = a_smooth_ * raw + smooth_;
  smooth_ = keep_smooth_ * smooth;
  return smooth;
}

void MotionSegmenterCore::store(int32_t row, const float* frame) {
  float* dst = frames_ + static_cast<size_t>(row) * static_cast<size_t>(axes_);
  for (int32_t c = 0; c < axes_; ++c) dst[c] = frame[c];
}

// While idle, the first pre_roll_ rows of the buffer are a ring of the latest quiet frames.
void MotionSegmenterCore::remember(const float* frame) {
  ++idle_;
  if (pre_roll_ == 0) return;
  store(ring_next_, frame);
  ring_next_ = ring_next_ + 1 == pre_roll_ ? 0 : ring_next_ + 1;
}

void MotionSegmenterCore::start(const float* frame, uint64_t frame_number) {
  // The pre-roll: the latest min(pre_roll, idle) quiet frames. Once the ring has wrapped, its oldest
  // frame sits at ring_next_: rotate the ring left by that much (three reversals, in place).
  const bool wrapped = idle_ >= static_cast<uint64_t>(pre_roll_);
  pre_roll_count_ = wrapped ? pre_roll_ : static_cast<int32_t>(idle_);
  if (wrapped && ring_next_ > 0) {
    auto reverse = [this](int32_t first, int32_t last) {  // rows [first, last)
      for (; first + 1 < last; ++first, --last) {
        float* a = frames_ + static_cast<size_t>(first) * static_cast<size_t>(axes_);
        float* b = frames_ + static_cast<size_t>(last - 1) * static_cast<size_t>(axes_);
        for (int32_t c = 0; c < axes_; ++c) {
          const float t = a[c];
          a[c] = b[c];
          b[c] = t;
        }
      }
    };
    reverse(0, ring_next_);
    reverse(ring_next_, pre_roll_);
    reverse(0, pre_roll_);
  }
  // Settled: QUIET_BEFORE_S of rest before it, or a stream quiet from its first frame.
  settled_ = idle_ >= static_cast<uint64_t>(quiet_needed_) || idle_ == frame_number;
  store(pre_roll_count_, frame);
  count_ = pre_roll_count_ + 1;
  active_ = true;
  take_frames_ = 1;
  still_ = 0;
}

bool MotionSegmenterCore::push(const float* frame, uint64_t stream_index) {
  if (status_ != Status::kOk || frame == nullptr) return false;
  const double s = score(frame);
  level_ = s;
  const uint64_t frame_number = frames_fed_++;
  if (!active_) {
    if (s >= kStartThreshold) {
      start(frame, frame_number);
    } else {
      remember(frame);
    }
    return false;
  }
  store(count_++, frame);  // count_ <= pre_roll_ + max_frames_ <= capacity: the take ends at max_frames_
  ++take_frames_;
  still_ = s < kStopThreshold ? still_ + 1 : 0;
  if (still_ < still_frames_ && take_frames_ < max_frames_) return false;
  active_ = false;
  idle_ = 0;
  ring_next_ = 0;
  if (take_frames_ - still_ < min_frames_) {  // a bump or a twitch
    ++discarded_;
    return false;
  }
  segment_.frames = frames_;
  segment_.count = count_;
  segment_.axes = axes_;
  segment_.pre_roll = pre_roll_count_;
  segment_.end_index = stream_index + 1;
  segment_.clipped = take_frames_ >= max_frames_;
  segment_.settled = settled_;
  return true;
}

bool MotionSegmenterCore::push_counts(const int16_t* counts, float accel_scale, float gyro_scale,
                                      uint64_t stream_index) {
  if (counts == nullptr) return false;
  float frame[6];
  counts_to_units(counts, axes_ == 6 ? 6 : 3, accel_scale, gyro_scale, frame);
  return push(frame, stream_index);
}

}  // namespace motion
}  // namespace wandlab
