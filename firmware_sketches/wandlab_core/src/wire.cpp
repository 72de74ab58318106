#include "wire.h"

#include <cstring>

namespace wandlab {
namespace protocol {

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "I16Array::of_samples and f32 assume a little-endian target");
#endif

const char* wire_error_name(WireError error) {
  switch (error) {
    case WireError::kOk: return "ok";
    case WireError::kTruncated: return "payload ends inside a field";
    case WireError::kTrailingBytes: return "unexpected trailing bytes";
    case WireError::kBadUtf8: return "text is not valid UTF-8";
    case WireError::kTooMany: return "too many items";
    case WireError::kTooLong: return "value too long for its field";
    case WireError::kNoRoom: return "output buffer full";
    case WireError::kWrongType: return "packet carries another message type";
    case WireError::kBadValue: return "fields contradict each other";
  }
  return "?";
}

Str Str::of(const char* text) {
  Str s;
  s.data = text;
  s.size = std::strlen(text);
  return s;
}

bool Str::equals(const char* text) const {
  return std::strlen(text) == size && std::memcmp(data, text, size) == 0;
}

I16Array I16Array::of_samples(const int16_t* samples, size_t count) {
  I16Array a;
  a.le = reinterpret_cast<const uint8_t*>(samples);
  a.count = count;
  return a;
}

bool is_valid_utf8(const uint8_t* s, size_t size) {
  size_t i = 0;
  while (i < size) {
    const uint8_t b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint8_t lo = 0x80;  // allowed range of the second byte (rules out overlong forms, surrogates)
    uint8_t hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      extra = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      extra = 2;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      extra = 3;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (size - i <= extra) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= extra; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
    }
    i += extra + 1;
  }
  return true;
}

// -- Writer -------------------------------------------------------------------------------------

bool Writer::fail(WireError error) {
  if (error_ == WireError::kOk) error_ = error;
  return false;
}

bool Writer::raw(const uint8_t* data, size_t size) {
  if (!ok()) return false;
  if (size > capacity_ - size_) return fail(WireError::kNoRoom);
  if (size > 0) std::memcpy(out_ + size_, data, size);
  size_ += size;
  return true;
}

bool Writer::u8(uint8_t v) { return raw(&v, 1); }

bool Writer::u16(uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  return raw(b, 2);
}

bool Writer::u32(uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                        static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
  return raw(b, 4);
}

bool Writer::f32(float v) {
  static_assert(sizeof(float) == 4, "f32 needs a 32-bit float");
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return u32(bits);
}

bool Writer::str(const Str& v) {
  if (v.size > 0xFF) return fail(WireError::kTooLong);
  return u8(static_cast<uint8_t>(v.size)) && raw(reinterpret_cast<const uint8_t*>(v.data), v.size);
}

bool Writer::bytes(const Bytes& v) {
  if (v.size > 0xFFFF) return fail(WireError::kTooLong);
  return u16(static_cast<uint16_t>(v.size)) && raw(v.data, v.size);
}

bool Writer::i16array(const I16Array& v) {
  if (v.count > 0xFFFF) return fail(WireError::kTooLong);
  return u16(static_cast<uint16_t>(v.count)) && raw(v.le, 2 * v.count);
}

bool Writer::count(size_t n) {
  if (n > 0xFF) return fail(WireError::kTooMany);
  return u8(static_cast<uint8_t>(n));
}

// -- Reader -------------------------------------------------------------------------------------

bool Reader::fail(WireError error) {
  if (error_ == WireError::kOk) error_ = error;
  return false;
}

bool Reader::take(size_t size, const uint8_t** at) {
  if (!ok()) return false;
  if (size > size_ - pos_) return fail(WireError::kTruncated);
  *at = data_ + pos_;
  pos_ += size;
  return true;
}

bool Reader::u8(uint8_t* v) {
  const uint8_t* p;
  if (!take(1, &p)) return false;
  *v = p[0];
  return true;
}

bool Reader::u16(uint16_t* v) {
  const uint8_t* p;
  if (!take(2, &p)) return false;
  *v = static_cast<uint16_t>(p[0] | p[1] << 8);
  return true;
}

bool Reader::u32(uint32_t* v) {
  const uint8_t* p;
  if (!take(4, &p)) return false;
  *v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
       static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  return true;
}

bool Reader::i16(int16_t* v) {
  uint16_t u;
  if (!u16(&u)) return false;
  *v = static_cast<int16_t>(u);
  return true;
}

bool Reader::i32(int32_t* v) {
  uint32_t u;
  if (!u32(&u)) return false;
  *v = static_cast<int32_t>(u);
  return true;
}

bool Reader::f32(float* v) {
  uint32_t bits;
  if (!u32(&bits)) return false;
  std::memcpy(v, &bits, 4);
  return true;
}

bool Reader::str(Str* v) {
  uint8_t n;
  const uint8_t* p;
  if (!u8(&n) || !take(n, &p)) return false;
  if (!is_valid_utf8(p, n)) return fail(WireError::kBadUtf8);
  v->data = reinterpret_cast<const char*>(p);
  v->size = n;
  return true;
}

bool Reader::bytes(Bytes* v) {
  uint16_t n;
  const uint8_t* p;
  if (!u16(&n) || !take(n, &p)) return false;
  v->data = p;
  v->size = n;
  return true;
}

bool Reader::i16array(I16Array* v) {
  uint16_t n;
  const uint8_t* p;
  if (!u16(&n) || !take(2 * static_cast<size_t>(n), &p)) return false;
  v->le = p;
  v->count = n;
  return true;
}

bool Reader::count(size_t* n, size_t max_items) {
  uint8_t c;
  if (!u8(&c)) return false;
  if (c > max_items) return fail(WireError::kTooMany);
  *n = c;
  return true;
}

bool Reader::finish() {
  if (!ok()) return false;
  if (pos_ != size_) return fail(WireError::kTrailingBytes);
  return true;
}

}  // namespace protocol
}  // namespace wandlab
