// The board image: structural validation of the one blob the host pushes to a model slot.
//
// The C++ twin of the layout half of app/wandlab/onboard/board_image.py (unpack), in the same order, so
// both sides refuse the same bytes for the same reason (tests/test_board_image.cpp on the golden images
// tests/vectors/board_image_*.bin, and tests/firmware/test_host_build.py on random damage):
//
//   "WLBI"  u16 version (1)  u16 section count  then per section: 4-byte tag, u32 length, data
//   (little-endian; sections TFLM, FEAT, LABL, REFS, each exactly once, in any order; nothing after them)
//
// What this checks: magic, version, count, every header and length inside the buffer, every tag known
// and present exactly once, no trailing bytes, and that the TFLM section starts like a .tflite flatbuffer
// (identifier "TFL3" at offset 4, the root table and its vtable inside the section). What it does not:
// the JSON sections (FEAT, LABL, REFS), that labels and references agree, the flatbuffer as a whole,
// the ops and the tensor arena. A board must run the flatbuffers Verifier (tflite::VerifyModelBuffer)
// and then let TFLM allocate the model in a scratch interpreter before switching slots; TFLM itself does
// not verify, and a damaged flatbuffer makes it read out of bounds.
//
// No heap: the result is views (pointer, size) into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace board_image {

constexpr uint8_t kMagic[4] = {'W', 'L', 'B', 'I'};
constexpr uint16_t kVersion = 1;
constexpr size_t kHeaderBytes = 8;         // magic, version, section count
constexpr size_t kSectionHeaderBytes = 8;  // tag, length
constexpr uint16_t kMaxSections = 16;      // more is corruption, not a bigger model
constexpr size_t kMaxImageBytes = 4u * 1024u * 1024u;
constexpr uint8_t kTfliteIdentifier[4] = {'T', 'F', 'L', '3'};

// The sections, in the order Python writes them.
enum class Section : uint8_t { kTflm = 0, kFeat, kLabl, kRefs };
constexpr size_t kSectionCount = 4;

// Why an image is refused; kOk when it is structurally valid. In the order they are checked.
enum class Reason : uint8_t {
  kOk = 0,
  kTooLarge,                // more than kMaxImageBytes
  kTruncatedHeader,         // shorter than the 8-byte header
  kBadMagic,                // does not start with "WLBI"
  kBadVersion,              // a version this firmware does not read
  kTooManySections,         // count above kMaxSections
  kTruncatedSectionHeader,  // a section header runs past the end
  kUnknownSection,          // a tag other than TFLM, FEAT, LABL, REFS
  kDuplicateSection,        // a tag seen twice
  kTruncatedSection,        // a section's length runs past the end
  kTrailingBytes,           // bytes after the last section
  kMissingSection,          // one of the four sections is absent
  kNotTflite,               // the TFLM section has no "TFL3" identifier at offset 4
  kBadTfliteRoot,           // the TFLM root table or its vtable lies outside the section
};

// A stable name per reason ("ok", "truncated_section", ...): the golden files' manifest uses them.
const char* reason_name(Reason reason);

struct View {
  const uint8_t* data = nullptr;
  uint32_t size = 0;
};

struct Image {
  uint16_t version = 0;
  View sections[kSectionCount];
  const View& section(Section s) const { return sections[static_cast<size_t>(s)]; }
};

// Checks `size` bytes at `data` (may be null only when size is 0). On kOk fills `out` (if not null) with
// views into `data`; otherwise leaves it untouched.
Reason validate(const uint8_t* data, size_t size, Image* out);

}  // namespace board_image
}  // namespace wandlab
