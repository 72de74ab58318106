// Python's float64 arithmetic step for step (correctly rounded parsing, pow/exp/log, NaN checks): keep
// -ffast-math - the XIAO build's -Ofast - out of this file, whatever the build's flags.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-fast-math")
#endif

#include "open_set.h"

#include <cmath>

namespace wandlab {
namespace open_set {
namespace {

// Each vector's distance to its nearest reference.
int32_t nearest_distance(const int8_t* v, const int8_t* refs, size_t count, size_t dim) {
  int32_t best = INT32_MAX;
  for (size_t i = 0; i < count; ++i) {
    const int32_t d = knn::sq_distance(v, refs + i * dim, dim);
    if (d < best) best = d;
  }
  return best;
}

}  // namespace

bool margin_ok(double margin) { return margin >= 0.0 && margin <= 1.0; }

double margin_factor(double margin) { return std::pow(2.0, 2.0 * margin - 1.0); }

double bank_share(double margin) { return kBankShare * std::pow(4.0, 2.0 * margin - 1.0); }

int64_t round_half_even(double x) {
  // float.__round__: round half away from zero, then back to even where x was exactly halfway.
  double r = std::round(x);
  if (std::fabs(x - r) == 0.5) r = 2.0 * std::round(x / 2.0);
  return static_cast<int64_t>(r);
}

bool shot_spread(const int8_t* shots, size_t count, size_t dim, int64_t* spread) {
  if (count < 2) return false;
  int32_t largest = 0;
  for (size_t i = 0; i < count; ++i) {
    int32_t nearest = INT32_MAX;
    for (size_t j = 0; j < count; ++j) {
      if (j == i) continue;
      const int32_t d = knn::sq_distance(shots + i * dim, shots + j * dim, dim);
      if (d < nearest) nearest = d;
    }
    if (nearest > largest) largest = nearest;
  }
  *spread = largest;
  return true;
}

const char* bound_name(Bound bound) {
  switch (bound) {
    case Bound::kSpread: return "spread";
    case Bound::kNegatives: return "negatives";
    case Bound::kOtherClass: return "other class";
  }
  return "";
}

bool class_threshold(const int8_t* refs, size_t count_refs, size_t dim, bool has_spread, int64_t spread,
                     size_t spread_count, int64_t typical, knn::VectorSource* others,
                     knn::VectorSource* bank, double margin, Threshold* out) {
  if (!margin_ok(margin) || count_refs == 0) return false;
  const size_t bank_size = bank != nullptr ? bank->count() : 0;
  if (bank_size > kMaxBankEntries) return false;

  double s;
  if (!has_spread || spread_count < 2) {
    s = static_cast<double>(typical);
  } else {
    const double w = static_cast<double>(spread_count) / static_cast<double>(spread_count + kShrinkCount);
    const double a = std::log(static_cast<double>(spread > 1 ? spread : 1));
    const double b = std::log(static_cast<double>(typical > 1 ? typical : 1));
    // Python: math.exp(w * math.log(...) + (1 - w) * math.log(...)), each product rounded on its own.
    const double first = w * a;
    const double second = (1.0 - w) * b;
    s = std::exp(first + second);
  }
  Threshold t;
  t.margin = margin;
  const int64_t rounded = round_half_even(kSpreadFactor * margin_factor(margin) * s);
  t.spread_bound = rounded > 1 ? rounded : 1;

  if (bank_size > 0) {
    // The (k+1) smallest of the bank's nearest distances, ascending.
    const size_t k = static_cast<size_t>(std::floor(bank_share(margin) * static_cast<double>(bank_size)));
    const size_t keep = k < bank_size ? k + 1 : bank_size;
    if (keep > kMaxBankKept) return false;
    int32_t kept[kMaxBankKept];
    size_t have = 0;
    int32_t largest = 0;
    bank->rewind();
    for (const int8_t* v = bank->next(); v != nullptr; v = bank->next()) {
      const int32_t d = nearest_distance(v, refs, count_refs, dim);
      if (d > largest) largest = d;
      size_t at = have;
      if (have == keep) {
        if (d >= kept[have - 1]) continue;
        at = have - 1;
      } else {
        ++have;
      }
      while (at > 0 && kept[at - 1] > d) {
        kept[at] = kept[at - 1];
        --at;
      }
      kept[at] = d;
    }
    t.has_negatives_bound = true;
    t.negatives_bound = k < bank_size ? static_cast<int64_t>(kept[k]) - 1 : largest;
  }
  if (others != nullptr && others->count() > 0) {
    int32_t best = INT32_MAX;
    others->rewind();
    for (const int8_t* v = others->next(); v != nullptr; v = others->next()) {
      const int32_t d = nearest_distance(v, refs, count_refs, dim);
      if (d < best) best = d;
    }
    t.has_other_bound = true;
    t.other_bound = best;
  }
  // min(bounds, key=...) over the dict's order: the first smallest wins.
  int64_t value = t.spread_bound;
  t.limited_by = Bound::kSpread;
  if (t.has_negatives_bound && t.negatives_bound < value) {
    value = t.negatives_bound;
    t.limited_by = Bound::kNegatives;
  }
  if (t.has_other_bound && t.other_bound < value) {
    value = t.other_bound;
    t.limited_by = Bound::kOtherClass;
  }
  t.value = value > 1 ? value : 1;
  if (bank_size > 0) {
    bank->rewind();
    for (const int8_t* v = bank->next(); v != nullptr; v = bank->next()) {
      t.bank_accepted += nearest_distance(v, refs, count_refs, dim) <= t.value ? 1 : 0;
    }
  }
  t.bank_size = bank_size;
  *out = t;
  return true;
}

bool enrolled_threshold(const int8_t* shots, size_t count, size_t dim, knn::VectorSource* others,
                        knn::VectorSource* bank, int64_t typical, double margin, Threshold* out) {
  int64_t spread = 0;
  const bool has_spread = shot_spread(shots, count, dim, &spread);
  return class_threshold(shots, count, dim, has_spread, spread, count, typical, others, bank, margin, out);
}

bool warning(const Threshold& threshold, const protocol::Str& label, Text* out) {
  // Python compares the int bound with a float quotient exactly; both are far below 2^53 here.
  const double prior = static_cast<double>(threshold.spread_bound) / (kSpreadFactor * margin_factor(threshold.margin));
  if (threshold.limited_by == Bound::kNegatives && threshold.has_negatives_bound &&
      static_cast<double>(threshold.negatives_bound) < prior) {
    out->add("'").add(label).add("' looks like everyday motion: expect misses; choose a more distinctive "
                                 "gesture or raise its margin");
    return true;
  }
  if (threshold.limited_by == Bound::kOtherClass && threshold.has_other_bound &&
      static_cast<double>(threshold.other_bound) < prior) {
    out->add("'").add(label).add("' lies close to another gesture: some of its takes will be answered 'none'");
    return true;
  }
  return false;
}

}  // namespace open_set
}  // namespace wandlab
