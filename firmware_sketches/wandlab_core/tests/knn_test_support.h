// Helpers shared by test_knn.cpp, test_json_reader.cpp and test_ref_store.cpp (host tests only, so the
// standard library is fine here): a counting CHECK, files, hex and the line format of the golden files
// tests/firmware/knn_vectors.py writes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace wandlab {
namespace knn_test {

using Bytes = std::vector<uint8_t>;

struct Tally {
  int checks = 0;
  int failures = 0;
};

inline Tally& tally() {
  static Tally t;  // function-local: the header holds no global
  return t;
}

inline bool check(bool ok, const char* expr, const char* file, int line, const std::string& what) {
  ++tally().checks;
  if (!ok && ++tally().failures <= 40) {
    std::printf("FAIL %s:%d: %s%s%s\n", file, line, expr, what.empty() ? "" : "  -- ", what.c_str());
  }
  return ok;
}

#define CHECK(expr) ::wandlab::knn_test::check(static_cast<bool>(expr), #expr, __FILE__, __LINE__, "")
#define CHECK_MSG(expr, what) ::wandlab::knn_test::check(static_cast<bool>(expr), #expr, __FILE__, __LINE__, (what))

inline int finish(const char* name) {
  const Tally& t = tally();
  if (t.failures) {
    std::printf("%s: %d of %d checks FAILED\n", name, t.failures, t.checks);
    return 1;
  }
  std::printf("OK: %s, %d checks\n", name, t.checks);
  return 0;
}

inline bool read_file(const std::string& path, Bytes* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

inline std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  return std::vector<std::string>(std::istream_iterator<std::string>(in), std::istream_iterator<std::string>());
}

// "-" is the empty byte string.
inline Bytes unhex(const std::string& hex) {
  Bytes out;
  if (hex == "-") return out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

inline std::string hex(const void* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  if (size == 0) return "-";
  std::string out;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

template <class T>
std::string bits(T value) {  // the little-endian bytes of a float/double, as Python's struct.pack
  return hex(&value, sizeof(value));
}

inline std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace knn_test
}  // namespace wandlab
