// Host test: the C++ k-NN decisions and open-set thresholds equal Python's.
// Usage: test_knn [DIR]
//   Without DIR: the built-in checks (make test). With DIR (written by tests/firmware/knn_vectors.py, as
//   tests/firmware/test_knn_twin.py does): knn_cases.txt - every query of every recogniser gives
//   Python's class distances, nearest class, accept verdict, distance and margin (float32 bits);
//   threshold_cases.txt - every enrolled threshold (value, the bound that set it, each bound, the bank
//   entries it accepts, the warning) equals Python's.

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "image_sections.h"
#include "knn.h"
#include "knn_test_support.h"
#include "open_set.h"

namespace bi = wandlab::board_image;
namespace knn = wandlab::knn;
namespace os = wandlab::open_set;
using namespace wandlab::knn_test;

namespace {

void built_in() {
  const int8_t a[3] = {1, -2, 127}, b[3] = {-1, 2, -128};
  CHECK(knn::sq_distance(a, b, 3) == 4 + 16 + 255 * 255);
  CHECK(knn::sq_distance(a, a, 3) == 0);

  knn::ClassDistances d;
  CHECK(d.reset(3, 2));
  for (int32_t v : {9, 4, 7, 4}) d.add(0, v);  // k = 2: 4 + 4
  d.add(1, 5);                                 // fewer than k: its own mean
  d.add(2, 3);
  d.add(2, 6);  // (3 + 6) / 2 = 4.5 -> 4: floor
  d.add(7, 0);  // no such class: ignored
  CHECK(d.distance(0) == 4 && d.distance(1) == 5 && d.distance(2) == 4);
  int64_t thresholds[3] = {3, 100, 4};
  knn::Decision got = knn::decide(d, thresholds);
  CHECK(got.found && got.nearest == 0 && got.distance == 4 && !got.accepted);  // tie 0/2: the lower wins
  CHECK(got.margin_f32() == -1.0f && got.distance_f32() == 4.0f);
  thresholds[0] = 4;
  CHECK(knn::decide(d, thresholds).accepted);  // <= is accepted
  CHECK(!d.reset(knn::kMaxClasses + 1, 1) && !d.reset(2, 0) && !d.reset(2, knn::kMaxK + 1));
  CHECK(d.reset(2, 1));
  got = knn::decide(d, thresholds);  // classes without references: int64 max, nearest is the first
  CHECK(got.found && got.distance == knn::kNoDistance && !got.accepted);
  CHECK(d.reset(0, 1));
  got = knn::decide(d, thresholds);
  CHECK(!got.found && std::isinf(got.distance_f32()) && got.margin_f32() < 0 && std::isinf(got.margin_f32()));

  CHECK(os::round_half_even(0.5) == 0 && os::round_half_even(1.5) == 2 && os::round_half_even(2.5) == 2);
  CHECK(os::round_half_even(-0.5) == 0 && os::round_half_even(-1.5) == -2 && os::round_half_even(2.5000001) == 3);
  CHECK(os::round_half_even(1e15 + 0.5) == 1000000000000000);
  CHECK(os::margin_factor(0.5) == 1.0 && os::margin_factor(0.0) == 0.5 && os::margin_factor(1.0) == 2.0);
  CHECK(os::bank_share(0.5) == 0.01 && os::margin_ok(0) && os::margin_ok(1) && !os::margin_ok(1.0000001));
  CHECK(!os::margin_ok(std::nan("")));

  const int8_t shots[3 * 2] = {0, 0, 3, 4, 10, 0};  // nearest siblings 25, 25, 65 -> 65
  int64_t spread = -1;
  CHECK(os::shot_spread(shots, 3, 2, &spread) && spread == 65);
  CHECK(!os::shot_spread(shots, 1, 2, &spread));

  // One shot, no bank, no others: the typical spread at the margin's factor.
  os::Threshold t;
  CHECK(os::enrolled_threshold(shots, 1, 2, nullptr, nullptr, 1000, 0.5, &t));
  CHECK(t.value == 2000 && t.limited_by == os::Bound::kSpread && !t.has_negatives_bound && !t.has_other_bound);
  CHECK(!os::enrolled_threshold(shots, 1, 2, nullptr, nullptr, 1000, 1.5, &t));
  // Another class nearer than the spread allows bounds it, and the warning says so.
  const int8_t other[2] = {1, 1};
  knn::ArrayVectors others(other, 1, 2);
  CHECK(os::enrolled_threshold(shots, 3, 2, &others, nullptr, 1000, 0.5, &t));
  CHECK(t.limited_by == os::Bound::kOtherClass && t.other_bound == 2 && t.value == 2);
  wandlab::Text text;
  CHECK(os::warning(t, wandlab::protocol::Str::of("tap"), &text));
  CHECK(text.view().equals("'tap' lies close to another gesture: some of its takes will be answered 'none'"));
}

std::string file_text(const std::string& path) {
  Bytes raw;
  read_file(path, &raw);
  return std::string(raw.begin(), raw.end());
}

bool read_refs_file(const std::string& path, std::string* storage, bi::Refs* refs) {
  *storage = file_text(path);
  const bi::View view{reinterpret_cast<const uint8_t*>(storage->data()), static_cast<uint32_t>(storage->size())};
  const char* problem = bi::read_refs(view, refs);
  CHECK_MSG(*problem == '\0', path + ": " + problem);
  return *problem == '\0';
}

void knn_cases(const std::string& dir) {
  std::string storage;
  bi::Refs refs;
  bool ok = false;
  size_t queries = 0;
  std::vector<int64_t> thresholds;
  knn::ClassDistances distances;
  for (const std::string& line : read_lines(dir + "/knn_cases.txt")) {
    const std::vector<std::string> w = words(line);
    if (w[0] == "recognizer") {
      ok = read_refs_file(dir + "/" + w[2], &storage, &refs);
      thresholds.clear();
      for (size_t c = 0; ok && c < refs.class_count; ++c) thresholds.push_back(bi::threshold_of(refs, c));
      continue;
    }
    if (!ok) continue;
    ++queries;
    const Bytes q = unhex(w[1]);
    CHECK(q.size() == refs.dim);
    CHECK(distances.reset(refs.class_count, refs.k));
    bi::add_distances(refs, reinterpret_cast<const int8_t*>(q.data()), &distances);
    const knn::Decision d = knn::decide(distances, thresholds.data());
    std::string got = std::to_string(d.accepted) + " " + std::to_string(d.nearest) + " " + std::to_string(d.distance) +
                      " " + std::to_string(d.threshold) + " " + bits(d.distance_f32()) + " " + bits(d.margin_f32()) +
                      " " + std::to_string(refs.class_count);
    for (size_t c = 0; c < refs.class_count; ++c) got += " " + std::to_string(distances.distance(c));
    const std::string want = line.substr(line.find(' ', 6) + 1);
    CHECK_MSG(got == want, "query " + w[1].substr(0, 16) + "...: got " + got.substr(0, 120) + " want " + want.substr(0, 120));
  }
  CHECK_MSG(queries > 500, "knn_cases.txt has " + std::to_string(queries) + " queries");
  std::printf("k-NN: %zu queries\n", queries);
}

void threshold_cases(const std::string& dir) {
  std::string storage;
  bi::Refs refs;
  bool has_bank = false;
  size_t cases = 0;
  for (const std::string& line : read_lines(dir + "/threshold_cases.txt")) {
    const std::vector<std::string> w = words(line);
    if (w[0] == "bank") {
      has_bank = w[1] != "none" && read_refs_file(dir + "/" + w[1], &storage, &refs) && refs.has_bank();
      continue;
    }
    ++cases;
    // case MARGIN TYPICAL DIM N SHOTS M OTHERS -> VALUE LIMITED_BY SPREAD HAS_NEG NEG HAS_OTHER OTHER ACC SIZE WARN
    const double margin = std::strtod(w[1].c_str(), nullptr);
    const int64_t typical = std::strtoll(w[2].c_str(), nullptr, 10);
    const size_t dim = std::strtoul(w[3].c_str(), nullptr, 10);
    const size_t n = std::strtoul(w[4].c_str(), nullptr, 10);
    const Bytes shots = unhex(w[5]);
    const size_t m = std::strtoul(w[6].c_str(), nullptr, 10);
    const Bytes others = unhex(w[7]);
    CHECK(shots.size() == n * dim && others.size() == m * dim);
    knn::ArrayVectors other_vectors(reinterpret_cast<const int8_t*>(others.data()), m, dim);
    bi::BankRows bank(refs);
    os::Threshold t;
    const bool ok = os::enrolled_threshold(reinterpret_cast<const int8_t*>(shots.data()), n, dim,
                                           m ? &other_vectors : nullptr, has_bank ? &bank : nullptr, typical,
                                           margin, &t);
    CHECK(ok);
    wandlab::Text text;
    int warning = 0;
    if (os::warning(t, wandlab::protocol::Str::of("x"), &text)) {
      warning = text.view().size > 0 && std::strstr(std::string(text.view().data, text.view().size).c_str(),
                                                   "everyday") ? 1 : 2;
    }
    const std::string got = std::to_string(t.value) + " " + std::to_string(static_cast<int>(t.limited_by)) + " " +
                            std::to_string(t.spread_bound) + " " + std::to_string(t.has_negatives_bound) + " " +
                            std::to_string(t.has_negatives_bound ? t.negatives_bound : 0) + " " +
                            std::to_string(t.has_other_bound) + " " +
                            std::to_string(t.has_other_bound ? t.other_bound : 0) + " " +
                            std::to_string(t.bank_accepted) + " " + std::to_string(t.bank_size) + " " +
                            std::to_string(warning);
    const std::string want = line.substr(line.find(" -> ") + 4);
    CHECK_MSG(got == want, "margin " + w[1] + " n " + w[4] + ": got " + got + " want " + want);
  }
  CHECK_MSG(cases > 500, "threshold_cases.txt has " + std::to_string(cases) + " cases");
  std::printf("thresholds: %zu cases\n", cases);
}

}  // namespace

int main(int argc, char** argv) {
  built_in();
  if (argc > 1) {
    knn_cases(argv[1]);
    threshold_cases(argv[1]);
  }
  return finish("test_knn");
}
