// Python's float64 arithmetic step for step (correctly rounded parsing, pow/exp/log, NaN checks): keep
// -ffast-math - the XIAO build's -Ofast - out of this file, whatever the build's flags.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-fast-math")
#endif

#include "json_reader.h"

#include <cstdlib>
#include <cstring>

namespace wandlab {
namespace json {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char* skip_space(const char* p, const char* end) {
  while (p < end && is_space(*p)) ++p;
  return p;
}

// Strict UTF-8 as Python's decoder accepts it: no overlong forms, no surrogates, at most U+10FFFF.
bool valid_utf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the first continuation byte
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // U+D800..U+DFFF are surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= extra; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
    }
    i += extra + 1;
  }
  return true;
}

bool read_hex4(const char* p, const char* end, uint32_t* out) {
  if (end - p < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return false;
    v = v << 4 | static_cast<uint32_t>(h);
  }
  *out = v;
  return true;
}

// From the opening quote; on kOk *after points past the closing quote.
Status scan_string(const char* p, const char* end, const char** after) {
  ++p;
  while (p < end) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') {
      *after = p + 1;
      return Status::kOk;
    }
    if (c < 0x20) {
      *after = p;
      return Status::kControlInString;
    }
    if (c != '\\') {
      ++p;
      continue;
    }
    if (end - p < 2) break;
    const char e = p[1];
    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
      p += 2;
      continue;
    }
    if (e != 'u') {
      *after = p;
      return Status::kBadEscape;
    }
    uint32_t u = 0;
    if (!read_hex4(p + 2, end, &u)) {
      *after = p;
      return Status::kBadEscape;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) {
      *after = p;
      return Status::kLoneSurrogate;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint32_t low = 0;
      if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !read_hex4(p + 8, end, &low) || low < 0xDC00 ||
          low > 0xDFFF) {
        *after = p;
        return Status::kLoneSurrogate;
      }
      p += 12;
      continue;
    }
    p += 6;
  }
  *after = end;
  return Status::kUnterminated;
}

// JSON's number grammar, as Python's scanner: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
Status scan_number(const char* p, const char* end, const char** after) {
  const char* start = p;
  if (p < end && *p == '-') ++p;
  if (p >= end || !is_digit(*p)) {
    *after = p;
    return Status::kBadNumber;
  }
  if (*p == '0') {
    ++p;
  } else {
    while (p < end && is_digit(*p)) ++p;
  }
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || !is_digit(*p)) {
      *after = p;
      return Status::kBadNumber;
    }
    while (p < end && is_digit(*p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !is_digit(*p)) {
      *after = p;
      return Status::kBadNumber;
    }
    while (p < end && is_digit(*p)) ++p;
  }
  *after = p;
  if (static_cast<size_t>(p - start) > kMaxNumberChars) {
    *after = start;
    return Status::kNumberTooLong;
  }
  return Status::kOk;
}

bool scan_literal(const char* p, const char* end, const char* word, const char** after) {
  const size_t n = std::strlen(word);
  if (static_cast<size_t>(end - p) < n || std::memcmp(p, word, n) != 0) return false;
  *after = p + n;
  return true;
}

Type type_at(char c) {
  switch (c) {
    case '{': return Type::kObject;
    case '[': return Type::kArray;
    case '"': return Type::kString;
    case 't': return Type::kTrue;
    case 'f': return Type::kFalse;
    case 'n': return Type::kNull;
    default: return Type::kNumber;
  }
}

// The end of the (already validated) value starting at p.
const char* skip_value(const char* p, const char* end) {
  const char c = *p;
  if (c == '"') {
    ++p;
    while (*p != '"') p += (*p == '\\') ? 2 : 1;
    return p + 1;
  }
  if (c == '{' || c == '[') {
    size_t depth = 0;
    while (p < end) {
      const char d = *p;
      if (d == '"') {
        p = skip_value(p, end);
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return p + 1;
      }
      ++p;
    }
    return end;
  }
  // number or literal: up to the next delimiter
  while (p < end && !is_space(*p) && *p != ',' && *p != ']' && *p != '}') ++p;
  return p;
}

Value value_at(const char* p, const char* end) {
  Value v;
  v.type = type_at(*p);
  v.begin = p;
  v.end = skip_value(p, end);
  return v;
}

// 10^0 .. 10^22 are exact doubles.
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kMaxExactMantissa = uint64_t{1} << 53;

// Clinger's fast path: digits * 10^e with both exact doubles is a single correctly rounded operation.
bool fast_double(const char* p, const char* end, double* out) {
  bool negative = false;
  if (*p == '-') {
    negative = true;
    ++p;
  }
  uint64_t mantissa = 0;
  int exponent = 0;
  bool seen_nonzero = false;
  int digits = 0;
  bool fraction = false;
  for (; p < end && (is_digit(*p) || *p == '.'); ++p) {
    if (*p == '.') {
      fraction = true;
      continue;
    }
    const int d = *p - '0';
    if (fraction) --exponent;
    if (!seen_nonzero && d == 0) continue;
    seen_nonzero = true;
    if (++digits > 19) return false;
    mantissa = mantissa * 10 + static_cast<uint64_t>(d);
  }
  if (p < end) {  // exponent
    ++p;
    bool exp_negative = false;
    if (*p == '+' || *p == '-') exp_negative = *p++ == '-';
    int e = 0;
    for (; p < end; ++p) {
      if (e > 10000) return false;
      e = e * 10 + (*p - '0');
    }
    exponent += exp_negative ? -e : e;
  }
  if (mantissa > kMaxExactMantissa) return false;
  double v = static_cast<double>(mantissa);
  if (mantissa != 0) {
    if (exponent < -22 || exponent > 22) return false;
    v = exponent < 0 ? v / kExactPowersOfTen[-exponent] : v * kExactPowersOfTen[exponent];
  }
  *out = negative ? -v : v;
  return true;
}

}  // namespace

const char* status_text(Status status) {
  switch (status) {
    case Status::kOk: return "valid JSON";
    case Status::kEmpty: return "empty";
    case Status::kBadUtf8: return "not valid UTF-8";
    case Status::kUnexpected: return "an unexpected character";
    case Status::kUnterminated: return "cut off inside a string, array or object";
    case Status::kControlInString: return "a control character inside a string";
    case Status::kBadEscape: return "a bad escape in a string";
    case Status::kLoneSurrogate: return "an unpaired surrogate escape";
    case Status::kBadNumber: return "a malformed number";
    case Status::kNumberTooLong: return "a number of more than 64 characters";
    case Status::kTooDeep: return "nested more than 32 levels deep";
    case Status::kTrailing: return "extra data after the value";
  }
  return "invalid JSON";
}

Status parse(const uint8_t* text, size_t size, Value* root, size_t* error_offset) {
  const char* const begin = reinterpret_cast<const char*>(text);
  const char* const end = begin + size;
  const char* p = begin;
  auto fail = [&](Status s, const char* at) {
    if (error_offset != nullptr) *error_offset = static_cast<size_t>(at - begin);
    return s;
  };
  if (size > 0 && !valid_utf8(text, size)) return fail(Status::kBadUtf8, begin);
  p = skip_space(p, end);
  if (p >= end) return fail(Status::kEmpty, p);

  char stack[kMaxDepth];  // '{' or '[' per open container
  size_t depth = 0;
  const char* const root_begin = p;
  // Each turn of the loop reads one value at p, then the separators after it.
  for (;;) {
    p = skip_space(p, end);
    if (p >= end) return fail(depth ? Status::kUnterminated : Status::kEmpty, p);
    const char c = *p;
    bool closed_empty = false;
    if (c == '{' || c == '[') {
      if (depth == kMaxDepth) return fail(Status::kTooDeep, p);
      stack[depth++] = c;
      p = skip_space(p + 1, end);
      if (p >= end) return fail(Status::kUnterminated, p);
      if (*p == (c == '{' ? '}' : ']')) {
        ++p;
        --depth;
        closed_empty = true;
      } else if (c == '{') {
        if (*p != '"') return fail(Status::kUnexpected, p);
        const char* after;
        const Status s = scan_string(p, end, &after);
        if (s != Status::kOk) return fail(s, after);
        p = skip_space(after, end);
        if (p >= end) return fail(Status::kUnterminated, p);
        if (*p != ':') return fail(Status::kUnexpected, p);
        ++p;
        continue;  // the member's value
      } else {
        continue;  // the first item
      }
    }
    if (!closed_empty) {
      const char* after = p;
      Status s = Status::kOk;
      if (c == '"') {
        s = scan_string(p, end, &after);
      } else if (c == '-' || is_digit(c)) {
        s = scan_number(p, end, &after);
      } else if (c == 't' || c == 'f' || c == 'n') {
        if (!scan_literal(p, end, c == 't' ? "true" : c == 'f' ? "false" : "null", &after)) {
          return fail(Status::kUnexpected, p);
        }
      } else if (c == 'N' || c == 'I') {
        return fail(Status::kBadNumber, p);  // NaN, Infinity: Python's extension, not JSON
      } else {
        return fail(Status::kUnexpected, p);
      }
      if (s != Status::kOk) return fail(s, after);
      p = after;
    }
    // After a value: close containers, or a comma and the next item/member.
    for (;;) {
      if (depth == 0) {
        const char* root_end = p;
        p = skip_space(p, end);
        if (p != end) return fail(Status::kTrailing, p);
        root->type = type_at(*root_begin);
        root->begin = root_begin;
        root->end = root_end;
        return Status::kOk;
      }
      p = skip_space(p, end);
      if (p >= end) return fail(Status::kUnterminated, p);
      const char open = stack[depth - 1];
      if (*p == (open == '{' ? '}' : ']')) {
        ++p;
        --depth;
        continue;
      }
      if (*p != ',') return fail(Status::kUnexpected, p);
      ++p;
      if (open == '{') {
        p = skip_space(p, end);
        if (p >= end) return fail(Status::kUnterminated, p);
        if (*p != '"') return fail(Status::kUnexpected, p);
        const char* after;
        const Status s = scan_string(p, end, &after);
        if (s != Status::kOk) return fail(s, after);
        p = skip_space(after, end);
        if (p >= end) return fail(Status::kUnterminated, p);
        if (*p != ':') return fail(Status::kUnexpected, p);
        ++p;
      }
      break;  // read the next value
    }
  }
}

Items::Items(const Value& array) {
  if (array.type == Type::kArray) {
    at_ = array.begin + 1;
    end_ = array.end - 1;
  }
}

bool Items::next(Value* item) {
  if (at_ == nullptr) return false;
  at_ = skip_space(at_, end_);
  if (at_ >= end_) return false;
  if (*at_ == ',') at_ = skip_space(at_ + 1, end_);
  *item = value_at(at_, end_);
  at_ = item->end;
  return true;
}

Members::Members(const Value& object) {
  if (object.type == Type::kObject) {
    at_ = object.begin + 1;
    end_ = object.end - 1;
  }
}

bool Members::next(Value* key, Value* value) {
  if (at_ == nullptr) return false;
  at_ = skip_space(at_, end_);
  if (at_ >= end_) return false;
  if (*at_ == ',') at_ = skip_space(at_ + 1, end_);
  *key = value_at(at_, end_);
  at_ = skip_space(key->end, end_) + 1;  // past ':'
  *value = value_at(skip_space(at_, end_), end_);
  at_ = value->end;
  return true;
}

Value member(const Value& object, const char* key) {
  Value found, k, v;
  const size_t n = std::strlen(key);
  for (Members it(object); it.next(&k, &v);) {
    if (string_equals(k, key, n)) found = v;
  }
  return found;
}

size_t length(const Value& container) {
  size_t n = 0;
  Value a, b;
  if (container.type == Type::kArray) {
    for (Items it(container); it.next(&a);) ++n;
  } else if (container.type == Type::kObject) {
    for (Members it(container); it.next(&a, &b);) ++n;
  }
  return n;
}

bool is_integer(const Value& number) {
  if (number.type != Type::kNumber) return false;
  for (const char* p = number.begin; p < number.end; ++p) {
    if (*p == '.' || *p == 'e' || *p == 'E') return false;
  }
  return true;
}

bool to_int64(const Value& number, int64_t* out) {
  if (!is_integer(number)) return false;
  const char* p = number.begin;
  const bool negative = *p == '-';
  if (negative) ++p;
  // Accumulate negatively so that INT64_MIN fits.
  int64_t v = 0;
  constexpr int64_t kMin = INT64_MIN;
  for (; p < number.end; ++p) {
    const int d = *p - '0';
    if (v < kMin / 10 || (v == kMin / 10 && -d < kMin % 10)) return false;
    v = v * 10 - d;
  }
  if (!negative) {
    if (v == kMin) return false;
    v = -v;
  }
  *out = v;
  return true;
}

bool to_double(const Value& number, double* out) {
  if (number.type != Type::kNumber) return false;
  int64_t i;
  if (to_int64(number, &i)) {  // Python: float(int), correctly rounded; "-0" is the integer 0
    *out = static_cast<double>(i);
    return true;
  }
  if (fast_double(number.begin, number.end, out)) return true;
  char buf[kMaxNumberChars + 1];
  const size_t n = static_cast<size_t>(number.end - number.begin);
  if (n > kMaxNumberChars) return false;
  std::memcpy(buf, number.begin, n);
  buf[n] = '\0';
  *out = std::strtod(buf, nullptr);  // out of range: +-HUGE_VAL (inf) or 0, as Python's float()
  return true;
}

StringBytes::StringBytes(const Value& string) {
  if (string.type == Type::kString) {
    at_ = string.begin + 1;
    end_ = string.end - 1;
  }
}

int StringBytes::next() {
  if (pending_at_ < pending_size_) return pending_[pending_at_++];
  if (at_ == nullptr || at_ >= end_) return -1;
  if (*at_ != '\\') return static_cast<uint8_t>(*at_++);
  const char e = at_[1];
  uint32_t cp = 0;
  switch (e) {
    case 'b': cp = '\b'; break;
    case 'f': cp = '\f'; break;
    case 'n': cp = '\n'; break;
    case 'r': cp = '\r'; break;
    case 't': cp = '\t'; break;
    case 'u': {
      read_hex4(at_ + 2, end_, &cp);
      if (cp >= 0xD800 && cp <= 0xDBFF) {  // parse() accepted only whole pairs
        uint32_t low = 0xDC00;
        read_hex4(at_ + 8, end_, &low);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        at_ += 6;
      }
      at_ += 4;
      break;
    }
    default: cp = static_cast<uint8_t>(e); break;  // " \ /
  }
  at_ += 2;
  if (cp < 0x80) return static_cast<int>(cp);
  pending_at_ = 0;
  if (cp < 0x800) {
    pending_[0] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    pending_size_ = 1;
    return static_cast<int>(0xC0 | cp >> 6);
  }
  if (cp < 0x10000) {
    pending_[0] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    pending_[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    pending_size_ = 2;
    return static_cast<int>(0xE0 | cp >> 12);
  }
  pending_[0] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
  pending_[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
  pending_[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  pending_size_ = 3;
  return static_cast<int>(0xF0 | cp >> 18);
}

size_t string_size(const Value& string) {
  size_t n = 0;
  for (StringBytes s(string); s.next() >= 0;) ++n;
  return n;
}

bool string_equals(const Value& string, const char* data, size_t size) {
  if (string.type != Type::kString) return false;
  StringBytes s(string);
  for (size_t i = 0; i < size; ++i) {
    if (s.next() != static_cast<uint8_t>(data[i])) return false;
  }
  return s.next() < 0;
}

bool strings_equal(const Value& a, const Value& b) {
  if (a.type != Type::kString || b.type != Type::kString) return false;
  StringBytes x(a), y(b);
  for (;;) {
    const int u = x.next(), v = y.next();
    if (u != v) return false;
    if (u < 0) return true;
  }
}

bool decode_string(const Value& string, char* out, size_t capacity, size_t* size) {
  if (string.type != Type::kString) return false;
  size_t i = 0;
  StringBytes s(string);
  for (int b = s.next(); b >= 0; b = s.next()) {
    if (i >= capacity) return false;
    out[i++] = static_cast<char>(b);
  }
  *size = i;
  return true;
}

}  // namespace json
}  // namespace wandlab
