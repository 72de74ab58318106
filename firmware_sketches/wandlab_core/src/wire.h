// Field encodings of message payloads (the C++ twin of app/wandlab/protocol/codec.py).
// Everything little-endian, no padding:
//
//   u8 u16 u32 i16 i32 f32   fixed size (f32: IEEE 754 bits)
//   str                      u8 byte length + UTF-8 (at most 255 bytes)
//   strs                     u8 count + that many str
//   bytes                    u16 byte length + raw bytes
//   i16array                 u16 count + count int16
//   list of structs          u8 count + the structs one after another
//
// Writer and Reader work on caller buffers, never allocate, and never touch a byte outside their
// buffer. Both keep the first error; every later call fails, so a message can chain its fields.
// Decoded Str / Bytes / I16Array are views into the payload they were read from.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace protocol {

enum class WireError : uint8_t {
  kOk = 0,
  kTruncated,      // the payload ends inside a field
  kTrailingBytes,  // bytes left over after the last field
  kBadUtf8,        // a str is not valid UTF-8
  kTooMany,        // a list holds more items than this side can store (or than its count byte says)
  kTooLong,        // a str over 255 bytes, bytes/i16array over 65535 items (encoding)
  kNoRoom,         // the output buffer is full (encoding)
  kWrongType,      // decode_message() given a packet of another message type
  kBadValue,       // fields decode but contradict each other (e.g. 5-axis IMU samples)
};

const char* wire_error_name(WireError error);

// UTF-8 text, not NUL-terminated.
struct Str {
  const char* data = "";
  size_t size = 0;

  // A view of a NUL-terminated string.
  static Str of(const char* text);
  bool equals(const char* text) const;
};

struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// int16 values as they lie on the wire (little-endian, possibly unaligned).
struct I16Array {
  const uint8_t* le = nullptr;
  size_t count = 0;

  int16_t at(size_t i) const {
    return static_cast<int16_t>(static_cast<uint16_t>(le[2 * i] | le[2 * i + 1] << 8));
  }
  // A view of native samples, zero-copy: every supported target (Cortex-M, ESP32-S3, x86, arm64)
  // stores int16 little-endian, and the build fails on one that does not.
  static I16Array of_samples(const int16_t* samples, size_t count);
};

// Strict UTF-8 as Python's decoder accepts it: no overlong forms, no surrogates, <= U+10FFFF.
bool is_valid_utf8(const uint8_t* data, size_t size);

class Writer {
 public:
  Writer(uint8_t* out, size_t capacity) : out_(out), capacity_(capacity) {}

  bool u8(uint8_t v);
  bool u16(uint16_t v);
  bool u32(uint32_t v);
  bool i16(int16_t v) { return u16(static_cast<uint16_t>(v)); }
  bool i32(int32_t v) { return u32(static_cast<uint32_t>(v)); }
  bool f32(float v);
  bool str(const Str& v);
  bool bytes(const Bytes& v);
  bool i16array(const I16Array& v);
  // The u8 count in front of strs and lists.
  bool count(size_t n);

  size_t size() const { return size_; }
  WireError error() const { return error_; }
  bool ok() const { return error_ == WireError::kOk; }

 private:
  bool raw(const uint8_t* data, size_t size);
  bool fail(WireError error);

  uint8_t* out_;
  size_t capacity_;
  size_t size_ = 0;
  WireError error_ = WireError::kOk;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool u8(uint8_t* v);
  bool u16(uint16_t* v);
  bool u32(uint32_t* v);
  bool i16(int16_t* v);
  bool i32(int32_t* v);
  bool f32(float* v);
  bool str(Str* v);
  bool bytes(Bytes* v);
  bool i16array(I16Array* v);
  // The u8 count in front of strs and lists; fails with kTooMany above `max_items`.
  bool count(size_t* n, size_t max_items);
  // After the last field: fails with kTrailingBytes if anything is left.
  bool finish();
  // A message's own consistency check failed: fails with kBadValue.
  bool reject() { return fail(WireError::kBadValue); }

  size_t remaining() const { return size_ - pos_; }
  WireError error() const { return error_; }
  bool ok() const { return error_ == WireError::kOk; }

 private:
  // Consumes `size` bytes and points *at at them, or fails with kTruncated.
  bool take(size_t size, const uint8_t** at);
  bool fail(WireError error);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  WireError error_ = WireError::kOk;
};

}  // namespace protocol
}  // namespace wandlab
