// Open-set thresholds for a class enrolled on the board: when is a motion this gesture, and when "none
// of these"? The C++ twin of app/wandlab/onboard/open_set.py (class_threshold, shot_spread,
// margin_factor, bank_share, Threshold.warning) and app/wandlab/virtual/refs.py enrolled_threshold; read
// open_set.py's docstring for the rule. In short, with all distances the board's squared int8 ones:
//
//   s = typical                                    one shot (no spread)
//   s = exp(w ln max(1, spread) + (1 - w) ln max(1, typical)),  w = count / (count + 3)
//   spread bound    = max(1, round(2 * 2^(2m - 1) * s))          Python's round(): half to even
//   negatives bound = d[k] - 1, d = each bank entry's distance to its nearest reference, ascending,
//                     k = floor(0.01 * 4^(2m - 1) * len(bank))  (d[-1] if k >= len(bank))
//   other bound     = the smallest distance from a reference to another class's reference
//   threshold       = max(1, the smallest bound; ties: spread, then negatives, then other class)
//
// Integers where Python has integers. The float steps are Python's float64 ones in the same order: pow
// for the margin factor and bank share, exp and log for the shrink, true division for w. On the host
// (glibc) these are the very functions Python calls, so tests/test_knn.cpp requires equal thresholds.
// On a board (newlib) pow/exp/log may differ from glibc in the last bit; the integer results differ only
// if 2 * margin_factor * s lies within a few units in the last place of a half-integer, or
// bank_share * len(bank) of an integer - the golden vectors' 900 cases come no nearer than 1.5e-3.
// open_set.cpp pins -fno-fast-math with a pragma: -ffast-math (the XIAO build's -Ofast) would turn
// pow(2, x) into exp(x ln 2) and fold the NaN checks away.
//
// No heap: the bank's k-th distance is kept with a small insertion list (k + 1 <= kMaxBankKept values).
#pragma once

#include <cstddef>
#include <cstdint>

#include "knn.h"
#include "message_text.h"

namespace wandlab {
namespace open_set {

constexpr double kDefaultMargin = 0.5;
constexpr double kBankShare = 0.01;
constexpr double kSpreadFactor = 2.0;
constexpr int64_t kShrinkCount = 3;
constexpr size_t kMaxBankEntries = 1024;  // NegativesBank.from_dict's limit
constexpr size_t kMaxBankKept = 48;       // floor(bank_share(1.0) * 1024) + 1 = 41 at the most

// 0 <= margin <= 1 (false for NaN): check_margin.
bool margin_ok(double margin);
// 0.5 (margin 0) .. 1 (0.5) .. 2 (1): 2.0 ** (2.0 * m - 1.0)
double margin_factor(double margin);
// 0.0025 (margin 0) .. 0.01 (0.5) .. 0.04 (1): 0.01 * 4.0 ** (2.0 * m - 1.0)
double bank_share(double margin);
// Python's int(round(x)) for a finite x within int64: the nearest integer, halves to even.
int64_t round_half_even(double x);

// Largest distance from a shot to its nearest sibling; false (no spread) for fewer than 2 shots.
bool shot_spread(const int8_t* shots, size_t count, size_t dim, int64_t* spread);

enum class Bound : uint8_t { kSpread = 0, kNegatives, kOtherClass };
const char* bound_name(Bound bound);  // "spread", "negatives", "other class"

// open_set.Threshold.
struct Threshold {
  int64_t value = 0;
  Bound limited_by = Bound::kSpread;
  int64_t spread_bound = 0;
  bool has_negatives_bound = false;  // false: no bank (Python: None)
  int64_t negatives_bound = 0;
  bool has_other_bound = false;  // false: no other class (Python: None)
  int64_t other_bound = 0;
  size_t bank_accepted = 0;  // bank entries within the threshold
  size_t bank_size = 0;
  double margin = kDefaultMargin;
};

// class_threshold(refs, spread=..., count=..., typical=..., others=..., bank=..., margin=...). `refs` holds
// `count_refs` vectors of `dim` values; `spread` is used only if has_spread and spread_count >= 2;
// `others` and `bank` may be null (Python: None) and must yield `dim` values per vector. False (and *out
// untouched) if the margin is outside 0..1, the bank holds more than kMaxBankEntries, or refs is empty.
bool class_threshold(const int8_t* refs, size_t count_refs, size_t dim, bool has_spread, int64_t spread,
                     size_t spread_count, int64_t typical, knn::VectorSource* others,
                     knn::VectorSource* bank, double margin, Threshold* out);

// enrolled_threshold(shots, others, bank, typical, margin): the shots' own spread, len(shots) positives.
bool enrolled_threshold(const int8_t* shots, size_t count, size_t dim, knn::VectorSource* others,
                        knn::VectorSource* bank, int64_t typical, double margin, Threshold* out);

// Threshold.warning(label): the sentence for the user, or nothing (returns false, out untouched).
bool warning(const Threshold& threshold, const protocol::Str& label, Text* out);

}  // namespace open_set
}  // namespace wandlab
