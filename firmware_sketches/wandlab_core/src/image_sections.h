// The JSON sections of a board image, read in place: FEAT (the feature config), LABL (class names) and
// REFS (the k-NN recogniser with its open-set margins and negatives bank).
//
// The C++ twin of what app/wandlab/onboard/board_image.py unpack() reads after the layout
// (board_image.h validates the layout): FeatureConfig.from_json, the LABL list, KnnRecognizer.from_json
// (with open_set.NegativesBank.from_dict), then _check_consistent. Each reader returns "" or a sentence
// saying what is wrong, and refuses what Python refuses (tests/firmware/test_knn_twin.py runs both on
// the shipped models' images and on damaged sections).
//
// Nothing is copied: Refs holds json::Values (views) into the section, and RefRows / BankRows decode one
// reference or bank entry at a time into a small buffer while the caller walks them. The references of
// a model class are therefore read from flash on every decision; see ref_store.h for the cost.
//
// Stricter than Python, on purpose (json.dumps never writes these): a number where Python would accept a
// string or a bool (int("5"), True == 1), a float where it would truncate to an integer (references,
// ref_class, thresholds, k, channels, window), non-string labels (Python applies str()), whitespace
// inside the bank's hex, remove_accel_mean that is not true/false; the bank's "sources", "note" and
// "used" and the "calibration" are informational and not checked. The board's own limits are refused
// too: k above knn::kMaxK.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board_image.h"
#include "imu_window.h"
#include "json_reader.h"
#include "knn.h"
#include "shape_dtw.h"

namespace wandlab {
namespace board_image {

constexpr int32_t kKnnVersion = 1;
constexpr int32_t kBankVersion = 1;
constexpr size_t kMaxImageClasses = 254;  // class ids are u8 and 255 means "none of these"
constexpr size_t kMaxLabelBytes = 64;
constexpr size_t kMaxEmbeddingDim = 255;  // board_image.py: 1 <= dim <= 255
constexpr size_t kMaxBankEntries = 4 * 256;  // NegativesBank.from_dict: 1 <= count <= 4 * MAX_BANK
constexpr int64_t kDefaultThreshold = 16384;  // knn.UNCALIBRATED_THRESHOLD
constexpr size_t kDefaultDim = 32;  // KnnRecognizer.from_dict without references and "dim"

// FEAT -> the Config imu_window.h computes with (FeatureConfig.from_json; a missing window_fit means
// "centre", as images written before feature version 2).
const char* read_features(const View& section, imu_features::Config* out);

// LABL -> the JSON list of class names (strings).
const char* read_labels(const View& section, json::Value* list);

// REFS, read in place.
struct Refs {
  json::Value labels;      // array of strings
  json::Value references;  // array of ref_count arrays of dim integers in -128..127
  json::Value ref_class;   // array of ref_count class indices
  json::Value thresholds;  // array of class_count integers
  json::Value margins;     // array of class_count numbers in 0..1; absent: every class at the default
  json::Value bank_hex;    // the negatives bank's embeddings (bank_count * dim bytes in hex); absent: none
  json::Value shapes_hex;  // each reference's shape codes (ref_count * frames * channels bytes in hex); absent: none
  size_t class_count = 0;
  size_t ref_count = 0;
  size_t dim = 0;
  size_t bank_count = 0;
  size_t bank_dim = 0;  // equals dim whenever there are classes (Python checks it only then)
  int32_t k = 1;
  int64_t default_threshold = kDefaultThreshold;
  int64_t typical_spread = 0;  // the bank's; 0 without a bank
  size_t shape_frames = 0;     // 0 without shape codes
  size_t shape_channels = 0;

  bool has_bank() const { return bank_hex.present(); }
  bool has_shapes() const { return shapes_hex.present(); }
};

const char* read_refs(const View& section, Refs* out);

// Class c's threshold, margin (open_set.DEFAULT_MARGIN without margins) and label. Each walks the
// section: read them once (RefStore::set_model does) rather than per decision.
int64_t threshold_of(const Refs& refs, size_t c);
double margin_of(const Refs& refs, size_t c);
json::Value label_of(const Refs& refs, size_t c);

// The references in their order, each with its class index, decoded as they are visited.
class RefRows : public knn::VectorSource {
 public:
  explicit RefRows(const Refs& refs) : refs_(refs), rows_(refs.references), classes_(refs.ref_class) {}
  void rewind() override;
  const int8_t* next() override;  // nullptr after the last
  size_t count() const override { return refs_.ref_count; }
  size_t cls() const { return cls_; }  // the class of the row next() returned last

 private:
  const Refs& refs_;
  json::Items rows_;
  json::Items classes_;
  size_t cls_ = 0;
  int8_t row_[kMaxEmbeddingDim] = {};
};

// The negatives bank's entries, decoded from hex as they are visited (nothing without a bank).
class BankRows : public knn::VectorSource {
 public:
  explicit BankRows(const Refs& refs) : refs_(refs) { rewind(); }
  void rewind() override { at_ = 0; }
  const int8_t* next() override;
  size_t count() const override { return refs_.bank_count; }

 private:
  const Refs& refs_;
  size_t at_ = 0;
  int8_t row_[kMaxEmbeddingDim] = {};
};

// Reference r's shape codes (shape_frames * shape_channels values, shape_dtw.h) into `out`; false (nothing
// written) if the image has none or r is out of range.
bool shape_of(const Refs& refs, size_t r, int8_t* out);

// Adds the squared distance from `query` (refs.dim values) to every reference to `out` (which must have
// been made for refs.class_count classes and refs.k): KnnRecognizer.class_distances for one query.
void add_distances(const Refs& refs, const int8_t* query, knn::ClassDistances* out);

// All three JSON sections of a structurally valid image, and that they agree (unpack's order: FEAT,
// LABL, REFS, LABL is a list of strings, then _check_consistent: labels equal, at most 254 classes,
// unique non-empty names of at most 64 bytes, 1 <= dim <= 255).
struct Sections {
  imu_features::Config features;
  json::Value labels;
  Refs refs;
};
const char* read_sections(const Image& image, Sections* out);

}  // namespace board_image
}  // namespace wandlab
