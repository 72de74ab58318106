// Host test: the C++ IMU feature window matches the Python golden vectors (tests/vectors/imu_features_*.json).
// Build: g++ -std=c++17 -O2 -Isrc tests/test_imu_features.cpp src/imu_window.cpp
// Usage: test_imu_features FILE.json...   (make test passes the four files; tests/firmware runs it too)
// Each file: {"config": FeatureConfig, "tolerance": 1e-6, "cases": [{"name", "rate_hz", "input": rows,
// "features": rows of float32 as shortest decimals, "features_int8_scale_1_over_127": rows of int8}]}.
// Every feature must be within the file's tolerance and every int8 code exact.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "imu_window.h"

namespace imu = wandlab::imu_features;

namespace {

// ---- a JSON reader just big enough for the golden files ---------------------------------------------

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  bool boolean = false;
  std::string text;  // a string's value, or a number's literal (parsed as float or double on demand)
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json* get(const char* key) const {
    for (const auto& m : members) {
      if (m.first == key) return &m.second;
    }
    return nullptr;
  }
  double number() const { return std::strtod(text.c_str(), nullptr); }
  // A float literal as Python reads it into float32: the nearest double, then the nearest float.
  float as_float32() const { return static_cast<float>(number()); }
};

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  bool parse(Json* out) {
    if (!value(out)) return false;
    skip();
    return pos_ == s_.size();
  }

 private:
  void skip() {
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_]) != nullptr) ++pos_;
  }
  bool eat(char c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool literal(const char* word) {
    const size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  bool string(std::string* out) {
    if (!eat('"')) return false;
    out->clear();
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') return false;  // the golden files have no escapes
      out->push_back(s_[pos_++]);
    }
    return eat('"');
  }
  bool value(Json* out) {
    skip();
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      out->kind = Json::kObject;
      if (eat('}')) return true;
      do {
        std::pair<std::string, Json> member;
        if (!string(&member.first) || !eat(':') || !value(&member.second)) return false;
        out->members.push_back(std::move(member));
      } while (eat(','));
      return eat('}');
    }
    if (c == '[') {
      ++pos_;
      out->kind = Json::kArray;
      if (eat(']')) return true;
      do {
        out->items.emplace_back();
        if (!value(&out->items.back())) return false;
      } while (eat(','));
      return eat(']');
    }
    if (c == '"') {
      out->kind = Json::kString;
      return string(&out->text);
    }
    if (literal("true") || literal("false")) {
      out->kind = Json::kBool;
      out->boolean = s_[pos_ - 1] == 'e' && s_[pos_ - 2] == 'u';  // "true", not "false"
      return true;
    }
    if (literal("null")) return true;
    const size_t start = pos_;
    while (pos_ < s_.size() && std::strchr("+-0123456789.eE", s_[pos_]) != nullptr) ++pos_;
    if (pos_ == start) return false;
    out->kind = Json::kNumber;
    out->text = s_.substr(start, pos_ - start);
    char* end = nullptr;
    std::strtod(out->text.c_str(), &end);
    return *end == '\0';
  }

  const std::string& s_;
  size_t pos_ = 0;
};

bool read_json(const char* path, Json* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  return Parser(s).parse(out);
}

// ---- the checks ---------------------------------------------------------------------------------------

int g_failures = 0;

void fail(const char* what, const std::string& where) {
  std::printf("FAIL %s: %s\n", where.c_str(), what);
  ++g_failures;
}

bool config_from_json(const Json& j, imu::Config* c) {
  const Json* fields[] = {j.get("channels"),         j.get("rate_hz"), j.get("window"),
                          j.get("accel_full_scale_g"), j.get("gyro_full_scale_dps"),
                          j.get("clip"),             j.get("remove_accel_mean"), j.get("window_fit")};
  for (const Json* f : fields) {
    if (f == nullptr) return false;
  }
  c->channels = static_cast<int32_t>(fields[0]->number());
  c->rate_hz = fields[1]->number();
  c->window = static_cast<int32_t>(fields[2]->number());
  c->accel_full_scale_g = fields[3]->number();
  c->gyro_full_scale_dps = fields[4]->number();
  c->clip = fields[5]->number();
  c->remove_accel_mean = fields[6]->boolean;
  if (fields[7]->text == "stretch") {
    c->window_fit = imu::WindowFit::kStretch;
  } else if (fields[7]->text == "centre") {
    c->window_fit = imu::WindowFit::kCentre;
  } else {
    return false;
  }
  return imu::validate(*c) == imu::Status::kOk;
}

// Flattens a JSON array of equal-length rows; 0 columns on a ragged or empty array.
size_t flatten(const Json& rows, std::vector<const Json*>* out) {
  out->clear();
  size_t columns = 0;
  for (const Json& row : rows.items) {
    if (row.kind != Json::kArray || (columns != 0 && row.items.size() != columns)) return 0;
    columns = row.items.size();
    for (const Json& v : row.items) out->push_back(&v);
  }
  return columns;
}

struct FileResult {
  int cases = 0;
  long values = 0;
  long bit_exact = 0;
  double worst = 0.0;
};

bool run_case(const Json& c, const imu::Config& config, double tolerance, const std::string& where,
              FileResult* result) {
  const Json* rate = c.get("rate_hz");
  const Json* input = c.get("input");
  const Json* features = c.get("features");
  const Json* codes = c.get("features_int8_scale_1_over_127");
  if (rate == nullptr || input == nullptr || features == nullptr || codes == nullptr) {
    fail("case lacks rate_hz, input, features or int8 codes", where);
    return false;
  }
  std::vector<const Json*> cells;
  const size_t in_columns = flatten(*input, &cells);
  std::vector<float> take;
  for (const Json* v : cells) take.push_back(v->as_float32());
  const int32_t n = static_cast<int32_t>(input->items.size());

  const int32_t size = config.window * config.channels;
  std::vector<float> got(static_cast<size_t>(size) + 1, -99.0f);  // one guard value past the window
  const imu::Status st = imu::take_features(take.data(), n, static_cast<int32_t>(in_columns), rate->number(),
                                            config, got.data(), size);
  if (st != imu::Status::kOk) {
    fail(imu::status_name(st), where);
    return false;
  }
  if (got[size] != -99.0f) fail("wrote past the window", where);

  std::vector<const Json*> want, want_q;
  if (flatten(*features, &want) != static_cast<size_t>(config.channels) || features->items.size() !=
      static_cast<size_t>(config.window) || want.size() != static_cast<size_t>(size)) {
    fail("expected features are not window x channels", where);
    return false;
  }
  if (flatten(*codes, &want_q) != static_cast<size_t>(config.channels) || want_q.size() != want.size()) {
    fail("expected int8 codes are not window x channels", where);
    return false;
  }
  const float scale = static_cast<float>(1.0 / 127);  // Python: np.float32(1.0 / 127)
  std::vector<int8_t> q(static_cast<size_t>(size));
  if (imu::quantize(got.data(), size, scale, 0, q.data()) != imu::Status::kOk) fail("quantize", where);
  bool ok = true;
  double case_worst = 0.0;
  long case_int8_diff = 0;
  for (int32_t i = 0; i < size; ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]->number());
    if (!(d <= tolerance)) ok = false;
    if (d > case_worst) case_worst = d;
    if (got[i] == std::strtof(want[i]->text.c_str(), nullptr)) ++result->bit_exact;
    const int code = static_cast<int>(want_q[i]->number());
    if (q[i] != code) ++case_int8_diff;
    // quantize() alone, on Python's own float32 features.
    if (imu::quantize(std::strtof(want[i]->text.c_str(), nullptr), scale, 0) != code) ++case_int8_diff;
  }
  if (!ok) fail("feature beyond tolerance", where);
  if (case_int8_diff != 0) fail("int8 code differs", where);
  result->values += size;
  result->worst = case_worst > result->worst ? case_worst : result->worst;
  ++result->cases;
  return ok && case_int8_diff == 0;
}

bool run_file(const char* path) {
  Json root;
  if (!read_json(path, &root)) {
    fail("cannot read or parse", path);
    return false;
  }
  imu::Config config;
  const Json* cfg = root.get("config");
  const Json* tol = root.get("tolerance");
  const Json* cases = root.get("cases");
  if (cfg == nullptr || tol == nullptr || cases == nullptr || !config_from_json(*cfg, &config)) {
    fail("bad config, tolerance or cases", path);
    return false;
  }
  const double tolerance = tol->number();
  FileResult r;
  bool ok = !cases->items.empty();
  for (const Json& c : cases->items) {
    const Json* name = c.get("name");
    ok = run_case(c, config, tolerance, std::string(path) + " " + (name ? name->text : "?"), &r) && ok;
  }
  std::printf("%s %s: channels=%d fit=%s cases=%d values=%ld max|d|=%.3g bit-exact=%ld/%ld int8 exact\n",
              ok ? "ok  " : "FAIL", path, config.channels,
              config.window_fit == imu::WindowFit::kStretch ? "stretch" : "centre", r.cases, r.values,
              r.worst, r.bit_exact, r.values);
  return ok;
}

void expect_status(imu::Status got, imu::Status want, const char* what) {
  if (got != want) {
    std::printf("FAIL %s: got '%s', want '%s'\n", what, imu::status_name(got), imu::status_name(want));
    ++g_failures;
  }
}

// Errors, the Take buffer, quantize's rounding, crop/pad arithmetic on hand-checkable takes.
void run_unit_checks() {
  using imu::Status;
  float out[64 * 6] = {};
  const float take3[4 * 3] = {0, 0, 1, 0.4f, 0, 1, 0.8f, 0, 1, 1.2f, 0, 1};
  imu::Config six;  // defaults: 6 channels, stretch
  imu::Config three;
  three.channels = 3;
  expect_status(imu::take_features(take3, 0, 3, 100.0, three, out, 64 * 3), Status::kEmptyTake, "n == 0");
  expect_status(imu::take_features(take3, 4, 3, 100.0, six, out, 64 * 6), Status::kTooFewColumns,
                "6 channels on a 3-column take");
  expect_status(imu::take_features(take3, 4, 4, 100.0, three, out, 64 * 3), Status::kBadColumns, "4 columns");
  expect_status(imu::take_features(take3, 4, 3, 100.0, three, out, 64 * 3 - 1), Status::kOutputTooSmall,
                "output one float short");
  expect_status(imu::take_features(nullptr, 4, 3, 100.0, three, out, 64 * 3), Status::kBadArgument, "null take");
  expect_status(imu::take_features(take3, -1, 3, 100.0, three, out, 64 * 3), Status::kBadArgument, "n < 0");
  imu::Config centre = three;
  centre.window_fit = imu::WindowFit::kCentre;
  expect_status(imu::take_features(take3, 4, 3, 0.0, centre, out, 64 * 3), Status::kBadRate, "centre, rate 0");
  expect_status(imu::take_features(take3, 4, 3, NAN, centre, out, 64 * 3), Status::kBadRate, "centre, rate NaN");
  expect_status(imu::take_features(take3, 4, 3, 0.0, three, out, 64 * 3), Status::kOk, "stretch ignores rate");
  expect_status(imu::take_features(take3, 4, 3, 1e-300, centre, out, 64 * 3), Status::kBadRate,
                "centre, absurd row count");
  const imu::Config defaults;
  const struct {
    void (*change)(imu::Config*);
    const char* what;
  } bad[] = {
      {[](imu::Config* c) { c->channels = 4; }, "channels 4"},
      {[](imu::Config* c) { c->window = 7; }, "window 7"},
      {[](imu::Config* c) { c->window = 1025; }, "window 1025"},
      {[](imu::Config* c) { c->rate_hz = 0.5; }, "rate 0.5"},
      {[](imu::Config* c) { c->rate_hz = NAN; }, "rate NaN"},
      {[](imu::Config* c) { c->clip = 0.0; }, "clip 0"},
      {[](imu::Config* c) { c->accel_full_scale_g = -4.0; }, "accel scale < 0"},
      {[](imu::Config* c) { c->gyro_full_scale_dps = INFINITY; }, "gyro scale inf"},
      {[](imu::Config* c) { c->window_fit = static_cast<imu::WindowFit>(2); }, "window_fit 2"},
  };
  for (const auto& b : bad) {
    imu::Config c = defaults;
    b.change(&c);
    expect_status(imu::validate(c), Status::kBadConfig, b.what);
    expect_status(imu::take_features(take3, 4, 6, 100.0, c, out, 64 * 6), Status::kBadConfig, b.what);
  }

  // Stretch of a ramp: the window runs from the first to the last sample, mean removed, / 4 g.
  if (imu::take_features(take3, 4, 3, 100.0, three, out, 64 * 3) != Status::kOk ||
      std::fabs(out[0] - (-0.15f)) > 1e-7f || std::fabs(out[63 * 3] - 0.15f) > 1e-7f || std::fabs(out[2]) > 1e-7f) {
    std::printf("FAIL stretch ramp: %g %g %g\n", out[0], out[63 * 3], out[2]);
    ++g_failures;
  }
  // Centre at the config's own rate: a 4-row take is copied, padded 30 rows before and after.
  centre.remove_accel_mean = false;
  if (imu::take_features(take3, 4, 3, 50.0, centre, out, 64 * 3) != Status::kOk || out[29 * 3] != 0.0f ||
      out[30 * 3] != 0.0f || out[31 * 3] != 0.1f || out[33 * 3] != 0.3f || out[63 * 3] != 0.3f ||
      out[2] != 0.25f) {
    std::printf("FAIL centre pad: %g %g %g %g\n", out[29 * 3], out[31 * 3], out[33 * 3], out[63 * 3]);
    ++g_failures;
  }
  // One sample: every row is that sample; with the mean removed, zero.
  if (imu::take_features(take3 + 3, 1, 3, 100.0, three, out, 64 * 3) != Status::kOk || out[0] != 0.0f ||
      out[191] != 0.0f) {
    std::printf("FAIL one-sample take\n");
    ++g_failures;
  }

  // Take: a fixed buffer; full takes drop rows.
  imu::Take<3, 6> t;
  const float row[6] = {0, 0, 1, 100, 0, -600};
  bool pushed = t.push(row) && t.push(row) && t.push(row) && !t.push(row);
  if (!pushed || t.rows() != 3 || !t.full() || t.features(119.0, six, out, 64 * 6) != Status::kOk ||
      out[3] != 0.2f || out[5] != -1.0f || out[0] != 0.0f) {
    std::printf("FAIL Take<3, 6>\n");
    ++g_failures;
  }
  t.clear();
  expect_status(t.features(119.0, six, out, 64 * 6), Status::kEmptyTake, "cleared Take");
  static_assert(imu::take_rows(3250, 119) == 388, "3.25 s at 119 Hz");
  static_assert(sizeof(imu::Take<400, 6>) <= 400 * 6 * 4 + 8, "a Take is its samples and a count");

  // config_from() on a struct laid out like the generated header's FeatureConfig.
  struct Generated {
    int32_t version, channels;
    float rate_hz;
    int32_t window, window_fit;
    float accel_full_scale_g, gyro_full_scale_dps, clip;
    bool remove_accel_mean;
  };
  constexpr Generated kGenerated = {2, 3, 40.0f, 48, 1, 2.0f, 250.0f, 0.5f, false};
  constexpr imu::Config kFromGenerated = imu::config_from(kGenerated);
  static_assert(kFromGenerated.window == 48 && kFromGenerated.window_fit == imu::WindowFit::kCentre, "");
  static_assert(kFromGenerated.rate_hz == 40.0 && !kFromGenerated.remove_accel_mean, "");

  // quantize(): Python's sign(v) * floor(|v| + 0.5) + zp, clamped.
  const struct {
    float x, scale;
    int32_t zp;
    int want;
  } q[] = {
      {0.5f, 1.0f, 0, 1},          {-0.5f, 1.0f, 0, -1},     {1.5f, 1.0f, 0, 2},      {-2.5f, 1.0f, 0, -3},
      {0.49f, 1.0f, 0, 0},         {0.0f, 1.0f, -2, -2},     {1.0f, 1.0f / 127, 0, 127},
      {-1.0f, 1.0f / 127, 0, -127}, {1.0f, 1.0f / 128, -1, 127}, {-1.0f, 1.0f / 128, -1, -128},
      {-3.0f, 1.0f / 127, 0, -128}, {INFINITY, 1.0f, 0, 127}, {NAN, 1.0f, 3, 3},
      {0.49999997f, 1.0f, 0, 1},  // |v| + 0.5 rounds to 1.0f: Python's formula, not roundf's 0
  };
  for (const auto& c : q) {
    const int got = imu::quantize(c.x, c.scale, c.zp);
    if (got != c.want) {
      std::printf("FAIL quantize(%.9g, %.9g, %d) = %d, want %d\n", c.x, c.scale, c.zp, got, c.want);
      ++g_failures;
    }
  }
  expect_status(imu::quantize(nullptr, 3, 1.0f, 0, nullptr), Status::kBadArgument, "quantize null");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::printf("usage: %s FILE.json...\n", argv[0]);
    return 2;
  }
  run_unit_checks();
  int files_ok = 0;
  for (int i = 1; i < argc; ++i) files_ok += run_file(argv[i]) ? 1 : 0;
  const bool ok = g_failures == 0 && files_ok == argc - 1;
  std::printf("SUMMARY imu features: files=%d ok=%d unit checks %s %s\n", argc - 1, files_ok,
              g_failures == 0 ? "pass" : "fail", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
