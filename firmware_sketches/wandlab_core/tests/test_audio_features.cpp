// Host test: the C++ log-mel matches the Python golden vectors (tests/vectors/audio_features_*.txt).
// Build: g++ -std=c++17 -O2 -I../src test_audio_features.cpp ../src/audio_features.cpp
// Usage: test_audio_features FILE.txt...   (tests/onboard/test_audio_features.py builds and runs it)
// Text format per file: "n_samples n_frames n_bands", then the samples, ln-mel values, int8 codes.

#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

#include "audio_features.h"

namespace af = wandlab::audio;

namespace {
constexpr double kLogMelTolerance = 2e-3;  // float vs float64; ln-mel spans ~25 units

bool run_file(const char* path, double* worst, long* off_by_one, long* total_codes) {
  std::ifstream in(path);
  long n = 0, frames = 0, bands = 0;
  if (!(in >> n >> frames >> bands) || bands != af::kNumMelBands) {
    std::printf("FAIL %s: bad header\n", path);
    return false;
  }
  std::vector<int16_t> pcm(n);
  for (long i = 0; i < n; ++i) { long v; in >> v; pcm[i] = static_cast<int16_t>(v); }
  std::vector<double> want(frames * bands);
  for (auto& v : want) in >> v;
  std::vector<int> want_q(frames * bands);
  for (auto& v : want_q) in >> v;
  if (!in) { std::printf("FAIL %s: truncated\n", path); return false; }
  if (af::frames_for(static_cast<int>(n)) != frames) {
    std::printf("FAIL %s: frame count %d != %ld\n", path, af::frames_for(static_cast<int>(n)), frames);
    return false;
  }
  std::vector<float> got(frames * bands + 1);
  int written = af::log_mel(pcm.data(), static_cast<int>(n), got.data(), static_cast<int>(frames));
  bool ok = written == frames;
  double file_worst = 0.0;
  long file_off = 0;
  for (long i = 0; i < frames * bands; ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (d > file_worst) file_worst = d;
    const int dq = static_cast<int>(af::quantize(got[i])) - want_q[i];
    if (dq != 0) ++file_off;
    if (dq > 1 || dq < -1) ok = false;
  }
  if (file_worst > kLogMelTolerance) ok = false;
  std::printf("%s %s: frames=%ld max|dlogmel|=%.3g int8 off-by-one=%ld/%ld\n", ok ? "ok  " : "FAIL", path,
              frames, file_worst, file_off, frames * bands);
  if (file_worst > *worst) *worst = file_worst;
  *off_by_one += file_off;
  *total_codes += frames * bands;
  return ok;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) { std::printf("usage: %s FILE.txt...\n", argv[0]); return 2; }
  // Constant sanity: quantize maps the silence floor to the bottom code.
  if (af::quantize(std::log(af::kLogFloor)) != -128) { std::printf("FAIL floor code\n"); return 1; }
  double worst = 0.0;
  long off = 0, total = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) ok = run_file(argv[i], &worst, &off, &total) && ok;
  std::printf("SUMMARY files=%d max_abs_logmel_diff=%.3g int8_off_by_one=%ld of %ld %s\n", argc - 1, worst, off,
              total, ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
