#include "messages.h"

namespace wandlab {
namespace protocol {

Family family_of(uint8_t type) {
  switch (type >> 4) {
    case 0x0: return Family::kSession;
    case 0x1: return Family::kStream;
    case 0x2: return Family::kModel;
    case 0x3: return Family::kEnroll;
    case 0x4: return Family::kController;
    case 0x7: return Family::kSimulation;
    default: return Family::kNone;
  }
}

const char* message_name(uint8_t type) {
  switch (type) {
    case Hello::kType: return "Hello";
    case Info::kType: return "Info";
    case Ping::kType: return "Ping";
    case Pong::kType: return "Pong";
    case Ack::kType: return "Ack";
    case Error::kType: return "Error";
    case Log::kType: return "Log";
    case StreamStart::kType: return "StreamStart";
    case StreamStop::kType: return "StreamStop";
    case ImuBlock::kType: return "ImuBlock";
    case AudioBlock::kType: return "AudioBlock";
    case StreamStats::kType: return "StreamStats";
    case ButtonEvent::kType: return "ButtonEvent";
    case ModelBegin::kType: return "ModelBegin";
    case TransferStatus::kType: return "TransferStatus";
    case ModelChunk::kType: return "ModelChunk";
    case ChunkAck::kType: return "ChunkAck";
    case ModelFinish::kType: return "ModelFinish";
    case TransferResult::kType: return "TransferResult";
    case ModelAbort::kType: return "ModelAbort";
    case ModelQuery::kType: return "ModelQuery";
    case ModelSlots::kType: return "ModelSlots";
    case ModelActivate::kType: return "ModelActivate";
    case EnrollStart::kType: return "EnrollStart";
    case EnrollProgress::kType: return "EnrollProgress";
    case EnrollCancel::kType: return "EnrollCancel";
    case RefList::kType: return "RefList";
    case RefListReply::kType: return "RefListReply";
    case RefClear::kType: return "RefClear";
    case RefUpload::kType: return "RefUpload";
    case RefDownload::kType: return "RefDownload";
    case RefData::kType: return "RefData";
    case HidMapSet::kType: return "HidMapSet";
    case HidMapGet::kType: return "HidMapGet";
    case HidMap::kType: return "HidMap";
    case HidEnable::kType: return "HidEnable";
    case RecognizeStart::kType: return "RecognizeStart";
    case RecognizeStop::kType: return "RecognizeStop";
    case InferenceEvent::kType: return "InferenceEvent";
    case HidReport::kType: return "HidReport";
    case SimPerform::kType: return "SimPerform";
    case SimSay::kType: return "SimSay";
    case SimPerson::kType: return "SimPerson";
    case SimUnplug::kType: return "SimUnplug";
    case SimButton::kType: return "SimButton";
    default: return nullptr;
  }
}

// -- session -------------------------------------------------------------------------------------

bool SensorInfo::write(Writer& w) const {
  return w.u8(kind) && w.u32(rate_hz) && w.f32(range) && w.f32(scale) && w.str(units);
}

bool SensorInfo::read(Reader& r) {
  return r.u8(&kind) && r.u32(&rate_hz) && r.f32(&range) && r.f32(&scale) && r.str(&units);
}

bool Hello::write(Writer& w) const { return w.u16(protocol_version) && w.str(host); }
bool Hello::read(Reader& r) { return r.u16(&protocol_version) && r.str(&host); }

bool Info::write(Writer& w) const {
  if (sensor_count > kMaxSensors || enrolled_label_count > kMaxEnrolledLabels) {
    w.count(0x100);  // records kTooMany
    return false;
  }
  bool ok = w.str(board_name) && w.str(firmware_version) && w.u16(protocol_version) &&
            w.str(board_uid) && w.count(sensor_count);
  for (size_t i = 0; ok && i < sensor_count; ++i) ok = sensors[i].write(w);
  ok = ok && w.u8(model_slots) && w.u32(max_model_bytes) && w.u32(arena_bytes) &&
       w.u32(free_ram_bytes) && w.str(active_model_id) && w.count(enrolled_label_count);
  for (size_t i = 0; ok && i < enrolled_label_count; ++i) ok = w.str(enrolled_labels[i]);
  return ok && w.u8(battery_percent);
}

bool Info::read(Reader& r) {
  bool ok = r.str(&board_name) && r.str(&firmware_version) && r.u16(&protocol_version) &&
            r.str(&board_uid) && r.count(&sensor_count, kMaxSensors);
  for (size_t i = 0; ok && i < sensor_count; ++i) ok = sensors[i].read(r);
  ok = ok && r.u8(&model_slots) && r.u32(&max_model_bytes) && r.u32(&arena_bytes) &&
       r.u32(&free_ram_bytes) && r.str(&active_model_id) &&
       r.count(&enrolled_label_count, kMaxEnrolledLabels);
  for (size_t i = 0; ok && i < enrolled_label_count; ++i) ok = r.str(&enrolled_labels[i]);
  return ok && r.u8(&battery_percent);
}

bool Ping::write(Writer& w) const { return w.u32(token); }
bool Ping::read(Reader& r) { return r.u32(&token); }

bool Pong::write(Writer& w) const { return w.u32(token); }
bool Pong::read(Reader& r) { return r.u32(&token); }

bool Ack::write(Writer& w) const { return w.u16(ref_seq); }
bool Ack::read(Reader& r) { return r.u16(&ref_seq); }

bool Error::write(Writer& w) const { return w.u16(ref_seq) && w.u16(code) && w.str(message); }
bool Error::read(Reader& r) { return r.u16(&ref_seq) && r.u16(&code) && r.str(&message); }

bool Log::write(Writer& w) const { return w.u8(level) && w.str(text); }
bool Log::read(Reader& r) { return r.u8(&level) && r.str(&text); }

// -- stream --------------------------------------------------------------------------------------

bool StreamStart::write(Writer& w) const { return w.u8(sensors) && w.u16(imu_rate_hz); }
bool StreamStart::read(Reader& r) { return r.u8(&sensors) && r.u16(&imu_rate_hz); }

bool StreamStop::write(Writer& w) const { return w.u8(sensors); }
bool StreamStop::read(Reader& r) { return r.u8(&sensors); }

bool ImuBlock::write(Writer& w) const {
  return w.u32(block_seq) && w.u32(first_sample) && w.u16(rate_hz) && w.u8(axes) &&
         w.f32(accel_scale) && w.f32(gyro_scale) && w.i16array(data);
}

bool ImuBlock::read(Reader& r) {
  if (!(r.u32(&block_seq) && r.u32(&first_sample) && r.u16(&rate_hz) && r.u8(&axes) &&
        r.f32(&accel_scale) && r.f32(&gyro_scale) && r.i16array(&data))) {
    return false;
  }
  // Same rule as the Python side: only whole 3- or 6-axis samples exist.
  if ((axes != 3 && axes != 6) || data.count % axes != 0) return r.reject();
  return true;
}

bool AudioBlock::write(Writer& w) const {
  return w.u32(block_seq) && w.u32(first_sample) && w.u16(rate_hz) && w.i16array(data);
}

bool AudioBlock::read(Reader& r) {
  return r.u32(&block_seq) && r.u32(&first_sample) && r.u16(&rate_hz) && r.i16array(&data);
}

bool StreamStats::write(Writer& w) const {
  return w.u32(imu_blocks) && w.u32(audio_blocks) && w.u32(imu_dropped) && w.u32(audio_dropped);
}

bool StreamStats::read(Reader& r) {
  return r.u32(&imu_blocks) && r.u32(&audio_blocks) && r.u32(&imu_dropped) &&
         r.u32(&audio_dropped);
}

bool ButtonEvent::write(Writer& w) const { return w.u8(button) && w.u8(pressed); }
bool ButtonEvent::read(Reader& r) { return r.u8(&button) && r.u8(&pressed); }

// -- model ---------------------------------------------------------------------------------------

bool ModelBegin::write(Writer& w) const {
  return w.u32(transfer_id) && w.u32(size) && w.u32(crc32) && w.bytes(sha256) &&
         w.u16(chunk_size) && w.str(model_id) && w.bytes(metadata);
}

bool ModelBegin::read(Reader& r) {
  return r.u32(&transfer_id) && r.u32(&size) && r.u32(&crc32) && r.bytes(&sha256) &&
         r.u16(&chunk_size) && r.str(&model_id) && r.bytes(&metadata);
}

bool TransferStatus::write(Writer& w) const {
  return w.u32(transfer_id) && w.u8(state) && w.u32(received_bytes) && w.u32(next_chunk) &&
         w.str(message);
}

bool TransferStatus::read(Reader& r) {
  return r.u32(&transfer_id) && r.u8(&state) && r.u32(&received_bytes) && r.u32(&next_chunk) &&
         r.str(&message);
}

bool ModelChunk::write(Writer& w) const {
  return w.u32(transfer_id) && w.u32(index) && w.u32(crc32) && w.bytes(data);
}

bool ModelChunk::read(Reader& r) {
  return r.u32(&transfer_id) && r.u32(&index) && r.u32(&crc32) && r.bytes(&data);
}

bool ChunkAck::write(Writer& w) const {
  return w.u32(transfer_id) && w.u32(index) && w.u32(next_chunk) && w.u8(status);
}

bool ChunkAck::read(Reader& r) {
  return r.u32(&transfer_id) && r.u32(&index) && r.u32(&next_chunk) && r.u8(&status);
}

bool ModelFinish::write(Writer& w) const { return w.u32(transfer_id); }
bool ModelFinish::read(Reader& r) { return r.u32(&transfer_id); }

bool TransferResult::write(Writer& w) const {
  return w.u32(transfer_id) && w.u8(ok) && w.u8(slot) && w.str(model_id) && w.str(message);
}

bool TransferResult::read(Reader& r) {
  return r.u32(&transfer_id) && r.u8(&ok) && r.u8(&slot) && r.str(&model_id) && r.str(&message);
}

bool ModelAbort::write(Writer& w) const { return w.u32(transfer_id); }
bool ModelAbort::read(Reader& r) { return r.u32(&transfer_id); }

bool SlotInfo::write(Writer& w) const {
  return w.u8(slot) && w.u8(valid) && w.u32(size) && w.bytes(sha256) && w.str(model_id);
}

bool SlotInfo::read(Reader& r) {
  return r.u8(&slot) && r.u8(&valid) && r.u32(&size) && r.bytes(&sha256) && r.str(&model_id);
}

// No fields: the payload is empty (decode_payload still refuses trailing bytes).
bool ModelQuery::write(Writer& w) const { return w.ok(); }
bool ModelQuery::read(Reader& r) { return r.ok(); }

bool ModelSlots::write(Writer& w) const {
  if (slot_count > kMaxModelSlots) {
    w.count(0x100);  // records kTooMany
    return false;
  }
  bool ok = w.u8(active_slot) && w.count(slot_count);
  for (size_t i = 0; ok && i < slot_count; ++i) ok = slots[i].write(w);
  return ok && w.u32(transfer_id) && w.u32(transfer_received);
}

bool ModelSlots::read(Reader& r) {
  bool ok = r.u8(&active_slot) && r.count(&slot_count, kMaxModelSlots);
  for (size_t i = 0; ok && i < slot_count; ++i) ok = slots[i].read(r);
  return ok && r.u32(&transfer_id) && r.u32(&transfer_received);
}

bool ModelActivate::write(Writer& w) const { return w.u8(slot); }
bool ModelActivate::read(Reader& r) { return r.u8(&slot); }

// -- enroll --------------------------------------------------------------------------------------

bool EnrollStart::write(Writer& w) const {
  return w.u8(class_id) && w.str(label) && w.u8(shots) && w.u32(timeout_ms);
}

bool EnrollStart::read(Reader& r) {
  return r.u8(&class_id) && r.str(&label) && r.u8(&shots) && r.u32(&timeout_ms);
}

bool EnrollProgress::write(Writer& w) const {
  return w.u8(class_id) && w.u8(shot) && w.u8(shots) && w.u8(state) && w.str(message);
}

bool EnrollProgress::read(Reader& r) {
  return r.u8(&class_id) && r.u8(&shot) && r.u8(&shots) && r.u8(&state) && r.str(&message);
}

bool EnrollCancel::write(Writer& w) const { return w.ok(); }
bool EnrollCancel::read(Reader& r) { return r.ok(); }

bool ClassRefs::write(Writer& w) const {
  return w.u8(class_id) && w.str(label) && w.u8(count) && w.f32(threshold) && w.u8(source);
}

bool ClassRefs::read(Reader& r) {
  return r.u8(&class_id) && r.str(&label) && r.u8(&count) && r.f32(&threshold) && r.u8(&source);
}

bool RefList::write(Writer& w) const { return w.ok(); }
bool RefList::read(Reader& r) { return r.ok(); }

bool RefListReply::write(Writer& w) const {
  if (class_count > kMaxClassRefs) {
    w.count(0x100);  // records kTooMany
    return false;
  }
  bool ok = w.u8(dim) && w.count(class_count);
  for (size_t i = 0; ok && i < class_count; ++i) ok = classes[i].write(w);
  return ok;
}

bool RefListReply::read(Reader& r) {
  bool ok = r.u8(&dim) && r.count(&class_count, kMaxClassRefs);
  for (size_t i = 0; ok && i < class_count; ++i) ok = classes[i].read(r);
  return ok;
}

bool RefClear::write(Writer& w) const { return w.u8(class_id); }
bool RefClear::read(Reader& r) { return r.u8(&class_id); }

bool RefUpload::write(Writer& w) const {
  return w.u8(class_id) && w.str(label) && w.f32(threshold) && w.u8(dim) && w.bytes(embeddings);
}

bool RefUpload::read(Reader& r) {
  return r.u8(&class_id) && r.str(&label) && r.f32(&threshold) && r.u8(&dim) &&
         r.bytes(&embeddings);
}

bool RefDownload::write(Writer& w) const { return w.u8(class_id); }
bool RefDownload::read(Reader& r) { return r.u8(&class_id); }

bool RefData::write(Writer& w) const {
  return w.u8(class_id) && w.str(label) && w.f32(threshold) && w.u8(dim) && w.bytes(embeddings);
}

bool RefData::read(Reader& r) {
  return r.u8(&class_id) && r.str(&label) && r.f32(&threshold) && r.u8(&dim) &&
         r.bytes(&embeddings);
}

// -- controller ----------------------------------------------------------------------------------

bool HidAction::write(Writer& w) const {
  return w.u8(class_id) && w.u8(kind) && w.u16(code) && w.u8(modifiers) && w.i16(dx) && w.i16(dy);
}

bool HidAction::read(Reader& r) {
  return r.u8(&class_id) && r.u8(&kind) && r.u16(&code) && r.u8(&modifiers) && r.i16(&dx) &&
         r.i16(&dy);
}

namespace {

bool write_actions(Writer& w, const HidAction* actions, size_t count) {
  if (count > kMaxHidActions) {
    w.count(0x100);  // records kTooMany
    return false;
  }
  bool ok = w.count(count);
  for (size_t i = 0; ok && i < count; ++i) ok = actions[i].write(w);
  return ok;
}

bool read_actions(Reader& r, HidAction* actions, size_t* count) {
  bool ok = r.count(count, kMaxHidActions);
  for (size_t i = 0; ok && i < *count; ++i) ok = actions[i].read(r);
  return ok;
}

}  // namespace

bool HidMapSet::write(Writer& w) const { return write_actions(w, actions, action_count); }
bool HidMapSet::read(Reader& r) { return read_actions(r, actions, &action_count); }

bool HidMapGet::write(Writer& w) const { return w.ok(); }
bool HidMapGet::read(Reader& r) { return r.ok(); }

bool HidMap::write(Writer& w) const {
  return w.u8(enabled) && write_actions(w, actions, action_count);
}

bool HidMap::read(Reader& r) { return r.u8(&enabled) && read_actions(r, actions, &action_count); }

bool HidEnable::write(Writer& w) const { return w.u8(enabled); }
bool HidEnable::read(Reader& r) { return r.u8(&enabled); }

bool RecognizeStart::write(Writer& w) const { return w.u8(events); }
bool RecognizeStart::read(Reader& r) { return r.u8(&events); }

bool RecognizeStop::write(Writer& w) const { return w.ok(); }
bool RecognizeStop::read(Reader& r) { return r.ok(); }

bool InferenceEvent::write(Writer& w) const {
  return w.u32(sample_index) && w.u8(class_id) && w.str(label) && w.f32(distance) &&
         w.f32(margin) && w.u32(latency_us);
}

bool InferenceEvent::read(Reader& r) {
  return r.u32(&sample_index) && r.u8(&class_id) && r.str(&label) && r.f32(&distance) &&
         r.f32(&margin) && r.u32(&latency_us);
}

bool HidReport::write(Writer& w) const {
  return w.u8(class_id) && w.u8(kind) && w.u16(code) && w.u8(modifiers) && w.u8(sent);
}

bool HidReport::read(Reader& r) {
  return r.u8(&class_id) && r.u8(&kind) && r.u16(&code) && r.u8(&modifiers) && r.u8(&sent);
}

// -- simulation ----------------------------------------------------------------------------------

bool SimPerform::write(Writer& w) const { return w.str(gesture); }
bool SimPerform::read(Reader& r) { return r.str(&gesture); }

bool SimSay::write(Writer& w) const { return w.str(text); }
bool SimSay::read(Reader& r) { return r.str(&text); }

bool SimPerson::write(Writer& w) const { return w.u16(person); }
bool SimPerson::read(Reader& r) { return r.u16(&person); }

bool SimUnplug::write(Writer& w) const { return w.u32(millis); }
bool SimUnplug::read(Reader& r) { return r.u32(&millis); }

bool SimButton::write(Writer& w) const { return w.u8(button); }
bool SimButton::read(Reader& r) { return r.u8(&button); }

}  // namespace protocol
}  // namespace wandlab
