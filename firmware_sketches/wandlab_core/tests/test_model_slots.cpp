// Host test: ModelSlots and SlotRecord on a NOR-like RAM flash that can lose power after any byte.
// Build: g++ -std=c++17 -O2 -Isrc tests/test_model_slots.cpp src/{model_slots,slot_record,sha256,board_image,
//        board,crc32,cobs,packet,frame_decoder,wire,messages}.cpp
// Usage: test_model_slots [VALID_IMAGE] [--quick]   VALID_IMAGE: tests/vectors/board_image_valid.bin (a real
//        board image from Python; without it only images built here are used). --quick: the power-cut
//        sweeps cut at every 13th byte instead of every byte (for the sanitizer build).
//
// What must hold: an interrupted transfer resumes; an interrupted record write keeps the old record; an
// image that fails any check never becomes active and the active one stays; A/B alternation; activate,
// abort, query; damaged slots and records at boot fall back as Python's ModelStore does; the flash is
// never asked to turn a 0 bit into 1.

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "board.h"
#include "crc32.h"
#include "model_slots.h"
#include "model_slots_test_support.h"
#include "protocol_test_support.h"
#include "sha256.h"

namespace wb = wandlab::board;
namespace wp = wandlab::protocol;
namespace ws = wandlab::slots;
namespace wt = wandlab::test;
using wt::ByteVec;

namespace {

bool g_quick = false;

std::string str(const wp::Str& s) { return std::string(s.data, s.size); }

// A structurally valid board image of about `filler` + 60 bytes: the smallest flatbuffer head the
// validator accepts, then filler that depends on `salt`, and tiny JSON sections (validate does not read
// them).
ByteVec make_image(size_t filler, uint8_t salt) {
  ByteVec tflm = {0x0c, 0, 0, 0, 'T', 'F', 'L', '3', 4, 0, 4, 0, 4, 0, 0, 0};
  for (size_t i = 0; i < filler; ++i) tflm.push_back(static_cast<uint8_t>(i * 31 + salt));
  ByteVec out = {'W', 'L', 'B', 'I', 1, 0, 4, 0};
  auto section = [&out](const char* tag, const ByteVec& data) {
    out.insert(out.end(), tag, tag + 4);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(data.size() >> (8 * i)));
    out.insert(out.end(), data.begin(), data.end());
  };
  section("TFLM", tflm);
  section("FEAT", ByteVec{'{', '}'});
  section("LABL", ByteVec{'[', ']'});
  section("REFS", ByteVec{'{', '}'});
  return out;
}

ByteVec sha(const ByteVec& b) {
  ByteVec d(32);
  wandlab::crypto::Sha256::hash(b.data(), b.size(), d.data());
  return d;
}

uint32_t transfer_id_of(const ByteVec& blob) {
  const uint32_t crc = wp::crc32(blob.data(), blob.size());
  return crc != 0 ? crc : 1;
}

// The host's side of an upload, on ModelSlots directly.
struct Upload {
  const ByteVec& blob;
  uint16_t chunk;
  std::string model_id;
  ByteVec digest = sha(blob);
  uint32_t id = transfer_id_of(blob);

  uint32_t chunks() const { return static_cast<uint32_t>((blob.size() + chunk - 1) / chunk); }

  ws::Refusal begin(ws::ModelSlots& slots, wp::TransferStatus* status) const {
    wp::ModelBegin m;
    m.transfer_id = id;
    m.size = static_cast<uint32_t>(blob.size());
    m.crc32 = wp::crc32(blob.data(), blob.size());
    m.sha256 = wp::Bytes{digest.data(), digest.size()};
    m.chunk_size = chunk;
    m.model_id = wp::Str{model_id.data(), model_id.size()};
    return slots.begin(m, status);
  }
  ws::Refusal send(ws::ModelSlots& slots, uint32_t index, wp::ChunkAck* ack) const {
    const size_t at = static_cast<size_t>(index) * chunk;
    const size_t n = at + chunk <= blob.size() ? chunk : blob.size() - at;
    wp::ModelChunk m;
    m.transfer_id = id;
    m.index = index;
    m.data = wp::Bytes{blob.data() + at, n};
    m.crc32 = wp::crc32(m.data.data, n);
    return slots.chunk(m, ack);
  }
  // begin, every chunk from where the board is, finish. Stops early (false) once `flash` loses power.
  bool run(ws::ModelSlots& slots, wt::RamSlotFlash& flash, wp::TransferResult* result) const {
    wp::TransferStatus status;
    if (begin(slots, &status).refused() || flash.power_lost()) return false;
    for (uint32_t i = status.next_chunk; i < chunks(); ++i) {
      wp::ChunkAck ack;
      if (send(slots, i, &ack).refused() || flash.power_lost()) return false;
      if (ack.status != static_cast<uint8_t>(wp::ChunkStatus::kOk)) return false;
    }
    *result = slots.finish(id);
    return !flash.power_lost();
  }
};

Upload upload(const ByteVec& blob, uint16_t chunk, const char* model_id) { return Upload{blob, chunk, model_id}; }

// A board's boot: a fresh ModelSlots on the same flash.
std::unique_ptr<ws::ModelSlots> boot(wt::RamSlotFlash& flash, ws::ImageCheck& check) {
  std::unique_ptr<ws::ModelSlots> slots(new ws::ModelSlots(flash, check));
  slots->load();
  return slots;
}

bool active_is(const ws::ModelSlots& slots, const ByteVec& blob) {
  const uint8_t* data = nullptr;
  size_t size = 0;
  return slots.active_image(&data, &size) && size == blob.size() && std::memcmp(data, blob.data(), size) == 0;
}

std::string notes(const ws::ModelSlots& slots) {
  std::string out;
  for (size_t i = 0; i < slots.note_count(); ++i) out += std::string(i ? " | " : "") + slots.note(i);
  return out;
}

// -- the tests --------------------------------------------------------------------------------------

void fresh_board_holds_nothing() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  CHECK(slots->note_count() == 0);
  CHECK(slots->active_slot() == wp::kNoSlot);
  CHECK(std::string(slots->active_model_id()).empty());
  CHECK(slots->max_model_bytes() == 8192);
  const wp::ModelSlots q = slots->query();
  CHECK(q.active_slot == wp::kNoSlot && q.slot_count == 2 && q.transfer_id == 0 && q.transfer_received == 0);
  CHECK(q.slots[0].slot == 0 && q.slots[1].slot == 1 && q.slots[0].valid == 0 && q.slots[1].sha256.size == 0);
  const uint8_t* data = nullptr;
  size_t size = 0;
  CHECK(!slots->active_image(&data, &size));
}

void uploads_alternate_between_a_and_b() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec x = make_image(3000, 1), y = make_image(2000, 2), z = make_image(5000, 3);
  const uint32_t changes = slots->changes();
  wp::TransferResult r;
  CHECK(upload(x, 256, "x").run(*slots, flash, &r));
  CHECK(r.ok == 1 && r.slot == 0 && str(r.model_id) == "x" && str(r.message) == "verified and active");
  CHECK(upload(y, 1000, "y").run(*slots, flash, &r));
  CHECK(r.ok == 1 && r.slot == 1 && str(r.model_id) == "y");
  CHECK(active_is(*slots, y) && std::string(slots->active_model_id()) == "y");
  CHECK(upload(z, 16, "z").run(*slots, flash, &r));  // slot A holds the older model: it goes
  CHECK(r.ok == 1 && r.slot == 0 && active_is(*slots, z));
  CHECK(slots->changes() == changes + 3);
  const wp::ModelSlots q = slots->query();
  CHECK(q.active_slot == 0 && q.slots[0].valid == 1 && q.slots[1].valid == 1 && q.slots[1].size == y.size());
  CHECK(ByteVec(q.slots[1].sha256.data, q.slots[1].sha256.data + 32) == sha(y) && str(q.slots[1].model_id) == "y");
  // All of it survives a restart, checked again.
  const int calls = check.calls;
  auto again = boot(flash, check);
  CHECK_MSG(again->note_count() == 0, notes(*again));
  CHECK(again->active_slot() == 0 && active_is(*again, z) && std::string(again->active_model_id()) == "z");
  CHECK(check.calls == calls + 2);  // both slots re-checked at boot
  CHECK(flash.violations == 0 && flash.misuses == 0);
}

void an_interrupted_transfer_resumes_after_a_restart() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec x = make_image(5000, 4);
  const Upload up{x, 300, "x"};
  wp::TransferStatus status;
  CHECK(!up.begin(*slots, &status).refused() && status.next_chunk == 0 && status.received_bytes == 0);
  for (uint32_t i = 0; i < 9; ++i) {
    wp::ChunkAck ack;
    CHECK(!up.send(*slots, i, &ack).refused() && ack.status == 0 && ack.next_chunk == i + 1);
  }
  slots = boot(flash, check);
  CHECK_MSG(slots->note_count() == 0, notes(*slots));
  const wp::ModelSlots q = slots->query();
  CHECK(q.transfer_id == up.id && q.transfer_received == 9 * 300);
  CHECK(!up.begin(*slots, &status).refused() && status.next_chunk == 9 && status.received_bytes == 2700);
  // Another chunk size is another upload: it starts over.
  const Upload other{x, 200, "x"};
  CHECK(!other.begin(*slots, &status).refused() && status.next_chunk == 0);
  wp::TransferResult r;
  CHECK(other.run(*slots, flash, &r) && r.ok == 1 && active_is(*slots, x));
  CHECK(flash.violations == 0);
}

// A power cut after every byte (or every 13th) of a whole upload while both slots hold a model (B active,
// A the older one, which the upload replaces): after the restart the board runs the old model or the new
// one, says nothing is wrong, and the same upload then resumes and completes.
void a_power_cut_anywhere_in_an_upload_leaves_the_old_or_the_new_model() {
  const ByteVec older_model = make_image(2000, 4), old_model = make_image(2500, 5), new_model = make_image(3300, 6);
  const Upload older_up{older_model, 512, "older"}, old_up{old_model, 512, "old"}, new_up{new_model, 400, "new"};
  long total = 0;
  {
    wt::RamSlotFlash flash(8192, 1024, 2048);
    wt::SwitchableCheck check;
    auto slots = boot(flash, check);
    wp::TransferResult r;
    older_up.run(*slots, flash, &r);
    old_up.run(*slots, flash, &r);
    const long before = flash.bytes_touched;
    CHECK(new_up.run(*slots, flash, &r) && r.ok == 1);
    total = flash.bytes_touched - before;
  }
  int old_active = 0, new_active = 0, failures = 0;
  // Every cut point (every 13th in --quick), and the last few always: the switch-over is the final bytes.
  for (long cut = 0; cut <= total; cut += (g_quick && cut < total - 16) ? 13 : 1) {
    wt::RamSlotFlash flash(8192, 1024, 2048);
    wt::SwitchableCheck check;
    auto slots = boot(flash, check);
    wp::TransferResult r;
    older_up.run(*slots, flash, &r);
    old_up.run(*slots, flash, &r);
    flash.cut_after(cut);
    new_up.run(*slots, flash, &r);
    flash.restore_power();
    slots = boot(flash, check);
    const bool is_old = active_is(*slots, old_model) && slots->active_slot() == 1;
    const bool is_new = active_is(*slots, new_model) && slots->active_slot() == 0;
    old_active += is_old;
    new_active += is_new;
    bool ok = (is_old || is_new) && slots->note_count() == 0;
    if (ok && is_old) {  // the same upload again: resumes where the flash says, and completes
      ok = new_up.run(*slots, flash, &r) && r.ok == 1 && active_is(*slots, new_model);
      auto after = boot(flash, check);
      ok = ok && active_is(*after, new_model) && after->note_count() == 0;
    }
    ok = ok && flash.violations == 0 && flash.misuses == 0;
    if (!ok && ++failures <= 5) {
      CHECK_MSG(false, "cut after " + std::to_string(cut) + " of " + std::to_string(total) + " bytes: notes '" +
                           notes(*slots) + "', violations " + std::to_string(flash.violations));
    }
  }
  CHECK_MSG(failures == 0, std::to_string(failures) + " cut points failed");
  CHECK(old_active > 0 && new_active > 0);
  std::printf("power cuts in an upload: %d old model, %d new model, %ld bytes swept\n", old_active, new_active, total);
}

// A cut inside one record write (ModelActivate's switch): the old record or the new one, never none.
void a_power_cut_in_a_record_write_keeps_the_old_record() {
  const ByteVec a = make_image(1000, 7), b = make_image(1200, 8);
  long total = 0;
  int as = 0, bs = 0, failures = 0;
  for (long cut = 0;; ++cut) {
    wt::RamSlotFlash flash(4096, 1024, 2048);
    wt::SwitchableCheck check;
    auto slots = boot(flash, check);
    wp::TransferResult r;
    upload(a, 128, "a").run(*slots, flash, &r);
    upload(b, 128, "b").run(*slots, flash, &r);
    CHECK(slots->activate(0).text == nullptr);  // A active; the next switch goes back to B
    const long before = flash.bytes_touched;
    flash.cut_after(cut);
    const ws::Refusal refusal = slots->activate(1);
    const bool finished = !flash.power_lost();
    if (finished) {
      CHECK(!refusal.refused());
      total = flash.bytes_touched - before;
    } else {
      CHECK(refusal.refused() && refusal.code == wp::ErrorCode::kInternal);
      CHECK(slots->active_slot() == 0);  // RAM keeps what the flash says
    }
    flash.restore_power();
    slots = boot(flash, check);
    const bool ok = slots->note_count() == 0 && ((slots->active_slot() == 0 && active_is(*slots, a)) ||
                                                 (slots->active_slot() == 1 && active_is(*slots, b)));
    as += slots->active_slot() == 0;
    bs += slots->active_slot() == 1;
    if (!ok && ++failures <= 5) CHECK_MSG(false, "cut after " + std::to_string(cut) + ": " + notes(*slots));
    if (finished) break;
  }
  CHECK(failures == 0 && as > 0 && bs > 0);
  CHECK(total >= 2048);  // the page erase and the record itself
}

void refused_images_never_become_active() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec good = make_image(2000, 9), other = make_image(2100, 10);
  ByteVec bad_magic = make_image(2000, 11);
  bad_magic[0] = 'X';
  wp::TransferResult r;
  // Nothing active yet.
  CHECK(upload(bad_magic, 500, "evil").run(*slots, flash, &r));
  CHECK(r.ok == 0 && r.slot == wp::kNoSlot && str(r.model_id).empty());
  CHECK(str(r.message) == "not a board image this firmware can run (bad_magic); the board still has no active model");
  CHECK(slots->active_slot() == wp::kNoSlot && slots->query().transfer_id == 0);
  CHECK(upload(good, 500, "good").run(*slots, flash, &r) && r.ok == 1 && r.slot == 0);
  const uint32_t changes = slots->changes();
  // The board's own check refuses (an arena too small, say): the active model stays.
  check.refusal = "the model's tensors do not fit this board's 4096 byte tensor arena";
  CHECK(upload(other, 500, "other").run(*slots, flash, &r));
  CHECK(r.ok == 0 && r.slot == 0 && str(r.model_id) == "good");
  CHECK(str(r.message) == check.refusal + "; the previous model stays active");
  check.refusal.clear();
  CHECK(active_is(*slots, good) && slots->changes() == changes);
  // Intact bytes with the wrong hash, or the wrong CRC: refused before the check runs.
  ByteVec wrong_sha = sha(other);
  wrong_sha[0] ^= 1;
  const Upload up{other, 500, "other"};
  wp::ModelBegin m;
  m.transfer_id = 5;
  m.size = static_cast<uint32_t>(other.size());
  m.crc32 = wp::crc32(other.data(), other.size());
  m.sha256 = wp::Bytes{wrong_sha.data(), 32};
  m.chunk_size = 500;
  wp::TransferStatus status;
  CHECK(!slots->begin(m, &status).refused());
  for (uint32_t i = 0; i < up.chunks(); ++i) {
    wp::ModelChunk c;
    c.transfer_id = 5;
    c.index = i;
    const size_t n = std::min<size_t>(500, other.size() - i * 500);
    c.data = wp::Bytes{other.data() + i * 500, n};
    c.crc32 = wp::crc32(c.data.data, n);
    wp::ChunkAck ack;
    slots->chunk(c, &ack);
    CHECK(ack.status == 0);
  }
  const int calls = check.calls;
  r = slots->finish(5);
  CHECK(r.ok == 0 && str(r.message) == "SHA-256 of the whole model does not match; the previous model stays active");
  CHECK(check.calls == calls && active_is(*slots, good));
  // Finish before all bytes arrived.
  CHECK(!up.begin(*slots, &status).refused());
  wp::ChunkAck ack;
  up.send(*slots, 0, &ack);
  r = slots->finish(up.id);
  CHECK(str(r.message) == "only 500 of " + std::to_string(other.size()) +
                              " bytes arrived; the previous model stays active");
  r = slots->finish(up.id);
  CHECK(r.ok == 0 && r.slot == 0 && str(r.model_id).empty() && str(r.message) == "no such transfer in progress");
  // A refused image is not remembered as valid: after a restart slot B is empty, A active.
  slots = boot(flash, check);
  CHECK(slots->note_count() == 0 && slots->active_slot() == 0 && slots->query().slots[1].valid == 0);
  CHECK(flash.violations == 0);
}

void a_long_refusal_is_cut_to_fit_the_wire_as_python_does() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec good = make_image(1000, 12), other = make_image(1000, 13);
  wp::TransferResult r;
  upload(good, 256, "good").run(*slots, flash, &r);
  check.refusal.clear();
  for (int i = 0; i < 150; ++i) check.refusal += "\xc3\xa9";  // 300 bytes of é
  CHECK(upload(other, 256, "other").run(*slots, flash, &r) && r.ok == 0);
  // fit_text(problem, 255 - 33): the first 219 bytes, less the half é, then "...", then the 33-byte tail.
  std::string want;
  for (int i = 0; i < 109; ++i) want += "\xc3\xa9";
  want += "...; the previous model stays active";
  CHECK(str(r.message) == want);
  CHECK(r.message.size <= 255 && wp::is_valid_utf8(reinterpret_cast<const uint8_t*>(r.message.data), r.message.size));
}

void the_transfer_checks_chunks_as_python_does() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec x = make_image(1000, 14);
  const Upload up{x, 400, "x"};
  wp::TransferStatus status;
  wp::ChunkAck ack;
  CHECK(!up.send(*slots, 0, &ack).refused());
  CHECK(ack.status == 3 && ack.next_chunk == 0 && ack.transfer_id == up.id);  // UNKNOWN_TRANSFER
  CHECK(!up.begin(*slots, &status).refused());
  up.send(*slots, 1, &ack);
  CHECK(ack.status == 2 && ack.next_chunk == 0 && ack.index == 1);  // OUT_OF_ORDER
  wp::ModelChunk c;
  c.transfer_id = up.id;
  c.index = 0;
  c.data = wp::Bytes{x.data(), 400};
  c.crc32 = 1;
  slots->chunk(c, &ack);
  CHECK(ack.status == 1 && ack.next_chunk == 0);  // CRC_MISMATCH
  c.data.size = 399;
  c.crc32 = wp::crc32(x.data(), 399);
  slots->chunk(c, &ack);
  CHECK(ack.status == 4);  // TOO_LARGE: short but not the last
  up.send(*slots, 0, &ack);
  CHECK(ack.status == 0 && ack.next_chunk == 1);
  // ModelBegin refusals, with Python's texts.
  wp::ModelBegin m;
  m.transfer_id = 1;
  m.size = 8193;
  m.chunk_size = 100;
  ws::Refusal refusal = slots->begin(m, &status);
  CHECK(refusal.code == wp::ErrorCode::kBadArgument &&
        std::string(refusal.text) == "model of 8193 bytes does not fit: this board takes at most 8192");
  m.size = 100;
  refusal = slots->begin(m, &status);
  CHECK(std::string(refusal.text) == "ModelBegin needs a 32-byte SHA-256 and a chunk size of 16-4000 bytes");
  CHECK(slots->query().transfer_id == up.id);  // a refused ModelBegin leaves the transfer alone
  // Abort: another id changes nothing, this one drops it, also across a restart.
  CHECK(!slots->abort(up.id + 1).refused() && slots->query().transfer_id == up.id);
  CHECK(!slots->abort(up.id).refused() && slots->query().transfer_id == 0);
  up.send(*slots, 1, &ack);
  CHECK(ack.status == 3);
  slots = boot(flash, check);
  CHECK(slots->query().transfer_id == 0 && slots->note_count() == 0);
}

void activate_switches_to_a_stored_slot_only() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  ws::Refusal refusal = slots->activate(0);
  CHECK(refusal.code == wp::ErrorCode::kBadArgument && std::string(refusal.text) == "slot 0 holds no model");
  const ByteVec a = make_image(1000, 15), b = make_image(1000, 16);
  wp::TransferResult r;
  upload(a, 256, "a").run(*slots, flash, &r);
  upload(b, 256, "b").run(*slots, flash, &r);
  const uint32_t changes = slots->changes();
  CHECK(!slots->activate(1).refused() && slots->changes() == changes);  // already active: nothing changes
  CHECK(!slots->activate(0).refused() && slots->active_slot() == 0 && slots->changes() == changes + 1);
  CHECK(std::string(slots->activate(2).text) == "slot 2 holds no model");
  CHECK(std::string(slots->activate(255).text) == "slot 255 holds no model");
  slots = boot(flash, check);
  CHECK(slots->active_slot() == 0 && active_is(*slots, a));
  // A transfer's first chunk takes the inactive slot (B): from then on B holds no model to activate.
  const ByteVec c = make_image(1500, 17);
  const Upload up{c, 256, "c"};
  wp::TransferStatus status;
  wp::ChunkAck ack;
  up.begin(*slots, &status);
  CHECK(!slots->activate(1).refused());  // begin alone destroys nothing
  CHECK(!slots->activate(0).refused());
  up.send(*slots, 0, &ack);
  CHECK(ack.status == 0 && slots->query().slots[1].valid == 0);
  CHECK(std::string(slots->activate(1).text) == "slot 1 holds no model");
  CHECK(slots->active_slot() == 0 && active_is(*slots, a));
}

void damaged_slots_at_boot_fall_back_as_an_ab_bootloader() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec a = make_image(1000, 18), b = make_image(1000, 19);
  wp::TransferResult r;
  upload(a, 256, "a").run(*slots, flash, &r);
  upload(b, 256, "b").run(*slots, flash, &r);  // B active
  flash.slot_bytes(1)[500] ^= 0x10;
  slots = boot(flash, check);
  CHECK(notes(*slots) ==
        "slot B does not match its size and SHA-256 (damaged flash?); it counts as empty | "
        "the active slot B is unusable; slot A ('a') is active instead");
  CHECK(slots->active_slot() == 0 && active_is(*slots, a) && slots->query().slots[1].valid == 0);
  flash.slot_bytes(1)[500] ^= 0x10;
  // A model the (new) firmware cannot run counts as empty too.
  check.refusal = "the model uses op(s) the firmware does not have: TANH";
  slots = boot(flash, check);
  CHECK(notes(*slots) ==
        "slot A holds a model this board cannot run (the model uses op(s) the firmware does not have: TANH); "
        "it counts as empty | slot B holds a model this board cannot run (the model uses op(s) the firmware "
        "does not have: TANH); it counts as empty | the active slot B is unusable and no other slot holds a "
        "model; no model is active");
  CHECK(slots->active_slot() == wp::kNoSlot && std::string(slots->active_model_id()).empty());
  check.refusal.clear();
  slots = boot(flash, check);  // nothing was written: with the old check both are fine again
  CHECK(slots->note_count() == 0 && slots->active_slot() == 1 && active_is(*slots, b));
}

void damaged_records_fall_back_to_the_other_copy_or_to_nothing() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec a = make_image(1000, 20), b = make_image(1000, 21);
  wp::TransferResult r;
  upload(a, 256, "a").run(*slots, flash, &r);
  upload(b, 256, "b").run(*slots, flash, &r);
  CHECK(!slots->activate(0).refused());
  // The newer copy is the one written last; damage it: the older one (B active) is used.
  uint32_t seq[2];
  for (uint8_t p = 0; p < 2; ++p) std::memcpy(&seq[p], flash.record_bytes(p).data() + 4, 4);
  const uint8_t newer = seq[0] > seq[1] ? 0 : 1;
  flash.record_bytes(newer)[20] ^= 0x01;
  slots = boot(flash, check);
  CHECK_MSG(slots->note_count() == 0, notes(*slots));
  CHECK(slots->active_slot() == 1 && active_is(*slots, b));
  // Both damaged: no model, one note; the next upload writes a good record again.
  flash.record_bytes(1 - newer)[20] ^= 0x01;
  slots = boot(flash, check);
  CHECK(notes(*slots) == "the slot record is damaged (no copy passes its CRC); the slots count as empty and no "
                         "model is active until one is uploaded");
  CHECK(slots->active_slot() == wp::kNoSlot);
  CHECK(upload(a, 256, "a").run(*slots, flash, &r) && r.ok == 1);
  slots = boot(flash, check);
  CHECK(slots->note_count() == 0 && active_is(*slots, a));
  // A half-written record page without its magic (a cut before the first record completed) is a blank
  // board, with nothing to say.
  wt::RamSlotFlash fresh(8192, 1024, 2048);
  fresh.record_bytes(0)[100] = 0x00;
  slots = boot(fresh, check);
  CHECK(slots->note_count() == 0 && slots->active_slot() == wp::kNoSlot);
}

void the_progress_log_spares_the_record_pages() {
  // The smallest record page: the log holds well under a hundred chunks, then a new record carries on.
  wt::RamSlotFlash flash(16384, 4096, ws::kMinRecordPageBytes);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec x = make_image(12000, 22);
  const Upload up{x, 16, "x"};  // 754 chunks
  wp::TransferStatus status;
  CHECK(!up.begin(*slots, &status).refused());
  for (uint32_t i = 0; i < 500; ++i) {
    wp::ChunkAck ack;
    up.send(*slots, i, &ack);
    CHECK(ack.status == 0);
  }
  slots = boot(flash, check);
  CHECK(!up.begin(*slots, &status).refused() && status.next_chunk == 500);
  wp::TransferResult r;
  CHECK(up.run(*slots, flash, &r) && r.ok == 1 && active_is(*slots, x));
  const long erases = flash.record_erases[0] + flash.record_erases[1];
  CHECK_MSG(erases <= 2 + 754 / 64 + 2, std::to_string(erases) + " record page erases");
  std::printf("record page erases: %ld for an upload of %u chunks (16 B) on %zu-byte record pages\n", erases,
              up.chunks(), ws::kMinRecordPageBytes);
  // A 4 KB page (nRF52840) and the app's 2 KB chunks: begin, first chunk, finish.
  wt::RamSlotFlash big(256 * 1024, 4096, 4096);
  slots = boot(big, check);
  const ByteVec model = make_image(200000, 23);
  CHECK(upload(model, 2048, "big").run(*slots, big, &r) && r.ok == 1);
  std::printf("record page erases: %ld for a %zu-byte model in 2048-byte chunks on 4096-byte pages\n",
              big.record_erases[0] + big.record_erases[1], model.size());
  CHECK(big.record_erases[0] + big.record_erases[1] == 3);
}

void flash_failures_are_reported_and_retried() {
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  const ByteVec x = make_image(2000, 24);
  const Upload up{x, 512, "x"};
  wp::TransferStatus status;
  flash.fail_next(1);
  ws::Refusal refusal = up.begin(*slots, &status);
  CHECK(refusal.code == wp::ErrorCode::kInternal &&
        std::string(refusal.text) == "the board could not write its flash (the slot record); try again");
  CHECK(slots->query().transfer_id == 0);
  CHECK(!up.begin(*slots, &status).refused());
  wp::ChunkAck ack;
  CHECK(!up.send(*slots, 0, &ack).refused());
  flash.fail_next(1);  // the slot write of chunk 1
  refusal = up.send(*slots, 1, &ack);
  CHECK(refusal.refused() && std::string(refusal.text) == "the board could not write its flash (a model slot); try again");
  CHECK(slots->query().transfer_received == 512);
  wp::TransferResult r;
  CHECK(up.run(*slots, flash, &r) && r.ok == 1 && active_is(*slots, x));
  CHECK(flash.violations == 0);
}

void the_board_entry_point_answers_the_model_family() {
  class Sink : public wb::ByteSink {
   public:
    bool write(const uint8_t* data, size_t size) override {
      packets.emplace_back(data, data + size);
      return true;
    }
    size_t room() const override { return 1 << 20; }
    std::vector<ByteVec> packets;
  } sink;
  class Still : public wb::Clock {
   public:
    uint32_t micros() const override { return 0; }
  } clock;
  class Quiet : public wb::SensorControl {
   public:
    bool start_imu(uint16_t) override { return false; }
    void stop_imu() override {}
    bool start_audio() override { return false; }
    void stop_audio() override {}
  } sensors;
  wt::RamSlotFlash flash(8192, 1024, 2048);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  class Ext : public wb::BoardExtension {
   public:
    explicit Ext(ws::ModelSlots& s) : s_(s) {}
    bool on_request(const wp::Packet& p, wb::Board& b) override { return s_.on_request(p, b); }
    const char* active_model_id() const override { return s_.active_model_id(); }
    ws::ModelSlots& s_;
  } ext(*slots);
  wb::BoardDescription description;
  wb::Board board(description, sink, clock, sensors, &ext);
  board.use_link(sink, wb::Framing::kPacket);
  auto request = [&](const auto& message, uint16_t seq) {
    uint8_t payload[wp::kMaxPayload];
    wp::Writer w(payload, sizeof(payload));
    message.write(w);
    sink.packets.clear();
    board.receive_packet(wp::Packet{std::decay_t<decltype(message)>::kType, 0, seq, payload, w.size()});
    CHECK(sink.packets.size() == 1);
    wp::Packet reply;
    CHECK(wp::unpack_packet(sink.packets.back().data(), sink.packets.back().size(), &reply) == wp::PacketError::kOk);
    return std::make_pair(reply.type, ByteVec(reply.payload, reply.payload + reply.payload_size));
  };
  auto q = request(wp::ModelQuery{}, 3);
  wp::ModelSlots answer;
  CHECK(q.first == wp::ModelSlots::kType &&
        wp::decode_payload(q.second.data(), q.second.size(), &answer) == wp::WireError::kOk && answer.slot_count == 2);
  auto e = request(wp::ModelActivate{1}, 4);
  wp::Error error;
  CHECK(e.first == wp::Error::kType && wp::decode_payload(e.second.data(), e.second.size(), &error) == wp::WireError::kOk);
  CHECK(error.ref_seq == 4 && error.code == 2 && str(error.message) == "slot 1 holds no model");
  auto a = request(wp::ModelAbort{7}, 5);
  CHECK(a.first == wp::Ack::kType);
  wp::Packet other{wp::Ping::kType, 0, 6, nullptr, 0};
  CHECK(!slots->on_request(other, board));
}

void a_misconfigured_flash_stores_nothing() {
  wt::RamSlotFlash flash(8192, 1024, 512);  // record pages below kMinRecordPageBytes
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  CHECK(slots->note_count() == 1 && slots->max_model_bytes() == 0);
  wp::TransferStatus status;
  const ByteVec x = make_image(100, 25);
  CHECK(std::string(upload(x, 64, "x").begin(*slots, &status).text) ==
        "model of " + std::to_string(x.size()) + " bytes does not fit: this board takes at most 0");
}

void the_golden_image_goes_through(const char* path) {
  std::ifstream f(path, std::ios::binary);
  CHECK_MSG(static_cast<bool>(f), std::string("cannot read ") + path);
  const ByteVec image((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  wt::RamSlotFlash flash(32768, 4096, 4096);
  wt::SwitchableCheck check;
  auto slots = boot(flash, check);
  wp::TransferResult r;
  CHECK(upload(image, 2048, "gesture_accel").run(*slots, flash, &r) && r.ok == 1 && active_is(*slots, image));
  ByteVec truncated(image.begin(), image.begin() + image.size() / 2);
  CHECK(upload(truncated, 2048, "half").run(*slots, flash, &r) && r.ok == 0);
  CHECK(str(r.message) == "not a board image this firmware can run (truncated_section); the previous model stays active");
}

}  // namespace

int main(int argc, char** argv) {
  const char* image = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--quick") {
      g_quick = true;
    } else {
      image = argv[i];
    }
  }
  fresh_board_holds_nothing();
  uploads_alternate_between_a_and_b();
  an_interrupted_transfer_resumes_after_a_restart();
  a_power_cut_anywhere_in_an_upload_leaves_the_old_or_the_new_model();
  a_power_cut_in_a_record_write_keeps_the_old_record();
  refused_images_never_become_active();
  a_long_refusal_is_cut_to_fit_the_wire_as_python_does();
  the_transfer_checks_chunks_as_python_does();
  activate_switches_to_a_stored_slot_only();
  damaged_slots_at_boot_fall_back_as_an_ab_bootloader();
  damaged_records_fall_back_to_the_other_copy_or_to_nothing();
  the_progress_log_spares_the_record_pages();
  flash_failures_are_reported_and_retried();
  the_board_entry_point_answers_the_model_family();
  a_misconfigured_flash_stores_nothing();
  if (image != nullptr) the_golden_image_goes_through(image);
  std::printf("sizeof(ModelSlots) = %zu bytes, record payload at most %zu bytes\n", sizeof(ws::ModelSlots),
              ws::kRecordPayloadBytes);
  const wt::Tally& t = wt::tally();
  std::printf("%s: %d checks, failures=%d\n", t.failures == 0 ? "OK" : "FAILED", t.checks, t.failures);
  return t.failures == 0 ? 0 : 1;
}
