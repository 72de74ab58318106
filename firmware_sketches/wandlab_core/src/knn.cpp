// Python's float64 arithmetic step for step (correctly rounded parsing, pow/exp/log, NaN checks): keep
// -ffast-math - the XIAO build's -Ofast - out of this file, whatever the build's flags.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-fast-math")
#endif

#include "knn.h"

#include <limits>

namespace wandlab {
namespace knn {

int32_t sq_distance(const int8_t* a, const int8_t* b, size_t dim) {
  int32_t sum = 0;
  for (size_t i = 0; i < dim; ++i) {
    const int32_t d = static_cast<int32_t>(a[i]) - static_cast<int32_t>(b[i]);
    sum += d * d;
  }
  return sum;
}

bool ClassDistances::reset(size_t classes, int32_t k) {
  const bool ok = classes <= kMaxClasses && k >= 1 && k <= kMaxK;
  classes_ = ok ? classes : 0;
  k_ = ok ? k : 1;
  for (size_t c = 0; c < classes_; ++c) seen_[c] = 0;
  return ok;
}

void ClassDistances::add(size_t cls, int32_t distance) {
  if (cls >= classes_) return;
  int32_t* kept = smallest_[cls];
  const size_t have = seen_[cls] < static_cast<uint32_t>(k_) ? seen_[cls] : static_cast<size_t>(k_);
  ++seen_[cls];
  // Insertion into the ascending list of the k smallest; a distance equal to a kept one changes nothing
  // in the sum whichever copy is kept.
  size_t at = have;
  if (have == static_cast<size_t>(k_)) {
    if (distance >= kept[have - 1]) return;
    at = have - 1;
  }
  while (at > 0 && kept[at - 1] > distance) {
    kept[at] = kept[at - 1];
    --at;
  }
  kept[at] = distance;
}

int64_t ClassDistances::distance(size_t cls) const {
  if (cls >= classes_ || seen_[cls] == 0) return kNoDistance;
  const size_t kk = seen_[cls] < static_cast<uint32_t>(k_) ? seen_[cls] : static_cast<size_t>(k_);
  int64_t sum = 0;
  for (size_t i = 0; i < kk; ++i) sum += smallest_[cls][i];
  return sum / static_cast<int64_t>(kk);  // distances are >= 0: C++'s truncation is numpy's floor
}

float Decision::distance_f32() const {
  if (!found) return std::numeric_limits<float>::infinity();
  return static_cast<float>(static_cast<double>(distance));
}

float Decision::margin_f32() const {
  if (!found) return -std::numeric_limits<float>::infinity();
  int64_t margin;
  if (!__builtin_sub_overflow(threshold, distance, &margin)) {
    return static_cast<float>(static_cast<double>(margin));
  }
  // Only a class without references (kNoDistance) against a negative threshold gets here; Python's
  // exact integer would round to the same float but for a last-bit difference.
  return static_cast<float>(static_cast<double>(threshold) - static_cast<double>(distance));
}

bool bank_vetoes(int64_t bank_distance, int64_t class_distance, double margin) {
  if (bank_distance == kNoDistance) return false;  // no bank
  return static_cast<double>(bank_distance) <= static_cast<double>(class_distance) * (1.5 - margin);
}

Decision decide(const ClassDistances& distances, const int64_t* thresholds) {
  Decision d;
  for (size_t c = 0; c < distances.classes(); ++c) {
    const int64_t v = distances.distance(c);
    if (!d.found || v < d.distance) {  // strict: the first minimum wins, as numpy's argmin
      d.found = true;
      d.nearest = c;
      d.distance = v;
    }
  }
  if (d.found) {
    d.threshold = thresholds[d.nearest];
    d.accepted = d.distance <= d.threshold;
  }
  return d;
}

}  // namespace knn
}  // namespace wandlab
