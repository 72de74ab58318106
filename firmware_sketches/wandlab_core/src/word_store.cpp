// The board's wake words in flash; see word_store.h.

#include "word_store.h"

#include <cstring>

#include "crc32.h"
#include "little_endian.h"

namespace wandlab {
namespace words {

namespace wp = protocol;

namespace {

constexpr uint8_t kMagic[4] = {'W', 'L', 'W', 'D'};

using le::get_f32;
using le::get_u32;
using le::put_f32;
using le::put_u32;

// Python's sorted() on str: code point order, which byte order of UTF-8 keeps.
bool label_less(const char* a, const char* b) { return std::strcmp(a, b) < 0; }

}  // namespace

WordStore::WordStore(RecordStore* record, bool has_model, uint32_t model_crc)
    : store_(record), has_model_(has_model), model_crc_(model_crc) {
  reset();
  load();
}

void WordStore::reset() {
  std::memcpy(record_, kMagic, 4);
  record_[4] = kRecordVersion;
  record_[5] = 0;
  record_[6] = 0;
  record_[7] = 0;
  put_u32(record_ + 8, model_crc_);
  count_ = 0;
}

size_t WordStore::word_bytes(size_t at) const {
  return kWordHeaderBytes + record_[at + 2] + 1u + static_cast<size_t>(record_[at + 1]) * dim();
}

size_t WordStore::offset(size_t i) const {
  size_t at = kHeaderBytes;
  for (size_t k = 0; k < i; ++k) at += word_bytes(at);
  return at;
}

bool WordStore::valid(size_t size) const {
  if (size < kHeaderBytes + 4 || std::memcmp(record_, kMagic, 4) != 0 || record_[4] != kRecordVersion) return false;
  const size_t words = record_[6];
  const size_t d = record_[5];
  if (words > kMaxWords || (words > 0 && (d == 0 || d > wake::kMaxEmbeddingDim))) return false;
  size_t at = kHeaderBytes;
  size_t pool = 0;
  int last_id = -1;
  for (size_t i = 0; i < words; ++i) {
    if (at + kWordHeaderBytes > size - 4) return false;
    const uint8_t* w = record_ + at;
    const size_t label = w[2];
    if (static_cast<int>(w[0]) <= last_id || w[0] >= kMaxWords || w[1] == 0 || w[1] > wake::kMaxRefsPerWord ||
        label == 0 || label > kMaxLabelBytes) {
      return false;
    }
    last_id = w[0];
    const float threshold = get_f32(w + 4);
    if (!(threshold > 0.0f && threshold < 2.0f)) return false;
    const size_t bytes = kWordHeaderBytes + label + 1 + static_cast<size_t>(w[1]) * d;
    if (at + bytes > size - 4 || w[kWordHeaderBytes + label] != '\0' ||
        std::memchr(w + kWordHeaderBytes, '\0', label) != nullptr) {
      return false;
    }
    pool += static_cast<size_t>(w[1]) * d;
    at += bytes;
  }
  return at == size - 4 && pool <= kPoolBytes && wp::crc32(record_, at) == get_u32(record_ + at);
}

void WordStore::load() {
  if (store_ == nullptr) return;
  size_t size = sizeof(record_);
  if (!store_->load(record_, &size)) {
    reset();
    return;
  }
  if (!valid(size)) {
    reset();
    Text text;
    text.add("the stored wake words are damaged (the record does not check out) and were not loaded; enrol them again");
    add_note(text);
    return;
  }
  count_ = record_[6];
  const uint32_t stored_crc = get_u32(record_ + 8);
  if (!has_model_ || stored_crc == model_crc_) return;  // no speech model: kept for a firmware that has one
  if (count_ > 0) {
    // The labels in Python's sorted() order.
    const char* names[kMaxWords];
    for (size_t i = 0; i < count_; ++i) {
      const char* label = word(i).label;
      size_t k = i;
      for (; k > 0 && label_less(label, names[k - 1]); --k) names[k] = names[k - 1];
      names[k] = label;
    }
    Text text;
    text.add("the board's speech model changed: dropped the wake words ");
    for (size_t i = 0; i < count_; ++i) text.add(i > 0 ? ", " : "").add(names[i]);
    text.add(" (made by the previous one); enrol them again");
    add_note(text);
  }
  reset();
  Text ignored;
  save(&ignored);
}

void WordStore::add_note(Text& text) {
  if (note_count_ < kMaxNotes) text.copy_to(notes_[note_count_++], sizeof(notes_[0]));
}

wake::Word WordStore::word(size_t i) const {
  if (i >= count_) return wake::Word{0, "", nullptr, 0, 0.0f};
  const uint8_t* w = record_ + offset(i);
  const char* label = reinterpret_cast<const char*>(w + kWordHeaderBytes);
  const int8_t* codes = reinterpret_cast<const int8_t*>(w + kWordHeaderBytes + w[2] + 1);
  return wake::Word{w[0], label, codes, w[1], get_f32(w + 4)};
}

size_t WordStore::find_id(uint8_t word_id) const {
  for (size_t i = 0, at = kHeaderBytes; i < count_; at += word_bytes(at), ++i) {
    if (record_[at] == word_id) return i;
  }
  return count_;
}

size_t WordStore::find_label(const wp::Str& label) const {
  for (size_t i = 0, at = kHeaderBytes; i < count_; at += word_bytes(at), ++i) {
    if (record_[at + 2] == label.size && std::memcmp(record_ + at + kWordHeaderBytes, label.data, label.size) == 0) {
      return i;
    }
  }
  return count_;
}

uint8_t WordStore::free_id() const {
  for (size_t id = 0; id < kMaxWords; ++id) {
    if (find_id(static_cast<uint8_t>(id)) == count_) return static_cast<uint8_t>(id);
  }
  return wp::kAnyWord;
}

bool WordStore::has_room(uint8_t word_id, size_t refs, size_t dim) const {
  // The pool after the change: the other words' references and this one's.
  size_t pool = refs * dim;
  for (size_t i = 0, at = kHeaderBytes; i < count_; at += word_bytes(at), ++i) {
    if (record_[at] != word_id) pool += static_cast<size_t>(record_[at + 1]) * this->dim();
  }
  return pool <= kPoolBytes;
}

bool WordStore::put(uint8_t word_id, const wp::Str& label, float threshold, const int8_t* codes, size_t refs,
                    size_t dim, Text* problem) {
  if (word_id >= kMaxWords || label.size == 0 || label.size > kMaxLabelBytes || refs == 0 ||
      refs > wake::kMaxRefsPerWord || dim == 0 || dim > wake::kMaxEmbeddingDim ||
      std::memchr(label.data, '\0', label.size) != nullptr || (count_ > 0 && dim != this->dim())) {
    problem->add("the board cannot store this wake word");
    return false;
  }
  if (!has_room(word_id, refs, dim)) {
    problem->add("the board has no room for more wake word references (")
        .add_int(static_cast<int64_t>(kPoolBytes))
        .add(" bytes): clear a word first");
    return false;
  }
  // Out with the old word of this id, then in at its place in id order.
  const size_t old = find_id(word_id);
  if (old < count_) {
    const size_t at = offset(old);
    const size_t bytes = word_bytes(at);
    std::memmove(record_ + at, record_ + at + bytes, offset(count_) - at - bytes);
    --count_;
  }
  size_t index = 0;
  size_t at = kHeaderBytes;
  while (index < count_ && record_[at] < word_id) {
    at += word_bytes(at);
    ++index;
  }
  const size_t bytes = kWordHeaderBytes + label.size + 1 + refs * dim;
  std::memmove(record_ + at + bytes, record_ + at, offset(count_) - at);
  uint8_t* w = record_ + at;
  w[0] = word_id;
  w[1] = static_cast<uint8_t>(refs);
  w[2] = static_cast<uint8_t>(label.size);
  w[3] = 0;
  put_f32(w + 4, threshold);
  std::memcpy(w + kWordHeaderBytes, label.data, label.size);
  w[kWordHeaderBytes + label.size] = '\0';
  std::memcpy(w + kWordHeaderBytes + label.size + 1, codes, refs * dim);
  ++count_;
  record_[5] = static_cast<uint8_t>(dim);
  return save(problem);
}

bool WordStore::clear(uint8_t word_id, Text* problem) {
  if (word_id == wp::kAnyWord) {
    reset();
  } else {
    const size_t i = find_id(word_id);
    if (i == count_) return true;
    const size_t at = offset(i);
    const size_t bytes = word_bytes(at);
    std::memmove(record_ + at, record_ + at + bytes, offset(count_) - at - bytes);
    --count_;
  }
  return save(problem);
}

bool WordStore::save(Text* problem) {
  record_[6] = static_cast<uint8_t>(count_);
  if (count_ == 0) record_[5] = 0;
  const size_t end = offset(count_);
  put_u32(record_ + end, wp::crc32(record_, end));
  if (store_ == nullptr || store_->save(record_, end + 4)) return true;
  problem->add("the word store cannot be written (the flash write failed)");
  // Back to what flash holds, so the words in RAM are the ones a power cycle brings back.
  size_t size = sizeof(record_);
  if (store_->load(record_, &size) && valid(size) && get_u32(record_ + 8) == model_crc_) {
    count_ = record_[6];
  } else {
    reset();
  }
  return false;
}

}  // namespace words
}  // namespace wandlab
