// Host test: shape codes and DTW costs (shape_dtw.h) against Python's (onboard/hybrid_rank.py).
//
//   test_shape_dtw FILE   FILE written by tests/firmware/shape_vectors.py:
//     "takes T points P channels C", then per take P*C window floats and (P/2)*C Python codes;
//     "pairs N", then per pair: i j embedding_distance python_dtw python_fused.
// Codes must agree but for a very rare +-1 (a value on a rounding edge: summation order); DTW costs of
// Python's codes and fused distances must agree exactly. Prints "N checks, F failures".

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "shape_dtw.h"
#include "check.h"

namespace shape = wandlab::shape;

using wandlab_test::check;
using wandlab_test::g_checks;
using wandlab_test::g_failures;

namespace {

void builtin_cases() {
  // Refusals: sizes the fixed rows cannot hold.
  const float window[2] = {0.0f, 1.0f};
  int8_t codes[64 * 6];
  check(!shape::shape_codes(window, 66, 3, codes), "66 points refused");
  check(!shape::shape_codes(window, 63, 3, codes), "an odd count refused");
  check(!shape::shape_codes(window, 64, 7, codes), "7 channels refused");
  check(shape::dtw_cost(codes, codes, 33, 3) == -1, "33 frames refused");
  // The largest cost: opposite extremes along the whole diagonal.
  std::vector<int8_t> hi(32 * 6, 127), lo(32 * 6, -127);
  check(shape::dtw_cost(hi.data(), lo.data(), 32, 6) == 32 * 6 * 254 * 254, "the largest cost fits int32");
  check(shape::dtw_cost(hi.data(), hi.data(), 32, 6) == 0, "a take against itself costs nothing");
  check(shape::fused_distance(1000, 768, 3) == 1000 + 600, "one DTW step per channel on the embedding scale");
}

bool file_cases(const char* path) {
  FILE* f = std::fopen(path, "r");
  if (!f) {
    std::printf("FAIL: cannot open %s\n", path);
    return false;
  }
  int takes = 0, points = 0, channels = 0;
  if (std::fscanf(f, " takes %d points %d channels %d", &takes, &points, &channels) != 3) return false;
  const int frames = points / 2;
  std::vector<float> window(static_cast<size_t>(points * channels));
  std::vector<int8_t> python(static_cast<size_t>(takes * frames * channels));
  int off_by_one = 0, worse = 0, values = 0;
  for (int t = 0; t < takes; ++t) {
    for (auto& v : window) {
      if (std::fscanf(f, "%f", &v) != 1) return false;
    }
    int8_t mine[shape::kMaxFrames * shape::kMaxChannels];
    check(shape::shape_codes(window.data(), static_cast<size_t>(points), static_cast<size_t>(channels), mine),
          "codes computed");
    for (int i = 0; i < frames * channels; ++i) {
      int v = 0;
      if (std::fscanf(f, "%d", &v) != 1) return false;
      python[static_cast<size_t>(t * frames * channels + i)] = static_cast<int8_t>(v);
      const int diff = std::abs(v - mine[i]);
      off_by_one += diff == 1;
      worse += diff > 1;
      ++values;
    }
  }
  check(worse == 0, "codes never differ by more than 1");
  check(off_by_one * 1000 <= values, "codes differ by 1 in at most 0.1 % of values");
  std::printf("codes: %d values, %d off by one\n", values, off_by_one);
  int pairs = 0;
  if (std::fscanf(f, " pairs %d", &pairs) != 1) return false;
  int dtw_wrong = 0, fused_wrong = 0;
  for (int p = 0; p < pairs; ++p) {
    int i = 0, j = 0;
    long long emb = 0, dtw = 0, fused = 0;
    if (std::fscanf(f, "%d %d %lld %lld %lld", &i, &j, &emb, &dtw, &fused) != 5) return false;
    const int32_t mine = shape::dtw_cost(&python[static_cast<size_t>(i * frames * channels)],
                                         &python[static_cast<size_t>(j * frames * channels)],
                                         static_cast<size_t>(frames), static_cast<size_t>(channels));
    dtw_wrong += mine != dtw;
    fused_wrong += shape::fused_distance(emb, mine, static_cast<size_t>(channels)) != fused;
  }
  std::fclose(f);
  check(pairs > 0 && dtw_wrong == 0, "every DTW cost equals Python's");
  check(fused_wrong == 0, "every fused distance equals Python's");
  std::printf("pairs: %d, DTW wrong %d, fused wrong %d\n", pairs, dtw_wrong, fused_wrong);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  builtin_cases();
  for (int a = 1; a < argc; ++a) check(file_cases(argv[a]), "vector file read whole");
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures ? 1 : 0;
}
