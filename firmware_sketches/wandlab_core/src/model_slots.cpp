// Model slots and transfer, the twin of virtual/model_store.py over a SlotFlash. See model_slots.h.

#include "model_slots.h"

#include <cstring>

#include "board.h"
#include "crc32.h"
#include "sha256.h"

namespace wandlab {
namespace slots {

namespace wp = protocol;

namespace {

constexpr uint8_t kRecordFormat = 1;
constexpr const char* kKept = "; the previous model stays active";
constexpr const char* kNoneKept = "; the board still has no active model";

// Bounded text into a caller's buffer of limit + 1 bytes. What does not fit is dropped and remembered, so
// fit() can mark the cut as Python's image_check.fit_text does.
class Text {
 public:
  Text(char* out, size_t limit) : out_(out), limit_(limit) { out_[0] = '\0'; }

  Text& add(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (size_ < limit_) {
        out_[size_++] = s[i];
      } else {
        cut_ = true;
      }
    }
    out_[size_] = '\0';
    return *this;
  }
  Text& add(const char* s) { return add(s, std::strlen(s)); }
  Text& add(uint32_t v) {
    char digits[10];
    size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    char in_order[10];
    for (size_t i = 0; i < n; ++i) in_order[i] = digits[n - 1 - i];
    return add(in_order, n);
  }
  Text& slot_name(uint8_t slot) {
    const char name[1] = {static_cast<char>('A' + slot)};
    return add(name, 1);
  }

  // fit_text(): a text longer than the limit keeps its first limit - 3 bytes, without a character cut in
  // half (as Python's decode(errors="ignore") drops it), and ends in "...".
  const char* fit() {
    if (!cut_ || limit_ < 3) return out_;
    size_t n = limit_ - 3;
    size_t lead = n;
    while (lead > 0 && (static_cast<uint8_t>(out_[lead - 1]) & 0xC0) == 0x80) --lead;
    if (lead > 0) {
      const uint8_t b = static_cast<uint8_t>(out_[lead - 1]);
      const size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      if (n - (lead - 1) < need) n = lead - 1;
    }
    std::memcpy(out_ + n, "...", 4);
    size_ = n + 3;
    return out_;
  }
  size_t size() const { return size_; }

 private:
  char* out_;
  size_t limit_;
  size_t size_ = 0;
  bool cut_ = false;
};

void copy_model_id(const wp::Str& id, char* out, uint8_t* size) {
  const size_t n = id.size < kMaxModelIdBytes ? id.size : kMaxModelIdBytes;
  std::memcpy(out, id.data, n);
  out[n] = '\0';
  *size = static_cast<uint8_t>(n);
}

bool same_sha(const uint8_t* a, const wp::Bytes& b) {
  return b.size == wp::kSha256Bytes && std::memcmp(a, b.data, wp::kSha256Bytes) == 0;
}

}  // namespace

ModelSlots::ModelSlots(SlotFlash& flash, ImageCheck& check) : flash_(flash), check_(check), record_(flash) {
  text_[0] = '\0';
}

// -- state ------------------------------------------------------------------------------------------

bool ModelSlots::geometry_ok() const {
  const size_t unit = flash_.erase_unit();
  const size_t capacity = flash_.slot_capacity();
  return unit > 0 && capacity > 0 && capacity % unit == 0 && capacity <= 0xFFFFFFFFu &&
         flash_.record_page_bytes() >= kMinRecordPageBytes && flash_.data(0) != nullptr &&
         flash_.data(1) != nullptr && flash_.record_page(0) != nullptr && flash_.record_page(1) != nullptr;
}

size_t ModelSlots::max_model_bytes() const { return geometry_ok() ? flash_.slot_capacity() : 0; }

bool ModelSlots::active_image(const uint8_t** data, size_t* size) const {
  if (active_ >= kSlotCount || !slots_[active_].valid) return false;
  *data = flash_.data(active_);
  *size = slots_[active_].size;
  return true;
}

const char* ModelSlots::active_model_id() const {
  return active_ < kSlotCount && slots_[active_].valid ? slots_[active_].model_id : "";
}

uint32_t ModelSlots::next_chunk() const {
  // Only the last chunk may be short, so this is the chunk after the last one held.
  return static_cast<uint32_t>((static_cast<uint64_t>(transfer_.received) + transfer_.chunk_size - 1) /
                               transfer_.chunk_size);
}

uint8_t ModelSlots::inactive_slot() const {
  for (uint8_t i = 0; i < kSlotCount; ++i) {
    if (i != active_ && !slots_[i].valid) return i;
  }
  return active_ == wp::kNoSlot ? 0 : static_cast<uint8_t>((active_ + 1) % kSlotCount);
}

// Record payload: u8 format, u8 active, per slot {u8 valid, u32 size, bytes sha256, str model_id}, u8 open,
// and if open {u32 id, u32 size, u32 crc32, bytes sha256, u16 chunk_size, str model_id, u8 target,
// u32 received}. An empty slot is stored as zeros.
bool ModelSlots::save() {
  wp::Writer w(record_buffer_, sizeof(record_buffer_));
  w.u8(kRecordFormat);
  w.u8(active_);
  for (const Stored& s : slots_) {
    w.u8(s.valid ? 1 : 0);
    w.u32(s.valid ? s.size : 0);
    w.bytes(s.valid ? wp::Bytes{s.sha256, wp::kSha256Bytes} : wp::Bytes{});
    w.str(s.valid ? wp::Str{s.model_id, s.model_id_size} : wp::Str{});
  }
  const Transfer& t = transfer_;
  w.u8(t.open ? 1 : 0);
  if (t.open) {
    w.u32(t.id);
    w.u32(t.size);
    w.u32(t.crc32);
    w.bytes(wp::Bytes{t.sha256, wp::kSha256Bytes});
    w.u16(t.chunk_size);
    w.str(wp::Str{t.model_id, t.model_id_size});
    w.u8(t.target);
    w.u32(t.received);
  }
  return w.ok() && record_.write(record_buffer_, w.size());
}

Refusal ModelSlots::flash_failure(const char* what) {
  Text(text_, kMaxTextBytes).add("the board could not write its flash (").add(what).add("); try again");
  return {wp::ErrorCode::kInternal, text_};
}

char* ModelSlots::add_note() { return note_count_ < kMaxNotes ? notes_[note_count_++] : nullptr; }

// -- boot -------------------------------------------------------------------------------------------

void ModelSlots::load() {
  for (Stored& s : slots_) s = Stored{};
  transfer_ = Transfer{};
  active_ = wp::kNoSlot;
  note_count_ = 0;
  ++changes_;
  if (!geometry_ok()) {
    if (char* note = add_note()) {
      Text(note, kMaxTextBytes).add("the board's model flash is set up wrongly (slot or record page sizes); "
                                    "it cannot store models");
    }
    return;
  }
  size_t size = 0;
  const SlotRecord::Found found = record_.load(record_buffer_, sizeof(record_buffer_), &size);
  if (found == SlotRecord::Found::kBlank) return;  // never written: no model, nothing to say
  uint8_t stored_active = wp::kNoSlot;
  if (found == SlotRecord::Found::kDamaged || !parse_record(size, &stored_active)) {
    for (Stored& s : slots_) s = Stored{};
    transfer_ = Transfer{};
    if (char* note = add_note()) {
      Text(note, kMaxTextBytes).add(found == SlotRecord::Found::kDamaged ? "the slot record is damaged (no copy passes its CRC)"
                                                                         : "the slot record is not one this firmware reads")
          .add("; the slots count as empty and no model is active until one is uploaded");
    }
    return;
  }
  // The transfer's target was marked empty before its first byte was written; anything else is not a
  // record this code wrote.
  const bool target_was_valid = transfer_.open && transfer_.target < kSlotCount && slots_[transfer_.target].valid;
  check_slots();
  choose_active(stored_active);
  check_transfer(target_was_valid);
}

bool ModelSlots::parse_record(size_t size, uint8_t* stored_active) {
  wp::Reader r(record_buffer_, size);
  uint8_t format = 0;
  r.u8(&format);
  r.u8(stored_active);
  for (Stored& s : slots_) {
    uint8_t valid = 0;
    wp::Bytes sha;
    wp::Str id;
    r.u8(&valid);
    r.u32(&s.size);
    r.bytes(&sha);
    r.str(&id);
    if (!r.ok()) return false;
    if (valid > 1 || sha.size != (valid ? wp::kSha256Bytes : 0)) return false;
    s.valid = valid == 1;
    if (valid) std::memcpy(s.sha256, sha.data, wp::kSha256Bytes);
    copy_model_id(id, s.model_id, &s.model_id_size);
  }
  uint8_t open = 0;
  r.u8(&open);
  if (open > 1) return false;
  Transfer& t = transfer_;
  t.open = open == 1;
  if (t.open) {
    wp::Bytes sha;
    wp::Str id;
    r.u32(&t.id);
    r.u32(&t.size);
    r.u32(&t.crc32);
    r.bytes(&sha);
    r.u16(&t.chunk_size);
    r.str(&id);
    r.u8(&t.target);
    r.u32(&t.received);
    if (!r.ok() || sha.size != wp::kSha256Bytes) return false;
    std::memcpy(t.sha256, sha.data, wp::kSha256Bytes);
    copy_model_id(id, t.model_id, &t.model_id_size);
  }
  r.finish();
  return r.ok() && format == kRecordFormat;
}

void ModelSlots::check_slots() {
  for (uint8_t i = 0; i < kSlotCount; ++i) {
    Stored& s = slots_[i];
    if (!s.valid) continue;
    bool intact = s.size > 0 && s.size <= flash_.slot_capacity();
    if (intact) {
      uint8_t digest[crypto::kSha256DigestBytes];
      crypto::Sha256::hash(flash_.data(i), s.size, digest);
      intact = std::memcmp(digest, s.sha256, sizeof(digest)) == 0;
    }
    const char* problem = intact ? check_.check(flash_.data(i), s.size) : "";
    if (intact && (problem == nullptr || problem[0] == '\0')) continue;
    s = Stored{};
    char* note = add_note();
    if (note == nullptr) continue;
    Text text(note, kMaxTextBytes);
    text.add("slot ").slot_name(i);
    if (!intact) {
      text.add(" does not match its size and SHA-256 (damaged flash?); it counts as empty");
    } else {
      text.add(" holds a model this board cannot run (").add(problem).add("); it counts as empty").fit();
    }
  }
}

void ModelSlots::choose_active(uint8_t stored) {
  active_ = wp::kNoSlot;
  if (stored == wp::kNoSlot) return;
  char* note = nullptr;
  if (stored >= kSlotCount) {
    if ((note = add_note()) != nullptr) {
      Text(note, kMaxTextBytes).add("the slot record does not name slot A, B or none (it says ").add(stored)
          .add("); no model is active until one is flashed or a slot is activated");
    }
    return;
  }
  if (slots_[stored].valid) {
    active_ = stored;
    return;
  }
  // As an A/B bootloader does: the other slot, if it holds a model.
  const uint8_t other = static_cast<uint8_t>((stored + 1) % kSlotCount);
  if ((note = add_note()) == nullptr) return;
  Text text(note, kMaxTextBytes);
  text.add("the active slot ").slot_name(stored);
  if (slots_[other].valid) {
    active_ = other;
    text.add(" is unusable; slot ").slot_name(other).add(" ('").add(slots_[other].model_id)
        .add("') is active instead").fit();
  } else {
    text.add(" is unusable and no other slot holds a model; no model is active");
  }
}

void ModelSlots::check_transfer(bool target_was_valid) {
  Transfer& t = transfer_;
  if (!t.open) return;
  uint32_t logged = 0;
  if (record_.latest(&logged)) t.received = logged;
  const bool ok = !target_was_valid && t.size >= 1 && t.size <= max_model_bytes() && t.chunk_size >= kMinChunkBytes &&
                  t.chunk_size <= kMaxChunkBytes && t.received <= t.size &&
                  (t.received % t.chunk_size == 0 || t.received == t.size) &&
                  (t.target == wp::kNoSlot ? t.received == 0 : t.target < kSlotCount);
  if (ok) return;
  t = Transfer{};
  if (char* note = add_note()) {
    Text(note, kMaxTextBytes).add("an interrupted upload cannot be resumed (its record is not valid); "
                                  "the next upload starts over");
  }
}

// -- requests ---------------------------------------------------------------------------------------

Refusal ModelSlots::begin(const wp::ModelBegin& m, wp::TransferStatus* status) {
  const size_t max = max_model_bytes();
  if (m.size == 0 || m.size > max) {
    Text(text_, kMaxTextBytes).add("model of ").add(m.size).add(" bytes does not fit: this board takes at most ")
        .add(static_cast<uint32_t>(max));
    return {wp::ErrorCode::kBadArgument, text_};
  }
  if (m.sha256.size != wp::kSha256Bytes || m.chunk_size < kMinChunkBytes || m.chunk_size > kMaxChunkBytes) {
    return {wp::ErrorCode::kBadArgument, "ModelBegin needs a 32-byte SHA-256 and a chunk size of 16-4000 bytes"};
  }
  Transfer& t = transfer_;
  const bool same = t.open && t.id == m.transfer_id && same_sha(t.sha256, m.sha256) && t.size == m.size &&
                    t.chunk_size == m.chunk_size;
  if (!same) {
    // Anything but the very same upload starts over: resuming needs identical chunking.
    const Transfer previous = t;
    t = Transfer{};
    t.open = true;
    t.id = m.transfer_id;
    t.size = m.size;
    t.crc32 = m.crc32;
    std::memcpy(t.sha256, m.sha256.data, wp::kSha256Bytes);
    t.chunk_size = m.chunk_size;
    copy_model_id(m.model_id, t.model_id, &t.model_id_size);
    if (!save()) {
      t = previous;
      return flash_failure("the slot record");
    }
  }
  *status = wp::TransferStatus{t.id, static_cast<uint8_t>(wp::TransferState::kReceiving), t.received, next_chunk(),
                               wp::Str{}};
  return {};
}

Refusal ModelSlots::chunk(const wp::ModelChunk& m, wp::ChunkAck* ack) {
  Transfer& t = transfer_;
  *ack = wp::ChunkAck{m.transfer_id, m.index, 0, static_cast<uint8_t>(wp::ChunkStatus::kUnknownTransfer)};
  if (!t.open || t.id != m.transfer_id) return {};
  ack->next_chunk = next_chunk();
  const uint64_t end = static_cast<uint64_t>(t.received) + m.data.size;
  if (m.index != ack->next_chunk) {
    ack->status = static_cast<uint8_t>(wp::ChunkStatus::kOutOfOrder);
  } else if (wp::crc32(m.data.data, m.data.size) != m.crc32) {
    ack->status = static_cast<uint8_t>(wp::ChunkStatus::kCrcMismatch);
  } else if (end > t.size || (m.data.size != t.chunk_size && end != t.size)) {
    ack->status = static_cast<uint8_t>(wp::ChunkStatus::kTooLarge);
  } else {
    const Refusal refusal = write_chunk(m.data);
    if (refusal.refused()) return refusal;
    ack->next_chunk = next_chunk();
    ack->status = static_cast<uint8_t>(wp::ChunkStatus::kOk);
  }
  return {};
}

Refusal ModelSlots::write_chunk(const wp::Bytes& data) {
  Transfer& t = transfer_;
  if (t.target == wp::kNoSlot) {
    // The first bytes: from here on the target slot holds a partial model, so the record says it is
    // empty before anything in it is erased.
    const uint8_t target = inactive_slot();
    const bool was_valid = slots_[target].valid;
    slots_[target].valid = false;
    t.target = target;
    if (!save()) {
      slots_[target].valid = was_valid;
      t.target = wp::kNoSlot;
      return flash_failure("the slot record");
    }
  }
  if (data.size == 0) return {};
  // Erase each unit just before its first byte is written; after a cut the chunk is written again over
  // the very same bytes.
  const size_t unit = flash_.erase_unit();
  const size_t end = t.received + data.size;
  for (size_t at = (t.received + unit - 1) / unit * unit; at < end; at += unit) {
    if (!flash_.erase(t.target, at)) return flash_failure("a model slot");
  }
  if (!flash_.write(t.target, t.received, data.data, data.size)) return flash_failure("a model slot");
  const uint32_t received = static_cast<uint32_t>(end);
  if (!record_.append(received)) {
    // The progress log is full (or failed): a whole new record carries the count.
    const uint32_t before = t.received;
    t.received = received;
    if (!save()) {
      t.received = before;
      return flash_failure("the slot record");
    }
  }
  t.received = received;
  return {};
}

wp::TransferResult ModelSlots::finish(uint32_t transfer_id) {
  wp::TransferResult result{transfer_id, 0, active_, wp::Str{}, wp::Str{}};
  Transfer& t = transfer_;
  if (!t.open || t.id != transfer_id) {
    result.message = wp::Str::of("no such transfer in progress");
    return result;
  }
  char arrived[64];
  const char* problem = "";
  bool abort_transfer = true;
  if (t.received != t.size) {
    Text(arrived, sizeof(arrived) - 1).add("only ").add(t.received).add(" of ").add(t.size).add(" bytes arrived");
    problem = arrived;
  } else {
    const uint8_t* image = flash_.data(t.target);
    uint8_t digest[crypto::kSha256DigestBytes];
    crypto::Sha256::hash(image, t.size, digest);
    if (wp::crc32(image, t.size) != t.crc32) {
      problem = "CRC-32 of the whole model does not match";
    } else if (std::memcmp(digest, t.sha256, sizeof(digest)) != 0) {
      problem = "SHA-256 of the whole model does not match";
    } else {
      problem = check_.check(image, t.size);  // the whole image, in place, before the switch
      if (problem == nullptr) problem = "";
    }
  }
  if (problem[0] == '\0') {
    // The switch-over: slot, active pointer and the end of the transfer in one record write.
    Stored& s = slots_[t.target];
    const uint8_t previous_active = active_;
    s.valid = true;
    s.size = t.size;
    std::memcpy(s.sha256, t.sha256, sizeof(s.sha256));
    std::memcpy(s.model_id, t.model_id, sizeof(s.model_id));
    s.model_id_size = t.model_id_size;
    active_ = t.target;
    t.open = false;
    if (save()) {
      ++changes_;
      t = Transfer{};
      return wp::TransferResult{transfer_id, 1, active_, wp::Str{s.model_id, s.model_id_size},
                                wp::Str::of("verified and active")};
    }
    // The model is intact in its slot: keep the transfer, so the same upload resumes at its end.
    s.valid = false;
    active_ = previous_active;
    t.open = true;
    problem = "the board could not write its flash (the slot record)";
    abort_transfer = false;
  }
  if (abort_transfer) {
    t.open = false;
    save();  // if this fails the stale transfer resumes after a restart, and is refused again
    t = Transfer{};
  }
  const char* kept = active_ != wp::kNoSlot ? kKept : kNoneKept;
  Text text(text_, kMaxTextBytes - std::strlen(kept));
  text.add(problem).fit();
  std::memcpy(text_ + text.size(), kept, std::strlen(kept) + 1);
  result.slot = active_;
  result.model_id = wp::Str::of(active_model_id());
  result.message = wp::Str::of(text_);
  return result;
}

Refusal ModelSlots::abort(uint32_t transfer_id) {
  Transfer& t = transfer_;
  if (!t.open || t.id != transfer_id) return {};
  t.open = false;
  if (!save()) {
    t.open = true;
    return flash_failure("the slot record");
  }
  t = Transfer{};
  return {};
}

wp::ModelSlots ModelSlots::query() const {
  wp::ModelSlots q;
  q.active_slot = active_;
  q.slot_count = kSlotCount;
  for (uint8_t i = 0; i < kSlotCount; ++i) {
    wp::SlotInfo& info = q.slots[i];
    info.slot = i;
    const Stored& s = slots_[i];
    if (!s.valid) continue;
    info.valid = 1;
    info.size = s.size;
    info.sha256 = wp::Bytes{s.sha256, wp::kSha256Bytes};
    info.model_id = wp::Str{s.model_id, s.model_id_size};
  }
  q.transfer_id = transfer_.open ? transfer_.id : 0;
  q.transfer_received = transfer_.open ? transfer_.received : 0;
  return q;
}

Refusal ModelSlots::activate(uint8_t slot) {
  if (slot >= kSlotCount || !slots_[slot].valid) {
    Text(text_, kMaxTextBytes).add("slot ").add(slot).add(" holds no model");
    return {wp::ErrorCode::kBadArgument, text_};
  }
  if (slot == active_) return {};
  const uint8_t previous = active_;
  active_ = slot;
  if (!save()) {
    active_ = previous;
    return flash_failure("the slot record");
  }
  ++changes_;
  return {};
}

// -- the Board's entry point ------------------------------------------------------------------------

namespace {

template <class M>
bool decoded(const wp::Packet& packet, M* message, board::Board& board) {
  const wp::WireError error = wp::decode_message(packet, message);
  if (error == wp::WireError::kOk) return true;
  // The core answers malformed requests before extensions see them; this only guards a direct caller.
  board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, wp::wire_error_name(error));
  return false;
}

void reply(const Refusal& refusal, uint16_t seq, board::Board& board) {
  if (refusal.refused()) {
    board.reply_error(seq, refusal.code, refusal.text);
  } else {
    board.ack(seq);
  }
}

}  // namespace

bool ModelSlots::on_request(const wp::Packet& packet, board::Board& board) {
  switch (packet.type) {
    case wp::ModelBegin::kType: {
      wp::ModelBegin m;
      if (!decoded(packet, &m, board)) return true;
      wp::TransferStatus status;
      const Refusal refusal = begin(m, &status);
      if (refusal.refused()) {
        board.reply_error(packet.seq, refusal.code, refusal.text);
      } else {
        board.send(status);
      }
      return true;
    }
    case wp::ModelChunk::kType: {
      wp::ModelChunk m;
      if (!decoded(packet, &m, board)) return true;
      wp::ChunkAck ack;
      const Refusal refusal = chunk(m, &ack);
      if (refusal.refused()) {
        board.reply_error(packet.seq, refusal.code, refusal.text);  // no ack: the host sends it again
      } else {
        board.send(ack);
      }
      return true;
    }
    case wp::ModelFinish::kType: {
      wp::ModelFinish m;
      if (decoded(packet, &m, board)) board.send(finish(m.transfer_id));
      return true;
    }
    case wp::ModelAbort::kType: {
      wp::ModelAbort m;
      if (decoded(packet, &m, board)) reply(abort(m.transfer_id), packet.seq, board);
      return true;
    }
    case wp::ModelQuery::kType: {
      wp::ModelQuery m;
      if (decoded(packet, &m, board)) board.send(query());
      return true;
    }
    case wp::ModelActivate::kType: {
      wp::ModelActivate m;
      if (decoded(packet, &m, board)) reply(activate(m.slot), packet.seq, board);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace slots
}  // namespace wandlab
