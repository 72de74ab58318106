// Python's float64 arithmetic step for step (correctly rounded parsing, pow/exp/log, NaN checks): keep
// -ffast-math - the XIAO build's -Ofast - out of this file, whatever the build's flags.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-fast-math")
#endif

#include "ref_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "crc32.h"
#include "little_endian.h"

namespace wandlab {
namespace refs {
namespace {

namespace wp = protocol;

constexpr uint8_t kMagic[4] = {'W', 'L', 'R', 'S'};
// Header fields
constexpr size_t kVersionAt = 4;
constexpr size_t kDimAt = 5;
constexpr size_t kEntriesAt = 6;
constexpr size_t kKeySizeAt = 7;
constexpr size_t kKeyAt = 8;
constexpr size_t kHasNetworkAt = kKeyAt + kMaxKeyBytes;
constexpr size_t kNetworkAt = kHasNetworkAt + 1;
static_assert(kNetworkAt + kNetworkBytes <= kRecordHeaderBytes, "the record header holds its fields");
// Entry fields
constexpr size_t kIdAt = 0;
constexpr size_t kSourceAt = 1;
constexpr size_t kCountAt = 2;
constexpr size_t kLabelSizeAt = 3;
constexpr size_t kThresholdAt = 4;
constexpr size_t kMarginAt = 12;
constexpr size_t kLabelAt = 20;
constexpr size_t kShapeFramesAt = kLabelAt + kMaxLabelBytes;
constexpr size_t kShapeChannelsAt = kShapeFramesAt + 1;
static_assert(kLabelAt + kMaxLabelBytes == kRecordEntryBytesV1, "a version 1 entry is its fields");
static_assert(kShapeChannelsAt + 3 == kRecordEntryBytes, "an entry is its fields");

constexpr const char* kNoModel = "no model is active on the board: push one (wandlab flash) first";

using le::get_f64;
using le::get_u32;
using le::get_u64;
using le::put_f64;
using le::put_u32;
using le::put_u64;

bool same(const wp::Str& a, const wp::Str& b) {
  return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
}

// a < b in Python's str order (code points; for UTF-8 the byte order).
bool less(const wp::Str& a, const wp::Str& b) {
  const size_t n = a.size < b.size ? a.size : b.size;
  const int c = n ? std::memcmp(a.data, b.data, n) : 0;
  return c < 0 || (c == 0 && a.size < b.size);
}

float as_f32(int64_t v) { return static_cast<float>(static_cast<double>(v)); }

// str.strip() leaves nothing: every code point is whitespace to Python (str.isspace).
bool is_blank(const wp::Str& s) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data);
  size_t i = 0;
  while (i < s.size) {
    uint32_t cp = p[i];
    size_t n = 1;
    if (cp >= 0xF0) {
      cp = (cp & 0x07) << 18 | (p[i + 1] & 0x3Fu) << 12 | (p[i + 2] & 0x3Fu) << 6 | (p[i + 3] & 0x3Fu);
      n = 4;
    } else if (cp >= 0xE0) {
      cp = (cp & 0x0F) << 12 | (p[i + 1] & 0x3Fu) << 6 | (p[i + 2] & 0x3Fu);
      n = 3;
    } else if (cp >= 0xC0) {
      cp = (cp & 0x1F) << 6 | (p[i + 1] & 0x3Fu);
      n = 2;
    }
    const bool space = (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
                       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
                       cp == 0x202F || cp == 0x205F || cp == 0x3000;
    if (!space) return false;
    i += n;
  }
  return true;
}

// The references of every class but one, own ones from the store, the image's decoded as they come.
class OtherClasses : public knn::VectorSource {
 public:
  OtherClasses(const RefStore& store, uint8_t excluded) : store_(store), rows_(store.image_refs()) {
    const size_t n = store.class_count();
    ClassInfo info;
    for (size_t i = 0; i < n; ++i) {
      store.class_at(i, &info);
      if (info.id == excluded) continue;
      count_ += info.count;
      if (info.in_image) {
        image_[info.image_class] = true;
        any_image_ = true;
      } else {
        own_[own_count_++] = static_cast<uint8_t>(i);
      }
    }
  }
  void rewind() override {
    own_at_ = 0;
    ref_at_ = 0;
    rows_.rewind();
  }
  const int8_t* next() override {
    while (own_at_ < own_count_) {
      ClassInfo info;
      store_.class_at(own_[own_at_], &info);
      if (ref_at_ < info.count) return info.embeddings + store_.dim() * ref_at_++;
      ++own_at_;
      ref_at_ = 0;
    }
    if (!any_image_) return nullptr;
    for (const int8_t* r = rows_.next(); r != nullptr; r = rows_.next()) {
      if (rows_.cls() < kMaxClasses && image_[rows_.cls()]) return r;
    }
    return nullptr;
  }
  size_t count() const override { return count_; }

 private:
  const RefStore& store_;
  board_image::RefRows rows_;
  bool image_[kMaxClasses] = {};
  bool any_image_ = false;
  uint8_t own_[knn::kMaxClasses] = {};  // their indexes in classes()
  size_t own_count_ = 0;
  size_t own_at_ = 0;
  size_t ref_at_ = 0;
  size_t count_ = 0;
};

}  // namespace

RefStore::RefStore(RecordStore* record) : record_store_(record) {
  reset_record();
  size_t size = sizeof(record_);
  if (record_store_ != nullptr && record_store_->load(record_, &size) && size <= sizeof(record_)) {
    if (record_[kVersionAt] == kRecordVersion && record_valid(size, kRecordEntryBytes)) return;
    if (record_[kVersionAt] == 1 && record_valid(size, kRecordEntryBytesV1)) {
      upgrade_v1(size);
      return;
    }
  }
  reset_record();  // nothing stored yet, or a record from elsewhere: start empty rather than fail at boot
}

void RefStore::reset_record() {
  std::memset(record_, 0, kRecordHeaderBytes);
  std::memcpy(record_, kMagic, sizeof(kMagic));
  record_[kVersionAt] = kRecordVersion;
}

// `entry_bytes`: the record version's entry size (kRecordEntryBytesV1 entries have no shape codes).
bool RefStore::record_valid(size_t size, size_t entry_bytes) const {
  if (size < kRecordHeaderBytes + 4 || std::memcmp(record_, kMagic, sizeof(kMagic)) != 0 ||
      record_[kDimAt] > kMaxDim || entries() > kMaxEntries ||
      record_[kKeySizeAt] > kMaxKeyBytes || record_[kHasNetworkAt] > 1) {
    return false;
  }
  const size_t dim = record_[kDimAt];
  const bool v1 = entry_bytes == kRecordEntryBytesV1;
  size_t own = 0, pool = 0;
  for (size_t i = 0; i < entries(); ++i) {
    const uint8_t* e = record_ + kRecordHeaderBytes + i * entry_bytes;
    const uint8_t* before = e - entry_bytes;
    const size_t frames = v1 ? 0 : e[kShapeFramesAt], channels = v1 ? 0 : e[kShapeChannelsAt];
    if (!v1 && ((frames == 0) != (channels == 0) || frames > shape::kMaxFrames || channels > shape::kMaxChannels)) {
      return false;
    }
    pool += e[kCountAt] * (dim + frames * channels);
    if ((i > 0 && e[kIdAt] <= before[kIdAt]) || e[kIdAt] == kNoClass ||
        e[kSourceAt] > static_cast<uint8_t>(Source::kUploaded) || e[kCountAt] > kMaxRefsPerClass ||
        e[kLabelSizeAt] > kMaxLabelBytes || !open_set::margin_ok(get_f64(e + kMarginAt)) ||
        !wp::is_valid_utf8(e + kLabelAt, e[kLabelSizeAt]) || (e[kCountAt] > 0 && (dim == 0 || e[kLabelSizeAt] == 0))) {
      return false;
    }
    own += e[kCountAt] > 0 ? 1 : 0;
  }
  const size_t used = kRecordHeaderBytes + entries() * entry_bytes + pool;
  return own <= kMaxOwnClasses && pool <= kPoolBytes && size == used + 4 &&
         get_u32(record_ + used) == protocol::crc32(record_, used);
}

// A version 1 record (checked by record_valid): its entries widened to version 2's, without shape codes.
void RefStore::upgrade_v1(size_t size) {
  const size_t n = entries();
  const size_t old_pool = kRecordHeaderBytes + n * kRecordEntryBytesV1;
  const size_t pool = size - 4 - old_pool;
  const size_t grow = n * (kRecordEntryBytes - kRecordEntryBytesV1);
  std::memmove(record_ + old_pool + grow, record_ + old_pool, pool);
  for (size_t i = n; i-- > 0;) {
    uint8_t* to = record_ + kRecordHeaderBytes + i * kRecordEntryBytes;
    std::memmove(to, record_ + kRecordHeaderBytes + i * kRecordEntryBytesV1, kRecordEntryBytesV1);
    std::memset(to + kRecordEntryBytesV1, 0, kRecordEntryBytes - kRecordEntryBytesV1);
  }
  record_[kVersionAt] = kRecordVersion;
  save();
}

void RefStore::save() {
  const size_t used = record_size();
  put_u32(record_ + used, protocol::crc32(record_, used));
  if (record_store_ != nullptr) record_store_->save(record_, used + 4);
}

// -- the record's entries -------------------------------------------------------------------------

size_t RefStore::entry_bytes(size_t i) const {
  const uint8_t* e = entry(i);
  const size_t codes = static_cast<size_t>(e[kShapeFramesAt]) * e[kShapeChannelsAt];
  return static_cast<size_t>(e[kCountAt]) * (record_[kDimAt] + codes);
}

size_t RefStore::pool_used() const {
  size_t n = 0;
  for (size_t i = 0; i < entries(); ++i) n += entry_bytes(i);
  return n;
}

size_t RefStore::entry_refs_offset(size_t i) const {
  size_t n = 0;
  for (size_t j = 0; j < i; ++j) n += entry_bytes(j);
  return pool_offset() + n;
}

int RefStore::find_entry(uint8_t id) const {
  for (size_t i = 0; i < entries(); ++i) {
    if (entry(i)[kIdAt] == id) return static_cast<int>(i);
  }
  return -1;
}

size_t RefStore::own_classes() const {
  size_t n = 0;
  for (size_t i = 0; i < entries(); ++i) n += entry(i)[kCountAt] > 0 ? 1 : 0;
  return n;
}

void RefStore::remove_entry(size_t i) {
  const size_t total = record_size();
  const size_t at = kRecordHeaderBytes + i * kRecordEntryBytes;
  const size_t refs = entry_refs_offset(i);
  const size_t bytes = entry_bytes(i);
  std::memmove(record_ + at, record_ + at + kRecordEntryBytes, refs - at - kRecordEntryBytes);
  std::memmove(record_ + refs - kRecordEntryBytes, record_ + refs + bytes, total - refs - bytes);
  --record_[kEntriesAt];
}

bool RefStore::insert_entry(uint8_t id, const wp::Str& label, int64_t threshold, const int8_t* embeddings,
                            size_t count, Source source, double margin, const int8_t* shapes, size_t shape_frames,
                            size_t shape_channels) {
  if (shapes == nullptr) shape_frames = shape_channels = 0;
  const size_t emb_bytes = count * record_[kDimAt];
  const size_t bytes = emb_bytes + count * shape_frames * shape_channels;
  const size_t total = record_size();
  if (entries() >= kMaxEntries || total + kRecordEntryBytes + bytes + 4 > sizeof(record_)) return false;
  size_t i = 0;
  while (i < entries() && entry(i)[kIdAt] < id) ++i;
  const size_t at = kRecordHeaderBytes + i * kRecordEntryBytes;
  const size_t refs = entry_refs_offset(i);
  std::memmove(record_ + refs + kRecordEntryBytes + bytes, record_ + refs, total - refs);
  std::memmove(record_ + at + kRecordEntryBytes, record_ + at, refs - at);
  uint8_t* e = record_ + at;
  std::memset(e, 0, kRecordEntryBytes);
  e[kIdAt] = id;
  e[kSourceAt] = static_cast<uint8_t>(source);
  e[kCountAt] = static_cast<uint8_t>(count);
  e[kLabelSizeAt] = static_cast<uint8_t>(label.size);
  put_u64(e + kThresholdAt, static_cast<uint64_t>(threshold));
  put_f64(e + kMarginAt, margin);
  if (label.size) std::memcpy(e + kLabelAt, label.data, label.size);
  e[kShapeFramesAt] = static_cast<uint8_t>(shape_frames);
  e[kShapeChannelsAt] = static_cast<uint8_t>(shape_channels);
  if (emb_bytes) std::memcpy(record_ + refs + kRecordEntryBytes, embeddings, emb_bytes);
  if (bytes > emb_bytes) std::memcpy(record_ + refs + kRecordEntryBytes + emb_bytes, shapes, bytes - emb_bytes);
  ++record_[kEntriesAt];
  return true;
}

void RefStore::drop_tombstones() {
  for (size_t i = entries(); i-- > 0;) {
    if (entry(i)[kCountAt] == 0) remove_entry(i);
  }
}

void RefStore::drop_own() {
  while (entries() > 0) remove_entry(entries() - 1);
}

// Entry i takes id `new_id` and moves to its place in id order, its pool bytes with it (rotated in place:
// no buffer for its references and codes).
void RefStore::renumber(size_t i, uint8_t new_id) {
  size_t j = 0;  // its index among the others once renumbered
  for (size_t k = 0; k < entries(); ++k) j += (k != i && entry(k)[kIdAt] < new_id) ? 1 : 0;
  entry(i)[kIdAt] = new_id;
  if (j == i) return;
  const size_t from = entry_refs_offset(i), bytes = entry_bytes(i);
  if (j > i) {
    std::rotate(record_ + from, record_ + from + bytes, record_ + entry_refs_offset(j) + entry_bytes(j));
    std::rotate(entry(i), entry(i) + kRecordEntryBytes, entry(j) + kRecordEntryBytes);
  } else {
    std::rotate(record_ + entry_refs_offset(j), record_ + from, record_ + from + bytes);
    std::rotate(entry(j), entry(i), entry(i) + kRecordEntryBytes);
  }
}

// -- classes --------------------------------------------------------------------------------------

void RefStore::entry_info(size_t i, ClassInfo* out) const {
  const uint8_t* e = entry(i);
  out->id = e[kIdAt];
  out->label = wp::Str{reinterpret_cast<const char*>(e + kLabelAt), e[kLabelSizeAt]};
  out->threshold = static_cast<int64_t>(get_u64(e + kThresholdAt));
  out->margin = get_f64(e + kMarginAt);
  out->source = static_cast<Source>(e[kSourceAt]);
  out->count = e[kCountAt];
  out->in_image = false;
  out->image_class = 0;
  out->embeddings = reinterpret_cast<const int8_t*>(record_ + entry_refs_offset(i));
  out->shape_frames = e[kShapeFramesAt];
  out->shape_channels = e[kShapeChannelsAt];
  out->shapes = out->shape_frames ? out->embeddings + out->count * dim() : nullptr;
}

void RefStore::model_info(size_t c, ClassInfo* out) const {
  out->id = static_cast<uint8_t>(c);
  out->label = wp::Str{model_labels_[c], model_label_sizes_[c]};
  out->threshold = model_thresholds_[c];
  out->margin = model_margins_[c];
  out->source = Source::kModel;
  out->count = model_counts_[c];
  out->in_image = true;
  out->image_class = c;
  out->embeddings = nullptr;
  out->shape_frames = refs_.shape_frames;
  out->shape_channels = refs_.shape_channels;
  out->shapes = nullptr;
}

// classes(): the image's classes updated by the board's entries, by id, those without references left out.
template <class F>
void RefStore::for_each_class(F&& f) const {
  size_t c = 0, e = 0;
  const size_t n = entries();
  while (c < model_count_ || e < n) {
    const int model_id = c < model_count_ ? static_cast<int>(c) : 256;
    const int entry_id = e < n ? entry(e)[kIdAt] : 256;
    ClassInfo info;
    if (entry_id <= model_id) {
      if (entry_id == model_id) ++c;  // replaced, or hidden by a tombstone
      if (entry(e)[kCountAt] > 0) {
        entry_info(e, &info);
        if (!f(info)) return;
      }
      ++e;
    } else {
      if (model_counts_[c] > 0) {
        model_info(c, &info);
        if (!f(info)) return;
      }
      ++c;
    }
  }
}

size_t RefStore::dim() const { return record_[kDimAt]; }

size_t RefStore::upload_dim() const { return has_model_ ? refs_.dim : dim(); }

size_t RefStore::class_count() const {
  size_t n = 0;
  for_each_class([&n](const ClassInfo&) {
    ++n;
    return true;
  });
  return n;
}

bool RefStore::class_at(size_t index, ClassInfo* out) const {
  size_t i = 0;
  bool found = false;
  for_each_class([&](const ClassInfo& info) {
    if (i++ != index) return true;
    *out = info;
    found = true;
    return false;
  });
  return found;
}

bool RefStore::get(uint8_t id, ClassInfo* out) const {
  bool found = false;
  for_each_class([&](const ClassInfo& info) {
    if (info.id != id) return true;
    *out = info;
    found = true;
    return false;
  });
  return found;
}

bool RefStore::by_label(const wp::Str& label, ClassInfo* out) const {
  bool found = false;
  for_each_class([&](const ClassInfo& info) {
    if (!same(info.label, label)) return true;
    *out = info;
    found = true;
    return false;
  });
  return found;
}

int RefStore::next_free_id() const {
  for (int id = 0; id < kNoClass; ++id) {
    if (static_cast<size_t>(id) >= model_count_ && find_entry(static_cast<uint8_t>(id)) < 0) return id;
  }
  return -1;
}

int64_t RefStore::typical_spread() const {
  if (has_model_ && refs_.has_bank()) return refs_.typical_spread;
  const int64_t v = static_cast<int64_t>(static_cast<double>(default_threshold_) / open_set::kSpreadFactor);
  return v > 1 ? v : 1;
}

bool RefStore::copy_embeddings(const ClassInfo& info, int8_t* out, size_t capacity) const {
  const size_t width = info.in_image ? refs_.dim : dim();
  if (info.count * width > capacity) return false;
  if (!info.in_image) {
    if (info.count) std::memcpy(out, info.embeddings, info.count * width);
    return true;
  }
  board_image::RefRows rows(refs_);
  size_t n = 0;
  for (const int8_t* r = rows.next(); r != nullptr && n < info.count; r = rows.next()) {
    if (rows.cls() == info.image_class) std::memcpy(out + width * n++, r, width);
  }
  return true;
}

bool RefStore::has_shapes(const ClassInfo& info) const {
  return shape_frames_ != 0 && info.shape_frames == shape_frames_ && info.shape_channels == shape_channels_;
}

bool RefStore::copy_shapes(const ClassInfo& info, int8_t* out, size_t capacity) const {
  const size_t width = info.shape_frames * info.shape_channels;
  if (info.count * width > capacity) return false;
  if (!info.in_image) {
    if (info.count && width) std::memcpy(out, info.shapes, info.count * width);
    return true;
  }
  board_image::RefRows rows(refs_);
  size_t n = 0, r = 0;
  for (const int8_t* row = rows.next(); row != nullptr && n < info.count; row = rows.next(), ++r) {
    if (rows.cls() == info.image_class) board_image::shape_of(refs_, r, out + width * n++);
  }
  return true;
}

// -- model changes --------------------------------------------------------------------------------

const char* RefStore::set_model(const board_image::Image* image, const uint8_t* key, size_t key_size,
                                const uint8_t* network_sha256, NoteSink* notes) {
  has_model_ = false;
  model_count_ = 0;
  shape_frames_ = shape_channels_ = 0;
  refs_ = board_image::Refs{};
  if (image == nullptr) return "";
  board_image::Sections sections;
  const char* problem = board_image::read_sections(*image, &sections);
  if (*problem == '\0' && sections.refs.class_count > kMaxClasses) {
    problem = "the image has more classes than a board holds (32)";
  }
  if (*problem == '\0' && sections.refs.dim > kMaxDim) {
    problem = "the image's embeddings are wider than a board stores (64 values)";
  }
  if (*problem == '\0' && sections.refs.has_bank() && sections.refs.bank_dim != sections.refs.dim) {
    problem = "the negatives bank and the references have different dimensions";
  }
  if (*problem == '\0' && key_size > kMaxKeyBytes) problem = "the model's key is longer than 64 bytes";
  if (*problem != '\0') return problem;

  refs_ = sections.refs;
  has_model_ = true;
  // hybrid_rank.codes_fit: the query codes a board computes with this model's feature window.
  const size_t window = static_cast<size_t>(sections.features.window);
  const size_t channels = static_cast<size_t>(sections.features.channels);
  if (window % shape::kStep == 0 && window / shape::kStep <= shape::kMaxFrames && channels <= shape::kMaxChannels) {
    shape_frames_ = window / shape::kStep;
    shape_channels_ = channels;
  }
  k_ = refs_.k;
  default_threshold_ = refs_.default_threshold;
  model_count_ = refs_.class_count;
  for (size_t c = 0; c < model_count_; ++c) {
    size_t n = 0;
    json::decode_string(board_image::label_of(refs_, c), model_labels_[c], kMaxLabelBytes, &n);
    model_label_sizes_[c] = static_cast<uint8_t>(n);
    model_thresholds_[c] = board_image::threshold_of(refs_, c);
    model_margins_[c] = board_image::margin_of(refs_, c);
    model_counts_[c] = 0;
  }
  board_image::RefRows rows(refs_);
  while (rows.next() != nullptr) ++model_counts_[rows.cls()];

  if (key_size == record_[kKeySizeAt] && (key_size == 0 || std::memcmp(key, record_ + kKeyAt, key_size) == 0)) {
    return "";
  }
  // A different model: tombstones applied to the old model's classes mean nothing now.
  drop_tombstones();
  const size_t own = entries();
  if (own > 0) {
    // The board's own classes' names, sorted as Python sorts str.
    uint8_t order[kMaxEntries];
    for (size_t i = 0; i < own; ++i) order[i] = static_cast<uint8_t>(i);
    ClassInfo a, b;
    for (size_t i = 1; i < own; ++i) {
      for (size_t j = i; j > 0; --j) {
        entry_info(order[j - 1], &a);
        entry_info(order[j], &b);
        if (!less(b.label, a.label)) break;
        const uint8_t t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
    }
    auto names = [&](Text* text) {
      for (size_t i = 0; i < own; ++i) {
        entry_info(order[i], &a);
        if (i) text->add(", ");
        text->add(a.label);
      }
    };
    const bool other_network = record_[kHasNetworkAt] &&
                               std::memcmp(record_ + kNetworkAt, network_sha256, kNetworkBytes) != 0;
    Text text;
    if (dim() != refs_.dim) {
      text.add("the new model embeds in ").add_int(static_cast<int64_t>(refs_.dim));
      text.add(" dimensions, the board's own classes in ").add_int(static_cast<int64_t>(dim())).add(": dropped ");
      names(&text);
      text.add("; enroll them again");
    } else if (other_network) {
      // Embeddings belong to the network that made them: under another one they land anywhere, so
      // keeping them would answer wrongly rather than not at all.
      text.add("the new model is a different network: dropped the board's own ");
      names(&text);
      text.add(" (made by the previous one); enroll them again, or train with their takes");
    }
    if (!text.empty()) {
      if (notes != nullptr) notes->note(text.view());
      drop_own();
    }
  }
  record_[kHasNetworkAt] = 1;
  std::memcpy(record_ + kNetworkAt, network_sha256, kNetworkBytes);

  // Python walks the board's classes sorted by their ids before any moves.
  uint8_t ids[kMaxEntries];
  const size_t n = entries();
  for (size_t i = 0; i < n; ++i) ids[i] = entry(i)[kIdAt];
  for (size_t i = 0; i < n; ++i) {
    const int at = find_entry(ids[i]);
    ClassInfo mine;
    entry_info(static_cast<size_t>(at), &mine);
    int named = -1;
    for (size_t c = 0; c < model_count_ && named < 0; ++c) {
      if (same(wp::Str{model_labels_[c], model_label_sizes_[c]}, mine.label)) named = static_cast<int>(c);
    }
    const bool clash = mine.id < model_count_ &&
                       !same(wp::Str{model_labels_[mine.id], model_label_sizes_[mine.id]}, mine.label);
    Text text;
    int new_id;
    if (named >= 0 && named != mine.id && find_entry(static_cast<uint8_t>(named)) < 0) {
      // The user's own takes of a gesture the new model also knows: theirs win, under the model's id,
      // so one label never names two classes.
      new_id = named;
      text.add("'").add(mine.label).add("' (class ").add_int(mine.id).add(", yours) now replaces the new model's '");
      text.add(mine.label).add("' as class ").add_int(new_id);
    } else if (clash) {
      new_id = next_free_id();
      if (new_id < 0) continue;
      text.add("class ").add_int(mine.id).add(" '").add(mine.label).add("' moved to id ").add_int(new_id);
      text.add(": the new model uses ").add_int(mine.id).add(" for '");
      text.add(wp::Str{model_labels_[mine.id], model_label_sizes_[mine.id]}).add("'");
    } else {
      continue;
    }
    if (notes != nullptr) notes->note(text.view());
    renumber(static_cast<size_t>(at), static_cast<uint8_t>(new_id));
  }
  record_[kKeySizeAt] = static_cast<uint8_t>(key_size);
  std::memset(record_ + kKeyAt, 0, kMaxKeyBytes);
  if (key_size) std::memcpy(record_ + kKeyAt, key, key_size);
  record_[kDimAt] = static_cast<uint8_t>(refs_.dim);
  save();
  return "";
}

// -- changes --------------------------------------------------------------------------------------

bool RefStore::put(uint8_t id, const wp::Str& label, int64_t threshold, const int8_t* embeddings, size_t count,
                   size_t width, Source source, double margin, Text* error, const int8_t* shapes,
                   size_t shape_frames, size_t shape_channels) {
  if (shapes == nullptr) shape_frames = shape_channels = 0;
  ClassInfo other;
  if (id >= kNoClass) {
    error->add("class id ").add_int(id).add(" is out of range (0-254)");
    return false;
  }
  if (label.size == 0 || label.size > kMaxLabelBytes) {
    error->add("a class needs a label of 1-64 bytes");
    return false;
  }
  if (count < 1 || count > kMaxRefsPerClass) {
    error->add("a class holds 1-16 references");
    return false;
  }
  if (dim() != 0 && width != dim()) {
    error->add("references have ").add_int(static_cast<int64_t>(width)).add(" dimensions, the model embeds in ");
    error->add_int(static_cast<int64_t>(dim()));
    return false;
  }
  if (by_label(label, &other) && other.id != id) {
    error->add("label '").add(label).add("' already belongs to class ").add_int(other.id);
    return false;
  }
  const bool replaces = get(id, &other);
  const int at = find_entry(id);
  const bool replaces_own = at >= 0 && entry(static_cast<size_t>(at))[kCountAt] > 0;
  if (!replaces && class_count() >= kMaxClasses) {
    error->add("the board holds at most 32 classes; clear some first");
    return false;
  }
  if (!replaces_own && own_classes() >= kMaxOwnClasses) {
    error->add("this board keeps at most ").add_int(static_cast<int64_t>(kMaxOwnClasses));
    error->add(" classes of its own (enrolled or uploaded); clear some first");
    return false;
  }
  // The board's own limits, which Python does not have.
  if (width > kMaxDim) {
    error->add("references have ").add_int(static_cast<int64_t>(width)).add(" dimensions; a board stores at most 64");
    return false;
  }
  const size_t freed = at >= 0 ? entry_bytes(static_cast<size_t>(at)) : 0;
  if (pool_used() - freed + count * (width + shape_frames * shape_channels) > kPoolBytes) {
    error->add("the board's memory for references is full (").add_int(static_cast<int64_t>(kPoolBytes));
    error->add(" bytes); clear some first");
    return false;
  }
  if (at >= 0) remove_entry(static_cast<size_t>(at));
  record_[kDimAt] = static_cast<uint8_t>(width);
  insert_entry(id, label, threshold, embeddings, count, source, margin, shapes, shape_frames, shape_channels);
  save();
  return true;
}

void RefStore::clear(const uint8_t* ids, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const int at = find_entry(ids[i]);
    if (at >= 0) remove_entry(static_cast<size_t>(at));
    if (ids[i] < model_count_) {  // the image is read-only: remember that this class is gone
      insert_entry(ids[i], wp::Str{}, 0, nullptr, 0, Source::kModel, open_set::kDefaultMargin);
    }
  }
  save();
}

// -- recognition ----------------------------------------------------------------------------------

knn::Decision RefStore::decide(const int8_t* embedding, ClassInfo* nearest, const int8_t* codes) {
  int8_t merged_of_image[kMaxClasses];  // image class -> its index in classes(), -1 if replaced or hidden
  for (int8_t& m : merged_of_image) m = -1;
  size_t n = 0;
  const size_t classes = class_count();
  distances_.reset(classes, k_);
  fused_.reset(classes, k_);
  const size_t width = dim();
  bool hybrid = codes != nullptr && shape_frames_ != 0;
  for_each_class([&](const ClassInfo& info) {
    hybrid = hybrid && has_shapes(info);
    return hybrid;
  });
  const size_t frames = shape_frames_, channels = shape_channels_, code_bytes = frames * channels;
  auto add = [&](size_t cls, const int8_t* ref, size_t ref_width, const int8_t* ref_codes) {
    const int32_t e = knn::sq_distance(embedding, ref, ref_width);
    distances_.add(cls, e);
    if (hybrid) {
      fused_.add(cls, static_cast<int32_t>(shape::fused_distance(e, shape::dtw_cost(codes, ref_codes, frames, channels),
                                                                 channels)));
    }
  };
  for_each_class([&](const ClassInfo& info) {
    if (n >= knn::kMaxClasses) return false;
    thresholds_[n] = info.threshold;
    if (info.in_image) {
      merged_of_image[info.image_class] = static_cast<int8_t>(n);
    } else {
      for (size_t r = 0; r < info.count; ++r) {
        add(n, info.embeddings + r * width, width, hybrid ? info.shapes + r * code_bytes : nullptr);
      }
    }
    ++n;
    return true;
  });
  board_image::RefRows rows(refs_);
  int8_t ref_codes[kMaxShapeBytes];
  size_t index = 0;
  for (const int8_t* r = model_count_ ? rows.next() : nullptr; r != nullptr; r = rows.next(), ++index) {
    const int m = rows.cls() < kMaxClasses ? merged_of_image[rows.cls()] : -1;
    if (m < 0) continue;
    if (hybrid) board_image::shape_of(refs_, index, ref_codes);
    add(static_cast<size_t>(m), r, refs_.dim, ref_codes);
  }
  knn::Decision d = knn::decide(distances_, thresholds_);
  if (d.found && hybrid) {
    // hybrid_rank.verdict: the nearest class by the fused distance (lower index on ties), accepted by its
    // embedding distance.
    size_t best = 0;
    for (size_t c = 1; c < classes; ++c) best = fused_.distance(c) < fused_.distance(best) ? c : best;
    d.nearest = best;
    d.distance = distances_.distance(best);
    d.threshold = thresholds_[best];
    d.accepted = d.distance <= d.threshold;
  }
  if (!d.found) return d;
  ClassInfo chosen;
  class_at(d.nearest, &chosen);
  if (d.accepted && has_model_ && refs_.has_bank()) {
    // KnnRecognizer.accepts: the negatives bank vetoes a take nearly as near everyday motion as the class.
    board_image::BankRows bank(refs_);
    int64_t nearest_bank = knn::kNoDistance;
    for (const int8_t* b = bank.next(); b != nullptr; b = bank.next()) {
      const int64_t v = knn::sq_distance(embedding, b, width);
      nearest_bank = v < nearest_bank ? v : nearest_bank;
    }
    d.accepted = !knn::bank_vetoes(nearest_bank, d.distance, chosen.margin);
  }
  if (nearest != nullptr) *nearest = chosen;
  return d;
}

// -- requests -------------------------------------------------------------------------------------

void RefStore::list(wp::RefListReply* out) const {
  out->dim = static_cast<uint8_t>(has_model_ ? dim() : 0);
  out->class_count = 0;
  for_each_class([&](const ClassInfo& info) {
    if (out->class_count >= wp::kMaxClassRefs) return false;
    wp::ClassRefs& row = out->classes[out->class_count++];
    row.class_id = info.id;
    row.label = info.label;
    row.count = static_cast<uint8_t>(info.count);
    row.threshold = as_f32(info.threshold);
    row.source = static_cast<uint8_t>(info.source);
    return true;
  });
}

bool RefStore::clear(const wp::RefClear& request, Text* error) {
  uint8_t ids[knn::kMaxClasses];
  size_t n = 0;
  if (request.class_id == wp::kAllClasses) {
    for_each_class([&](const ClassInfo& info) {
      if (n < knn::kMaxClasses) ids[n++] = info.id;
      return true;
    });
  } else {
    ClassInfo info;
    if (!get(request.class_id, &info)) {
      error->add("no class ").add_int(request.class_id).add(" on the board");
      return false;
    }
    ids[n++] = request.class_id;
  }
  clear(ids, n);
  return true;
}

bool RefStore::upload(const wp::RefUpload& m, Text* error) {
  const size_t width = upload_dim();
  if (width == 0) {
    error->add(kNoModel);
    return false;
  }
  if (m.dim != width || m.embeddings.size == 0 || m.embeddings.size % width != 0) {
    error->add("references must be whole ").add_int(static_cast<int64_t>(width)).add("-D int8 vectors (got dim ");
    error->add_int(m.dim).add(", ").add_int(static_cast<int64_t>(m.embeddings.size)).add(" bytes)");
    return false;
  }
  const double threshold = m.threshold;
  if (!std::isfinite(threshold) || !(threshold > 0 && threshold < 2147483648.0)) {
    error->add("threshold ").add_float(threshold).add(" is not a positive distance");
    return false;
  }
  if (m.class_id == wp::kAllClasses) {
    error->add("class 255 means 'none of these'");
    return false;
  }
  const size_t count = m.embeddings.size / width;
  if (m.shapes.size != 0 && (shape_frames_ == 0 || m.shapes.size != count * shape_frames_ * shape_channels_)) {
    if (shape_frames_ == 0) {
      error->add("this board computes no shape codes with its model; upload the references without them");
    } else {
      error->add("shape codes must be ").add_int(static_cast<int64_t>(shape_frames_)).add(" x ");
      error->add_int(static_cast<int64_t>(shape_channels_)).add(" bytes per reference (got ");
      error->add_int(static_cast<int64_t>(m.shapes.size)).add(" bytes for ").add_int(static_cast<int64_t>(count));
      error->add(" references)");
    }
    return false;
  }
  ClassInfo other;
  if (get(m.class_id, &other) && !same(other.label, m.label)) {
    clear(&m.class_id, 1);  // an upload replaces that class, whatever it held
  }
  return put(m.class_id, m.label, open_set::round_half_even(threshold),
             reinterpret_cast<const int8_t*>(m.embeddings.data), count, width,
             Source::kUploaded, open_set::kDefaultMargin, error,
             m.shapes.size ? reinterpret_cast<const int8_t*>(m.shapes.data) : nullptr, shape_frames_, shape_channels_);
}

size_t RefStore::download(const wp::RefDownload& request, Text* error) const {
  ClassInfo info;
  const size_t n = request.class_id == wp::kAllClasses ? class_count() : get(request.class_id, &info) ? 1 : 0;
  if (n == 0) error->add("no class ").add_int(request.class_id).add(" on the board");
  return n;
}

bool RefStore::download_item(const wp::RefDownload& request, size_t i, wp::RefData* out) {
  ClassInfo info;
  const bool found = request.class_id == wp::kAllClasses ? class_at(i, &info) : i == 0 && get(request.class_id, &info);
  if (!found) return false;
  const size_t width = info.in_image ? refs_.dim : dim();
  out->class_id = info.id;
  out->label = info.label;
  out->threshold = as_f32(info.threshold);
  out->dim = static_cast<uint8_t>(width);
  const size_t code_bytes = info.count * info.shape_frames * info.shape_channels;
  out->shapes = wp::Bytes{};
  if (info.in_image) {
    if (!copy_embeddings(info, scratch_, sizeof(scratch_)) ||
        !copy_shapes(info, shape_scratch_, sizeof(shape_scratch_))) {
      return false;
    }
    out->embeddings = wp::Bytes{reinterpret_cast<const uint8_t*>(scratch_), info.count * width};
    if (code_bytes) out->shapes = wp::Bytes{reinterpret_cast<const uint8_t*>(shape_scratch_), code_bytes};
  } else {
    out->embeddings = wp::Bytes{reinterpret_cast<const uint8_t*>(info.embeddings), info.count * width};
    if (code_bytes) out->shapes = wp::Bytes{reinterpret_cast<const uint8_t*>(info.shapes), code_bytes};
  }
  return true;
}

// -- enrollment -----------------------------------------------------------------------------------

bool RefStore::check_enroll(const wp::EnrollStart& m, const char* channels_problem, uint8_t* id,
                            Text* error) const {
  Text& problem = *error;
  if (m.shots < 1 || m.shots > kMaxShots) {
    problem.add("enroll 1-10 takes at a time, not ").add_int(m.shots);
  } else if (is_blank(m.label) || m.label.size > kMaxLabelBytes) {
    problem.add("a class needs a label of 1-64 bytes");
  } else if (m.timeout_ms < kMinTimeoutMs) {
    problem.add("a take needs at least 500 ms to be performed");
  } else {
    problem.add(channels_problem);
  }
  ClassInfo same_label, existing;
  const bool has_same = by_label(m.label, &same_label);
  int class_id = m.class_id;
  if (class_id == wp::kAllClasses) class_id = has_same ? same_label.id : next_free_id();
  if (class_id < 0) {
    if (problem.empty()) problem.add("the board has no free class id");
    return false;
  }
  const bool has_existing = get(static_cast<uint8_t>(class_id), &existing);
  if (problem.empty() && has_existing && !same(existing.label, m.label)) {
    problem.add("class ").add_int(class_id).add(" is '").add(existing.label);
    problem.add("': clear it first or enroll under another id");
  }
  if (problem.empty() && has_same && same_label.id != class_id) {
    problem.add("'").add(m.label).add("' is already class ").add_int(same_label.id);
  }
  if (!problem.empty()) return false;
  *id = static_cast<uint8_t>(class_id);
  return true;
}

bool RefStore::store_enrollment(uint8_t id, const wp::Str& label, const int8_t* shots, size_t count,
                                Text* message, const int8_t* shapes) {
  const size_t width = upload_dim();
  if (count < 1 || count > kMaxShots || width == 0 || width > kMaxDim) {
    message->add("could not store '").add(label).add("': no shots of a model the board can store");
    return false;
  }
  // merged_shots: the existing references, then the new takes, the newest kMaxRefsPerClass of them.
  int8_t* merged = scratch_;
  ClassInfo existing;
  const bool has_existing = get(id, &existing);
  const size_t keep_old = has_existing ? (existing.count < kMaxRefsPerClass - count ? existing.count
                                                                                       : kMaxRefsPerClass - count)
                                       : 0;
  size_t n = 0;
  if (keep_old > 0) {
    const size_t skip = existing.count - keep_old;
    if (existing.in_image) {
      board_image::RefRows rows(refs_);
      size_t seen = 0;
      for (const int8_t* r = rows.next(); r != nullptr; r = rows.next()) {
        if (rows.cls() != existing.image_class) continue;
        if (seen++ >= skip) std::memcpy(merged + width * n++, r, width);
      }
    } else {
      std::memcpy(merged, existing.embeddings + skip * width, keep_old * width);
      n = keep_old;
    }
  }
  std::memcpy(merged + width * n, shots, count * width);
  // merged_shapes: the same references' shape codes, or none if any of them has none.
  const size_t code_bytes = shape_frames_ * shape_channels_;
  const bool old_codes = !has_existing || (existing.shape_frames == shape_frames_ &&
                                           existing.shape_channels == shape_channels_);
  const int8_t* merged_shapes = nullptr;
  if (shapes != nullptr && code_bytes != 0 && old_codes &&
      copy_shapes(existing, shape_scratch_, sizeof(shape_scratch_))) {
    const size_t skip = has_existing ? existing.count - keep_old : 0;
    if (has_existing) std::memmove(shape_scratch_, shape_scratch_ + skip * code_bytes, keep_old * code_bytes);
    std::memcpy(shape_scratch_ + keep_old * code_bytes, shapes, count * code_bytes);
    merged_shapes = shape_scratch_;
  }
  n += count;
  const double margin = has_existing ? existing.margin : open_set::kDefaultMargin;

  OtherClasses others(*this, id);
  board_image::BankRows bank(refs_);
  const bool has_bank = has_model_ && refs_.has_bank();
  open_set::Threshold chosen;
  if (!open_set::enrolled_threshold(merged, n, width, &others, has_bank ? &bank : nullptr, typical_spread(), margin,
                                    &chosen)) {
    message->add("could not store '").add(label).add("': its threshold cannot be computed");
    return false;
  }
  // _confusable: a take nearer another class than its sibling takes (a quality check on the new takes).
  Text note;
  const size_t classes = class_count();
  if (count >= 2 && classes > (has_existing ? 1u : 0u)) {
    for (size_t i = 0; i < count; ++i) {
      int32_t own = INT32_MAX;
      for (size_t j = 0; j < count; ++j) {
        if (j != i) {
          const int32_t d = knn::sq_distance(shots + i * width, shots + j * width, width);
          own = d < own ? d : own;
        }
      }
      int32_t nearest[knn::kMaxClasses];
      for (int32_t& v : nearest) v = INT32_MAX;
      int8_t merged_of_image[kMaxClasses];
      for (int8_t& m : merged_of_image) m = -1;
      size_t index = 0;
      for_each_class([&](const ClassInfo& info) {
        if (info.id == id) return true;
        if (info.in_image) {
          merged_of_image[info.image_class] = static_cast<int8_t>(index);
        } else {
          for (size_t r = 0; r < info.count; ++r) {
            const int32_t d = knn::sq_distance(shots + i * width, info.embeddings + r * width, width);
            nearest[index] = d < nearest[index] ? d : nearest[index];
          }
        }
        ++index;
        return true;
      });
      board_image::RefRows rows(refs_);
      for (const int8_t* r = model_count_ ? rows.next() : nullptr; r != nullptr; r = rows.next()) {
        const int m = rows.cls() < kMaxClasses ? merged_of_image[rows.cls()] : -1;
        if (m < 0) continue;
        const int32_t d = knn::sq_distance(shots + i * width, r, width);
        nearest[m] = d < nearest[m] ? d : nearest[m];
      }
      size_t best = 0;
      for (size_t j = 1; j < index; ++j) best = nearest[j] < nearest[best] ? j : best;
      if (index > 0 && nearest[best] < own) {
        ClassInfo other;
        size_t k = 0;
        for_each_class([&](const ClassInfo& info) {
          if (info.id == id) return true;
          if (k++ == best) {
            other = info;
            return false;
          }
          return true;
        });
        note.add("; take ").add_int(static_cast<int64_t>(i + 1)).add(" is closer to '").add(other.label);
        note.add("' than to the other takes");
      }
    }
  }
  Text other;  // the warning, then put()'s problem
  if (open_set::warning(chosen, label, &other)) note.add("; ").add(other.view());
  other.clear();
  if (!put(id, label, chosen.value, merged, n, width, Source::kEnrolled, margin, &other, merged_shapes, shape_frames_,
           shape_channels_)) {
    message->add("could not store '").add(label).add("': ").add(other.view());
    return false;
  }
  message->add("'").add(label).add("' is class ").add_int(id).add(": ").add_int(static_cast<int64_t>(n));
  message->add(" references, threshold ").add_int(chosen.value).add(note.view());
  return true;
}

}  // namespace refs
}  // namespace wandlab
