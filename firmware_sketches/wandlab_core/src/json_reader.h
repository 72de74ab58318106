// A small JSON reader over a byte view: no heap, no copies, no recursion.
//
// What it is for: the JSON sections of a board image (FEAT, LABL, REFS; see image_sections.h), which
// Python writes with json.dumps and which lie in flash. parse() checks the whole text once - strict UTF-8
// as Python's bytes.decode() checks it, then RFC 8259 as Python's json.loads() reads it - and returns the
// root as a Value: a view (type, first and one-past-last byte) into the text. Everything else walks
// values parse() accepted: member() finds an object's member, Items/Members step through arrays and
// objects, to_int64()/to_double()/decode_string() read scalars. Walking is O(size of the value); a caller
// that needs a member often keeps its Value.
//
// Where this refuses what Python's json.loads accepts (on purpose, all absent from json.dumps output):
// NaN, Infinity and -Infinity; \u escapes of unpaired surrogates (Python keeps them, and its own checks
// then fail later with an encoding error); nesting deeper than kMaxDepth; a number of more than
// kMaxNumberChars characters. Duplicate keys are accepted, and member() returns the last one, as Python
// keeps the last.
//
// Numbers: to_int64() takes integer tokens (no fraction, no exponent) within int64. to_double() takes
// any number and returns the correctly rounded double, as Python's float() does: exactly in double
// arithmetic when the digits fit in 53 bits and the power of ten is at most 22 (Clinger's fast path:
// every number json.dumps writes for the image's settings and margins), else through the C library's
// strtod, which is correctly rounded in glibc and newlib (newlib's slow path takes its big-number scratch
// from the C library's heap). The fast path relies on IEEE division: json_reader.cpp pins
// -fno-fast-math with a pragma (the XIAO build compiles with -Ofast).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace json {

constexpr size_t kMaxDepth = 32;          // nested arrays/objects; the image sections use 4
constexpr size_t kMaxNumberChars = 64;    // json.dumps writes at most 24 (repr of a double)

enum class Type : uint8_t { kAbsent = 0, kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

enum class Status : uint8_t {
  kOk = 0,
  kEmpty,            // nothing but whitespace
  kBadUtf8,          // not valid UTF-8
  kUnexpected,       // a character that cannot stand there
  kUnterminated,     // the text ends inside a string, array or object
  kControlInString,  // a raw control character (below 0x20) inside a string
  kBadEscape,        // an unknown backslash escape, or \u without 4 hex digits
  kLoneSurrogate,    // \uD800-\uDFFF that is not a high + low pair
  kBadNumber,        // not JSON's number grammar (also NaN, Infinity)
  kNumberTooLong,    // more than kMaxNumberChars characters
  kTooDeep,          // nested deeper than kMaxDepth
  kTrailing,         // something after the value
};

// A short English phrase ("invalid UTF-8", "nested too deeply", ...).
const char* status_text(Status status);

// A view of one value in the text. Default-constructed: absent (what member() returns for a missing key).
struct Value {
  Type type = Type::kAbsent;
  const char* begin = nullptr;  // first byte of the value ('{', '"', '-', ...)
  const char* end = nullptr;    // one past its last byte

  bool present() const { return type != Type::kAbsent; }
  bool is(Type t) const { return type == t; }
};

// Checks that `size` bytes at `text` are exactly one JSON value with optional whitespace around it. On
// kOk fills *root; otherwise, if error_offset is not null, stores where the problem was found.
Status parse(const uint8_t* text, size_t size, Value* root, size_t* error_offset = nullptr);

// --- walking a value parse() accepted ---------------------------------------------------------------

// The last member of `object` named `key` (UTF-8, NUL-terminated), or an absent Value (also when
// `object` is not an object).
Value member(const Value& object, const char* key);

// The number of items of an array or members of an object (0 for anything else).
size_t length(const Value& container);

// The decoded UTF-8 bytes of a string, one at a time: next() returns -1 after the last (at once for a
// non-string).
class StringBytes {
 public:
  explicit StringBytes(const Value& string);
  int next();

 private:
  const char* at_ = nullptr;
  const char* end_ = nullptr;
  uint8_t pending_[4] = {};  // the rest of an escaped character's UTF-8 bytes
  uint8_t pending_at_ = 0;
  uint8_t pending_size_ = 0;
};

// for (json::Items it(array); it.next(&item);) ...   (nothing for a non-array)
class Items {
 public:
  explicit Items(const Value& array);
  bool next(Value* item);

 private:
  const char* at_ = nullptr;
  const char* end_ = nullptr;
};

// for (json::Members it(object); it.next(&key, &value);) ...   (nothing for a non-object)
class Members {
 public:
  explicit Members(const Value& object);
  bool next(Value* key, Value* value);

 private:
  const char* at_ = nullptr;
  const char* end_ = nullptr;
};

// A number token without fraction or exponent ("12", "-3"; not "1.0", "1e3").
bool is_integer(const Value& number);
// An integer token within int64; false for anything else (fractions, overflow, non-numbers).
bool to_int64(const Value& number, int64_t* out);
// Any number, correctly rounded to double (1e400 gives infinity, as in Python); false for non-numbers.
bool to_double(const Value& number, double* out);

// Strings, with their escapes decoded to UTF-8.
size_t string_size(const Value& string);  // decoded bytes (0 for a non-string)
bool string_equals(const Value& string, const char* data, size_t size);
bool strings_equal(const Value& a, const Value& b);  // both strings, same decoded bytes
// Writes the decoded bytes (no NUL) to out; false (nothing promised in out) if they do not fit or
// `string` is not a string.
bool decode_string(const Value& string, char* out, size_t capacity, size_t* size);

}  // namespace json
}  // namespace wandlab
