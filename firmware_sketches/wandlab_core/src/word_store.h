// The board's wake words, kept in flash: each word's id, label, threshold and the speech model's raw
// int8 outputs for its enrolment's utterances, under the CRC-32 of the speech model that made them.
// Twin of app/wandlab/virtual/word_store.py (WordStore): embeddings belong to the network that computed
// them, so words stored under another speech model are dropped at boot with a note instead of
// answering wrongly; a record that does not check out is ignored with a note.
//
// The RAM buffer *is* the persisted record (as refs::RefStore's), so saving needs no second buffer:
//   "WLWD", u8 version, u8 dim, u8 words, u8 0, u32 speech model CRC-32;
//   then the words in ascending id: u8 id, u8 references, u8 label size, u8 0, f32 threshold, the label
//   and a NUL, references * dim int8 codes;
//   then the zlib CRC-32 of everything before it. Little-endian.
// A change is saved at once; when the save fails the store reloads what flash holds, so RAM never
// claims words that would be gone after a power cycle.
//
// Limits: 16 words (protocol kMaxWords), 8 references of at most 64 values each (wake::kMaxRefsPerWord,
// kMaxEmbeddingDim), labels of 1-64 bytes, and kPoolBytes of references in all (a build short of RAM
// defines WANDLAB_WORD_POOL_BYTES; the default, 4 KB, holds 16 full words of 32-value references, so
// only Python's own limits apply). RAM: sizeof(WordStore) is the record (5.3 KB with the default pool)
// and the notes (0.5 KB).
#pragma once

#include <cstddef>
#include <cstdint>

#include "message_text.h"
#include "messages.h"
#include "record_store.h"
#include "wake_detector.h"

#ifndef WANDLAB_WORD_POOL_BYTES
#define WANDLAB_WORD_POOL_BYTES (16 * 8 * 32)
#endif

namespace wandlab {
namespace words {

constexpr size_t kMaxWords = protocol::kMaxWords;
constexpr size_t kMaxLabelBytes = 64;
constexpr size_t kPoolBytes = WANDLAB_WORD_POOL_BYTES;
constexpr uint8_t kRecordVersion = 1;
constexpr size_t kHeaderBytes = 12;
constexpr size_t kWordHeaderBytes = 8;
constexpr size_t kMaxRecordBytes = kHeaderBytes + kMaxWords * (kWordHeaderBytes + kMaxLabelBytes + 1) + kPoolBytes + 4;
static_assert(kMaxWords == wake::kMaxWords, "the protocol's word ids and the detector's words agree");
static_assert(kPoolBytes >= wake::kMaxRefsPerWord * wake::kMaxEmbeddingDim,
              "WANDLAB_WORD_POOL_BYTES must hold one full word");

class WordStore {
 public:
  // `has_model`: the board has a speech model, whose CRC-32 is `model_crc`. Without one, stored words
  // are kept (for a firmware that has it) but not offered. record null: nothing persists.
  WordStore(RecordStore* record, bool has_model, uint32_t model_crc);
  WordStore(const WordStore&) = delete;
  WordStore& operator=(const WordStore&) = delete;

  size_t count() const { return count_; }
  size_t dim() const { return record_[5]; }
  // Word i in ascending id order, as the detector takes it (views into the record: valid until the
  // next change).
  wake::Word word(size_t i) const;
  // Index of the word with this id / label, or count().
  size_t find_id(uint8_t word_id) const;
  size_t find_label(const protocol::Str& label) const;
  // The lowest id no word has, or protocol::kAnyWord when all 16 are taken.
  uint8_t free_id() const;

  // Whether `refs` references of `dim` values fit, the word with this id replaced.
  bool has_room(uint8_t word_id, size_t refs, size_t dim) const;
  // Stores the word (replacing the one with that id): true, or false with why not in *problem (nothing
  // changed). The caller has checked the id, label, dim and count against the protocol's rules.
  bool put(uint8_t word_id, const protocol::Str& label, float threshold, const int8_t* codes, size_t refs,
           size_t dim, Text* problem);
  // Forgets the word with this id (every word for kAnyWord); false with *problem when flash failed.
  bool clear(uint8_t word_id, Text* problem);

  // What the board says at boot (Log WARNING): a damaged record, words of another speech model.
  size_t note_count() const { return note_count_; }
  const char* note(size_t i) const { return i < note_count_ ? notes_[i] : ""; }

 private:
  static constexpr size_t kMaxNotes = 2;

  void load();
  bool valid(size_t size) const;
  void reset();
  size_t offset(size_t i) const;
  size_t word_bytes(size_t at) const;
  size_t size() const { return offset(count_) + 4; }
  bool save(Text* problem);
  void add_note(Text& text);

  RecordStore* store_;
  bool has_model_;
  uint32_t model_crc_;
  size_t count_ = 0;
  uint8_t record_[kMaxRecordBytes] = {};
  char notes_[kMaxNotes][Text::kMaxBytes + 1] = {};
  size_t note_count_ = 0;
};

}  // namespace words
}  // namespace wandlab
