// Structural validation of a board image, the C++ twin of onboard/board_image.py's unpack. See board_image.h.

#include "board_image.h"

#include <cstring>

namespace wandlab {
namespace board_image {
namespace {

constexpr uint8_t kTags[kSectionCount][4] = {
    {'T', 'F', 'L', 'M'}, {'F', 'E', 'A', 'T'}, {'L', 'A', 'B', 'L'}, {'R', 'E', 'F', 'S'}};

uint16_t u16_at(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

uint32_t u32_at(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

// The index of a known tag, or kSectionCount.
size_t tag_index(const uint8_t* tag) {
  for (size_t i = 0; i < kSectionCount; ++i) {
    if (std::memcmp(tag, kTags[i], 4) == 0) return i;
  }
  return kSectionCount;
}

// The flatbuffer head: root table offset, then the table's signed offset back to its vtable, then the
// vtable's own size and the table's inline size; all must lie inside the section (as Python checks).
Reason check_tflite(const View& model) {
  if (model.size < 8 || std::memcmp(model.data + 4, kTfliteIdentifier, 4) != 0) return Reason::kNotTflite;
  const int64_t size = model.size;
  const int64_t root = u32_at(model.data);
  if (root < 8 || root > size - 4) return Reason::kBadTfliteRoot;
  const int64_t back = static_cast<int32_t>(u32_at(model.data + root));
  const int64_t vtable = root - back;
  if (vtable < 0 || vtable > size - 4) return Reason::kBadTfliteRoot;
  const int64_t vtable_size = u16_at(model.data + vtable);
  const int64_t table_size = u16_at(model.data + vtable + 2);
  if (vtable_size < 4 || vtable_size % 2 != 0 || vtable + vtable_size > size) return Reason::kBadTfliteRoot;
  if (table_size < 4 || table_size > size - root) return Reason::kBadTfliteRoot;
  return Reason::kOk;
}

}  // namespace

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kOk: return "ok";
    case Reason::kTooLarge: return "too_large";
    case Reason::kTruncatedHeader: return "truncated_header";
    case Reason::kBadMagic: return "bad_magic";
    case Reason::kBadVersion: return "bad_version";
    case Reason::kTooManySections: return "too_many_sections";
    case Reason::kTruncatedSectionHeader: return "truncated_section_header";
    case Reason::kUnknownSection: return "unknown_section";
    case Reason::kDuplicateSection: return "duplicate_section";
    case Reason::kTruncatedSection: return "truncated_section";
    case Reason::kTrailingBytes: return "trailing_bytes";
    case Reason::kMissingSection: return "missing_section";
    case Reason::kNotTflite: return "not_tflite";
    case Reason::kBadTfliteRoot: return "bad_tflite_root";
  }
  return "unknown_reason";
}

Reason validate(const uint8_t* data, size_t size, Image* out) {
  if (size > kMaxImageBytes) return Reason::kTooLarge;
  if (data == nullptr || size < kHeaderBytes) return Reason::kTruncatedHeader;
  if (std::memcmp(data, kMagic, 4) != 0) return Reason::kBadMagic;
  Image image;
  image.version = u16_at(data + 4);
  if (image.version != kVersion) return Reason::kBadVersion;
  const uint16_t count = u16_at(data + 6);
  if (count > kMaxSections) return Reason::kTooManySections;
  bool seen[kSectionCount] = {};
  size_t at = kHeaderBytes;
  for (uint16_t i = 0; i < count; ++i) {
    if (size - at < kSectionHeaderBytes) return Reason::kTruncatedSectionHeader;
    const size_t index = tag_index(data + at);
    const uint32_t length = u32_at(data + at + 4);
    at += kSectionHeaderBytes;
    if (index == kSectionCount) return Reason::kUnknownSection;
    if (seen[index]) return Reason::kDuplicateSection;
    if (length > size - at) return Reason::kTruncatedSection;  // size - at cannot wrap: at <= size
    seen[index] = true;
    image.sections[index] = View{data + at, length};
    at += length;
  }
  if (at != size) return Reason::kTrailingBytes;
  for (bool present : seen) {
    if (!present) return Reason::kMissingSection;
  }
  const Reason tflite = check_tflite(image.section(Section::kTflm));
  if (tflite != Reason::kOk) return tflite;
  if (out != nullptr) *out = image;
  return Reason::kOk;
}

}  // namespace board_image
}  // namespace wandlab
