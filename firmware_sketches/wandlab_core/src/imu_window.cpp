// IMU feature extraction, the C++ twin of app/wandlab/onboard/imu_features.py. See imu_window.h.
//
// Every step repeats Python's float64 expression in the same order (and so with the same roundings):
//   stretch_window: pos_j = j * ((n - 1) / (window - 1))
//   resample:       m = floor((n - 1) / rate_in * rate_out + 1e-9) + 1, pos_i = i * (rate_in / rate_out)
//   both:           i0 = min(floor(pos), n - 1), i1 = min(i0 + 1, n - 1), frac = pos - i0,
//                   value = x[i0] * (1 - frac) + x[i1] * frac
//   fit_window:     crop from (m - window) / 2, or pad (window - m) / 2 copies of the first row before
//   then:           accel -= window mean, / accel_full_scale_g; gyro / gyro_full_scale_dps;
//                   clip to +-clip; cast to float.
// The one difference: numpy may sum the mean in another order, which changes it by an ulp of a double,
// far below what survives the cast to float.

#include "imu_window.h"

#include <cmath>

namespace wandlab {
namespace imu_features {
namespace {

bool finite_positive(double v) { return v > 0.0 && std::isfinite(v); }

// Where row `row` of the fitted window comes from: input rows i0 and i1, weights (1 - frac) and frac,
// or input row i0 unchanged (Python's resample returns the take itself at the same rate).
struct Source {
  int64_t i0;
  int64_t i1;
  double frac;
  bool copy;
};

// Linear interpolation at position `pos` (in input samples) of a take of n rows.
Source interpolate(double pos, int64_t n) {
  int64_t i0 = static_cast<int64_t>(std::floor(pos));
  if (i0 > n - 1) i0 = n - 1;
  const int64_t i1 = i0 + 1 < n - 1 ? i0 + 1 : n - 1;
  return Source{i0, i1, pos - static_cast<double>(i0), false};
}

// The fitted window's rows, as a function of the row index: no buffer needed.
class Fitter {
 public:
  Fitter(const float* samples, int64_t n, int32_t in_columns, double rate_in, const Config& config)
      : samples_(samples), n_(n), in_columns_(in_columns), config_(config) {
    if (config.window_fit == WindowFit::kStretch) {
      step_ = static_cast<double>(n - 1) / static_cast<double>(config.window - 1);
      return;
    }
    copy_ = rate_in == config.rate_hz || n == 1;
    if (!copy_) {
      const double duration = static_cast<double>(n - 1) / rate_in;
      const double rows = std::floor(duration * config.rate_hz + 1e-9) + 1.0;
      // Positions stay exact integers times the step; Python would run out of memory long before.
      if (!(rows < 9.0e15)) return;
      m_ = static_cast<int64_t>(rows);
      step_ = rate_in / config.rate_hz;
    } else {
      m_ = n;
    }
    if (m_ >= config.window) {
      crop_start_ = (m_ - config.window) / 2;
    } else {
      pad_before_ = (config.window - m_) / 2;
    }
  }

  bool ok() const { return config_.window_fit == WindowFit::kStretch || m_ > 0; }

  Source source(int32_t row) const {
    if (config_.window_fit == WindowFit::kStretch) return interpolate(static_cast<double>(row) * step_, n_);
    int64_t i = 0;  // row of the resampled take
    if (m_ >= config_.window) {
      i = crop_start_ + row;
    } else {
      i = row - pad_before_;
      if (i < 0) i = 0;
      if (i > m_ - 1) i = m_ - 1;
    }
    if (copy_) return Source{i, i, 0.0, true};
    return interpolate(static_cast<double>(i) * step_, n_);
  }

  double value(const Source& s, int32_t channel) const {
    const double a = samples_[static_cast<size_t>(s.i0) * static_cast<size_t>(in_columns_) + channel];
    if (s.copy) return a;
    const double b = samples_[static_cast<size_t>(s.i1) * static_cast<size_t>(in_columns_) + channel];
    return a * (1.0 - s.frac) + b * s.frac;
  }

 private:
  const float* samples_;
  int64_t n_;
  int32_t in_columns_;
  const Config& config_;
  double step_ = 0.0;
  bool copy_ = false;
  int64_t m_ = 0;  // kCentre: rows of the resampled take
  int64_t crop_start_ = 0;
  int64_t pad_before_ = 0;
};

}  // namespace

const char* status_name(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kBadConfig: return "bad config";
    case Status::kBadArgument: return "bad argument";
    case Status::kEmptyTake: return "empty take";
    case Status::kBadColumns: return "take columns not 3 or 6";
    case Status::kTooFewColumns: return "take has fewer columns than the model's channels";
    case Status::kBadRate: return "bad take rate";
    case Status::kOutputTooSmall: return "output buffer too small";
  }
  return "unknown status";
}

Status validate(const Config& config) {
  if (config.channels != 3 && config.channels != 6) return Status::kBadConfig;
  if (!(config.rate_hz >= kMinRateHz && config.rate_hz <= kMaxRateHz)) return Status::kBadConfig;
  if (config.window < kMinWindow || config.window > kMaxWindow) return Status::kBadConfig;
  if (!finite_positive(config.accel_full_scale_g) || !finite_positive(config.gyro_full_scale_dps) ||
      !finite_positive(config.clip)) {
    return Status::kBadConfig;
  }
  if (config.window_fit != WindowFit::kStretch && config.window_fit != WindowFit::kCentre) {
    return Status::kBadConfig;
  }
  return Status::kOk;
}

Status take_features(const float* samples, int32_t n, int32_t in_columns, double rate_hz,
                     const Config& config, float* out, int32_t out_floats) {
  const Status valid = validate(config);
  if (valid != Status::kOk) return valid;
  if (out == nullptr || n < 0) return Status::kBadArgument;
  if (n == 0) return Status::kEmptyTake;
  if (samples == nullptr) return Status::kBadArgument;
  if (in_columns != 3 && in_columns != 6) return Status::kBadColumns;
  if (in_columns < config.channels) return Status::kTooFewColumns;
  if (out_floats < config.window * config.channels) return Status::kOutputTooSmall;
  if (config.window_fit == WindowFit::kCentre && !finite_positive(rate_hz)) return Status::kBadRate;

  const Fitter fit(samples, n, in_columns, rate_hz, config);
  if (!fit.ok()) return Status::kBadRate;

  // Pass 1: the accel mean of the fitted window (Python: x[:, :3].mean(axis=0), in float64).
  double mean[3] = {0.0, 0.0, 0.0};
  if (config.remove_accel_mean) {
    for (int32_t row = 0; row < config.window; ++row) {
      const Source s = fit.source(row);
      for (int32_t c = 0; c < 3; ++c) mean[c] += fit.value(s, c);
    }
    for (double& m : mean) m /= static_cast<double>(config.window);
  }

  // Pass 2: the same rows again, centred, scaled, clipped (NaN passes through, as np.clip lets it).
  const double clip = config.clip;
  for (int32_t row = 0; row < config.window; ++row) {
    const Source s = fit.source(row);
    float* dst = out + static_cast<size_t>(row) * static_cast<size_t>(config.channels);
    for (int32_t c = 0; c < config.channels; ++c) {
      double v = fit.value(s, c);
      if (c < 3) {
        v -= mean[c];
        v /= config.accel_full_scale_g;
      } else {
        v /= config.gyro_full_scale_dps;
      }
      if (v < -clip) v = -clip;
      if (v > clip) v = clip;
      dst[c] = static_cast<float>(v);
    }
  }
  return Status::kOk;
}

int8_t quantize(float x, float scale, int32_t zero_point) {
  const float zp = static_cast<float>(zero_point);
  const float v = x / scale;
  float q = zp;  // NaN, or v == 0: numpy's sign() is then NaN or 0
  if (v > 0.0f) q = std::floor(v + 0.5f) + zp;
  if (v < 0.0f) q = -std::floor(-v + 0.5f) + zp;
  if (q < -128.0f) return -128;
  if (q > 127.0f) return 127;
  return static_cast<int8_t>(static_cast<int32_t>(q));
}

Status quantize(const float* x, int32_t count, float scale, int32_t zero_point, int8_t* out) {
  if (count < 0 || (count > 0 && (x == nullptr || out == nullptr))) return Status::kBadArgument;
  for (int32_t i = 0; i < count; ++i) out[i] = quantize(x[i], scale, zero_point);
  return Status::kOk;
}

}  // namespace imu_features
}  // namespace wandlab
