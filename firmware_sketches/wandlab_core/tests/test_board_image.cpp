// Host test: the C++ board image validator refuses what Python's unpack refuses, for the same reason.
// Build: g++ -std=c++17 -O2 -Isrc tests/test_board_image.cpp src/board_image.cpp
// Usage: test_board_image MANIFEST   (make test passes tests/vectors/board_image_cases.txt)
// The manifest has one case per line, "FILE REASON" (FILE relative to the manifest, REASON a
// reason_name(): ok, truncated_section, bad_magic, ...); '#' starts a comment. Python writes both the
// golden images and the manifest (tests/onboard/test_board_image.py). With a valid image among the cases
// the test also damages a copy of it in every way the validator names and checks each verdict.

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "board_image.h"

namespace bi = wandlab::board_image;

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

std::string verdict(const Bytes& b) {
  return bi::reason_name(bi::validate(b.empty() ? nullptr : b.data(), b.size(), nullptr));
}

void put_u16(Bytes* b, size_t at, uint16_t v) {
  (*b)[at] = static_cast<uint8_t>(v);
  (*b)[at + 1] = static_cast<uint8_t>(v >> 8);
}

void put_u32(Bytes* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

uint32_t get_u32(const Bytes& b, size_t at) {
  return static_cast<uint32_t>(b[at]) | (static_cast<uint32_t>(b[at + 1]) << 8) |
         (static_cast<uint32_t>(b[at + 2]) << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}

// Where each section header starts in a valid image.
std::vector<size_t> section_headers(const Bytes& b) {
  std::vector<size_t> at;
  size_t pos = bi::kHeaderBytes;
  while (pos < b.size()) {
    at.push_back(pos);
    pos += bi::kSectionHeaderBytes + get_u32(b, pos + 4);
  }
  return at;
}

size_t tflm_header(const Bytes& b) {
  for (size_t at : section_headers(b)) {
    if (std::memcmp(&b[at], "TFLM", 4) == 0) return at;
  }
  return 0;
}

// Every way the validator names, made from one valid image.
void damage_a_valid_image(const Bytes& good) {
  bi::Image image;
  expect(bi::validate(good.data(), good.size(), &image) == bi::Reason::kOk, "valid image accepted");
  const size_t tflm = tflm_header(good);
  const bi::View& model = image.section(bi::Section::kTflm);
  expect(image.version == bi::kVersion, "version read");
  expect(model.data == good.data() + tflm + 8 && model.size == get_u32(good, tflm + 4), "TFLM view");
  expect(std::memcmp(model.data + 4, "TFL3", 4) == 0, "TFLM view starts a flatbuffer");
  for (size_t i = 0; i < bi::kSectionCount; ++i) expect(image.sections[i].data != nullptr, "every section viewed");

  for (size_t n = 0; n < good.size(); ++n) {  // every proper prefix is refused
    Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    if (verdict(cut) == "ok") expect(false, "prefix of " + std::to_string(n) + " bytes refused");
  }
  ++g_checks;

  struct Case {
    const char* want;
    Bytes bytes;
  };
  std::vector<Case> cases;
  auto mutated = [&good](auto change) {
    Bytes b = good;
    change(&b);
    return b;
  };
  cases.push_back({"truncated_header", Bytes(good.begin(), good.begin() + 7)});
  cases.push_back({"bad_magic", mutated([](Bytes* b) { (*b)[3] = 'X'; })});
  cases.push_back({"bad_version", mutated([](Bytes* b) { put_u16(b, 4, 2); })});
  cases.push_back({"too_many_sections", mutated([](Bytes* b) { put_u16(b, 6, bi::kMaxSections + 1); })});
  cases.push_back({"truncated_section_header", mutated([](Bytes* b) { put_u16(b, 6, 5); })});
  cases.push_back({"unknown_section", mutated([tflm](Bytes* b) { std::memcpy(&(*b)[tflm], "EVIL", 4); })});
  cases.push_back({"duplicate_section", mutated([tflm](Bytes* b) { std::memcpy(&(*b)[tflm], "FEAT", 4); })});
  cases.push_back({"truncated_section", mutated([tflm](Bytes* b) { put_u32(b, tflm + 4, 0xFFFFFFFFu); })});
  cases.push_back({"trailing_bytes", mutated([](Bytes* b) { b->push_back(0); })});
  cases.push_back({"missing_section", mutated([](Bytes* b) {
                     const std::vector<size_t> at = section_headers(*b);
                     b->resize(at.back());  // drop the last section
                     put_u16(b, 6, static_cast<uint16_t>(at.size() - 1));
                   })});
  cases.push_back({"not_tflite", mutated([tflm](Bytes* b) { (*b)[tflm + 8 + 4] = 'X'; })});
  cases.push_back({"bad_tflite_root", mutated([tflm](Bytes* b) { put_u32(b, tflm + 8, 0x7FFFFFF0u); })});
  cases.push_back({"bad_tflite_root", mutated([tflm](Bytes* b) { put_u32(b, tflm + 8, 4); })});
  cases.push_back({"bad_tflite_root", mutated([tflm](Bytes* b) {
                     const uint32_t root = get_u32(*b, tflm + 8);
                     put_u32(b, tflm + 8 + root, 0x80000000u);  // vtable 2 GB past the end
                   })});
  for (const Case& c : cases) {
    const std::string got = verdict(c.bytes);
    expect(got == c.want, std::string("damaged image: want ") + c.want + ", got " + got);
  }

  Bytes huge(bi::kMaxImageBytes + 1, 0);
  std::memcpy(huge.data(), good.data(), good.size());
  expect(verdict(huge) == "too_large", "an image above the limit");
  expect(bi::validate(nullptr, 0, nullptr) == bi::Reason::kTruncatedHeader, "no buffer");
  bi::Image untouched;
  untouched.version = 77;
  Bytes bad = good;
  bad[0] = 0;
  bi::validate(bad.data(), bad.size(), &untouched);
  expect(untouched.version == 77 && untouched.sections[0].data == nullptr, "a refused image fills nothing");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s tests/vectors/board_image_cases.txt\n", argv[0]);
    return 2;
  }
  const std::string manifest = argv[1];
  const size_t slash = manifest.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "" : manifest.substr(0, slash + 1);
  std::ifstream lines(manifest);
  if (!lines) {
    std::fprintf(stderr, "cannot read %s\n", manifest.c_str());
    return 2;
  }
  int cases = 0;
  int matched = 0;
  Bytes first_valid;
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name, want;
    if (!(fields >> name) || name[0] == '#') continue;
    fields >> want;
    Bytes bytes;
    if (!read_file(folder + name, &bytes)) {
      expect(false, "cannot read " + folder + name);
      continue;
    }
    ++cases;
    const std::string got = verdict(bytes);
    std::printf("%-40s %-26s %s\n", name.c_str(), got.c_str(), got == want ? "as Python" : "DIFFERS");
    expect(got == want, name + ": want " + want + ", got " + got);
    matched += got == want;
    if (want == "ok" && first_valid.empty()) first_valid = bytes;
  }
  if (!first_valid.empty()) damage_a_valid_image(first_valid);
  std::printf("SUMMARY board image: files=%d ok=%d checks=%d failures=%d\n", cases, matched, g_checks, g_failures);
  if (g_failures == 0 && cases > 0) std::printf("OK: %d golden images\n", cases);
  return g_failures == 0 && cases > 0 ? 0 : 1;
}
