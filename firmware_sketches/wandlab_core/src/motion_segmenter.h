// The board's motion segmenter: cuts the live IMU stream into motion segments and each segment into
// the model's window. The C++ twin of app/wandlab/onboard/motion.py (MotionDetector), segmenter.py
// (Segmenter, Segment, model_window) and trim.py (motion_score, auto_trim_imu), with the parameters
// Segmenter gives MotionDetector (max_s = MAX_SEGMENT_S); the golden streams written by
// tests/firmware/segmenter_vectors.py prove both cut the same segments (tests/test_motion_segmenter.cpp).
//
// Per frame the detector updates two one-pole filters (a 0.5 s gravity tracker, a 30 ms score smoother)
// and a hysteresis state machine; the frames of the current segment go into a fixed buffer. When a
// segment ends in stillness (or at MAX_SEGMENT_S), push() returns true and segment() describes it until
// the next push(). model_window() trims it to the motion as auto_trim_imu does (two passes over the
// segment, no copy). Too-short takes (a bump, a twitch) are dropped, as Python drops them.
//
// Memory: no heap. The segment buffer holds 0.25 s of pre-roll + MAX_SEGMENT_S = 3.0 s of frames as
// floats; while no segment is running its first pre-roll frames serve as the pre-roll ring, so there is
// no separate history. MotionSegmenter<kMaxFrames, kAxes> owns it; size it with segment_frames(rate).
// sizeof on a Cortex-M4 (buffer + trim scratch + 216 bytes of state):
//   rate (Hz)   segment_frames   6 axes    3 axes
//   25          81               2.2 KB    1.3 KB
//   100         325              8.2 KB    4.4 KB
//   119         387              9.7 KB    5.2 KB
//   400         1300             32.0 KB   16.8 KB
// Trim scratch: a max-heap of the segment's smallest 10 % + 2 scores (for the 10th percentile) and a
// ring of the score smoother's reach (0.05 s): trim_scratch_doubles(kMaxFrames) doubles, 368 bytes for
// 325 frames. The trim needs no other copy of the segment: it recomputes the scores instead.
// Arithmetic: double wherever Python uses float64, in Python's order (numpy's norm sums x0^2 + x1^2 first,
// its cumsum runs left to right, its percentile interpolates as np.percentile's default "linear"),
// so the scores are bit-identical and every threshold decision the same. The .cpp refuses to build
// under -ffast-math (-Ofast), which would reorder and approximate that arithmetic. Doubles are
// software-emulated on a Cortex-M4F: per frame about 40 double operations and two double square roots.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace motion {

// MotionDetector's parameters as Segmenter sets them (motion.py, segmenter.py).
constexpr double kStartThreshold = 1.5;  // smoothed score that starts a segment
constexpr double kStopThreshold = 0.7;   // below it a frame counts as still
constexpr double kStillS = 0.3;          // this long still ends a segment
constexpr double kPreRollS = 0.25;       // frames kept from before the start
constexpr double kMinS = 0.2;            // shorter motion is a twitch: discarded
constexpr double kMaxSegmentS = 3.0;     // MAX_SEGMENT_S: a segment is cut (clipped) here
constexpr double kQuietBeforeS = 0.1;    // QUIET_BEFORE_S: rest before a settled segment
constexpr double kContextS = 0.0;        // CONTEXT_S: rest kept either side of the trimmed motion
constexpr double kSlowFilterS = 0.5;     // gravity/tilt tracker time constant
constexpr double kSmoothFilterS = 0.03;  // score smoother time constant
// trim.py.
constexpr double kAccelScaleG = 0.15;  // one motion unit of acceleration beyond gravity
constexpr double kGyroScaleDps = 60.0;  // one motion unit of rotation
constexpr double kMinMotion = 1.0;      // a take whose smoothed peak stays below this is kept whole
constexpr double kImuPadS = 0.10;       // auto-trim keeps this much either side of the motion
constexpr double kTrimAverageS = 0.5;   // motion_score's gravity average
constexpr double kTrimSmoothS = 0.05;   // motion_score's smoothing
constexpr double kTrimQuantile = 0.1;   // np.percentile(score, 10): 10 / 100
// Rates this code accepts (the synthetic IMU's range; boards stream 25-400 Hz).
constexpr double kMinRateHz = 1.0;
constexpr double kMaxRateHz = 1000.0;

// Python's round() of a non-negative double below 2^31: to nearest, ties to even (round(12.5) = 12).
constexpr int32_t py_round(double x) {
  const int32_t whole = static_cast<int32_t>(x);
  const double rest = x - static_cast<double>(whole);
  if (rest > 0.5) return whole + 1;
  if (rest < 0.5) return whole;
  return whole % 2 == 0 ? whole : whole + 1;
}

// Frames of pre-roll, and the most frames of motion, a segment has at rate_hz.
constexpr int32_t pre_roll_frames(double rate_hz) { return py_round(kPreRollS * rate_hz); }
constexpr int32_t max_segment_frames(double rate_hz) { return py_round(kMaxSegmentS * rate_hz); }
// The longest segment at rate_hz: what to size MotionSegmenter's kMaxFrames for.
constexpr int32_t segment_frames(double rate_hz) {
  return pre_roll_frames(rate_hz) + max_segment_frames(rate_hz);
}
// Scratch doubles trim_imu() needs for segments of up to max_frames frames at any rate whose
// segment_frames() fits in max_frames: heap (max_frames - 1) / 10 + 2, smoother ring max_frames / 32 + 2.
constexpr int32_t trim_scratch_doubles(int32_t max_frames) {
  return (max_frames > 0 ? (max_frames - 1) / 10 : 0) + 2 + max_frames / 32 + 2;
}

enum class Status : uint8_t {
  kOk = 0,
  kBadRate,          // not finite, or outside kMinRateHz..kMaxRateHz
  kBadAxes,          // axes are not 3 (accel) or 6 (accel + gyro)
  kBadArgument,      // null pointer or negative count
  kBufferTooSmall,   // the segment buffer holds fewer than segment_frames(rate) frames
  kScratchTooSmall,  // less trim scratch than trim_scratch_needed()
};

// A short English sentence for the host (a Log line), e.g. "the segment buffer is too small for this rate".
const char* status_text(Status status);

// A finished segment (Python's Segment): a view into the segmenter's buffer, valid until the next push.
struct Segment {
  const float* frames = nullptr;  // count rows of `axes` floats: g, then deg/s (Python's float32 data)
  int32_t count = 0;
  int32_t axes = 0;
  int32_t pre_roll = 0;   // how many of the frames came from before the start
  uint64_t end_index = 0;  // stream index just after the segment
  bool clipped = false;   // ended at MAX_SEGMENT_S while still moving
  bool settled = true;    // began after QUIET_BEFORE_S of a held wand (or everything before was quiet)

  // Whether the board recognises this segment at all (segmenter.py's docstring says why).
  bool decidable() const { return settled && !clipped; }
  double seconds(double rate_hz) const { return static_cast<double>(count) / rate_hz; }
};

// auto_trim_imu's result: frames [start, end) hold the motion. floor and peak are the smoothed score's
// 10th percentile and maximum (0 when the take is under 3 frames and nothing was scored).
struct TrimRange {
  int32_t start = 0;
  int32_t end = 0;
  double floor = 0.0;
  double peak = 0.0;
};

// The frames the model sees (Python's model_window): a view into the segment.
struct Window {
  const float* frames = nullptr;
  int32_t count = 0;
  int32_t start = 0;  // first frame of the window within the segment
  TrimRange trim;
};

// Scratch doubles trim_imu() needs for a take of n frames at rate_hz (0 if the arguments are invalid).
int32_t trim_scratch_needed(int32_t n, double rate_hz);

// Python's auto_trim_imu(): n rows of `axes` floats at rate_hz. `scratch` holds scratch_doubles doubles
// (trim_scratch_needed()); nothing else is written. On an error *out is left alone.
Status trim_imu(const float* frames, int32_t n, int32_t axes, double rate_hz, double* scratch,
                int32_t scratch_doubles, TrimRange* out);

// Python's model_window(): trim_imu() on the segment, widened by CONTEXT_S (0 s) either side.
Status model_window(const Segment& segment, double rate_hz, double* scratch, int32_t scratch_doubles,
                    Window* out);

// One frame of IMU counts -> g and deg/s, as the virtual board converts them: float32(count * scale).
// A float multiply is that exactly: a 16-bit count times a 24-bit float significand fits a double, so
// both round the exact product once. (Python's scales are float64, 4.0 / 32768 and 2000.0 / 32768,
// and equal to the board's floats.)
void counts_to_units(const int16_t* counts, int32_t axes, float accel_scale, float gyro_scale, float* out);

// The segmenter on caller-provided memory; MotionSegmenter below owns its memory. Not copyable (it
// points into its buffers).
class MotionSegmenterCore {
 public:
  // `frames` holds capacity_frames rows of `axes` floats, `scratch` scratch_doubles doubles; both must
  // outlive the segmenter. Call reset(rate) before the first push().
  MotionSegmenterCore(float* frames, int32_t capacity_frames, int32_t axes, double* scratch,
                      int32_t scratch_doubles);
  MotionSegmenterCore(const MotionSegmenterCore&) = delete;
  MotionSegmenterCore& operator=(const MotionSegmenterCore&) = delete;

  // Starts over at rate_hz, as a new Python Segmenter (the recogniser makes one when the rate changes).
  // Until a reset succeeds, push() ignores frames; status() says why.
  Status reset(double rate_hz);
  Status status() const { return status_; }

  // One frame (`axes` floats, g then deg/s) with its stream index. True when it ended a segment:
  // segment() then describes it until the next push(), which reuses the buffer.
  bool push(const float* frame, uint64_t stream_index);
  // The same for one frame of int16 counts with the board's scales (counts_to_units()).
  bool push_counts(const int16_t* counts, float accel_scale, float gyro_scale, uint64_t stream_index);

  // A block of frames whose first has stream index first_index; on_segment(const Segment&) runs for each
  // segment as it ends, before the next frame overwrites it. Returns how many segments ended.
  template <class OnSegment>
  int32_t feed(const float* frames, int32_t count, uint64_t first_index, OnSegment&& on_segment) {
    int32_t ended = 0;
    for (int32_t i = 0; i < count; ++i) {
      const float* frame = frames + static_cast<size_t>(i) * static_cast<size_t>(axes_);
      if (push(frame, first_index + static_cast<uint64_t>(i))) {
        ++ended;
        on_segment(segment_);
      }
    }
    return ended;
  }
  template <class OnSegment>
  int32_t feed_counts(const int16_t* counts, int32_t count, float accel_scale, float gyro_scale,
                      uint64_t first_index, OnSegment&& on_segment) {
    int32_t ended = 0;
    for (int32_t i = 0; i < count; ++i) {
      const int16_t* frame = counts + static_cast<size_t>(i) * static_cast<size_t>(axes_);
      if (push_counts(frame, accel_scale, gyro_scale, first_index + static_cast<uint64_t>(i))) {
        ++ended;
        on_segment(segment_);
      }
    }
    return ended;
  }

  // The segment the last push() ended.
  const Segment& segment() const { return segment_; }
  // model_window() at this segmenter's rate, with its scratch.
  Status model_window(const Segment& segment, Window* out) {
    return motion::model_window(segment, rate_hz_, scratch_, scratch_doubles_, out);
  }

  double rate_hz() const { return rate_hz_; }
  int32_t axes() const { return axes_; }
  int32_t capacity_frames() const { return capacity_frames_; }
  // The latest smoothed motion score (Python's detector.level), for a motion meter.
  double level() const { return level_; }
  // Whether a segment is running.
  bool active() const { return active_; }
  // Takes dropped as too short (Python's "discard" events) since the last reset.
  uint32_t discarded() const { return discarded_; }

 private:
  double score(const float* frame);
  void start(const float* frame, uint64_t frame_number);
  void remember(const float* frame);
  void store(int32_t row, const float* frame);

  float* frames_;
  int32_t capacity_frames_;
  int32_t axes_;
  double* scratch_;
  int32_t scratch_doubles_;
  Status status_ = Status::kBadRate;
  double rate_hz_ = 0.0;

  // Frame counts derived from the rate, as MotionDetector and Segmenter round them.
  int32_t pre_roll_ = 0;
  int32_t still_frames_ = 1;
  int32_t min_frames_ = 0;
  int32_t max_frames_ = 0;
  int32_t quiet_needed_ = 0;
  // Filter coefficients a and 1 - a.
  double a_slow_ = 0.0, keep_slow_ = 1.0;
  double a_smooth_ = 0.0, keep_smooth_ = 1.0;

  // Detector state.
  bool primed_ = false;  // the gravity tracker starts settled on the first frame
  double slow_[3] = {};
  double smooth_ = 0.0;
  double level_ = 0.0;
  uint64_t frames_fed_ = 0;
  uint64_t idle_ = 0;        // quiet frames since the last segment ended: the pre-roll reaches no further
  int32_t ring_next_ = 0;    // next pre-roll ring slot while idle
  bool active_ = false;
  int32_t take_frames_ = 0;  // frames since the start, the start frame included
  int32_t still_ = 0;
  int32_t count_ = 0;        // frames in the buffer, pre-roll included
  int32_t pre_roll_count_ = 0;
  bool settled_ = true;
  uint32_t discarded_ = 0;
  Segment segment_;
};

// The buffers MotionSegmenter owns; a base class so that they exist before MotionSegmenterCore.
template <int32_t kMaxFrames, int32_t kAxes>
struct MotionSegmenterStorage {
  static_assert(kAxes == 3 || kAxes == 6, "a segment has 3 (accel) or 6 (accel + gyro) axes");
  static_assert(kMaxFrames > 0, "a segment holds at least one frame");
  static constexpr int32_t kScratchDoubles = trim_scratch_doubles(kMaxFrames);

  float segment_frames_[static_cast<size_t>(kMaxFrames) * kAxes] = {};
  double trim_scratch_[kScratchDoubles] = {};
};

// The segmenter with its own buffers: MotionSegmenter<segment_frames(100), 6> for a 100 Hz 6-axis board
// (8.2 KB on a Cortex-M4; see the table above). reset(rate) to another rate works while
// segment_frames(rate) <= kMaxFrames; otherwise status() is kBufferTooSmall and frames are ignored.
template <int32_t kMaxFrames, int32_t kAxes>
class MotionSegmenter : private MotionSegmenterStorage<kMaxFrames, kAxes>, public MotionSegmenterCore {
  using Storage = MotionSegmenterStorage<kMaxFrames, kAxes>;

 public:
  explicit MotionSegmenter(double rate_hz)
      : MotionSegmenterCore(Storage::segment_frames_, kMaxFrames, kAxes, Storage::trim_scratch_,
                            Storage::kScratchDoubles) {
    reset(rate_hz);
  }
};

}  // namespace motion
}  // namespace wandlab
