// The board's model slots (A/B) and the model transfer: the C++ twin of
// app/wandlab/virtual/model_store.py and of the model family in app/wandlab/virtual/board.py
// (docs/protocol.md, "Model transfer"), over a SlotFlash (slot_flash.h) instead of files.
//
// Same replies and texts as Python for ModelBegin (resume rule, size and chunk-size refusals),
// ModelChunk (ChunkStatus in the same order), ModelFinish (length, CRC-32, SHA-256, then the board's
// ImageCheck, then one atomic switch), ModelAbort, ModelQuery and ModelActivate. What differs, because a
// board has no RAM for a whole model:
//   - The bytes go straight into the target slot as chunks arrive. The target is chosen, as Python's
//     finish chooses it, when the first chunk arrives (the first empty slot that is not active, else the
//     inactive one), and it is marked empty in the record before anything is erased. So a model kept for
//     rollback in that slot is gone from then on, even if the upload is later refused or aborted (Python
//     keeps it until finish); the active model always stays.
//   - ModelBegin.metadata is not stored: nothing on the board reads it (the board image carries labels,
//     features and references).
//
// Persistent state (slot_record.h): which slot is active, per slot valid/size/SHA-256/model id, and the
// transfer in progress (id, size, CRC-32, SHA-256, chunk size, model id, target slot, bytes received).
// A power cut at any moment leaves the previous or the next state; a half-finished transfer resumes
// with the next identical ModelBegin, at the last chunk whose bytes were complete. load() re-checks
// every slot marked valid (size, SHA-256, the ImageCheck); what fails counts as empty, with a note.
#pragma once

#include <cstddef>
#include <cstdint>

#include "messages.h"
#include "slot_flash.h"
#include "slot_record.h"

namespace wandlab {
namespace board {
class Board;
}  // namespace board

namespace slots {

// The board's own check of a whole image (board image layout, flatbuffers Verifier, ops, arena, ...),
// run on the image in place in flash before it may become active, and at boot.
class ImageCheck {
 public:
  // "" when the board can run the `size` bytes at `image`, else one sentence saying why not.
  virtual const char* check(const uint8_t* image, size_t size) = 0;

 protected:
  ~ImageCheck() = default;
};

constexpr size_t kMaxTextBytes = 255;     // a protocol str (TransferResult.message, Error, Log text)
constexpr size_t kMaxModelIdBytes = 255;  // ModelBegin.model_id is a str
constexpr uint16_t kMinChunkBytes = 16;
constexpr uint16_t kMaxChunkBytes = 4000;
constexpr size_t kMaxNotes = 4;  // a note per slot, the active slot, the transfer (or the record)
// The record's payload at its largest: format, active, 2 x (valid, size, SHA-256, model id), transfer.
constexpr size_t kRecordPayloadBytes =
    2 + kSlotCount * (1 + 4 + 2 + protocol::kSha256Bytes + 1 + kMaxModelIdBytes) +
    1 + (4 + 4 + 4 + 2 + protocol::kSha256Bytes + 2 + 1 + kMaxModelIdBytes + 1 + 4);
// Record pages must hold the largest record and a progress log of at least 64 chunks.
constexpr size_t kMinRecordPageBytes = SlotRecord::kHeaderBytes + kRecordPayloadBytes + 8 + 64 * SlotRecord::kEntryBytes;

// Why a request gets an Error reply instead of its normal answer; `text` null: no refusal.
struct Refusal {
  protocol::ErrorCode code = protocol::ErrorCode::kBadArgument;
  const char* text = nullptr;
  bool refused() const { return text != nullptr; }
};

class ModelSlots {
 public:
  ModelSlots(SlotFlash& flash, ImageCheck& check);
  ModelSlots(const ModelSlots&) = delete;
  ModelSlots& operator=(const ModelSlots&) = delete;

  // Reads the record and re-checks the slots (boot; hashes every valid slot). Call before anything
  // else; until then the board holds no model and no transfer.
  void load();

  // The requests, without a Board: each fills the reply or returns the refusal (its Error reply).
  // Texts live in this object until the next request.
  Refusal begin(const protocol::ModelBegin& request, protocol::TransferStatus* status);
  Refusal chunk(const protocol::ModelChunk& request, protocol::ChunkAck* ack);
  protocol::TransferResult finish(uint32_t transfer_id);
  Refusal abort(uint32_t transfer_id);
  protocol::ModelSlots query() const;
  Refusal activate(uint8_t slot);

  // The model family for the Board (board.h BoardExtension::on_request): decodes, answers through
  // board.send()/reply_error()/ack(). false for a packet of another family.
  bool on_request(const protocol::Packet& packet, board::Board& board);

  // The active model, in place in flash; false when there is none.
  bool active_image(const uint8_t** data, size_t* size) const;
  const char* active_model_id() const;  // "" when none (NUL-terminated, for BoardExtension)
  uint8_t active_slot() const { return active_; }  // protocol::kNoSlot when none
  // +1 whenever the active model changes (load, a finished upload, ModelActivate to another slot): the
  // integrator reloads the interpreter when it differs from the value it last saw.
  uint32_t changes() const { return changes_; }
  size_t max_model_bytes() const;

  // What load() set aside and why, for the board to send as Log WARNING (Python's ModelStore.notes).
  size_t note_count() const { return note_count_; }
  const char* note(size_t i) const { return i < note_count_ ? notes_[i] : ""; }

 private:
  struct Stored {
    bool valid = false;
    uint32_t size = 0;
    uint8_t sha256[protocol::kSha256Bytes] = {};
    uint8_t model_id_size = 0;
    char model_id[kMaxModelIdBytes + 1] = {};
  };
  struct Transfer {
    bool open = false;
    uint32_t id = 0;
    uint32_t size = 0;
    uint32_t crc32 = 0;
    uint8_t sha256[protocol::kSha256Bytes] = {};
    uint16_t chunk_size = 0;
    uint8_t model_id_size = 0;
    char model_id[kMaxModelIdBytes + 1] = {};
    uint8_t target = protocol::kNoSlot;  // chosen by the first chunk
    uint32_t received = 0;
  };

  uint32_t next_chunk() const;
  uint8_t inactive_slot() const;
  bool geometry_ok() const;
  // Writes the whole state as a new record (the one atomic step every change goes through).
  bool save();
  bool parse_record(size_t size, uint8_t* stored_active);
  void check_slots();
  void choose_active(uint8_t stored_active);
  void check_transfer(bool target_was_valid);
  Refusal write_chunk(const protocol::Bytes& data);
  Refusal flash_failure(const char* what);
  char* add_note();

  SlotFlash& flash_;
  ImageCheck& check_;
  SlotRecord record_;
  Stored slots_[kSlotCount];
  uint8_t active_ = protocol::kNoSlot;
  Transfer transfer_;
  uint32_t changes_ = 0;
  uint8_t record_buffer_[kRecordPayloadBytes];
  char text_[kMaxTextBytes + 1];  // the current reply's text
  char notes_[kMaxNotes][kMaxTextBytes + 1];
  size_t note_count_ = 0;
};

}  // namespace slots
}  // namespace wandlab
