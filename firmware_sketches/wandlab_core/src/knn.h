// Open-set k-NN over int8 embeddings, in integers, exactly as app/wandlab/onboard/knn.py and the
// board's decision (app/wandlab/virtual/recognizer.py BoardRecognizer.decide) compute it:
//
//   D(q, r) = sum_i (q_i - r_i)^2                       int32 (at most 255 * 255^2 = 16,581,375)
//   class distance = mean of the k smallest D of the class (floor division; k is min(k, its references))
//   nearest class = the smallest class distance; ties go to the lower class index
//   accepted if that distance <= the class's threshold and the negatives bank does not veto it
//   (bank_vetoes: its nearest entry within (1.5 - the class's margin) x that distance), else "none of these"
//
// tests/test_knn.cpp checks decisions, distances and margins against Python's on random and real
// recognisers (tests/firmware/knn_vectors.py writes them).
//
// No heap: ClassDistances keeps the k smallest distances of each class in a fixed table while the
// caller feeds it every reference once, in any order (kMaxClasses * kMaxK int32 = 1 KB).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace knn {

constexpr size_t kMaxClasses = 64;  // a board's classes: 32 of its image + 32 of its own (ref_store.h)
constexpr int32_t kMaxK = 4;        // the k a board computes with; Python's bundles all use k = 1
constexpr int64_t kNoDistance = INT64_MAX;  // a class without references (numpy's iinfo(int64).max)

int32_t sq_distance(const int8_t* a, const int8_t* b, size_t dim);

// knn.bank_vetoes: the nearest negatives-bank entry (bank_distance) lies within (1.5 - margin) x the chosen
// class's distance, so the query looks more like no gesture than like that class. In double, as Python:
// both distances are exact and one subtraction and one product round alike in any IEEE arithmetic.
// (In knn.cpp, which keeps -Ofast's reassociation out: see the pragma there.)
bool bank_vetoes(int64_t bank_distance, int64_t class_distance, double margin);

// Int8 vectors of one width visited once from the start: the board's own classes lie in RAM, the
// image's references and negatives bank are decoded from its JSON as they are visited.
class VectorSource {
 public:
  virtual void rewind() = 0;
  virtual const int8_t* next() = 0;  // nullptr after the last
  virtual size_t count() const = 0;

 protected:
  ~VectorSource() = default;
};

// `count` vectors of `dim` values one after another in memory.
class ArrayVectors : public VectorSource {
 public:
  ArrayVectors(const int8_t* data, size_t count, size_t dim) : data_(data), count_(count), dim_(dim) {}
  void rewind() override { at_ = 0; }
  const int8_t* next() override { return at_ < count_ ? data_ + dim_ * at_++ : nullptr; }
  size_t count() const override { return count_; }

 private:
  const int8_t* data_;
  size_t count_;
  size_t dim_;
  size_t at_ = 0;
};

// The k smallest distances per class, then their floor mean.
class ClassDistances {
 public:
  // Empties the table for `classes` classes; false (and nothing usable) if classes > kMaxClasses or k is
  // outside 1..kMaxK.
  bool reset(size_t classes, int32_t k);
  void add(size_t cls, int32_t distance);  // ignored for cls >= classes()
  size_t classes() const { return classes_; }
  size_t references(size_t cls) const { return seen_[cls]; }
  // Mean of the min(k, references) smallest, floor division; kNoDistance for a class without any.
  int64_t distance(size_t cls) const;

 private:
  size_t classes_ = 0;
  int32_t k_ = 1;
  uint32_t seen_[kMaxClasses] = {};
  int32_t smallest_[kMaxClasses][kMaxK] = {};  // ascending, the first min(k, seen) are valid
};

struct Decision {
  bool found = false;     // false: no classes at all (Python: NO_CLASS, "", inf, -inf)
  bool accepted = false;  // distance <= threshold of the nearest class (and, in RefStore::decide, no bank veto)
  size_t nearest = 0;     // index of the nearest class (the lower one on ties)
  int64_t distance = 0;   // its class distance
  int64_t threshold = 0;  // its threshold

  // The InferenceEvent's float fields, as Python computes them: float(dist), float(threshold - dist)
  // (an exact integer, rounded once to double, then to float32 when encoded).
  float distance_f32() const;
  float margin_f32() const;
};

// Nearest class of `distances` and whether it is within its threshold (thresholds[c] per class).
Decision decide(const ClassDistances& distances, const int64_t* thresholds);

}  // namespace knn
}  // namespace wandlab
