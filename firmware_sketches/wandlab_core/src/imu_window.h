// IMU feature extraction: one take (n samples of accel [+ gyro]) -> the model's fixed float window.
//
// The C++ twin of app/wandlab/onboard/imu_features.py (take_features, quantize_input); the golden vectors
// tests/vectors/imu_features_*.json prove both compute the same numbers (tests/test_imu_features.cpp).
//
// Hand-written. The file is called imu_window.h, not imu_features.h, because
// imu_features.export_constants() generates an `imu_features.h` (constexpr FeatureConfig kFeatureConfig,
// kStretch, kCentre, kWindow, ...) for a sketch. Both headers share the namespace
// wandlab::imu_features and may be included together: nothing here reuses a generated name
// (`Config` here, `FeatureConfig` there; `WindowFit::kStretch` here, `kStretch` there), and
// config_from(kFeatureConfig) turns the generated constants into a Config.
//
// Memory: no heap and no scratch buffer. The fitted window is computed twice from the take (once for the
// accel mean, once for the output) instead of being stored, so the only memory is the caller's take and
// its output window (window * channels floats: 64 * 6 * 4 = 1.5 KB by default). The caller must hold a
// whole take, because "stretch" needs its length before the first output sample; Take<kMaxRows,
// kColumns> below is a fixed buffer for that. Size it for the longest take the board's segmenter can
// cut: the virtual wand's (app/wandlab/onboard/segmenter.py) is 0.25 s pre-roll + at most 3.0 s of
// motion, take_rows(3250, 119) = 388 rows at 119 Hz, so Take<400, 6> (9.6 KB) or Take<400, 3> (4.8 KB).
//
// Arithmetic: double wherever Python uses float64 (positions, interpolation, mean, scaling), float only
// for the result, as Python's final astype(float32). Doubles are software-emulated on a Cortex-M4F:
// about a dozen double operations per output value, so an estimated (not measured) 5-10 ms for a
// 64 x 6 window at 64 MHz, once per gesture.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace imu_features {

// How a take becomes `window` rows (Python's FeatureConfig.window_fit).
enum class WindowFit : int32_t {
  kStretch = 0,  // linear interpolation onto `window` points from the first to the last sample
  kCentre = 1,   // resample to rate_hz (t_i = i / rate_hz), centre-crop or edge-pad to `window`
};

// Python's FeatureConfig (version is not needed to compute a window; window_fit says everything).
// The defaults are FeatureConfig()'s.
struct Config {
  int32_t channels = 6;  // 3 = accel only, 6 = accel + gyro
  double rate_hz = 50.0;  // kCentre only: resample target
  int32_t window = 64;    // rows of the output window
  double accel_full_scale_g = 4.0;
  double gyro_full_scale_dps = 500.0;
  double clip = 1.0;  // after scaling, clip to +-clip
  bool remove_accel_mean = true;  // subtract the window's mean of each accel axis (gravity)
  WindowFit window_fit = WindowFit::kStretch;
};

// The limits FeatureConfig.__post_init__ enforces.
constexpr int32_t kMinWindow = 8;
constexpr int32_t kMaxWindow = 1024;
constexpr double kMinRateHz = 1.0;
constexpr double kMaxRateHz = 1000.0;
constexpr int32_t kMaxChannels = 6;

enum class Status : uint8_t {
  kOk = 0,
  kBadConfig,       // Config outside FeatureConfig's limits (channels, rate, window, scales, window_fit)
  kBadArgument,     // null pointer or negative count
  kEmptyTake,       // n == 0
  kBadColumns,      // the take's columns are not 3 (accel) or 6 (accel + gyro)
  kTooFewColumns,   // the config needs more channels than the take has (accel+gyro model, accel take)
  kBadRate,         // kCentre: the take's rate is not finite and positive, or resamples to too many rows
  kOutputTooSmall,  // out_floats < window * channels
};

const char* status_name(Status status);

// Checks a Config against FeatureConfig's limits (non-finite values are rejected too).
Status validate(const Config& config);

// Python's take_features(). `samples` holds n rows of in_columns interleaved floats (ax ay az [gx gy gz],
// g and deg/s) sampled at rate_hz (used by kCentre only). Writes window * channels floats, row-major
// (window rows of `channels` values), to `out`, which holds out_floats floats. Nothing is written unless
// the status is kOk.
Status take_features(const float* samples, int32_t n, int32_t in_columns, double rate_hz,
                     const Config& config, float* out, int32_t out_floats);

// Python's quantize_input() for one value: v = x / scale in float, q = sign(v) * floor(|v| + 0.5) + zp,
// clamped to [-128, 127]. That is C's roundf (half away from zero) except where |v| + 0.5 rounds up in
// float (v = 0.49999997 gives 1): Python computes it this way, so the board must too. NaN gives the
// zero point clamped to int8 (numpy's cast of NaN is unspecified).
int8_t quantize(float x, float scale, int32_t zero_point);

// quantize() on count values, x -> out (the model's int8 input tensor).
Status quantize(const float* x, int32_t count, float scale, int32_t zero_point, int8_t* out);

// Rows in a take of `milliseconds` at rate_hz, rounded up, plus one: what to size a Take for.
constexpr int32_t take_rows(int32_t milliseconds, int32_t rate_hz) {
  return static_cast<int32_t>((static_cast<int64_t>(milliseconds) * rate_hz + 999) / 1000) + 1;
}

// The Config that the header generated by export_constants() describes:
//   constexpr Config kConfig = config_from(kFeatureConfig);
// (a template, so this header does not need the generated one).
template <class Generated>
constexpr Config config_from(const Generated& g) {
  Config c;
  c.channels = g.channels;
  c.rate_hz = g.rate_hz;
  c.window = g.window;
  c.accel_full_scale_g = g.accel_full_scale_g;
  c.gyro_full_scale_dps = g.gyro_full_scale_dps;
  c.clip = g.clip;
  c.remove_accel_mean = g.remove_accel_mean;
  c.window_fit = static_cast<WindowFit>(g.window_fit);
  return c;
}

// A fixed buffer for one take as the sensor delivers it: push() rows, features(), clear().
// sizeof is about kMaxRows * kColumns * 4 bytes.
template <int32_t kMaxRows, int32_t kColumns>
class Take {
  static_assert(kColumns == 3 || kColumns == 6, "a take has 3 (accel) or 6 (accel + gyro) columns");
  static_assert(kMaxRows > 0, "a take holds at least one row");

 public:
  static constexpr int32_t kCapacityRows = kMaxRows;
  static constexpr int32_t kTakeColumns = kColumns;

  // Appends one row of kColumns floats; false (and the row is dropped) when the take is full.
  bool push(const float* row) {
    if (rows_ >= kMaxRows) return false;
    float* dst = samples_ + static_cast<size_t>(rows_) * kColumns;
    for (int32_t c = 0; c < kColumns; ++c) dst[c] = row[c];
    ++rows_;
    return true;
  }
  void clear() { rows_ = 0; }
  int32_t rows() const { return rows_; }
  bool full() const { return rows_ >= kMaxRows; }
  const float* samples() const { return samples_; }

  Status features(double rate_hz, const Config& config, float* out, int32_t out_floats) const {
    return take_features(samples_, rows_, kColumns, rate_hz, config, out, out_floats);
  }

 private:
  float samples_[static_cast<size_t>(kMaxRows) * kColumns] = {};
  int32_t rows_ = 0;
};

}  // namespace imu_features
}  // namespace wandlab
