// Host test: the model runner (TFLM from ../shared/vendor, built by firmware_sketches/tflm_host) and the
// board image check.
// Build: see tests/firmware/test_tflm.py or `make -C firmware_sketches/wandlab_core run-test_model_runner`
// (links build/libtflm.a of firmware_sketches/tflm_host).
// Usage:
//   test_model_runner selftest MODEL.tflite... [--image VALID_IMAGE.bin] [--flips N]
//       everything below that needs no Python, on each model (and on a valid board image)
//   test_model_runner ops                               the resolver's ops, one per line
//   test_model_runner run MODEL INPUTS OUTPUTS [REPEAT] int8 inputs (concatenated) -> int8 outputs;
//                                                       prints arena_used and us_per_invoke
//   test_model_runner load MODEL [ARENA_BYTES]          prints the verdict ("ok" or the sentence)
//   test_model_runner check-image IMAGE [ARENA_BYTES]   prints check_board_image's verdict
//   test_model_runner fuzz MODEL SEED COUNT             COUNT randomly damaged copies; prints the tally

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "image_check.h"
#include "model_runner.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

// TFLM's log: quiet unless WANDLAB_TFLM_LOG is set (the damaged models make it talk a lot). Replaces
// tflm_host's debug_log_stderr.cpp, which is an archive member of its own for this.
extern "C" void DebugLog(const char* s) {
  static const bool enabled = std::getenv("WANDLAB_TFLM_LOG") != nullptr;
  if (enabled) std::fputs(s, stderr);
}

namespace wt = wandlab::tflm;
namespace ic = wandlab::image_check;

namespace {

int g_failures = 0;
int g_checks = 0;

void expect(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL %s\n", what.c_str());
  }
}

using Bytes = std::vector<uint8_t>;

bool read_file(const std::string& path, Bytes* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

constexpr size_t kBig = 256 * 1024;

// A model buffer and an arena, 16-byte aligned, as a board declares them.
struct Memory {
  alignas(16) uint8_t model[kBig];
  alignas(16) uint8_t arena[kBig];
};

Memory& memory() {
  static Memory m;  // test program only: too big for the stack
  return m;
}

bool contains(const char* text, const char* part) { return std::strstr(text, part) != nullptr; }

std::string name_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = path.substr(0, slash == std::string::npos ? 0 : slash);
  const size_t dir_slash = dir.find_last_of('/');
  return dir_slash == std::string::npos ? dir : dir.substr(dir_slash + 1);
}

// The smallest arena the model loads in, searched from `from` (arena_used_bytes()): downwards while it
// loads, else upwards (at most 64 KB).
size_t smallest_arena(const Bytes& model, size_t from) {
  auto loads = [&model](size_t arena) {
    wt::ModelRunner runner(memory().model, kBig, memory().arena, arena);
    return runner.load(model.data(), model.size())[0] == '\0';
  };
  if (loads(from)) {
    while (from > 0 && loads(from - 1)) --from;
    return from;
  }
  for (size_t arena = from + 1; arena < from + 64 * 1024; ++arena) {
    if (loads(arena)) return arena;
  }
  return 0;
}

// A load that must either refuse with a sentence or load a model that then runs.
bool survives(wt::ModelRunner& runner, const Bytes& bytes, int* refused) {
  const char* why = runner.load(bytes.data(), bytes.size());
  if (why == nullptr) return false;
  if (why[0] != '\0') {
    ++*refused;
    return !runner.loaded() && runner.input() == nullptr && !runner.invoke() && std::strlen(why) < wt::kMaxMessageBytes;
  }
  std::memset(runner.input(), 1, runner.input_bytes());
  return runner.loaded() && runner.output_bytes() > 0 && runner.invoke();
}

void self_test_model(const std::string& path, int flips) {
  const std::string name = name_of(path);
  Bytes model;
  expect(read_file(path, &model), "read " + path);
  if (model.empty()) return;
  Memory& m = memory();

  // 1. Loads, runs, reports its tensors.
  size_t used = 0;
  std::vector<int8_t> reference;
  {
    wt::ModelRunner runner(m.model, kBig, m.arena, kBig);
    const char* why = runner.load(model.data(), model.size());
    expect(why[0] == '\0', name + ": loads (" + why + ")");
    if (why[0] != '\0') return;
    expect(runner.loaded() && runner.input() != nullptr && runner.output() != nullptr, name + ": tensors");
    size_t elements = 1;
    for (size_t i = 0; i < runner.input_rank(); ++i) elements *= static_cast<size_t>(runner.input_dim(i));
    expect(elements == runner.input_bytes(), name + ": input bytes = product of its dims");
    expect(runner.output_rank() >= 1 && runner.output_dim(runner.output_rank() - 1) > 0, name + ": output shape");
    expect(runner.input_scale() > 0.0f && runner.output_scale() > 0.0f, name + ": quantised input and output");
    used = runner.arena_used_bytes();
    expect(used > 0 && used < kBig, name + ": arena used");

    // The same input twice gives the same output: the input is refilled, whatever TFLM did with it.
    std::mt19937 rng(7);
    std::vector<int8_t> input(runner.input_bytes());
    for (int8_t& v : input) v = static_cast<int8_t>(rng() & 0xFF);
    std::memcpy(runner.input(), input.data(), input.size());
    expect(runner.invoke(), name + ": invoke");
    reference.assign(runner.output(), runner.output() + runner.output_bytes());
    std::memcpy(runner.input(), input.data(), input.size());
    expect(runner.invoke(), name + ": invoke again");
    expect(std::memcmp(reference.data(), runner.output(), reference.size()) == 0, name + ": repeatable");

    // The stock interpreter on the same model, resolver ops and arena size: same arena use (but for the
    // 32 bytes the runner's arena allocator is larger than the stock one) and the same output.
    alignas(16) static uint8_t stock_arena[kBig];
    tflite::MicroMutableOpResolver<wt::kFirmwareOpCount> resolver;
    resolver.AddConv2D();
    resolver.AddDepthwiseConv2D();
    resolver.AddFullyConnected();
    resolver.AddReshape();
    resolver.AddL2Normalization();
    resolver.AddMean();
    resolver.AddAveragePool2D();
    resolver.AddMaxPool2D();
    resolver.AddAdd();
    resolver.AddQuantize();
    tflite::MicroInterpreter stock(tflite::GetModel(m.model), resolver, stock_arena, kBig);
    expect(stock.AllocateTensors() == kTfLiteOk, name + ": stock interpreter allocates");
    const size_t stock_used = stock.arena_used_bytes();
    expect(used >= stock_used && used <= stock_used + 32,
           name + ": arena use " + std::to_string(used) + " vs stock " + std::to_string(stock_used));
    std::memcpy(stock.input(0)->data.int8, input.data(), input.size());
    expect(stock.Invoke() == kTfLiteOk, name + ": stock invoke");
    expect(std::memcmp(reference.data(), stock.output(0)->data.int8, reference.size()) == 0,
           name + ": same output as the stock interpreter");
    std::printf("model %s arena_used %zu stock_arena_used %zu input_bytes %zu output_bytes %zu\n", name.c_str(), used,
                stock_used, runner.input_bytes(), runner.output_bytes());
  }

  // 2. The smallest arena that loads is more than arena_used_bytes() when the memory planner's scratch
  //    (taken during allocation, given back after) is the peak. Every smaller arena is refused with a
  //    sentence saying how much at least was needed - never more than the true need; every larger one loads.
  {
    const size_t least = smallest_arena(model, used);
    expect(least + 16 > used, name + ": smallest arena " + std::to_string(least) + " not below arena used");
    int checked = 0;
    for (size_t arena = 0; arena <= least + 32; arena += (arena + 64 < least ? 8 : 1)) {
      wt::ModelRunner runner(m.model, kBig, m.arena, arena);
      const char* why = runner.load(model.data(), model.size());
      ++checked;
      if (arena >= least) {
        expect(why[0] == '\0', name + ": loads in " + std::to_string(arena) + " bytes (" + why + ")");
        continue;
      }
      const size_t needed = runner.arena_needed_at_least();
      expect(contains(why, "tensor arena") && contains(why, std::to_string(arena).c_str()),
             name + ": arena " + std::to_string(arena) + " refused (" + why + ")");
      expect(needed > arena && needed <= least, name + ": arena " + std::to_string(arena) + " needs at least " +
                                                    std::to_string(needed) + " of " + std::to_string(least));
      expect(contains(why, std::to_string(needed).c_str()), name + ": the sentence names the need");
    }
    std::printf("model %s arena_min %zu arena_sizes_checked %d\n", name.c_str(), least, checked);
  }

  wt::ModelRunner runner(m.model, kBig, m.arena, kBig);
  // 3. The model buffer must hold the model; buffers must be aligned; the source need not be.
  {
    wt::ModelRunner small(m.model, model.size() - 1, m.arena, kBig);
    expect(contains(small.load(model.data(), model.size()), "model buffer holds"), name + ": model buffer too small");
    wt::ModelRunner skewed(m.model + 4, kBig - 4, m.arena, kBig);
    expect(contains(skewed.load(model.data(), model.size()), "16-byte aligned"), name + ": unaligned model buffer");
    wt::ModelRunner skewed_arena(m.model, kBig, m.arena + 8, kBig - 8);
    expect(contains(skewed_arena.load(model.data(), model.size()), "16-byte aligned"), name + ": unaligned arena");
    std::vector<uint8_t> odd(model.size() + 3);
    std::memcpy(odd.data() + 3, model.data(), model.size());
    expect(runner.load(odd.data() + 3, model.size())[0] == '\0', name + ": loads from an unaligned source");
    std::memcpy(m.model, model.data(), model.size());
    expect(runner.load(m.model, model.size())[0] == '\0', name + ": loads in place from the model buffer");
    expect(contains(runner.load(model.data(), 0), "empty"), name + ": empty model");
    // Without a model buffer the model runs where it lies (a board's memory-mapped slot): an aligned
    // start is needed, since TFLM reads int32/float data straight from the flatbuffer.
    wt::ModelRunner in_place(nullptr, 0, m.arena, kBig);
    std::vector<uint8_t> flash(model.size() + 32);
    uint8_t* aligned = flash.data() + (16 - reinterpret_cast<uintptr_t>(flash.data()) % 16) % 16;
    std::memcpy(aligned, model.data(), model.size());
    expect(in_place.load(aligned, model.size())[0] == '\0', name + ": runs in place from an aligned start");
    in_place.input()[0] = 1;
    expect(in_place.invoke() && in_place.output_bytes() > 0, name + ": invokes in place");
    in_place.unload();  // the bytes change next: TFLM reads the model even to unload it
    std::memmove(aligned + 4, aligned, model.size());
    expect(contains(in_place.load(aligned + 4, model.size()), "not 16-byte aligned in the board image"),
           name + ": an unaligned model is refused in place");
    expect(!in_place.loaded(), name + ": nothing stays loaded after the refusal");
  }

  // 4. Damaged copies: every one refused with a sentence or loaded cleanly; never a crash.
  {
    int refused = 0;
    int total = 0;
    const size_t step = model.size() / 97 + 1;
    for (size_t n = 1; n < model.size(); n += (n < 64 ? 1 : step)) {
      Bytes cut(model.begin(), model.begin() + static_cast<long>(n));
      ++total;
      expect(survives(runner, cut, &refused), name + ": prefix of " + std::to_string(n) + " bytes");
    }
    std::mt19937 rng(12345);
    for (int i = 0; i < flips; ++i) {
      Bytes bad = model;
      const int count = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < count; ++k) bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      ++total;
      expect(survives(runner, bad, &refused), name + ": flip case " + std::to_string(i));
    }
    std::printf("model %s damaged %d refused %d\n", name.c_str(), total, refused);
  }

  // 5. A refusal leaves nothing loaded, and the runner loads a good model again afterwards.
  {
    Bytes bad = model;
    bad[4] = 'X';  // no TFL3 identifier
    expect(contains(runner.load(bad.data(), bad.size()), "verifier"), name + ": identifier refused by the verifier");
    expect(!runner.loaded() && runner.arena_used_bytes() == 0 && runner.output() == nullptr, name + ": nothing loaded");
    expect(runner.load(model.data(), model.size())[0] == '\0', name + ": reloads after a refusal");
    std::memset(runner.input(), 0, runner.input_bytes());
    expect(runner.invoke(), name + ": runs after reload");
  }
}

void self_test_ops() {
  wt::ModelRunner runner(memory().model, kBig, memory().arena, kBig);
  const char* names[64];
  const size_t n = runner.registered_ops(names, 64);
  expect(n == wt::kFirmwareOpCount, "resolver holds kFirmwareOpCount ops");
  for (size_t i = 0; i < wt::kFirmwareOpCount; ++i) {
    bool found = false;
    for (size_t k = 0; k < n && k < 64; ++k) found = found || std::strcmp(names[k], wt::kFirmwareOps[i]) == 0;
    expect(found, std::string("resolver has ") + wt::kFirmwareOps[i]);
  }
}

void self_test_json() {
  auto value = [](const char* text, const char* key, int64_t* v) {
    return ic::top_level_integer(reinterpret_cast<const uint8_t*>(text), std::strlen(text), key, v);
  };
  int64_t v = 0;
  expect(value("{\"window\": 64, \"channels\": 3}", "channels", &v) && v == 3, "json: plain member");
  expect(value(" {\"a\": {\"window\": 1}, \"b\": [1, {\"x\": \"}\"}], \"window\": -7 } ", "window", &v) && v == -7,
         "json: nested values skipped, top level found");
  expect(value("{\"s\": \"a\\\"b\", \"dim\": 32}", "dim", &v) && v == 32, "json: escaped quote in a string");
  expect(value("{\"dim\": 1, \"dim\": 2}", "dim", &v) && v == 2, "json: last duplicate wins");
  expect(!value("{\"dim\": 1, \"dim\": 2.5}", "dim", &v), "json: last duplicate not an integer");
  expect(!value("{\"dim\": 32.0}", "dim", &v), "json: fraction refused");
  expect(!value("{\"dim\": 3e1}", "dim", &v), "json: exponent refused");
  expect(!value("{\"dim\": \"32\"}", "dim", &v), "json: string refused");
  expect(!value("{\"dim\": 012}", "dim", &v), "json: leading zero refused");
  expect(!value("{\"dim\": 99999999999999999999}", "dim", &v), "json: overflow refused");
  expect(value("{\"dim\": -9223372036854775808}", "dim", &v) && v == INT64_MIN, "json: int64 min");
  expect(!value("{\"other\": 1}", "dim", &v), "json: absent");
  expect(!value("[\"dim\", 1]", "dim", &v), "json: not an object");
  expect(!value("{\"dim\": 1", "dim", &v), "json: unterminated object");
  expect(!value("{\"dim\": 1} x", "dim", &v), "json: trailing text");
  expect(!value("{\"a\": [1, 2, \"dim\": 3}", "dim", &v), "json: unbalanced nesting");
  expect(!value("{\"d\\u0069m\": 5}", "dim", &v), "json: escaped key not matched");
  expect(!value("", "dim", &v), "json: empty");
  expect(!ic::top_level_integer(nullptr, 0, "dim", &v), "json: null");
}

void self_test_image(const std::string& path) {
  Bytes image;
  expect(read_file(path, &image), "read " + path);
  if (image.empty()) return;
  Memory& m = memory();
  wt::ModelRunner runner(m.model, kBig, m.arena, kBig);
  ic::BoardImageCheck check(runner);
  const char* why = check.check(image.data(), image.size());
  expect(why[0] == '\0', std::string("valid image passes (") + why + ")");
  expect(runner.loaded(), "the checked model stays loaded");
  // Every proper prefix is refused, and leaves nothing loaded.
  for (size_t n = 0; n < image.size(); n += (n < 64 ? 1 : 61)) {
    const char* refusal = check.check(n == 0 ? nullptr : image.data(), n);
    expect(refusal[0] != '\0' && !runner.loaded(), "prefix " + std::to_string(n) + " refused");
  }
  Bytes bad = image;
  bad[0] = 'X';
  expect(contains(check.check(bad.data(), bad.size()), "not a Wandlab board image"), "bad magic sentence");
  bad = image;
  bad[4] = 9;
  expect(std::strcmp(check.check(bad.data(), bad.size()),
                     "board image version 9 is not supported (this side reads v1)") == 0,
         "bad version sentence");
  wt::ModelRunner tiny(m.model, kBig, m.arena, 512);
  ic::BoardImageCheck tiny_check(tiny);
  expect(contains(tiny_check.check(image.data(), image.size()), "512 byte tensor arena"), "arena too small");
}

int self_test(int argc, char** argv) {
  int flips = 200;
  std::vector<std::string> models;
  std::string image;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--image" && i + 1 < argc) {
      image = argv[++i];
    } else if (arg == "--flips" && i + 1 < argc) {
      flips = std::atoi(argv[++i]);
    } else {
      models.push_back(arg);
    }
  }
  self_test_ops();
  self_test_json();
  for (const std::string& model : models) self_test_model(model, flips);
  if (!image.empty()) self_test_image(image);
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

int list_ops() {
  wt::ModelRunner runner(memory().model, kBig, memory().arena, kBig);
  const char* names[64];
  const size_t n = runner.registered_ops(names, 64);
  for (size_t i = 0; i < n && i < 64; ++i) std::printf("%s\n", names[i]);
  return 0;
}

int run(const std::string& model_path, const std::string& inputs_path, const std::string& outputs_path, int repeat) {
  Bytes model;
  Bytes inputs;
  if (!read_file(model_path, &model) || !read_file(inputs_path, &inputs)) {
    std::fprintf(stderr, "cannot read %s or %s\n", model_path.c_str(), inputs_path.c_str());
    return 2;
  }
  wt::ModelRunner runner(memory().model, kBig, memory().arena, kBig);
  const char* why = runner.load(model.data(), model.size());
  if (why[0] != '\0') {
    std::printf("refused: %s\n", why);
    return 1;
  }
  const size_t in_bytes = runner.input_bytes();
  if (inputs.size() % in_bytes != 0) {
    std::fprintf(stderr, "inputs: %zu bytes is not a multiple of %zu\n", inputs.size(), in_bytes);
    return 2;
  }
  Bytes outputs;
  for (size_t at = 0; at < inputs.size(); at += in_bytes) {
    std::memcpy(runner.input(), inputs.data() + at, in_bytes);
    if (!runner.invoke()) {
      std::printf("invoke failed at input %zu\n", at / in_bytes);
      return 1;
    }
    outputs.insert(outputs.end(), runner.output(), runner.output() + runner.output_bytes());
  }
  std::ofstream(outputs_path, std::ios::binary).write(reinterpret_cast<const char*>(outputs.data()),
                                                      static_cast<std::streamsize>(outputs.size()));
  // Timing: the first input, refilled before every invoke as a board must.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeat; ++i) {
    std::memcpy(runner.input(), inputs.data(), in_bytes);
    runner.invoke();
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf("arena_used %zu\narena_min %zu\nus_per_invoke %.2f\n", runner.arena_used_bytes(),
              smallest_arena(model, runner.arena_used_bytes()), repeat > 0 ? us / repeat : 0.0);
  return 0;
}

int load(const std::string& path, size_t arena) {
  Bytes model;
  if (!read_file(path, &model)) return 2;
  wt::ModelRunner runner(memory().model, kBig, memory().arena, arena);
  const char* why = runner.load(model.data(), model.size());
  std::printf("%s\narena_needed_at_least %zu\n", why[0] == '\0' ? "ok" : why, runner.arena_needed_at_least());
  return 0;
}

int check_image(const std::string& path, size_t arena) {
  Bytes image;
  if (!read_file(path, &image)) return 2;
  wt::ModelRunner runner(memory().model, kBig, memory().arena, arena);
  ic::BoardImageCheck check(runner);
  const char* why = check.check(image.empty() ? nullptr : image.data(), image.size());
  std::printf("%s\n", why[0] == '\0' ? "ok" : why);
  return 0;
}

int fuzz(const std::string& path, unsigned seed, int count) {
  Bytes model;
  if (!read_file(path, &model)) return 2;
  wt::ModelRunner runner(memory().model, kBig, memory().arena, kBig);
  std::mt19937 rng(seed);
  int refused = 0;
  int bad = 0;
  for (int i = 0; i < count; ++i) {
    Bytes copy = model;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) copy[rng() % copy.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    if (!survives(runner, copy, &refused)) ++bad;
  }
  std::printf("damaged %d refused %d loaded %d broken %d\n", count, refused, count - refused, bad);
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "selftest") return self_test(argc, argv);
  if (mode == "ops") return list_ops();
  if (mode == "run" && (argc == 5 || argc == 6)) {
    return run(argv[2], argv[3], argv[4], argc == 6 ? std::atoi(argv[5]) : 0);
  }
  if (mode == "load" && (argc == 3 || argc == 4)) {
    return load(argv[2], argc == 4 ? std::strtoul(argv[3], nullptr, 10) : kBig);
  }
  if (mode == "check-image" && (argc == 3 || argc == 4)) {
    return check_image(argv[2], argc == 4 ? std::strtoul(argv[3], nullptr, 10) : kBig);
  }
  if (mode == "fuzz" && argc == 5) return fuzz(argv[2], static_cast<unsigned>(std::atoi(argv[3])), std::atoi(argv[4]));
  std::fprintf(stderr,
               "usage: test_model_runner selftest MODEL... [--image IMAGE] [--flips N] | ops | "
               "run MODEL INPUTS OUTPUTS [REPEAT] | load MODEL [ARENA] | check-image IMAGE [ARENA] | "
               "fuzz MODEL SEED COUNT\n");
  return 2;
}
