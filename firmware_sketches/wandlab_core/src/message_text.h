// The English sentences a board sends the host (Error, Log, EnrollProgress texts), built without the
// heap into a fixed wire-sized buffer.
//
// A wire string holds at most 255 bytes. Text keeps the first 255; if more was appended, view() cuts it
// as app/wandlab/virtual/image_check.py fit_text() does: the first 252 bytes, less a character cut in
// half, then "...". Numbers are written as Python's f-strings write them: integers in decimal,
// hex(...) digits in lower case, and floats as repr() (the shortest digits that read back as the same
// double: "1.5", "2147483648.0", "1e+20", "nan"), so error texts match the Python board's byte for byte.
// Only add_float() uses the C library (snprintf "%.*e" and strtod, both correctly rounded in glibc and
// newlib); the few error texts that print a float need it, nothing else does. newlib-nano's printf
// formats floats only when linked with -u _printf_float (the XIAO build is); without it add_float()
// writes integral values as repr() does and others with six decimals.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wire.h"

namespace wandlab {

class Text {
 public:
  static constexpr size_t kMaxBytes = 255;  // a wire str

  Text& add(const char* text);  // NUL-terminated
  Text& add(const char* data, size_t size);
  Text& add(const protocol::Str& text) { return add(text.data, text.size); }
  Text& add_int(int64_t value);
  Text& add_hex(uint32_t value, int min_digits = 1);  // lower case, no "0x"
  Text& add_float(double value);                      // Python's repr(float)

  void clear() { size_ = 0; overflow_ = false; }
  bool empty() const { return size_ == 0 && !overflow_; }
  // The text, cut with "..." if more than kMaxBytes bytes were added. Valid while the Text lives.
  protocol::Str view();
  // Copy of the text as view() gives it, NUL-terminated, into a caller buffer (capacity >= 1).
  size_t copy_to(char* out, size_t capacity);

 private:
  char data_[kMaxBytes + 1] = {};
  size_t size_ = 0;
  bool overflow_ = false;
};

// Python's repr() of a double into out (at most 32 bytes with the NUL; returns the length without it).
size_t python_float_repr(double value, char* out, size_t capacity);

}  // namespace wandlab
