// Python's float64 arithmetic step for step (correctly rounded parsing, pow/exp/log, NaN checks): keep
// -ffast-math - the XIAO build's -Ofast - out of this file, whatever the build's flags.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-fast-math")
#endif

#include "image_sections.h"

#include <cstring>

namespace wandlab {
namespace board_image {
namespace {

constexpr double kDefaultMargin = 0.5;  // open_set.DEFAULT_MARGIN

bool parse_section(const View& section, json::Value* root) {
  return json::parse(section.data, section.size, root) == json::Status::kOk;
}

bool number_equals(const json::Value& v, double expected) {
  double d;
  return json::to_double(v, &d) && d == expected;
}

bool is_string(const json::Value& v, const char* text) {
  return json::string_equals(v, text, std::strlen(text));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Every item of `array` an integer within [lo, hi]; *count gets how many.
bool integers_within(const json::Value& array, int64_t lo, int64_t hi, size_t* count) {
  if (!array.is(json::Type::kArray)) return false;
  size_t n = 0;
  json::Value item;
  for (json::Items it(array); it.next(&item); ++n) {
    int64_t v;
    if (!json::to_int64(item, &v) || v < lo || v > hi) return false;
  }
  *count = n;
  return true;
}

bool is_list_of_strings(const json::Value& list) {
  json::Value item;
  bool strings = list.is(json::Type::kArray);
  for (json::Items it(list); strings && it.next(&item);) strings = item.is(json::Type::kString);
  return strings;
}

const char* read_bank(const json::Value& bank, Refs* out) {
  if (!bank.is(json::Type::kObject)) return "the negatives bank is not a JSON object";
  const json::Value version = json::member(bank, "version");
  const json::Value count = json::member(bank, "count");
  const json::Value dim = json::member(bank, "dim");
  const json::Value hex = json::member(bank, "embeddings");
  const json::Value spread = json::member(bank, "typical_spread");
  if (!version.present() || !count.present() || !dim.present() || !hex.present() || !spread.present()) {
    return "invalid negatives bank: version, count, dim, embeddings and typical_spread are required";
  }
  int64_t v, n, d, s;
  if (!json::to_int64(version, &v) || v != kBankVersion) return "this negatives bank version is not supported";
  if (!json::to_int64(count, &n) || !json::to_int64(dim, &d) || !json::to_int64(spread, &s) ||
      !hex.is(json::Type::kString)) {
    return "invalid negatives bank: count, dim and typical_spread must be integers, embeddings a hex string";
  }
  const size_t chars = static_cast<size_t>(hex.end - hex.begin) - 2;
  for (const char* p = hex.begin + 1; p < hex.end - 1; ++p) {
    if (hex_digit(*p) < 0) return "invalid negatives bank: its embeddings are not hex";
  }
  if (chars % 2 != 0) return "invalid negatives bank: its embeddings are not whole hex bytes";
  if (n < 1 || n > static_cast<int64_t>(kMaxBankEntries) || d < 1 ||
      d > static_cast<int64_t>(kMaxEmbeddingDim) || chars / 2 != static_cast<size_t>(n * d)) {
    return "the negatives bank's bytes are not count x dim (1-1024 entries of 1-255 values)";
  }
  if (s <= 0) return "a negatives bank needs a positive typical spread";
  if (d != static_cast<int64_t>(out->dim) && out->class_count > 0) {
    return "the negatives bank and the references have different dimensions";
  }
  out->bank_hex = hex;
  out->bank_count = static_cast<size_t>(n);
  out->bank_dim = static_cast<size_t>(d);
  out->typical_spread = s;
  return "";
}

// KnnRecognizer._shapes_from: {"frames": 1..32, "channels": 1..6, "hex": ref_count * frames * channels bytes}.
const char* read_shapes(const json::Value& shapes, Refs* out) {
  if (!shapes.is(json::Type::kObject)) return "recogniser shapes must be an object";
  const json::Value frames = json::member(shapes, "frames");
  const json::Value channels = json::member(shapes, "channels");
  const json::Value hex = json::member(shapes, "hex");
  int64_t f = 0, c = 0;
  if (!frames.present() || !json::to_int64(frames, &f) || f < 1 || f > static_cast<int64_t>(shape::kMaxFrames)) {
    return "recogniser shapes need 1-32 frames";
  }
  if (!channels.present() || !json::to_int64(channels, &c) || c < 1 ||
      c > static_cast<int64_t>(shape::kMaxChannels)) {
    return "recogniser shapes need 1-6 channels";
  }
  const size_t bytes = out->ref_count * static_cast<size_t>(f * c);
  if (!hex.present() || !hex.is(json::Type::kString) ||
      static_cast<size_t>(hex.end - hex.begin) - 2 != 2 * bytes) {
    return "recogniser shapes must hold refs x frames x channels bytes in hex";
  }
  for (const char* p = hex.begin + 1; p < hex.end - 1; ++p) {
    if (hex_digit(*p) < 0) return "recogniser shapes are not hex";
  }
  out->shapes_hex = hex;
  out->shape_frames = static_cast<size_t>(f);
  out->shape_channels = static_cast<size_t>(c);
  return "";
}

}  // namespace

const char* read_features(const View& section, imu_features::Config* out) {
  json::Value root;
  if (!parse_section(section, &root)) return "board image has a malformed JSON section: FEAT";
  if (!root.is(json::Type::kObject)) return "board image FEAT section must be a JSON object";
  static constexpr const char* kKnown[] = {"channels", "rate_hz", "window", "accel_full_scale_g",
                                           "gyro_full_scale_dps", "clip", "remove_accel_mean",
                                           "window_fit", "version"};
  json::Value key, value;
  for (json::Members it(root); it.next(&key, &value);) {
    bool known = false;
    for (const char* name : kKnown) known = known || is_string(key, name);
    if (!known) return "unknown feature config keys";
  }
  imu_features::Config c;  // FeatureConfig()'s defaults
  const json::Value channels = json::member(root, "channels");
  const json::Value window = json::member(root, "window");
  int64_t n;
  if (channels.present()) {
    if (!json::to_int64(channels, &n) || (n != 3 && n != 6)) {
      return "feature channels must be 3 (accel) or 6 (accel+gyro)";
    }
    c.channels = static_cast<int32_t>(n);
  }
  double* const doubles[] = {&c.rate_hz, &c.accel_full_scale_g, &c.gyro_full_scale_dps, &c.clip};
  const char* const double_names[] = {"rate_hz", "accel_full_scale_g", "gyro_full_scale_dps", "clip"};
  for (size_t i = 0; i < 4; ++i) {
    const json::Value v = json::member(root, double_names[i]);
    if (v.present() && !json::to_double(v, doubles[i])) return "feature rates, scales and clip must be numbers";
  }
  if (window.present()) {
    if (!json::to_int64(window, &n) || n < -2147483647 || n > 2147483647) {
      return "feature window must be an integer";
    }
    c.window = static_cast<int32_t>(n);
  }
  // __post_init__'s checks, in its order (the negations also refuse NaN).
  if (!(c.rate_hz >= 1.0 && c.rate_hz <= 1000.0) || c.window < 8 || c.window > 1024) {
    return "feature rate or window out of range (1-1000 Hz, 8-1024 samples)";
  }
  if (!(c.accel_full_scale_g > 0) || !(c.gyro_full_scale_dps > 0) || !(c.clip > 0)) {
    return "feature scales and clip must be positive";
  }
  const json::Value mean = json::member(root, "remove_accel_mean");
  if (mean.present()) {
    if (!mean.is(json::Type::kTrue) && !mean.is(json::Type::kFalse)) return "remove_accel_mean must be true or false";
    c.remove_accel_mean = mean.is(json::Type::kTrue);
  }
  const json::Value fit = json::member(root, "window_fit");
  if (!fit.present() || is_string(fit, "centre")) {
    c.window_fit = imu_features::WindowFit::kCentre;  // written before version 2: every such model used it
  } else if (is_string(fit, "stretch")) {
    c.window_fit = imu_features::WindowFit::kStretch;
  } else {
    return "window_fit must be one of stretch, centre";
  }
  *out = c;
  return "";
}

const char* read_labels(const View& section, json::Value* list) {
  json::Value root;
  if (!parse_section(section, &root)) return "board image has a malformed JSON section: LABL";
  if (!is_list_of_strings(root)) return "board image LABL section must be a JSON list of class names";
  *list = root;
  return "";
}

const char* read_refs(const View& section, Refs* out) {
  json::Value d;
  if (!parse_section(section, &d)) return "board image has a malformed JSON section: REFS";
  if (!d.is(json::Type::kObject)) return "invalid recogniser JSON: not an object";
  Refs r;
  const json::Value version = json::member(d, "version");
  const json::Value metric = json::member(d, "metric");
  if (!version.present() || !metric.present()) return "invalid recogniser JSON: version and metric are required";
  if (!number_equals(version, kKnnVersion) || !is_string(metric, "sq_l2_int8")) {
    return "unsupported recogniser version/metric";
  }
  r.references = json::member(d, "references");
  r.labels = json::member(d, "labels");
  r.ref_class = json::member(d, "ref_class");
  r.thresholds = json::member(d, "thresholds");
  const json::Value k = json::member(d, "k");
  const json::Value default_threshold = json::member(d, "default_threshold");
  if (!r.references.present() || !r.labels.present() || !r.ref_class.present() || !r.thresholds.present() ||
      !k.present() || !default_threshold.present()) {
    return "invalid recogniser JSON: references, labels, ref_class, thresholds, k and default_threshold "
           "are required";
  }
  // references: a 2-D list of int8 values, every row as long as the first
  if (!r.references.is(json::Type::kArray)) return "references must be a 2-D list of int8 values";
  json::Value row;
  for (json::Items it(r.references); it.next(&row); ++r.ref_count) {
    size_t n = 0;
    if (!integers_within(row, -128, 127, &n)) return "references must be a 2-D list of int8 values";
    if (r.ref_count == 0) r.dim = n;
    if (n != r.dim || n == 0) return "references must be a 2-D list of int8 values";
  }
  if (r.ref_count == 0) {  // no classes enrolled yet: keep the embedding width
    const json::Value dim = json::member(d, "dim");
    int64_t v = kDefaultDim;
    if (dim.present() && (!json::to_int64(dim, &v) || v < 0)) return "invalid recogniser JSON: bad dim";
    r.dim = static_cast<size_t>(v < 100000 ? v : 100000);
  }
  // board_image.py refuses these in _check_consistent; RefRows' buffer needs it here.
  if (r.dim > kMaxEmbeddingDim) return "recogniser references must be (count, dim) with 1 <= dim <= 255";
  json::Value label;
  if (!r.labels.is(json::Type::kArray)) return "invalid recogniser JSON: labels must be a list";
  for (json::Items it(r.labels); it.next(&label); ++r.class_count) {
    if (!label.is(json::Type::kString)) return "invalid recogniser JSON: labels must be strings";
  }
  size_t classes = 0, thresholds = 0;
  if (!integers_within(r.ref_class, INT64_MIN, INT64_MAX, &classes) ||
      !integers_within(r.thresholds, INT64_MIN, INT64_MAX, &thresholds)) {
    return "invalid recogniser JSON: ref_class and thresholds must be lists of integers";
  }
  bool in_range = true;
  json::Value item;
  for (json::Items it(r.ref_class); it.next(&item);) {
    int64_t c = 0;
    json::to_int64(item, &c);
    in_range = in_range && c >= 0 && static_cast<uint64_t>(c) < r.class_count;
  }
  if (classes != r.ref_count || thresholds != r.class_count || !in_range) {
    return "references, classes and thresholds do not match";
  }
  // open_set: margins and the negatives bank
  const json::Value open_set = json::member(d, "open_set");
  if (open_set.present() && !open_set.is(json::Type::kNull)) {
    if (!open_set.is(json::Type::kObject)) return "recogniser open_set must be an object";
    const json::Value margins = json::member(open_set, "margins");
    size_t count = 0;
    if (margins.present() && !margins.is(json::Type::kNull)) {  // Python: raw.get("margins") or []
      if (!margins.is(json::Type::kArray)) return "recogniser margins must be a list";
      json::Value m;
      for (json::Items it(margins); it.next(&m); ++count) {
        double v;
        if (!json::to_double(m, &v) || !(v >= 0.0 && v <= 1.0)) {
          return "a margin is outside 0 (strict) .. 1 (lenient)";
        }
      }
    }
    if (count != r.class_count) return "the recogniser's classes and margins differ in number";
    if (count > 0) r.margins = margins;
    const json::Value bank = json::member(open_set, "bank");
    if (bank.present() && !bank.is(json::Type::kNull)) {
      const char* problem = read_bank(bank, &r);
      if (*problem != '\0') return problem;
    }
  }
  const json::Value shapes = json::member(d, "shapes");
  if (shapes.present() && !shapes.is(json::Type::kNull)) {  // Python: d.get("shapes") is None
    const char* problem = read_shapes(shapes, &r);
    if (*problem != '\0') return problem;
  }
  int64_t v;
  if (!json::to_int64(k, &v)) return "invalid recogniser JSON: k must be an integer";
  if (v < 1 || v > knn::kMaxK) return "the recogniser's k is outside what this firmware computes (1-4)";
  r.k = static_cast<int32_t>(v);
  if (!json::to_int64(default_threshold, &r.default_threshold)) {
    return "invalid recogniser JSON: default_threshold must be an integer";
  }
  const json::Value calibration = json::member(d, "calibration");
  (void)calibration;  // informational: where the thresholds came from
  *out = r;
  return "";
}

int64_t threshold_of(const Refs& refs, size_t c) {
  json::Value item;
  size_t i = 0;
  for (json::Items it(refs.thresholds); it.next(&item); ++i) {
    int64_t v = 0;
    if (i == c && json::to_int64(item, &v)) return v;
  }
  return 0;
}

double margin_of(const Refs& refs, size_t c) {
  json::Value item;
  size_t i = 0;
  for (json::Items it(refs.margins); it.next(&item); ++i) {
    double v = kDefaultMargin;
    if (i == c && json::to_double(item, &v)) return v;
  }
  return kDefaultMargin;
}

json::Value label_of(const Refs& refs, size_t c) {
  json::Value item;
  size_t i = 0;
  for (json::Items it(refs.labels); it.next(&item); ++i) {
    if (i == c) return item;
  }
  return json::Value{};
}

void RefRows::rewind() {
  rows_ = json::Items(refs_.references);
  classes_ = json::Items(refs_.ref_class);
  cls_ = 0;
}

const int8_t* RefRows::next() {
  json::Value row, cls, item;
  if (!rows_.next(&row) || !classes_.next(&cls)) return nullptr;
  int64_t v = 0;
  json::to_int64(cls, &v);
  cls_ = static_cast<size_t>(v);
  size_t i = 0;
  for (json::Items it(row); it.next(&item) && i < kMaxEmbeddingDim; ++i) {
    json::to_int64(item, &v);
    row_[i] = static_cast<int8_t>(v);
  }
  return row_;
}

const int8_t* BankRows::next() {
  if (at_ >= refs_.bank_count) return nullptr;
  const char* p = refs_.bank_hex.begin + 1 + 2 * refs_.bank_dim * at_++;
  for (size_t i = 0; i < refs_.bank_dim; ++i, p += 2) {
    row_[i] = static_cast<int8_t>(static_cast<uint8_t>(hex_digit(p[0]) << 4 | hex_digit(p[1])));
  }
  return row_;
}

bool shape_of(const Refs& refs, size_t r, int8_t* out) {
  const size_t n = refs.shape_frames * refs.shape_channels;
  if (!refs.has_shapes() || r >= refs.ref_count) return false;
  const char* p = refs.shapes_hex.begin + 1 + 2 * n * r;
  for (size_t i = 0; i < n; ++i, p += 2) {
    out[i] = static_cast<int8_t>(static_cast<uint8_t>(hex_digit(p[0]) << 4 | hex_digit(p[1])));
  }
  return true;
}

void add_distances(const Refs& refs, const int8_t* query, knn::ClassDistances* out) {
  RefRows rows(refs);
  for (const int8_t* r = rows.next(); r != nullptr; r = rows.next()) {
    out->add(rows.cls(), knn::sq_distance(query, r, refs.dim));
  }
}

const char* read_sections(const Image& image, Sections* out) {
  Sections s;
  // unpack's order: FEAT, LABL's JSON, REFS, then LABL is a list of strings, then _check_consistent.
  const char* problem = read_features(image.section(Section::kFeat), &s.features);
  if (*problem != '\0') return problem;
  if (!parse_section(image.section(Section::kLabl), &s.labels)) {
    return "board image has a malformed JSON section: LABL";
  }
  problem = read_refs(image.section(Section::kRefs), &s.refs);
  if (*problem != '\0') return problem;
  if (!is_list_of_strings(s.labels)) return "board image LABL section must be a JSON list of class names";
  json::Value a, b;
  json::Items mine(s.labels), theirs(s.refs.labels);
  size_t count = 0;
  for (;; ++count) {
    const bool more_a = mine.next(&a), more_b = theirs.next(&b);
    if (more_a != more_b || (more_a && !json::strings_equal(a, b))) {
      return "board image labels and recogniser labels disagree";
    }
    if (!more_a) break;
  }
  if (count > kMaxImageClasses) return "board image has more than 254 classes; a board takes at most 254";
  json::Items outer(s.labels);
  for (size_t i = 0; outer.next(&a); ++i) {
    const size_t n = json::string_size(a);
    bool unique = true;
    json::Items inner(s.labels);
    for (size_t j = 0; j < i && inner.next(&b); ++j) unique = unique && !json::strings_equal(a, b);
    if (n == 0 || n > kMaxLabelBytes || !unique) return "class names must be unique, non-empty and at most 64 bytes";
  }
  if (s.refs.dim < 1 || s.refs.dim > kMaxEmbeddingDim) {
    return "recogniser references must be (count, dim) with 1 <= dim <= 255";
  }
  *out = s;
  return "";
}

}  // namespace board_image
}  // namespace wandlab
