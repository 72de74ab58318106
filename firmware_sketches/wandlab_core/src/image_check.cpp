#include "image_check.h"

#include <cstring>

#include "board_image.h"

namespace wandlab {
namespace image_check {
namespace {

namespace bi = board_image;

// A sentence built into a fixed buffer; whatever does not fit is cut (always NUL-terminated).
class Text {
 public:
  Text(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {
    if (capacity_ > 0) buffer_[0] = '\0';
  }
  Text& add(const char* s) {
    while (*s != '\0' && length_ + 1 < capacity_) buffer_[length_++] = *s++;
    if (capacity_ > 0) buffer_[length_] = '\0';
    return *this;
  }
  Text& add(int64_t v) {
    char digits[24];
    size_t n = 0;
    uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    do {
      digits[n++] = static_cast<char>('0' + magnitude % 10);
      magnitude /= 10;
    } while (magnitude != 0);
    if (v < 0) digits[n++] = '-';
    char text[24];
    for (size_t i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    text[n] = '\0';
    return add(text);
  }
  const char* str() const { return capacity_ > 0 ? buffer_ : ""; }

 private:
  char* buffer_;
  size_t capacity_;
  size_t length_ = 0;
};

uint16_t u16_at(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Python's unpack() sentences, without the details the structural validator does not report.
const char* layout_refusal(bi::Reason reason, const uint8_t* image, size_t size, Text& text) {
  switch (reason) {
    case bi::Reason::kOk:
      return "";
    case bi::Reason::kTooLarge:
      return text.add("board image is ").add(static_cast<int64_t>(size)).add(" bytes, more than ")
          .add(static_cast<int64_t>(bi::kMaxImageBytes)).add(": not an image").str();
    case bi::Reason::kTruncatedHeader:
      return text.add("board image truncated: ").add(static_cast<int64_t>(size)).add(" bytes, the header alone is ")
          .add(static_cast<int64_t>(bi::kHeaderBytes)).str();
    case bi::Reason::kBadMagic:
      return "not a Wandlab board image (it does not start with WLBI)";
    case bi::Reason::kBadVersion:
      return text.add("board image version ").add(static_cast<int64_t>(u16_at(image + 4)))
          .add(" is not supported (this side reads v").add(static_cast<int64_t>(bi::kVersion)).add(")").str();
    case bi::Reason::kTooManySections:
      return text.add("board image claims ").add(static_cast<int64_t>(u16_at(image + 6)))
          .add(" sections; at most ").add(static_cast<int64_t>(bi::kMaxSections)).add(" are plausible").str();
    case bi::Reason::kTruncatedSectionHeader:
      return "board image truncated in the header of a section";
    case bi::Reason::kUnknownSection:
      return "board image has an unknown section (known: TFLM, FEAT, LABL, REFS)";
    case bi::Reason::kDuplicateSection:
      return "board image has a section twice";
    case bi::Reason::kTruncatedSection:
      return "board image truncated: a section is longer than the bytes that remain";
    case bi::Reason::kTrailingBytes:
      return "board image has unexpected bytes after its last section";
    case bi::Reason::kMissingSection:
      return "board image is missing a section (it needs TFLM, FEAT, LABL and REFS)";
    case bi::Reason::kNotTflite:
      return "board image TFLM section is not a .tflite flatbuffer (no TFL3 identifier)";
    case bi::Reason::kBadTfliteRoot:
      return "board image TFLM section is damaged: its root table or vtable is outside the section";
  }
  return "board image refused for an unknown reason";
}

// --- just enough JSON to skip a value -----------------------------------------------------------------

class Scanner {
 public:
  Scanner(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool eat(char c) {
    skip_ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool done() {
    skip_ws();
    return p_ == end_;
  }
  // After the opening quote: to just past the closing one. Sets *plain when there was no escape.
  bool string(const uint8_t** begin, const uint8_t** stop, bool* plain) {
    *begin = p_;
    *plain = true;
    while (p_ < end_) {
      const uint8_t c = *p_++;
      if (c == '"') {
        *stop = p_ - 1;
        return true;
      }
      if (c == '\\') {
        *plain = false;
        if (p_ == end_) return false;
        ++p_;
      }
    }
    return false;
  }
  bool skip_value() {
    skip_ws();
    if (p_ == end_) return false;
    const uint8_t first = *p_;
    if (first == '"' || first == '{' || first == '[') {
      size_t depth = 0;
      do {
        if (p_ == end_) return false;
        const uint8_t c = *p_++;
        if (c == '"') {
          const uint8_t* b;
          const uint8_t* e;
          bool plain;
          if (!string(&b, &e, &plain)) return false;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if (c == '}' || c == ']') {
          if (depth == 0) return false;
          --depth;
        }
      } while (depth > 0);
      return true;
    }
    const uint8_t* start = p_;  // number or literal: up to the next separator
    while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' && *p_ != ' ' && *p_ != '\t' && *p_ != '\n' &&
           *p_ != '\r') {
      ++p_;
    }
    return p_ > start;
  }
  // A JSON integer token (no fraction, no exponent) within int64.
  bool integer(int64_t* value) {
    skip_ws();
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9') return false;  // leading zero
    uint64_t magnitude = 0;
    const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      const uint64_t digit = static_cast<uint64_t>(*p_++ - '0');
      if (magnitude > (limit - digit) / 10) return false;
      magnitude = magnitude * 10 + digit;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

bool section_integer(const bi::View& section, const char* key, int64_t* value) {
  return top_level_integer(section.data, section.size, key, value);
}

}  // namespace

bool top_level_integer(const uint8_t* json, size_t size, const char* key, int64_t* value) {
  if (json == nullptr) return false;
  Scanner s(json, size);
  if (!s.eat('{')) return false;
  const size_t key_length = std::strlen(key);
  bool found = false;
  int64_t last = 0;
  if (!s.eat('}')) {
    do {
      if (!s.eat('"')) return false;
      const uint8_t* begin;
      const uint8_t* end;
      bool plain;
      if (!s.string(&begin, &end, &plain) || !s.eat(':')) return false;
      const bool match =
          plain && static_cast<size_t>(end - begin) == key_length && std::memcmp(begin, key, key_length) == 0;
      if (match) {
        int64_t v;
        if (s.integer(&v)) {
          found = true;
          last = v;
        } else {
          found = false;  // the last duplicate is what counts, and it is not an integer
          if (!s.skip_value()) return false;
        }
      } else if (!s.skip_value()) {
        return false;
      }
    } while (s.eat(','));
    if (!s.eat('}')) return false;
  }
  if (!s.done()) return false;  // only whitespace may follow the object
  if (found) *value = last;
  return found;
}

const char* check_board_image(const uint8_t* image, size_t size, tflm::ModelRunner& runner, char* message,
                              size_t message_bytes) {
  Text text(message, message_bytes);
  bi::Image parsed;
  const bi::Reason reason = bi::validate(image, size, &parsed);
  if (reason != bi::Reason::kOk) {
    runner.unload();
    return layout_refusal(reason, image, size, text);
  }

  int64_t window = 0;
  int64_t channels = 0;
  int64_t dim = 0;
  if (!section_integer(parsed.section(bi::Section::kFeat), "window", &window) ||
      !section_integer(parsed.section(bi::Section::kFeat), "channels", &channels)) {
    runner.unload();
    return "board image FEAT section has no integer window and channels";
  }
  if (!section_integer(parsed.section(bi::Section::kRefs), "dim", &dim)) {
    runner.unload();
    return "board image REFS section has no integer dim";
  }

  const bi::View& model = parsed.section(bi::Section::kTflm);
  const char* why = runner.load(model.data, model.size);
  if (why[0] != '\0') return why;

  // _check_io: the input exactly (1, window, channels), the output's last dimension the references' width.
  const size_t in_rank = runner.input_rank();
  const bool input_ok = in_rank == 3 && runner.input_dim(0) == 1 && runner.input_dim(1) == window &&
                        runner.input_dim(2) == channels;
  const size_t out_rank = runner.output_rank();
  const bool output_ok = out_rank >= 1 && runner.output_dim(out_rank - 1) == dim;
  if (input_ok && output_ok) return "";

  if (!input_ok) {
    text.add("model input is (");
    for (size_t i = 0; i < in_rank; ++i) text.add(i == 0 ? "" : ", ").add(static_cast<int64_t>(runner.input_dim(i)));
    text.add(in_rank == 1 ? ",)" : ")").add(" int8, its features need (1, ").add(window).add(", ").add(channels)
        .add(") int8");
  } else {
    text.add("model output (");
    for (size_t i = 0; i < out_rank; ++i) text.add(i == 0 ? "" : ", ").add(static_cast<int64_t>(runner.output_dim(i)));
    text.add(out_rank == 1 ? ",)" : ")").add(" int8 does not match the ").add(dim).add("-D int8 references");
  }
  runner.unload();
  return text.str();
}

}  // namespace image_check
}  // namespace wandlab
