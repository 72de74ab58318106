// The board's class table: the active image's classes plus the board's own, and the enroll family's
// requests on it (RefList, RefClear, RefUpload, RefDownload) and decisions over it.
//
// The C++ twin of app/wandlab/virtual/refs.py (RefStore, enrolled_threshold) and of the parts of
// app/wandlab/virtual/recognizer.py that read or change it (decide, _upload, _store_enrollment,
// _confusable, _start_enrollment's checks, the RefList/RefClear/RefDownload branches of handle()) and of
// enrollment.py's check_start/merged_shots, with Python's error texts byte for byte
// (tests/firmware/test_knn_twin.py drives both with the same requests and compares the encoded replies).
//
// Two layers, as in Python:
// - the image's classes (class id = index in the image): read in place from the REFS section in flash
//   (board_image::Refs). Their references are never copied to RAM; a decision decodes them from the JSON
//   as it goes (about 6 KB of text for the shipped 50 x 32 references). Only the small per-class values
//   are kept: the decoded label, threshold, margin and reference count.
// - the board's own classes (enrolled, uploaded, and tombstones: an image class the user cleared) in
//   RAM, persisted after every change through a RecordStore. A board class with an image class's id
//   replaces it; a tombstone (no references) hides it.
//
// The RAM buffer *is* the persisted record, so saving needs no second buffer:
//   "WLRS", u8 version (2), u8 dim, u8 entries, u8 key size, key[64], u8 has network, sha256[32], pad to 112;
//   entries (ascending class id), 88 bytes each: u8 id, u8 source, u8 count (0: tombstone), u8 label
//   size, i64 threshold, f64 margin, label[64], u8 shape frames, u8 shape channels (0, 0: no shape
//   codes), 2 bytes zero; then per entry in entry order its references (count * dim bytes) and their
//   takes' shape codes (count * frames * channels bytes); then the zlib CRC-32 of everything before it.
//   Little-endian. Version 1 (84-byte entries without the shape bytes) is converted at boot.
// A record that does not check out (size, CRC, version, limits) is ignored at boot: the board starts
// without classes of its own, as Python does with a refs.json it cannot read.
//
// Ranking (BoardRecognizer.decide): by embedding + DTW (shape_dtw.h) when the query has shape codes and
// every class holds its references' codes of the same size (the image's REFS "shapes", an own class's
// entry); otherwise by embedding alone. Accepting is always the nearest class's embedding distance
// against its threshold, then the image's negatives bank's veto (knn::bank_vetoes; 256 x 32 values
// decoded from REFS and compared per decision: ~8 K multiply-adds).
//
// Limits (Python's where it has them): 32 classes listed (MAX_CLASSES, a RefListReply's kMaxClassRefs),
// 16 references per class, labels of 1-64 bytes, embeddings of at most 64 values (Python: 255) and an
// image of at most 32 classes (Python: 254). The board keeps at most 32 classes of its own
// (kMaxOwnClasses) and 16 KB of their references (kPoolBytes: 32 full classes at 32 values); Python has
// no such limit, but reaches it only when a new model's classes and the board's own together exceed 32
// and the user then replaces model classes one by one, or with embeddings wider than 32 values. In that
// case a RefListReply lists the first 32 classes. A note longer than a wire string (a long "dropped" list)
// is cut as fit_text() cuts; the Python board fails to encode it.
//
// RAM: sizeof(RefStore) = 31.4 KB on Cortex-M (tests/test_ref_store.cpp prints the host's): the record
// (21.7 KB), the image classes' values (2.7 KB) and scratch (decide's embedding and fused distances and
// thresholds 2.8 KB, 1 KB for references being enrolled or sent, 3 KB for their shape codes). Keep it
// static, not on a stack. Stack (arm-none-eabi-gcc -Os -fstack-usage, with what they call):
// store_enrollment 2.4 KB, set_model 1.7 KB, decide 1.0 KB (0.6 KB and shape::dtw_cost's 0.3 KB), the
// request handlers under 0.5 KB. The caller keeps the image bytes unchanged while they are the store's
// model (the active slot).
#pragma once

#include <cstddef>
#include <cstdint>

#include "board_image.h"
#include "image_sections.h"
#include "knn.h"
#include "message_text.h"
#include "messages.h"
#include "open_set.h"
#include "record_store.h"
#include "shape_dtw.h"

namespace wandlab {
namespace refs {

constexpr size_t kMaxClasses = 32;        // refs.MAX_CLASSES: classes the board recognises and lists
constexpr size_t kMaxRefsPerClass = 16;   // refs.MAX_REFS_PER_CLASS
constexpr size_t kMaxDim = 64;            // embedding values per reference
constexpr size_t kMaxLabelBytes = 64;
// A board short of RAM keeps fewer classes of its own (the XIAO: 8 classes, 2 KB of references; a
// build defines WANDLAB_MAX_OWN_CLASSES / WANDLAB_REF_POOL_BYTES). The record's size follows.
#ifndef WANDLAB_MAX_OWN_CLASSES
#define WANDLAB_MAX_OWN_CLASSES 32
#endif
#ifndef WANDLAB_REF_POOL_BYTES
#define WANDLAB_REF_POOL_BYTES (WANDLAB_MAX_OWN_CLASSES * 16 * 32)  // x4 with shape codes at 3 channels
#endif
constexpr size_t kMaxOwnClasses = WANDLAB_MAX_OWN_CLASSES;  // the board's own classes with references
constexpr size_t kMaxEntries = kMaxOwnClasses + kMaxClasses;  // + a tombstone per image class
constexpr size_t kPoolBytes = WANDLAB_REF_POOL_BYTES;
static_assert(kMaxOwnClasses >= 1 && kMaxOwnClasses <= kMaxClasses, "WANDLAB_MAX_OWN_CLASSES: 1 to 32");
static_assert(kPoolBytes >= kMaxRefsPerClass * kMaxDim, "WANDLAB_REF_POOL_BYTES must hold one full class");
constexpr size_t kMaxKeyBytes = 64;       // the active model's key (Python: its sha256 in hex)
constexpr size_t kNetworkBytes = 32;      // sha256 of the image's TFLM section
constexpr size_t kMaxShots = 10;          // enrollment.MAX_SHOTS
constexpr uint32_t kMinTimeoutMs = 500;   // enrollment.MIN_TIMEOUT_MS
constexpr uint8_t kNoClass = protocol::kNoClass;

constexpr uint8_t kRecordVersion = 2;
constexpr size_t kRecordHeaderBytes = 112;
constexpr size_t kRecordEntryBytes = 88;
constexpr size_t kRecordEntryBytesV1 = 84;
constexpr size_t kMaxShapeBytes = shape::kMaxFrames * shape::kMaxChannels;  // one reference's codes
constexpr size_t kMaxRecordBytes = kRecordHeaderBytes + kMaxEntries * kRecordEntryBytes + kPoolBytes + 4;

enum class Source : uint8_t { kModel = 0, kEnrolled = 1, kUploaded = 2 };  // protocol::RefSource

// Receives the notes set_model() has for the host, one sentence each (the board sends each as a Log
// WARNING, as the Python board does).
class NoteSink {
 public:
  virtual void note(const protocol::Str& text) = 0;

 protected:
  ~NoteSink() = default;
};

// One class as the board recognises it (RefStore.classes() items).
struct ClassInfo {
  uint8_t id = 0;
  protocol::Str label;  // valid until the store changes
  int64_t threshold = 0;
  double margin = open_set::kDefaultMargin;
  Source source = Source::kModel;
  size_t count = 0;                    // references
  bool in_image = false;               // references in the image's REFS section (else in the store)
  size_t image_class = 0;              // in_image: the class's index in the image
  const int8_t* embeddings = nullptr;  // !in_image: count * dim values
  size_t shape_frames = 0;             // the references' shape codes (0, 0: none)
  size_t shape_channels = 0;
  const int8_t* shapes = nullptr;      // !in_image: count * frames * channels values
};

class RefStore {
 public:
  // Loads the record, if any (record may be null: nothing persists).
  explicit RefStore(RecordStore* record = nullptr);

  // -- model changes (RefStore.set_model) ---------------------------------------------------------
  // Adopts an image's classes. `image` is a board_image::validate()d image (null: no model); `key`
  // identifies the model (the Python board uses the slot's sha256 in hex); `network_sha256` is the
  // sha256 of the image's TFLM section (32 bytes). Returns "" or why the image cannot be the store's
  // model (its sections do not read, or it exceeds the limits above); then the store has no model, as if
  // image were null. Notes (classes dropped, moved or replaced) go to `notes` (may be null).
  // Call with null when the model cannot run (TFLM refused it), as the Python board does.
  const char* set_model(const board_image::Image* image, const uint8_t* key, size_t key_size,
                        const uint8_t* network_sha256, NoteSink* notes);
  bool has_model() const { return has_model_; }
  const board_image::Refs& image_refs() const { return refs_; }

  // -- queries -----------------------------------------------------------------------------------
  size_t dim() const;            // RefStore.dim: the board's classes' width (0: none yet)
  size_t upload_dim() const;     // recognizer._upload: the image's width, else dim()
  size_t class_count() const;    // classes(): by id, own replacing the image's, no tombstones
  bool class_at(size_t index, ClassInfo* out) const;
  bool get(uint8_t id, ClassInfo* out) const;
  bool by_label(const protocol::Str& label, ClassInfo* out) const;
  int next_free_id() const;      // -1 if every id below 255 is taken
  int64_t typical_spread() const;
  int32_t k() const { return k_; }
  int64_t default_threshold() const { return default_threshold_; }
  // The shape codes a query must have for embedding + DTW ranking: from the image's features (window / 2
  // frames, its channels); 0, 0 without a model or when the window is longer than shape_dtw computes.
  size_t shape_frames() const { return shape_frames_; }
  size_t shape_channels() const { return shape_channels_; }
  // A class's references (count * dim values), decoded from the image if it is an image class; false if
  // they do not fit.
  bool copy_embeddings(const ClassInfo& info, int8_t* out, size_t capacity) const;

  // -- changes -----------------------------------------------------------------------------------
  // RefStore.put: stores a class of the board's own (replacing that id); false with Python's text.
  // `shapes` (count * frames * channels values) may be null: the class has no shape codes.
  bool put(uint8_t id, const protocol::Str& label, int64_t threshold, const int8_t* embeddings, size_t count,
           size_t dim, Source source, double margin, Text* error, const int8_t* shapes = nullptr,
           size_t shape_frames = 0, size_t shape_channels = 0);
  // RefStore.clear: forgets these ids (an image class leaves a tombstone).
  void clear(const uint8_t* ids, size_t count);

  // -- recognition (BoardRecognizer.decide) ------------------------------------------------------
  // The nearest class of an embedding of dim() values and whether it is accepted; *nearest (may be null)
  // gets that class (id, label, ...). Decision.found is false without classes. `codes` (may be null): the
  // query's shape codes (shape_frames() x shape_channels()), for embedding + DTW ranking.
  knn::Decision decide(const int8_t* embedding, ClassInfo* nearest, const int8_t* codes = nullptr);

  // -- requests (BoardRecognizer.handle) ---------------------------------------------------------
  void list(protocol::RefListReply* out) const;  // RefList
  bool clear(const protocol::RefClear& request, Text* error);  // RefClear: true -> Ack
  bool upload(const protocol::RefUpload& request, Text* error);  // RefUpload: true -> Ack
  // RefDownload: how many RefData replies (then an Ack), or 0 with the error text.
  size_t download(const protocol::RefDownload& request, Text* error) const;
  // The i-th RefData of a download. An own class's references and codes are sent from the store, an
  // image class's are decoded into the store's scratch (valid until the next call). False if they do not
  // fit there (more than kMaxRefsPerClass references).
  bool download_item(const protocol::RefDownload& request, size_t i, protocol::RefData* out);

  // -- enrollment --------------------------------------------------------------------------------
  // check_start + _start_enrollment's checks after the board's own (model present, no session running):
  // `channels_problem` is _channels_problem()'s text ("" if the board has the axes). On success *id is
  // the class to enroll (the board picks one for kAllClasses).
  bool check_enroll(const protocol::EnrollStart& request, const char* channels_problem, uint8_t* id,
                    Text* error) const;
  // _store_enrollment: the session's shots (count x dim(), count 1..kMaxShots) become class `id`; the
  // DONE (true) or FAILED (false) message, word for word as Python's. `shapes`: the shots' shape codes
  // (count x shape_frames() x shape_channels()), or null if a shot has none.
  bool store_enrollment(uint8_t id, const protocol::Str& label, const int8_t* shots, size_t count,
                        Text* message, const int8_t* shapes = nullptr);

 private:
  size_t entries() const { return record_[6]; }
  uint8_t* entry(size_t i) { return record_ + kRecordHeaderBytes + i * kRecordEntryBytes; }
  const uint8_t* entry(size_t i) const { return record_ + kRecordHeaderBytes + i * kRecordEntryBytes; }
  size_t pool_offset() const { return kRecordHeaderBytes + entries() * kRecordEntryBytes; }
  size_t pool_used() const;
  size_t entry_refs_offset(size_t i) const;
  size_t entry_bytes(size_t i) const;  // its references and shape codes in the pool
  bool has_shapes(const ClassInfo& info) const;  // codes of the size a query has
  bool copy_shapes(const ClassInfo& info, int8_t* out, size_t capacity) const;
  bool record_valid(size_t size, size_t entry_bytes) const;
  void upgrade_v1(size_t size);
  int find_entry(uint8_t id) const;
  size_t own_classes() const;
  void entry_info(size_t i, ClassInfo* out) const;
  void model_info(size_t c, ClassInfo* out) const;
  template <class F>
  void for_each_class(F&& f) const;
  void remove_entry(size_t i);
  bool insert_entry(uint8_t id, const protocol::Str& label, int64_t threshold, const int8_t* embeddings,
                    size_t count, Source source, double margin, const int8_t* shapes = nullptr,
                    size_t shape_frames = 0, size_t shape_channels = 0);
  void drop_tombstones();
  void drop_own();
  void renumber(size_t i, uint8_t new_id);
  void reset_record();
  void save();
  size_t record_size() const { return pool_offset() + pool_used(); }

  RecordStore* record_store_;
  uint8_t record_[kMaxRecordBytes] = {};

  // The image's classes.
  bool has_model_ = false;
  board_image::Refs refs_;
  size_t model_count_ = 0;
  char model_labels_[kMaxClasses][kMaxLabelBytes] = {};
  uint8_t model_label_sizes_[kMaxClasses] = {};
  int64_t model_thresholds_[kMaxClasses] = {};
  double model_margins_[kMaxClasses] = {};
  uint16_t model_counts_[kMaxClasses] = {};
  int32_t k_ = 1;
  int64_t default_threshold_ = board_image::kDefaultThreshold;
  size_t shape_frames_ = 0;
  size_t shape_channels_ = 0;

  // Scratch, kept here rather than on a board's small task stack: decide()'s distances and thresholds,
  // and the references being enrolled or downloaded.
  knn::ClassDistances distances_;
  knn::ClassDistances fused_;  // embedding + DTW, when every class has shape codes
  int64_t thresholds_[knn::kMaxClasses] = {};
  int8_t scratch_[kMaxRefsPerClass * kMaxDim] = {};
  int8_t shape_scratch_[kMaxRefsPerClass * kMaxShapeBytes] = {};  // and their codes (or a download's)
};

}  // namespace refs
}  // namespace wandlab
