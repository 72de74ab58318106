// Wire messages of protocol version 1: one struct per message type, field for field the Python
// dataclasses in app/wandlab/protocol/{session,stream,model,enroll,controller,simulation}.py
// (docs/protocol.md has the table).
//
// Each struct has kType, write(Writer&) and read(Reader&). Use the templates at the bottom:
//
//   uint8_t frame[kMaxFrameBytes];
//   size_t n = encode_message(Ack{request.seq}, next_seq++, frame, sizeof(frame));
//
//   StreamStart start;
//   if (decode_message(packet, &start) == WireError::kOk) ...
//
// Decoded Str / Bytes / I16Array fields are views into the packet's payload.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet.h"
#include "wire.h"

namespace wandlab {
namespace protocol {

constexpr uint16_t kProtocolVersion = 1;

// Type-byte ranges (registry.py FAMILIES). Types outside every range are never assigned.
enum class Family : uint8_t { kSession, kStream, kModel, kEnroll, kController, kSimulation, kNone };
Family family_of(uint8_t type);
// The message's name ("StreamStart"), or nullptr for a type no message has.
const char* message_name(uint8_t type);

// Storage limits of the C++ structs (the wire allows up to 255 of each).
constexpr size_t kMaxSensors = 8;
constexpr size_t kMaxEnrolledLabels = 32;
constexpr size_t kMaxModelSlots = 4;  // ModelSlots.slots (boards have 2: A/B)
constexpr size_t kMaxClassRefs = 32;   // RefListReply.classes
constexpr size_t kMaxHidActions = 32;  // HidMapSet.actions, HidMap.actions

// -- session family (0x00-0x0F) ------------------------------------------------------------------

enum class SensorKind : uint8_t { kAccel = 1, kGyro = 2, kMicrophone = 3 };

struct SensorInfo {
  uint8_t kind = 0;     // SensorKind
  uint32_t rate_hz = 0;
  float range = 0.0f;   // full scale: g, deg/s, or 1.0 for PCM
  float scale = 0.0f;   // physical units per LSB
  Str units;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board, first message of a session. The board answers with Info.
struct Hello {
  static constexpr uint8_t kType = 0x01;
  uint16_t protocol_version = kProtocolVersion;
  Str host;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

constexpr uint8_t kBatteryUnknown = 255;  // on USB power, or no battery gauge

// Board -> host: everything the host needs to know about the board.
struct Info {
  static constexpr uint8_t kType = 0x02;
  Str board_name;
  Str firmware_version;
  uint16_t protocol_version = kProtocolVersion;
  Str board_uid;
  SensorInfo sensors[kMaxSensors];
  size_t sensor_count = 0;
  uint8_t model_slots = 0;
  uint32_t max_model_bytes = 0;
  uint32_t arena_bytes = 0;
  uint32_t free_ram_bytes = 0;
  Str active_model_id;
  Str enrolled_labels[kMaxEnrolledLabels];
  size_t enrolled_label_count = 0;
  uint8_t battery_percent = kBatteryUnknown;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct Ping {
  static constexpr uint8_t kType = 0x03;
  uint32_t token = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host: answers Ping with the same token.
struct Pong {
  static constexpr uint8_t kType = 0x04;
  uint32_t token = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host: the request whose packet seq was `ref_seq` was carried out.
struct Ack {
  static constexpr uint8_t kType = 0x05;
  uint16_t ref_seq = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

enum class ErrorCode : uint16_t {
  kUnknownMessage = 1,
  kBadArgument = 2,
  kUnsupported = 3,  // e.g. the Sim* family on a real board
  kBusy = 4,
  kInternal = 5,
};

constexpr uint16_t kNoRequest = 0xFFFF;  // Error.ref_seq when the error answers no request

// Board -> host: the request `ref_seq` failed.
struct Error {
  static constexpr uint8_t kType = 0x0E;
  uint16_t ref_seq = kNoRequest;
  uint16_t code = 0;  // ErrorCode
  Str message;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

enum class LogLevel : uint8_t { kDebug = 10, kInfo = 20, kWarning = 30, kError = 40 };

struct Log {
  static constexpr uint8_t kType = 0x0F;
  uint8_t level = 0;  // LogLevel
  Str text;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// -- stream family (0x10-0x1F) -------------------------------------------------------------------

// StreamStart/StreamStop.sensors bit mask.
constexpr uint8_t kSensorImu = 1;
constexpr uint8_t kSensorAudio = 2;

struct StreamStart {
  static constexpr uint8_t kType = 0x10;
  uint8_t sensors = 0;
  uint16_t imu_rate_hz = 0;  // 0: the board's default rate

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct StreamStop {
  static constexpr uint8_t kType = 0x11;
  uint8_t sensors = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Consecutive IMU samples, interleaved per sample: ax ay az [gx gy gz].
struct ImuBlock {
  static constexpr uint8_t kType = 0x12;
  uint32_t block_seq = 0;     // per sensor, +1 per block: a gap is a lost block
  uint32_t first_sample = 0;  // index of the first sample since streaming started (mod 2^32)
  uint16_t rate_hz = 0;
  uint8_t axes = 0;           // 3 (accel) or 6 (accel + gyro)
  float accel_scale = 0.0f;   // g per LSB
  float gyro_scale = 0.0f;    // deg/s per LSB
  I16Array data;              // samples * axes values

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Consecutive mono int16 PCM samples.
struct AudioBlock {
  static constexpr uint8_t kType = 0x13;
  uint32_t block_seq = 0;
  uint32_t first_sample = 0;
  uint16_t rate_hz = 0;
  I16Array data;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host, about once a second while streaming and once right before StreamStop's Ack.
struct StreamStats {
  static constexpr uint8_t kType = 0x14;
  uint32_t imu_blocks = 0;
  uint32_t audio_blocks = 0;
  uint32_t imu_dropped = 0;
  uint32_t audio_dropped = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct ButtonEvent {
  static constexpr uint8_t kType = 0x15;
  uint8_t button = 0;
  uint8_t pressed = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// -- model family (0x20-0x2F): push a model in numbered chunks; the board verifies it, writes the
// inactive slot (A/B) and makes it active with one atomic write. docs/protocol.md has the flow.

constexpr size_t kSha256Bytes = 32;
constexpr uint8_t kNoSlot = 255;  // ModelSlots.active_slot when no slot holds a model

enum class TransferState : uint8_t {
  kIdle = 0,
  kReceiving = 1,
  kComplete = 2,  // all chunks in, waiting for ModelFinish
  kFailed = 3,
};

enum class ChunkStatus : uint8_t {
  kOk = 0,
  kCrcMismatch = 1,
  kOutOfOrder = 2,  // not the chunk the board expects next; next_chunk says which
  kUnknownTransfer = 3,
  kTooLarge = 4,
};

// Host -> board: a transfer starts, or resumes if the board holds part of the same one.
struct ModelBegin {
  static constexpr uint8_t kType = 0x20;
  uint32_t transfer_id = 0;
  uint32_t size = 0;        // bytes of the whole model
  uint32_t crc32 = 0;       // of the whole model
  Bytes sha256;             // kSha256Bytes, of the whole model
  uint16_t chunk_size = 0;  // every chunk but the last has exactly this many bytes
  Str model_id;
  Bytes metadata;           // UTF-8 JSON: labels, feature config, hashes (the bundle manifest)

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host, answer to ModelBegin: where to (re)start.
struct TransferStatus {
  static constexpr uint8_t kType = 0x21;
  uint32_t transfer_id = 0;
  uint8_t state = 0;  // TransferState
  uint32_t received_bytes = 0;
  uint32_t next_chunk = 0;
  Str message;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: chunk `index` of the transfer.
struct ModelChunk {
  static constexpr uint8_t kType = 0x22;
  uint32_t transfer_id = 0;
  uint32_t index = 0;
  uint32_t crc32 = 0;  // of data: lets the board name the bad chunk, not just drop a frame
  Bytes data;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host, one per ModelChunk: the board holds every chunk before next_chunk.
struct ChunkAck {
  static constexpr uint8_t kType = 0x23;
  uint32_t transfer_id = 0;
  uint32_t index = 0;
  uint32_t next_chunk = 0;
  uint8_t status = 0;  // ChunkStatus

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: all chunks sent; verify and activate. The board answers TransferResult.
struct ModelFinish {
  static constexpr uint8_t kType = 0x24;
  uint32_t transfer_id = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host after ModelFinish: verified and active, or why not (the old model stays active).
struct TransferResult {
  static constexpr uint8_t kType = 0x25;
  uint32_t transfer_id = 0;
  uint8_t ok = 0;
  uint8_t slot = 0;  // the slot now active
  Str model_id;
  Str message;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: drop the transfer (the board answers Ack).
struct ModelAbort {
  static constexpr uint8_t kType = 0x26;
  uint32_t transfer_id = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct SlotInfo {
  uint8_t slot = 0;
  uint8_t valid = 0;  // 1: holds a verified model
  uint32_t size = 0;
  Bytes sha256;       // kSha256Bytes, or empty for an empty slot
  Str model_id;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: which models are stored? The board answers ModelSlots. No fields.
struct ModelQuery {
  static constexpr uint8_t kType = 0x27;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct ModelSlots {
  static constexpr uint8_t kType = 0x28;
  uint8_t active_slot = kNoSlot;
  SlotInfo slots[kMaxModelSlots];
  size_t slot_count = 0;
  uint32_t transfer_id = 0;        // 0: no transfer in progress
  uint32_t transfer_received = 0;  // bytes of it the board holds

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: make a stored slot the active one (rollback to the previous model). Ack or Error.
struct ModelActivate {
  static constexpr uint8_t kType = 0x29;
  uint8_t slot = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// -- enroll family (0x30-0x3F): reference embeddings on the board, for k-NN recognition without
// retraining. The board captures and embeds takes itself (EnrollStart), or the host uploads
// references it computed (RefUpload). docs/protocol.md has the flow.

// RefClear / RefDownload.class_id: every class; EnrollStart.class_id: the board picks (the class with
// that label, else a free id).
constexpr uint8_t kAllClasses = 255;

enum class EnrollState : uint8_t {
  kWaiting = 0,   // armed: perform the gesture now
  kCaptured = 1,  // one take embedded
  kDone = 2,
  kFailed = 3,
};

enum class RefSource : uint8_t {
  kBundle = 0,    // from the model bundle
  kEnrolled = 1,  // enrolled on the board
  kUploaded = 2,  // uploaded by the host
};

// Host -> board: capture `shots` takes of a class (added or extended) and store their embeddings.
// The board answers Ack, then EnrollProgress per take (WAITING, CAPTURED), then DONE or FAILED.
struct EnrollStart {
  static constexpr uint8_t kType = 0x30;
  uint8_t class_id = 0;
  Str label;
  uint8_t shots = 0;
  uint32_t timeout_ms = 15000;  // per take

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host: where the enrollment is.
struct EnrollProgress {
  static constexpr uint8_t kType = 0x31;
  uint8_t class_id = 0;
  uint8_t shot = 0;   // takes captured so far
  uint8_t shots = 0;
  uint8_t state = 0;  // EnrollState
  Str message;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: stop the enrollment in progress. No fields.
struct EnrollCancel {
  static constexpr uint8_t kType = 0x32;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct ClassRefs {
  uint8_t class_id = 0;
  Str label;
  uint8_t count = 0;        // reference embeddings stored for the class
  float threshold = 0.0f;   // squared int8 distance under which a window is this class
  uint8_t source = 0;       // RefSource

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: which references are stored? The board answers RefListReply. No fields.
struct RefList {
  static constexpr uint8_t kType = 0x33;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct RefListReply {
  static constexpr uint8_t kType = 0x34;
  uint8_t dim = 0;  // embedding size (int8 values per reference)
  ClassRefs classes[kMaxClassRefs];
  size_t class_count = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: forget the references of a class (kAllClasses: of every class).
struct RefClear {
  static constexpr uint8_t kType = 0x35;
  uint8_t class_id = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: references computed on the PC; they replace that class's references.
struct RefUpload {
  static constexpr uint8_t kType = 0x36;
  uint8_t class_id = 0;
  Str label;
  float threshold = 0.0f;
  uint8_t dim = 0;
  Bytes embeddings;  // count * dim int8 values, one reference after another

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: send a class's references back (kAllClasses: every class's). The board answers one
// RefData per class, then Ack.
struct RefDownload {
  static constexpr uint8_t kType = 0x37;
  uint8_t class_id = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct RefData {
  static constexpr uint8_t kType = 0x38;
  uint8_t class_id = 0;
  Str label;
  float threshold = 0.0f;
  uint8_t dim = 0;
  Bytes embeddings;  // count * dim int8 values

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// -- controller family (0x40-0x4F): what the board does with a recognition (the HID map, sent over
// BLE HID) and inference events that let the host watch it decide.

constexpr uint8_t kNoClass = 255;  // InferenceEvent.class_id: none of the classes (open set)

enum class ActionKind : uint8_t {
  kNone = 0,
  kKey = 1,         // code: USB HID keyboard usage id (0x04 a, 0x4F right arrow, ...)
  kConsumer = 2,    // code: USB HID consumer usage id (0xCD play/pause, 0xE9 volume up, ...)
  kMouseClick = 3,  // code: button mask (1 left, 2 right, 4 middle)
  kMouseMove = 4,   // dx, dy in counts
};

// HidAction.modifiers / HidReport.modifiers bit mask.
constexpr uint8_t kModifierCtrl = 0x01;
constexpr uint8_t kModifierShift = 0x02;
constexpr uint8_t kModifierAlt = 0x04;
constexpr uint8_t kModifierGui = 0x08;

struct HidAction {
  uint8_t class_id = 0;
  uint8_t kind = 0;  // ActionKind
  uint16_t code = 0;
  uint8_t modifiers = 0;
  int16_t dx = 0;
  int16_t dy = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: replace the whole map; the board persists it.
struct HidMapSet {
  static constexpr uint8_t kType = 0x40;
  HidAction actions[kMaxHidActions];
  size_t action_count = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: the board answers HidMap. No fields.
struct HidMapGet {
  static constexpr uint8_t kType = 0x41;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct HidMap {
  static constexpr uint8_t kType = 0x42;
  uint8_t enabled = 0;  // BLE HID output on
  HidAction actions[kMaxHidActions];
  size_t action_count = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: BLE HID output on (1) or off (0).
struct HidEnable {
  static constexpr uint8_t kType = 0x43;
  uint8_t enabled = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: run the active model on the live sensors and report every decision.
struct RecognizeStart {
  static constexpr uint8_t kType = 0x44;
  uint8_t events = 1;  // 0: recognise (and press keys) silently

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Host -> board: stop recognising. No fields.
struct RecognizeStop {
  static constexpr uint8_t kType = 0x45;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host: one decision. class_id kNoClass means "none of these"; label is the nearest class's.
struct InferenceEvent {
  static constexpr uint8_t kType = 0x46;
  uint32_t sample_index = 0;  // IMU sample index at the end of the window
  uint8_t class_id = kNoClass;
  Str label;
  float distance = 0.0f;  // to the nearest reference of the winning (or nearest) class
  float margin = 0.0f;    // threshold - distance: > 0 accepted
  uint32_t latency_us = 0;  // features + inference + k-NN on the board

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// Board -> host: the HID report the board just sent (or would send with HID off).
struct HidReport {
  static constexpr uint8_t kType = 0x47;
  uint8_t class_id = 0;
  uint8_t kind = 0;  // ActionKind
  uint16_t code = 0;
  uint8_t modifiers = 0;
  uint8_t sent = 0;  // 1: sent over BLE HID; 0: HID is off or no host bonded

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// -- simulation family (0x70-0x7F): scripts the virtual wand; a real board answers Error
// kUnsupported, but still decodes them so that malformed ones are told apart.

struct SimPerform {
  static constexpr uint8_t kType = 0x70;
  Str gesture;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct SimSay {
  static constexpr uint8_t kType = 0x71;
  Str text;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct SimPerson {
  static constexpr uint8_t kType = 0x72;
  uint16_t person = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct SimUnplug {
  static constexpr uint8_t kType = 0x73;
  uint32_t millis = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

struct SimButton {
  static constexpr uint8_t kType = 0x74;
  uint8_t button = 0;

  bool write(Writer& w) const;
  bool read(Reader& r);
};

// -- encode / decode -----------------------------------------------------------------------------

// Payload bytes of `message` into `out`; *size gets their count.
template <class M>
WireError encode_payload(const M& message, uint8_t* out, size_t capacity, size_t* size) {
  Writer w(out, capacity);
  message.write(w);
  if (w.ok()) *size = w.size();
  return w.error();
}

// Whole payload into `message`: fails on a truncated payload and on trailing bytes.
template <class M>
WireError decode_payload(const uint8_t* payload, size_t size, M* message) {
  Reader r(payload, size);
  message->read(r);
  r.finish();
  return r.error();
}

template <class M>
WireError decode_message(const Packet& packet, M* message) {
  if (packet.type != M::kType) return WireError::kWrongType;
  return decode_payload(packet.payload, packet.payload_size, message);
}

// One serial frame carrying `message` into `frame`: payload, header, CRC, COBS and delimiter built
// in place, no scratch buffer. Returns the frame size, 0 if it does not fit (kMaxFrameBytes always
// fits a message whose payload is within kMaxPayload).
template <class M>
size_t encode_message(const M& message, uint16_t seq, uint8_t* frame, size_t capacity) {
  const PayloadSlot slot = payload_slot(frame, capacity);
  Writer w(slot.data, slot.capacity);
  if (!message.write(w)) return 0;
  return frame_payload_in_place(M::kType, 0, seq, frame, capacity, w.size());
}

}  // namespace protocol
}  // namespace wandlab
