// Host test: the JSON reader and the board image's JSON sections read what Python reads, refuse what
// Python refuses, and never read outside their buffer (tests/firmware/test_knn_twin.py also runs this
// under ASan + UBSan).
// Usage: test_json_reader [DIR]
//   Without DIR: the built-in checks (make test). With DIR (tests/firmware/knn_vectors.py):
//   json_cases.txt - damaged JSON texts, each accepted exactly when Python's json.loads accepts it (and
//   then walked completely); section_cases.txt - board images whose sections must read as Python reads
//   them (a dump of every value, compared line by line), and damaged FEAT/LABL/REFS sections each refused
//   exactly when Python refuses it (plus the cases image_sections.h lists as stricter). Then random damage
//   to the images' sections: every image is either read or refused, never a crash.

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include "board_image.h"
#include "image_sections.h"
#include "json_reader.h"
#include "knn_test_support.h"

namespace bi = wandlab::board_image;
namespace json = wandlab::json;
using namespace wandlab::knn_test;

namespace {

// The text must outlive the Value: callers pass a string they keep (or a literal).
json::Status parse(const char* text, json::Value* root) {
  return json::parse(reinterpret_cast<const uint8_t*>(text), std::strlen(text), root);
}

json::Status parse(const std::string& text, json::Value* root) {
  return json::parse(reinterpret_cast<const uint8_t*>(text.data()), text.size(), root);
}

std::string decoded(const json::Value& v) {
  char buf[512];
  size_t n = 0;
  return json::decode_string(v, buf, sizeof(buf), &n) ? std::string(buf, n) : std::string("<no fit>");
}

// Visits every value below v with every accessor, so a sanitizer sees each byte the walkers touch.
size_t walk(const json::Value& v, int depth = 0) {
  size_t n = 1;
  if (depth > 40) return n;
  if (v.is(json::Type::kArray)) {
    json::Value item;
    size_t count = 0;
    for (json::Items it(v); it.next(&item); ++count) n += walk(item, depth + 1);
    CHECK(count == json::length(v));
  } else if (v.is(json::Type::kObject)) {
    json::Value key, value;
    for (json::Members it(v); it.next(&key, &value);) {
      CHECK(key.is(json::Type::kString));
      n += walk(value, depth + 1);
      char name[256];
      size_t size = 0;
      if (json::decode_string(key, name, sizeof(name) - 1, &size) && std::memchr(name, 0, size) == nullptr) {
        name[size] = '\0';
        CHECK(json::member(v, name).present());
      }
    }
  } else if (v.is(json::Type::kString)) {
    CHECK(json::string_size(v) == decoded(v).size() || decoded(v) == "<no fit>");
    CHECK(json::strings_equal(v, v));
  } else if (v.is(json::Type::kNumber)) {
    double d;
    int64_t i;
    CHECK(json::to_double(v, &d));
    if (json::to_int64(v, &i)) CHECK(json::is_integer(v));
  }
  return n;
}

void parser_built_in() {
  struct Case {
    const char* text;
    json::Status status;
  };
  const Case cases[] = {
      {"{}", json::Status::kOk},
      {" [1, -2.5e3, \"x\", true, false, null, {\"a\": []}] ", json::Status::kOk},
      {"", json::Status::kEmpty},
      {"  \n", json::Status::kEmpty},
      {"{", json::Status::kUnterminated},
      {"[1,", json::Status::kUnterminated},
      {"\"abc", json::Status::kUnterminated},
      {"[1,]", json::Status::kUnexpected},
      {"{\"a\" 1}", json::Status::kUnexpected},
      {"{'a': 1}", json::Status::kUnexpected},
      {"[1] 2", json::Status::kTrailing},
      {"01", json::Status::kTrailing},
      {"1.", json::Status::kBadNumber},
      {"-", json::Status::kBadNumber},
      {"1e+", json::Status::kBadNumber},
      {"NaN", json::Status::kBadNumber},
      {"[Infinity]", json::Status::kBadNumber},
      {"\"\\q\"", json::Status::kBadEscape},
      {"\"\\u12g4\"", json::Status::kBadEscape},
      {"\"\\ud800\"", json::Status::kLoneSurrogate},
      {"\"\\ud800\\u0041\"", json::Status::kLoneSurrogate},
      {"\"\\udc00\"", json::Status::kLoneSurrogate},
      {"\"\\ud83d\\ude00\"", json::Status::kOk},
      {"\"a\tb\"", json::Status::kControlInString},
      {"\"\xc3\xa9\"", json::Status::kOk},
      {"\"\xc3\"", json::Status::kBadUtf8},
      {"\"\xed\xa0\x80\"", json::Status::kBadUtf8},
      {"\"\xf4\x90\x80\x80\"", json::Status::kBadUtf8},
      {"\"\xe0\x80\xaf\"", json::Status::kBadUtf8},
      {"tru", json::Status::kUnexpected},
      {"nulls", json::Status::kTrailing},
  };
  for (const Case& c : cases) {
    json::Value root;
    const json::Status got = parse(c.text, &root);
    CHECK_MSG(got == c.status, std::string(c.text) + ": " + json::status_text(got));
  }
  std::string deep(32, '['), deeper(33, '[');
  deep += std::string(32, ']');
  deeper += std::string(33, ']');
  json::Value root;
  CHECK(parse(deep, &root) == json::Status::kOk && parse(deeper, &root) == json::Status::kTooDeep);
  const std::string long_ok(64, '1'), too_long(65, '1');
  CHECK(parse(long_ok, &root) == json::Status::kOk);
  CHECK(parse(too_long, &root) == json::Status::kNumberTooLong);
  size_t at = 0;
  CHECK(json::parse(reinterpret_cast<const uint8_t*>("[1, }"), 5, &root, &at) == json::Status::kUnexpected && at == 4);

  // Walking: members (the last of duplicates, as Python keeps), items, scalars.
  const std::string doc = "{\"a\": 1, \"b\": [10, -20, 3.5], \"a\": \"caf\\u00e9 \\ud83d\\ude00\\n\\\"\", \"e\": {}}";
  CHECK(parse(doc, &root) == json::Status::kOk && root.is(json::Type::kObject));
  CHECK(json::length(root) == 4);
  const json::Value a = json::member(root, "a");
  CHECK(a.is(json::Type::kString) && decoded(a) == "caf\xc3\xa9 \xf0\x9f\x98\x80\n\"");
  CHECK(json::string_size(a) == decoded(a).size());
  CHECK(json::string_equals(a, "caf\xc3\xa9 \xf0\x9f\x98\x80\n\"", 12));
  CHECK(!json::string_equals(a, "caf", 3));
  char small[4];
  size_t n = 0;
  CHECK(!json::decode_string(a, small, sizeof(small), &n));
  CHECK(!json::member(root, "z").present() && !json::member(json::member(root, "b"), "a").present());
  json::Value item;
  std::vector<double> values;
  for (json::Items it(json::member(root, "b")); it.next(&item);) {
    double d = 0;
    CHECK(json::to_double(item, &d));
    values.push_back(d);
  }
  CHECK(values == std::vector<double>({10, -20, 3.5}));
  CHECK(json::length(json::member(root, "e")) == 0);

  // Integers: int64 bounds exactly; fractions and exponents are not integers.
  const struct {
    const char* text;
    bool ok;
    int64_t value;
  } ints[] = {{"0", true, 0},
              {"-0", true, 0},
              {"9223372036854775807", true, INT64_MAX},
              {"-9223372036854775808", true, INT64_MIN},
              {"9223372036854775808", false, 0},
              {"-9223372036854775809", false, 0},
              {"1.0", false, 0},
              {"1e3", false, 0}};
  for (const auto& c : ints) {
    CHECK(parse(c.text, &root) == json::Status::kOk);
    int64_t v = -1;
    CHECK_MSG(json::to_int64(root, &v) == c.ok && (!c.ok || v == c.value), c.text);
  }
  // Doubles: correctly rounded, as Python's float() (glibc's strtod is); the fast path and the fallback.
  std::mt19937_64 rng(7);
  char text[64];
  for (int i = 0; i < 20000; ++i) {
    double x;
    switch (i % 4) {
      case 0: x = std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 200) - 100); break;
      case 1: x = static_cast<double>(rng() % 100000) / std::pow(10.0, static_cast<double>(rng() % 8)); break;
      case 2: x = static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000) * 1e-3; break;
      default: {
        uint64_t b = rng();
        std::memcpy(&x, &b, sizeof(x));
        if (!std::isfinite(x)) x = 1.0;
      }
    }
    const int digits = 1 + static_cast<int>(rng() % 17);
    std::snprintf(text, sizeof(text), i % 2 ? "%.*g" : "%.*e", digits, x);
    CHECK(parse(text, &root) == json::Status::kOk);
    double got = 0;
    CHECK(json::to_double(root, &got));
    CHECK_MSG(got == std::strtod(text, nullptr) || (std::isnan(got) && std::isnan(std::strtod(text, nullptr))), text);
  }
  for (const char* t : {"1e400", "-1e400", "1e-400", "4.9406564584124654e-324", "0.1", "1.7976931348623157e308",
                        "123456789012345678901234567890", "0.000000000000000000000000000001"}) {
    CHECK(parse(t, &root) == json::Status::kOk);
    double got = 0;
    CHECK_MSG(json::to_double(root, &got) && got == std::strtod(t, nullptr), t);
  }
}

void json_cases(const std::string& dir) {
  size_t cases = 0, accepted = 0, walked = 0;
  for (const std::string& line : read_lines(dir + "/json_cases.txt")) {
    const std::vector<std::string> w = words(line);
    const Bytes raw = unhex(w[1]);
    // A heap copy of exactly the text, so that ASan sees any read past its end.
    uint8_t* text = new uint8_t[raw.size()];
    if (!raw.empty()) std::memcpy(text, raw.data(), raw.size());
    json::Value root;
    const json::Status status = json::parse(text, raw.size(), &root);
    const bool ok = status == json::Status::kOk;
    CHECK_MSG(ok == (w[0] == "1"), w[1].substr(0, 80) + ": " + json::status_text(status));
    if (ok) {
      walked += walk(root);
      ++accepted;
    }
    delete[] text;
    ++cases;
  }
  CHECK(cases > 1000 && accepted > 100);
  std::printf("JSON texts: %zu, %zu accepted, %zu values walked\n", cases, accepted, walked);
}

void dump(const bi::Sections& s, std::vector<std::string>* out) {
  const auto& f = s.features;
  out->push_back("features " + std::to_string(f.channels) + " " + bits(f.rate_hz) + " " + std::to_string(f.window) +
                 " " + bits(f.accel_full_scale_g) + " " + bits(f.gyro_full_scale_dps) + " " + bits(f.clip) + " " +
                 std::to_string(f.remove_accel_mean) + " " + std::to_string(static_cast<int>(f.window_fit)));
  std::string labels = "labels " + std::to_string(json::length(s.labels));
  json::Value item;
  for (json::Items it(s.labels); it.next(&item);) labels += " " + hex(decoded(item).data(), decoded(item).size());
  out->push_back(labels);
  const bi::Refs& r = s.refs;
  out->push_back("refs " + std::to_string(r.class_count) + " " + std::to_string(r.ref_count) + " " +
                 std::to_string(r.dim) + " " + std::to_string(r.k) + " " + std::to_string(r.default_threshold) + " " +
                 std::to_string(r.bank_count) + " " + std::to_string(r.typical_spread));
  for (size_t c = 0; c < r.class_count; ++c) {
    const std::string label = decoded(bi::label_of(r, c));
    out->push_back("class " + std::to_string(c) + " " + hex(label.data(), label.size()) + " " +
                   std::to_string(bi::threshold_of(r, c)) + " " + bits(bi::margin_of(r, c)));
  }
  bi::RefRows rows(r);
  size_t i = 0;
  for (const int8_t* row = rows.next(); row != nullptr; row = rows.next(), ++i) {
    out->push_back("ref " + std::to_string(i) + " " + std::to_string(rows.cls()) + " " + hex(row, r.dim));
  }
  if (r.has_bank()) {
    std::string bank = "bank ";
    bi::BankRows rows_of_bank(r);
    for (const int8_t* row = rows_of_bank.next(); row != nullptr; row = rows_of_bank.next()) bank += hex(row, r.bank_dim);
    out->push_back(bank);
  }
}

void section_cases(const std::string& dir) {
  size_t images = 0, sections = 0, refused = 0;
  std::vector<Bytes> valid;
  for (const std::string& line : read_lines(dir + "/section_cases.txt")) {
    const std::vector<std::string> w = words(line);
    if (w[0] == "image") {
      Bytes blob;
      CHECK(read_file(dir + "/" + w[1], &blob));
      bi::Image image;
      CHECK(bi::validate(blob.data(), blob.size(), &image) == bi::Reason::kOk);
      bi::Sections s;
      const char* problem = bi::read_sections(image, &s);
      CHECK_MSG(*problem == '\0', w[1] + ": " + problem);
      std::vector<std::string> got;
      dump(s, &got);
      const std::vector<std::string> want = read_lines(dir + "/" + w[2]);
      CHECK_MSG(got.size() == want.size(), w[1] + ": " + std::to_string(got.size()) + " lines, Python " +
                                               std::to_string(want.size()));
      for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
        CHECK_MSG(got[i] == want[i], w[1] + ": " + got[i].substr(0, 100) + " | Python: " + want[i].substr(0, 100));
      }
      valid.push_back(blob);
      ++images;
      continue;
    }
    // section TAG REFUSED HEX
    const Bytes raw = unhex(w[3]);
    uint8_t* data = new uint8_t[raw.size()];
    if (!raw.empty()) std::memcpy(data, raw.data(), raw.size());
    const bi::View view{data, static_cast<uint32_t>(raw.size())};
    const char* problem = "";
    if (w[1] == "FEAT") {
      wandlab::imu_features::Config config;
      problem = bi::read_features(view, &config);
    } else if (w[1] == "LABL") {
      json::Value list;
      problem = bi::read_labels(view, &list);
    } else {
      bi::Refs refs;
      problem = bi::read_refs(view, &refs);
      if (*problem == '\0') {  // walk what was accepted
        bi::RefRows rows(refs);
        while (rows.next() != nullptr) {
        }
        bi::BankRows bank(refs);
        while (bank.next() != nullptr) {
        }
      }
    }
    delete[] data;
    const bool was_refused = *problem != '\0';
    CHECK_MSG(was_refused == (w[2] == "1"), w[1] + " " + w[3].substr(0, 120) + ": " + (was_refused ? problem : "read"));
    refused += was_refused;
    ++sections;
  }
  CHECK(images >= 5 && sections > 50);
  std::printf("sections: %zu images read, %zu damaged sections (%zu refused)\n", images, sections, refused);

  // Random damage inside the JSON sections of the valid images: read or refused, never a crash.
  std::mt19937 rng(3);
  size_t read = 0, tried = 0;
  for (int round = 0; round < 3000; ++round) {
    Bytes blob = valid[round % valid.size()];
    bi::Image image;
    bi::validate(blob.data(), blob.size(), &image);
    const bi::View& target = image.sections[1 + round % 3];
    const size_t offset = static_cast<size_t>(target.data - blob.data());
    for (int k = 0; k < 1 + round % 4; ++k) {
      blob[offset + rng() % target.size] = static_cast<uint8_t>("{}[],:\"\\0123456789-.eE tfnu\xff"[rng() % 29]);
    }
    uint8_t* copy = new uint8_t[blob.size()];
    std::memcpy(copy, blob.data(), blob.size());
    if (bi::validate(copy, blob.size(), &image) == bi::Reason::kOk) {
      bi::Sections s;
      if (*bi::read_sections(image, &s) == '\0') {
        ++read;
        bi::RefRows rows(s.refs);
        while (rows.next() != nullptr) {
        }
      }
      ++tried;
    }
    delete[] copy;
  }
  std::printf("random damage: %zu images, %zu still read\n", tried, read);
}

}  // namespace

int main(int argc, char** argv) {
  parser_built_in();
  if (argc > 1) {
    json_cases(argv[1]);
    section_cases(argv[1]);
  }
  return finish("test_json_reader");
}
