// Python's float64 arithmetic step for step (correctly rounded parsing, pow/exp/log, NaN checks): keep
// -ffast-math - the XIAO build's -Ofast - out of this file, whatever the build's flags.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-fast-math")
#endif

#include "message_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wandlab {

Text& Text::add(const char* text) { return add(text, std::strlen(text)); }

Text& Text::add(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (size_ >= kMaxBytes) {
      overflow_ = true;
      break;
    }
    data_[size_++] = data[i];
  }
  return *this;
}

Text& Text::add_int(int64_t value) {
  char digits[24];
  size_t n = 0;
  // Negative accumulation: INT64_MIN has no positive twin.
  int64_t v = value < 0 ? value : -value;
  do {
    digits[n++] = static_cast<char>('0' - v % 10);
    v /= 10;
  } while (v != 0);
  if (value < 0) digits[n++] = '-';
  char out[24];
  for (size_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  return add(out, n);
}

Text& Text::add_hex(uint32_t value, int min_digits) {
  char out[8];
  int n = 0;
  for (int shift = 28; shift >= 0; shift -= 4) {
    const uint32_t d = (value >> shift) & 0xF;
    if (n == 0 && d == 0 && shift / 4 >= min_digits) continue;
    out[n++] = "0123456789abcdef"[d];
  }
  return add(out, static_cast<size_t>(n));
}

Text& Text::add_float(double value) {
  char out[32];
  return add(out, python_float_repr(value, out, sizeof(out)));
}

protocol::Str Text::view() {
  if (overflow_) {
    size_t n = kMaxBytes - 3;  // fit_text: raw[:limit - 3].decode("utf-8", "ignore") + "..."
    // Drop a character cut in half: back to its lead byte, and drop that too unless it is complete.
    size_t lead = n;
    while (lead > 0 && (static_cast<uint8_t>(data_[lead - 1]) & 0xC0) == 0x80) --lead;
    if (lead > 0) {
      const uint8_t c = static_cast<uint8_t>(data_[lead - 1]);
      const size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (n - (lead - 1) < want) n = lead - 1;
    }
    std::memcpy(data_ + n, "...", 3);
    size_ = n + 3;
    overflow_ = false;
  }
  return protocol::Str{data_, size_};
}

size_t Text::copy_to(char* out, size_t capacity) {
  const protocol::Str s = view();
  const size_t n = s.size < capacity - 1 ? s.size : capacity - 1;
  std::memcpy(out, s.data, n);
  out[n] = '\0';
  return n;
}

namespace {

size_t put(char* out, size_t capacity, size_t at, char c) {
  if (at + 1 < capacity) out[at] = c;
  return at + 1;
}

// Reads "d.ddde+XX" as written by %.*e: the digits as an integer and the exponent of the first digit.
void read_scientific(const char* s, uint64_t* digits, int* count, int* exponent) {
  uint64_t d = 0;
  int n = 0;
  for (; *s != 'e'; ++s) {
    if (*s >= '0' && *s <= '9') {
      d = d * 10 + static_cast<uint64_t>(*s - '0');
      ++n;
    }
  }
  *digits = d;
  *count = n;
  *exponent = std::atoi(s + 1);
}

bool reads_back(uint64_t digits, int exponent_of_last, double value) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%llue%d", static_cast<unsigned long long>(digits), exponent_of_last);
  return std::strtod(buf, nullptr) == value;
}

// Where printf cannot format floats: integral values exactly as repr() writes them below 1e16, others
// with six decimals (and an exponent where repr() uses one) - readable, not repr().
size_t approximate_repr(double value, char* out, size_t capacity) {
  size_t n = 0;
  double a = std::fabs(value);
  if (value < 0) n = put(out, capacity, n, '-');
  int exponent = 0;
  if (a >= 1e16 || (a > 0 && a < 1e-4)) {
    exponent = static_cast<int>(std::floor(std::log10(a)));
    a /= std::pow(10.0, exponent);
  }
  {
    uint64_t whole = static_cast<uint64_t>(a);
    uint64_t micros = static_cast<uint64_t>(std::round((a - static_cast<double>(whole)) * 1e6));
    if (micros >= 1000000) {
      ++whole;
      micros -= 1000000;
    }
    char digits[24];
    int len = 0;
    do {
      digits[len++] = static_cast<char>('0' + whole % 10);
      whole /= 10;
    } while (whole != 0);
    while (len > 0) n = put(out, capacity, n, digits[--len]);
    n = put(out, capacity, n, '.');
    int decimals = 6;
    while (decimals > 1 && micros % 10 == 0) {
      micros /= 10;
      --decimals;
    }
    for (int i = decimals - 1; i >= 0; --i) {
      uint64_t d = micros;
      for (int k = 0; k < i; ++k) d /= 10;
      n = put(out, capacity, n, static_cast<char>('0' + d % 10));
    }
  }
  if (exponent != 0) {
    n = put(out, capacity, n, 'e');
    n = put(out, capacity, n, exponent < 0 ? '-' : '+');
    const int e = exponent < 0 ? -exponent : exponent;
    if (e >= 100) n = put(out, capacity, n, static_cast<char>('0' + e / 100));
    n = put(out, capacity, n, static_cast<char>('0' + e / 10 % 10));
    n = put(out, capacity, n, static_cast<char>('0' + e % 10));
  }
  if (capacity > 0) out[n < capacity ? n : capacity - 1] = '\0';
  return n < capacity ? n : capacity - 1;
}

}  // namespace

size_t python_float_repr(double value, char* out, size_t capacity) {
  size_t n = 0;
  if (std::isnan(value)) {
    for (const char* p = "nan"; *p; ++p) n = put(out, capacity, n, *p);
  } else if (std::isinf(value)) {
    for (const char* p = value < 0 ? "-inf" : "inf"; *p; ++p) n = put(out, capacity, n, *p);
  } else if (value == 0) {
    for (const char* p = std::signbit(value) ? "-0.0" : "0.0"; *p; ++p) n = put(out, capacity, n, *p);
  } else {
    const double a = std::fabs(value);
    // The shortest digits that read back as `a`: the correctly rounded p digits, or - next to a power of
    // two, where the interval of doubles that read back is lopsided - their neighbour on the wide side.
    uint64_t digits = 0;
    int exponent = 0;  // of the last digit
    char probe[16];
    if (std::snprintf(probe, sizeof(probe), "%.0e", 1.0) != 5 || probe[0] != '1') {
      return approximate_repr(value, out, capacity);  // a printf without float support (newlib-nano)
    }
    for (int p = 1; p <= 17; ++p) {
      char buf[40];
      std::snprintf(buf, sizeof(buf), "%.*e", p - 1, a);
      uint64_t d;
      int count, first;
      read_scientific(buf, &d, &count, &first);
      const int last = first - (count - 1);
      const uint64_t candidates[3] = {d, d - 1, d + 1};
      bool found = false;
      for (uint64_t c : candidates) {
        if (c != 0 && reads_back(c, last, a)) {
          digits = c;
          exponent = last;
          found = true;
          break;
        }
      }
      if (found) break;
    }
    while (digits % 10 == 0) {
      digits /= 10;
      ++exponent;
    }
    char ds[24];
    int len = 0;
    for (uint64_t d = digits; d != 0; d /= 10) ds[len++] = static_cast<char>('0' + d % 10);
    for (int i = 0; i < len / 2; ++i) {
      const char t = ds[i];
      ds[i] = ds[len - 1 - i];
      ds[len - 1 - i] = t;
    }
    const int decpt = exponent + len;  // the value is 0.ds * 10^decpt
    if (value < 0) n = put(out, capacity, n, '-');
    if (decpt > -4 && decpt <= 16) {  // repr's positional range
      if (decpt <= 0) {
        n = put(out, capacity, n, '0');
        n = put(out, capacity, n, '.');
        for (int i = 0; i < -decpt; ++i) n = put(out, capacity, n, '0');
        for (int i = 0; i < len; ++i) n = put(out, capacity, n, ds[i]);
      } else if (decpt >= len) {
        for (int i = 0; i < len; ++i) n = put(out, capacity, n, ds[i]);
        for (int i = len; i < decpt; ++i) n = put(out, capacity, n, '0');
        n = put(out, capacity, n, '.');
        n = put(out, capacity, n, '0');
      } else {
        for (int i = 0; i < len; ++i) {
          if (i == decpt) n = put(out, capacity, n, '.');
          n = put(out, capacity, n, ds[i]);
        }
      }
    } else {
      n = put(out, capacity, n, ds[0]);
      if (len > 1) {
        n = put(out, capacity, n, '.');
        for (int i = 1; i < len; ++i) n = put(out, capacity, n, ds[i]);
      }
      const int e = decpt - 1;
      n = put(out, capacity, n, 'e');
      n = put(out, capacity, n, e < 0 ? '-' : '+');
      const int ae = e < 0 ? -e : e;
      if (ae >= 100) n = put(out, capacity, n, static_cast<char>('0' + ae / 100));
      n = put(out, capacity, n, static_cast<char>('0' + ae / 10 % 10));
      n = put(out, capacity, n, static_cast<char>('0' + ae % 10));
    }
  }
  if (capacity > 0) out[n < capacity ? n : capacity - 1] = '\0';
  return n < capacity ? n : capacity - 1;
}

}  // namespace wandlab
