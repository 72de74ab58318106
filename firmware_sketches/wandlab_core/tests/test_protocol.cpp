// Host tests of the protocol core against the Python golden vectors and hostile input.
//
// Build (tests/firmware/test_host_build.py and `make test` do this):
//   g++ -std=c++17 -Wall -Wextra -Werror -I../src test_protocol.cpp ../src/{crc32,cobs,packet,frame_decoder,wire,messages}.cpp
// Usage:
//   test_protocol VECTORS.txt                run every test (VECTORS: tests/vectors/protocol_messages.txt)
//   test_protocol --deframe CHUNK < STREAM   feed stdin in CHUNK-byte pieces; print each packet
//                                            ("packet TYPE SEQ FLAGS PAYLOAD_HEX"), then "stats ..."
//   test_protocol --messages < LINES         per "TYPE PAYLOAD_HEX" line, print "ok REENCODED_HEX"
//                                            or "error NAME"
// The two stdin modes let the pytest compare this decoder with the Python one on the same bytes.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "crc32.h"
#include "frame_decoder.h"
#include "messages.h"
#include "protocol_test_support.h"

namespace p = wandlab::protocol;
using wandlab::test::ByteVec;
using wandlab::test::Collector;
using wandlab::test::parse_hex;
using wandlab::test::to_hex;

namespace {

struct Vector {
  std::string name;
  uint8_t type = 0;
  uint16_t seq = 0;
  ByteVec packet;
  ByteVec frame;

  ByteVec payload() const {
    return ByteVec(packet.begin() + p::kHeaderSize, packet.end() - p::kCrcSize);
  }
};

bool load_vectors(const char* path, std::vector<Vector>* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Vector v;
    std::string type_hex, packet_hex, frame_hex;
    unsigned seq = 0;
    if (!(fields >> v.name >> type_hex >> seq >> packet_hex >> frame_hex)) return false;
    ByteVec type;
    if (!parse_hex(type_hex, &type) || type.size() != 1) return false;
    if (!parse_hex(packet_hex, &v.packet) || !parse_hex(frame_hex, &v.frame)) return false;
    v.type = type[0];
    v.seq = static_cast<uint16_t>(seq);
    out->push_back(v);
  }
  return !out->empty();
}

// -- dispatch by type byte --------------------------------------------------------------------------

// Calls fn(M{}) with the message struct for `type`; false for a type no message has.
template <class Fn>
bool with_message(uint8_t type, Fn&& fn) {
  switch (type) {
    case p::Hello::kType: fn(p::Hello{}); return true;
    case p::Info::kType: fn(p::Info{}); return true;
    case p::Ping::kType: fn(p::Ping{}); return true;
    case p::Pong::kType: fn(p::Pong{}); return true;
    case p::Ack::kType: fn(p::Ack{}); return true;
    case p::Error::kType: fn(p::Error{}); return true;
    case p::Log::kType: fn(p::Log{}); return true;
    case p::StreamStart::kType: fn(p::StreamStart{}); return true;
    case p::StreamStop::kType: fn(p::StreamStop{}); return true;
    case p::ImuBlock::kType: fn(p::ImuBlock{}); return true;
    case p::AudioBlock::kType: fn(p::AudioBlock{}); return true;
    case p::StreamStats::kType: fn(p::StreamStats{}); return true;
    case p::ButtonEvent::kType: fn(p::ButtonEvent{}); return true;
    case p::ModelBegin::kType: fn(p::ModelBegin{}); return true;
    case p::TransferStatus::kType: fn(p::TransferStatus{}); return true;
    case p::ModelChunk::kType: fn(p::ModelChunk{}); return true;
    case p::ChunkAck::kType: fn(p::ChunkAck{}); return true;
    case p::ModelFinish::kType: fn(p::ModelFinish{}); return true;
    case p::TransferResult::kType: fn(p::TransferResult{}); return true;
    case p::ModelAbort::kType: fn(p::ModelAbort{}); return true;
    case p::ModelQuery::kType: fn(p::ModelQuery{}); return true;
    case p::ModelSlots::kType: fn(p::ModelSlots{}); return true;
    case p::ModelActivate::kType: fn(p::ModelActivate{}); return true;
    case p::EnrollStart::kType: fn(p::EnrollStart{}); return true;
    case p::EnrollProgress::kType: fn(p::EnrollProgress{}); return true;
    case p::EnrollCancel::kType: fn(p::EnrollCancel{}); return true;
    case p::RefList::kType: fn(p::RefList{}); return true;
    case p::RefListReply::kType: fn(p::RefListReply{}); return true;
    case p::RefClear::kType: fn(p::RefClear{}); return true;
    case p::RefUpload::kType: fn(p::RefUpload{}); return true;
    case p::RefDownload::kType: fn(p::RefDownload{}); return true;
    case p::RefData::kType: fn(p::RefData{}); return true;
    case p::HidMapSet::kType: fn(p::HidMapSet{}); return true;
    case p::HidMapGet::kType: fn(p::HidMapGet{}); return true;
    case p::HidMap::kType: fn(p::HidMap{}); return true;
    case p::HidEnable::kType: fn(p::HidEnable{}); return true;
    case p::RecognizeStart::kType: fn(p::RecognizeStart{}); return true;
    case p::RecognizeStop::kType: fn(p::RecognizeStop{}); return true;
    case p::InferenceEvent::kType: fn(p::InferenceEvent{}); return true;
    case p::HidReport::kType: fn(p::HidReport{}); return true;
    case p::ForgetHosts::kType: fn(p::ForgetHosts{}); return true;
    case p::WordUpload::kType: fn(p::WordUpload{}); return true;
    case p::WordList::kType: fn(p::WordList{}); return true;
    case p::WordListReply::kType: fn(p::WordListReply{}); return true;
    case p::WordClear::kType: fn(p::WordClear{}); return true;
    case p::WakeEvent::kType: fn(p::WakeEvent{}); return true;
    case p::SimPerform::kType: fn(p::SimPerform{}); return true;
    case p::SimSay::kType: fn(p::SimSay{}); return true;
    case p::SimPerson::kType: fn(p::SimPerson{}); return true;
    case p::SimUnplug::kType: fn(p::SimUnplug{}); return true;
    case p::SimButton::kType: fn(p::SimButton{}); return true;
    default: return false;
  }
}

// Decodes `payload` as message `type` and re-encodes it into *reencoded.
p::WireError decode_and_reencode(uint8_t type, const ByteVec& payload, ByteVec* reencoded) {
  p::WireError result = p::WireError::kWrongType;
  with_message(type, [&](auto blank) {
    auto message = blank;
    result = p::decode_payload(payload.data(), payload.size(), &message);
    if (result != p::WireError::kOk) return;
    uint8_t out[p::kMaxPayload];
    size_t size = 0;
    result = p::encode_payload(message, out, sizeof(out), &size);
    reencoded->assign(out, out + size);
  });
  return result;
}

// -- the examples of app/wandlab/protocol/vectors.py, built field by field ------------------------

constexpr int16_t kImuExample[] = {0, 0, 8192, 1, -1, 0, -32768, 32767, 256, 0, 255, -256};
constexpr int16_t kAudioExample[] = {0, 1, -1, 0x7F00, -0x8000, 0, 0, 12345};
constexpr uint32_t kTransferExample = 0x1234ABCD;
constexpr uint8_t kChunkExample[] = {0, 1, 2, 0, 255};
constexpr uint8_t kZeroSha256[p::kSha256Bytes] = {};

constexpr uint8_t kCountingSha256[p::kSha256Bytes] = {  // bytes(range(32)) in Python
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

p::Bytes bytes_of(const uint8_t* data, size_t size) { return p::Bytes{data, size}; }
p::Bytes bytes_of(const char* text) {
  return p::Bytes{reinterpret_cast<const uint8_t*>(text), std::strlen(text)};
}

p::Info info_example() {
  p::Info m;
  m.board_name = p::Str::of("Nano 33 BLE Sense");
  m.firmware_version = p::Str::of("1.2.0");
  m.protocol_version = p::kProtocolVersion;
  m.board_uid = p::Str::of("a1b2c3d4e5f6");
  m.sensors[0] = {static_cast<uint8_t>(p::SensorKind::kAccel), 100, 4.0f, 4.0f / 32768,
                  p::Str::of("g")};
  m.sensors[1] = {static_cast<uint8_t>(p::SensorKind::kGyro), 100, 2000.0f, 2000.0f / 32768,
                  p::Str::of("dps")};
  m.sensors[2] = {static_cast<uint8_t>(p::SensorKind::kMicrophone), 16000, 1.0f, 1.0f / 32768,
                  p::Str::of("pcm16")};
  m.sensor_count = 3;
  m.model_slots = 2;
  m.max_model_bytes = 65536;
  m.arena_bytes = 16384;
  m.free_ram_bytes = 180000;
  m.active_model_id = p::Str::of("gesture-7f3a");
  m.enrolled_labels[0] = p::Str::of("hey wand");
  m.enrolled_label_count = 1;
  m.battery_percent = 87;
  return m;
}

p::ModelBegin model_begin_example() {
  p::ModelBegin m;
  m.transfer_id = kTransferExample;
  m.size = 5000;
  m.crc32 = 0xCAFEF00D;
  m.sha256 = bytes_of(kCountingSha256, p::kSha256Bytes);
  m.chunk_size = 2048;
  m.model_id = p::Str::of("gesture-7f3a");
  m.metadata = bytes_of("{\"labels\":[\"circle\"]}");
  return m;
}

p::ModelSlots model_slots_example() {
  p::ModelSlots m;
  m.active_slot = 1;
  m.slots[0] = {0, 1, 4000, bytes_of(kZeroSha256, p::kSha256Bytes), p::Str::of("old")};
  m.slots[1] = {1, 1, 5000, bytes_of(kCountingSha256, p::kSha256Bytes),
                p::Str::of("gesture-7f3a")};
  m.slot_count = 2;
  m.transfer_id = 0;
  m.transfer_received = 0;
  return m;
}

// int8 embeddings as raw bytes: bytes([1, 255, 127, 128, 0, 2, 3, 4]) in Python.
constexpr uint8_t kEmbeddingsExample[] = {1, 255, 127, 128, 0, 2, 3, 4};
constexpr uint8_t kShapesExample[] = {16, 240, 0, 127, 129, 3};
constexpr uint8_t kRefDataShapesExample[] = {7, 249, 16};

p::RefListReply ref_list_reply_example() {
  p::RefListReply m;
  m.dim = 16;
  m.classes[0] = {0, p::Str::of("circle"), 4, 1200.0f, static_cast<uint8_t>(p::RefSource::kBundle)};
  m.classes[1] = {8, p::Str::of("spiral"), 3, 950.5f,
                  static_cast<uint8_t>(p::RefSource::kEnrolled)};
  m.class_count = 2;
  return m;
}

constexpr uint32_t kSpeechModelCrcExample = 0xE07FEB32;
constexpr uint8_t kWordEmbeddingsExample[] = {0, 24, 127, 128, 61, 0, 255, 3};

p::WordListReply word_list_reply_example() {
  p::WordListReply m;
  m.model_crc = kSpeechModelCrcExample;
  m.dim = 32;
  m.words[0] = {0, p::Str::of("hey wand"), 3, 0.0625f};
  m.words[1] = {2, p::Str::of("lumos"), 3, 0.09375f};
  m.word_count = 2;
  return m;
}

constexpr p::HidAction kPlayPause{0, static_cast<uint8_t>(p::ActionKind::kConsumer), 0xCD, 0, 0, 0};

p::HidMapSet hid_map_set_example() {
  p::HidMapSet m;
  m.actions[0] = kPlayPause;
  m.actions[1] = {1, static_cast<uint8_t>(p::ActionKind::kKey), 0x4F, p::kModifierShift, 0, 0};
  m.actions[2] = {2, static_cast<uint8_t>(p::ActionKind::kMouseMove), 0, 0, -40, 25};
  m.action_count = 3;
  return m;
}

p::HidMap hid_map_example() {
  p::HidMap m;
  m.enabled = 1;
  m.actions[0] = kPlayPause;
  m.action_count = 1;
  return m;
}

// Serial frame of the example for `type`, built with encode_message(); empty if none.
ByteVec example_frame(uint8_t type, uint16_t seq) {
  uint8_t frame[p::kMaxFrameBytes];
  size_t n = 0;
  auto encode = [&](const auto& m) { n = p::encode_message(m, seq, frame, sizeof(frame)); };
  switch (type) {
    case p::Hello::kType: encode(p::Hello{p::kProtocolVersion, p::Str::of("wandlab")}); break;
    case p::Info::kType: encode(info_example()); break;
    case p::Ping::kType: encode(p::Ping{0xDEADBEEF}); break;
    case p::Pong::kType: encode(p::Pong{0xDEADBEEF}); break;
    case p::Ack::kType: encode(p::Ack{41}); break;
    case p::Error::kType:
      encode(p::Error{42, static_cast<uint16_t>(p::ErrorCode::kBadArgument),
                      p::Str::of("IMU rate 333 Hz not supported")});
      break;
    case p::Log::kType:
      encode(p::Log{static_cast<uint8_t>(p::LogLevel::kInfo), p::Str::of("IMU ready")});
      break;
    case p::StreamStart::kType: encode(p::StreamStart{p::kSensorImu | p::kSensorAudio, 400}); break;
    case p::StreamStop::kType: encode(p::StreamStop{p::kSensorImu}); break;
    case p::ImuBlock::kType:
      encode(p::ImuBlock{7, 28, 100, 6, 4.0f / 32768, 2000.0f / 32768,
                         p::I16Array::of_samples(kImuExample, 12)});
      break;
    case p::AudioBlock::kType:
      encode(p::AudioBlock{3, 768, 16000, p::I16Array::of_samples(kAudioExample, 8)});
      break;
    case p::StreamStats::kType: encode(p::StreamStats{100, 200, 1, 0}); break;
    case p::ButtonEvent::kType: encode(p::ButtonEvent{0, 1}); break;
    case p::ModelBegin::kType: encode(model_begin_example()); break;
    case p::TransferStatus::kType:
      encode(p::TransferStatus{kTransferExample, static_cast<uint8_t>(p::TransferState::kReceiving),
                               4096, 2, p::Str::of("")});
      break;
    case p::ModelChunk::kType:
      encode(p::ModelChunk{kTransferExample, 2, 0x0BADC0DE,
                           bytes_of(kChunkExample, sizeof(kChunkExample))});
      break;
    case p::ChunkAck::kType:
      encode(p::ChunkAck{kTransferExample, 2, 3, static_cast<uint8_t>(p::ChunkStatus::kOk)});
      break;
    case p::ModelFinish::kType: encode(p::ModelFinish{kTransferExample}); break;
    case p::TransferResult::kType:
      encode(p::TransferResult{kTransferExample, 1, 1, p::Str::of("gesture-7f3a"),
                               p::Str::of("verified and active")});
      break;
    case p::ModelAbort::kType: encode(p::ModelAbort{kTransferExample}); break;
    case p::ModelQuery::kType: encode(p::ModelQuery{}); break;
    case p::ModelSlots::kType: encode(model_slots_example()); break;
    case p::ModelActivate::kType: encode(p::ModelActivate{0}); break;
    case p::EnrollStart::kType: encode(p::EnrollStart{8, p::Str::of("spiral"), 3, 15000}); break;
    case p::EnrollProgress::kType:
      encode(p::EnrollProgress{8, 1, 3, static_cast<uint8_t>(p::EnrollState::kCaptured),
                               p::Str::of("take 1 of 3 captured")});
      break;
    case p::EnrollCancel::kType: encode(p::EnrollCancel{}); break;
    case p::RefList::kType: encode(p::RefList{}); break;
    case p::RefListReply::kType: encode(ref_list_reply_example()); break;
    case p::RefClear::kType: encode(p::RefClear{p::kAllClasses}); break;
    case p::RefUpload::kType:
      encode(p::RefUpload{2, p::Str::of("flick_left"), 1500.0f, 4,
                          bytes_of(kEmbeddingsExample, sizeof(kEmbeddingsExample)),
                          bytes_of(kShapesExample, sizeof(kShapesExample))});
      break;
    case p::RefDownload::kType: encode(p::RefDownload{2}); break;
    case p::RefData::kType:
      encode(p::RefData{2, p::Str::of("flick_left"), 1500.0f, 4, bytes_of(kEmbeddingsExample, 4),
                        bytes_of(kRefDataShapesExample, sizeof(kRefDataShapesExample))});
      break;
    case p::HidMapSet::kType: encode(hid_map_set_example()); break;
    case p::HidMapGet::kType: encode(p::HidMapGet{}); break;
    case p::HidMap::kType: encode(hid_map_example()); break;
    case p::HidEnable::kType: encode(p::HidEnable{1}); break;
    case p::RecognizeStart::kType: encode(p::RecognizeStart{1}); break;
    case p::RecognizeStop::kType: encode(p::RecognizeStop{}); break;
    case p::InferenceEvent::kType:
      encode(p::InferenceEvent{123456, 0, p::Str::of("circle"), 812.0f, 388.0f, 4210});
      break;
    case p::HidReport::kType:
      encode(p::HidReport{0, static_cast<uint8_t>(p::ActionKind::kConsumer), 0xCD, 0, 1});
      break;
    case p::ForgetHosts::kType: encode(p::ForgetHosts{}); break;
    case p::WordUpload::kType:
      encode(p::WordUpload{p::kAnyWord, p::Str::of("hey wand"), 0.0625f, kSpeechModelCrcExample, 4,
                           bytes_of(kWordEmbeddingsExample, sizeof(kWordEmbeddingsExample))});
      break;
    case p::WordList::kType: encode(p::WordList{}); break;
    case p::WordListReply::kType: encode(word_list_reply_example()); break;
    case p::WordClear::kType: encode(p::WordClear{p::kAnyWord}); break;
    case p::WakeEvent::kType:
      encode(p::WakeEvent{0, p::Str::of("hey wand"), 0.03125f, 0.0625f, 123456, 2150});
      break;
    case p::SimPerform::kType: encode(p::SimPerform{p::Str::of("circle")}); break;
    case p::SimSay::kType: encode(p::SimSay{p::Str::of("hey wand")}); break;
    case p::SimPerson::kType: encode(p::SimPerson{3}); break;
    case p::SimUnplug::kType: encode(p::SimUnplug{1500}); break;
    case p::SimButton::kType: encode(p::SimButton{0}); break;
    default: break;
  }
  return ByteVec(frame, frame + n);
}

// -- tests -------------------------------------------------------------------------------------

void test_crc32() {
  const char* check = "123456789";
  const auto* bytes = reinterpret_cast<const uint8_t*>(check);
  CHECK(p::crc32(bytes, 9) == 0xCBF43926u);
  CHECK(p::crc32(bytes + 4, 5, p::crc32(bytes, 4)) == 0xCBF43926u);
  CHECK(p::crc32(bytes, 0) == 0u);
}

void test_cobs_known_encodings() {
  struct Case {
    ByteVec raw, encoded;
  };
  ByteVec run254, run254_encoded{0xFF}, run255, run255_encoded{0xFF};
  for (int i = 1; i <= 254; ++i) run254.push_back(static_cast<uint8_t>(i));
  run254_encoded.insert(run254_encoded.end(), run254.begin(), run254.end());
  run254_encoded.push_back(0x01);  // as cobs.py writes it: a full run is followed by an empty block
  run255 = run254;
  run255.push_back(0x42);
  run255_encoded.insert(run255_encoded.end(), run254.begin(), run254.end());
  run255_encoded.push_back(0x02);
  run255_encoded.push_back(0x42);
  const Case cases[] = {
      {{}, {0x01}},
      {{0x00}, {0x01, 0x01}},
      {{0x00, 0x00}, {0x01, 0x01, 0x01}},
      {{0x11, 0x22, 0x00, 0x33}, {0x03, 0x11, 0x22, 0x02, 0x33}},
      {{0x11, 0x22, 0x33, 0x44}, {0x05, 0x11, 0x22, 0x33, 0x44}},
      {{0x11, 0x00, 0x00, 0x00}, {0x02, 0x11, 0x01, 0x01, 0x01}},
      {run254, run254_encoded},
      {run255, run255_encoded},
  };
  for (const Case& c : cases) {
    uint8_t out[600];
    size_t n = 0;
    CHECK(p::cobs_encode(c.raw.data(), c.raw.size(), out, sizeof(out), &n));
    CHECK_MSG(ByteVec(out, out + n) == c.encoded, to_hex(out, n));
    CHECK(n <= p::cobs_max_encoded_size(c.raw.size()));
    ByteVec in_place = c.encoded;
    size_t m = 0;
    CHECK(p::cobs_decode(in_place.data(), in_place.size(), in_place.data(), in_place.size(), &m));
    CHECK(ByteVec(in_place.begin(), in_place.begin() + static_cast<long>(m)) == c.raw);
    // One byte too little room: refused, nothing written past the end (ASan watches).
    std::vector<uint8_t> tight(c.encoded.size() - 1);
    CHECK(!p::cobs_encode(c.raw.data(), c.raw.size(), tight.data(), tight.size(), &n));
  }
  uint8_t out[8];
  size_t n = 0;
  const uint8_t bad_run[] = {0x05, 0x11, 0x22};  // block of 4 runs past the end
  CHECK(!p::cobs_decode(bad_run, sizeof(bad_run), out, sizeof(out), &n));
  const uint8_t zero_code[] = {0x02, 0x11, 0x00};
  CHECK(!p::cobs_decode(zero_code, sizeof(zero_code), out, sizeof(out), &n));
}

void test_cobs_round_trips_random_data(std::mt19937& rng) {
  for (int trial = 0; trial < 300; ++trial) {
    const size_t size = rng() % 1200;
    const unsigned zero_odds = 1 + rng() % 300;  // from mostly zeros to long zero-free runs
    ByteVec raw(size);
    for (auto& b : raw) b = (rng() % zero_odds == 0) ? 0 : static_cast<uint8_t>(1 + rng() % 255);
    ByteVec enc(p::cobs_max_encoded_size(size));
    size_t n = 0;
    CHECK(p::cobs_encode(raw.data(), raw.size(), enc.data(), enc.size(), &n));
    CHECK(std::memchr(enc.data(), 0, n) == nullptr);
    ByteVec dec(size + 1);
    size_t m = 0;
    CHECK(p::cobs_decode(enc.data(), n, dec.data(), dec.size(), &m));
    CHECK(m == size && std::equal(raw.begin(), raw.end(), dec.begin()));
  }
}

void test_golden_vectors(const std::vector<Vector>& vectors) {
  for (const Vector& v : vectors) {
    const std::string& name = v.name;
    CHECK_MSG(p::message_name(v.type) != nullptr && name == p::message_name(v.type), name);
    CHECK_MSG(p::family_of(v.type) != p::Family::kNone, name);

    // Deframed whole and byte by byte: the same packet, CRC-checked.
    for (int bytewise = 0; bytewise < 2; ++bytewise) {
      p::FrameDecoder decoder;
      Collector got;
      if (bytewise) {
        for (uint8_t b : v.frame) decoder.feed(b, got);
      } else {
        decoder.feed(v.frame.data(), v.frame.size(), got);
      }
      CHECK_MSG(got.packets.size() == 1 && decoder.stats().errors() == 0, name);
      if (got.packets.size() != 1) continue;
      const auto& r = got.packets[0];
      CHECK_MSG(r.type == v.type && r.seq == v.seq && r.flags == 0, name);
      CHECK_MSG(r.payload == v.payload(), name);
      CHECK(decoder.stats().frames == 1 && decoder.stats().bytes == v.frame.size());
    }

    // Packet layer both ways.
    p::Packet packet;
    CHECK_MSG(p::unpack_packet(v.packet.data(), v.packet.size(), &packet) == p::PacketError::kOk,
              name);
    CHECK(packet.type == v.type && packet.seq == v.seq);
    uint8_t buf[p::kMaxFrameBytes];
    size_t n = p::pack_packet(packet, buf, sizeof(buf));
    CHECK_MSG(ByteVec(buf, buf + n) == v.packet, name);
    n = p::encode_frame(packet, buf, sizeof(buf));
    CHECK_MSG(ByteVec(buf, buf + n) == v.frame, name + " encode_frame " + to_hex(buf, n));

    // Message layer: decode, re-encode, identical bytes.
    const ByteVec payload = v.payload();
    ByteVec again;
    const p::WireError e = decode_and_reencode(v.type, payload, &again);
    CHECK_MSG(e == p::WireError::kOk, name + ": " + p::wire_error_name(e));
    CHECK_MSG(again == payload, name + " re-encoded " + to_hex(again));

    // The example built from its field values encodes to exactly the golden frame.
    const ByteVec built = example_frame(v.type, v.seq);
    CHECK_MSG(built == v.frame, name + " built " + to_hex(built));

    // Every proper prefix is truncated; one byte more is trailing garbage.
    for (size_t cut = 0; cut < payload.size(); ++cut) {
      ByteVec shorter(payload.begin(), payload.begin() + static_cast<long>(cut));
      CHECK_MSG(decode_and_reencode(v.type, shorter, &again) == p::WireError::kTruncated,
                name + " cut at " + std::to_string(cut));
    }
    ByteVec longer = payload;
    longer.push_back(0x00);
    CHECK_MSG(decode_and_reencode(v.type, longer, &again) == p::WireError::kTrailingBytes, name);

    // decode_message() refuses a packet of another type.
    p::Ack ack;
    if (v.type != p::Ack::kType) {
      CHECK(p::decode_message(packet, &ack) == p::WireError::kWrongType);
    }
  }
}

void test_decoded_fields(const std::vector<Vector>& vectors) {
  for (const Vector& v : vectors) {
    if (v.type == p::Info::kType) {
      const ByteVec payload = v.payload();
      p::Info info;
      CHECK(p::decode_payload(payload.data(), payload.size(), &info) == p::WireError::kOk);
      CHECK(info.board_name.equals("Nano 33 BLE Sense") && info.sensor_count == 3);
      CHECK(info.sensors[1].units.equals("dps") && info.sensors[1].scale == 2000.0f / 32768);
      CHECK(info.sensors[2].rate_hz == 16000 && info.free_ram_bytes == 180000);
      CHECK(info.enrolled_label_count == 1 && info.enrolled_labels[0].equals("hey wand"));
      CHECK(info.battery_percent == 87);
    }
    if (v.type == p::ImuBlock::kType) {
      p::Packet packet;
      CHECK(p::unpack_packet(v.packet.data(), v.packet.size(), &packet) == p::PacketError::kOk);
      p::ImuBlock block;
      CHECK(p::decode_message(packet, &block) == p::WireError::kOk);
      CHECK(block.axes == 6 && block.data.count == 12);
      bool same = true;
      for (size_t i = 0; i < 12; ++i) same = same && block.data.at(i) == kImuExample[i];
      CHECK(same);
    }
    if (v.type == p::ModelBegin::kType) {
      const ByteVec payload = v.payload();
      p::ModelBegin begin;
      CHECK(p::decode_payload(payload.data(), payload.size(), &begin) == p::WireError::kOk);
      CHECK(begin.transfer_id == kTransferExample && begin.size == 5000 && begin.chunk_size == 2048);
      CHECK(begin.sha256.size == p::kSha256Bytes && begin.sha256.data[31] == 31);
      CHECK(begin.model_id.equals("gesture-7f3a") && begin.metadata.size == 21);
      // Views point into the payload, not at a copy.
      CHECK(begin.sha256.data >= payload.data() &&
            begin.sha256.data < payload.data() + payload.size());
    }
    if (v.type == p::ModelSlots::kType) {
      const ByteVec payload = v.payload();
      p::ModelSlots slots;
      CHECK(p::decode_payload(payload.data(), payload.size(), &slots) == p::WireError::kOk);
      CHECK(slots.active_slot == 1 && slots.slot_count == 2 && slots.transfer_id == 0);
      CHECK(slots.slots[0].model_id.equals("old") && slots.slots[0].size == 4000);
      CHECK(slots.slots[1].valid == 1 && slots.slots[1].sha256.size == p::kSha256Bytes &&
            std::memcmp(slots.slots[1].sha256.data, kCountingSha256, p::kSha256Bytes) == 0);
    }
    if (v.type == p::ModelQuery::kType) {
      CHECK(v.payload().empty());
    }
    if (v.type == p::EnrollProgress::kType) {
      const ByteVec payload = v.payload();
      p::EnrollProgress progress;
      CHECK(p::decode_payload(payload.data(), payload.size(), &progress) == p::WireError::kOk);
      CHECK(progress.class_id == 8 && progress.shot == 1 && progress.shots == 3);
      CHECK(progress.state == static_cast<uint8_t>(p::EnrollState::kCaptured) &&
            progress.message.equals("take 1 of 3 captured"));
    }
    if (v.type == p::RefListReply::kType) {
      const ByteVec payload = v.payload();
      p::RefListReply reply;
      CHECK(p::decode_payload(payload.data(), payload.size(), &reply) == p::WireError::kOk);
      CHECK(reply.dim == 16 && reply.class_count == 2);
      CHECK(reply.classes[0].label.equals("circle") && reply.classes[0].threshold == 1200.0f &&
            reply.classes[0].source == static_cast<uint8_t>(p::RefSource::kBundle));
      CHECK(reply.classes[1].class_id == 8 && reply.classes[1].count == 3 &&
            reply.classes[1].threshold == 950.5f &&
            reply.classes[1].source == static_cast<uint8_t>(p::RefSource::kEnrolled));
    }
    if (v.type == p::RefUpload::kType) {
      const ByteVec payload = v.payload();
      p::RefUpload upload;
      CHECK(p::decode_payload(payload.data(), payload.size(), &upload) == p::WireError::kOk);
      CHECK(upload.label.equals("flick_left") && upload.threshold == 1500.0f && upload.dim == 4);
      // Two references of dim 4; the bytes are int8 values.
      CHECK(upload.embeddings.size == 2 * upload.dim);
      CHECK(static_cast<int8_t>(upload.embeddings.data[1]) == -1 &&
            static_cast<int8_t>(upload.embeddings.data[3]) == -128);
      CHECK(upload.embeddings.data >= payload.data() &&
            upload.embeddings.data < payload.data() + payload.size());
    }
    if (v.type == p::HidMapSet::kType) {
      const ByteVec payload = v.payload();
      p::HidMapSet map;
      CHECK(p::decode_payload(payload.data(), payload.size(), &map) == p::WireError::kOk);
      CHECK(map.action_count == 3 && map.actions[0].code == 0xCD &&
            map.actions[0].kind == static_cast<uint8_t>(p::ActionKind::kConsumer));
      CHECK(map.actions[1].code == 0x4F && map.actions[1].modifiers == p::kModifierShift);
      CHECK(map.actions[2].kind == static_cast<uint8_t>(p::ActionKind::kMouseMove) &&
            map.actions[2].dx == -40 && map.actions[2].dy == 25);
    }
    if (v.type == p::InferenceEvent::kType) {
      const ByteVec payload = v.payload();
      p::InferenceEvent event;
      CHECK(p::decode_payload(payload.data(), payload.size(), &event) == p::WireError::kOk);
      CHECK(event.sample_index == 123456 && event.class_id == 0 && event.label.equals("circle"));
      CHECK(event.distance == 812.0f && event.margin == 388.0f && event.latency_us == 4210);
    }
    if (v.type == p::EnrollCancel::kType || v.type == p::RefList::kType ||
        v.type == p::HidMapGet::kType || v.type == p::RecognizeStop::kType) {
      CHECK(v.payload().empty());
    }
  }
}

void test_stream_of_all_vectors_in_random_chunks(const std::vector<Vector>& vectors,
                                                 std::mt19937& rng) {
  ByteVec stream{0x00};  // the host's leading lone delimiter
  for (const Vector& v : vectors) stream.insert(stream.end(), v.frame.begin(), v.frame.end());
  for (int trial = 0; trial < 50; ++trial) {
    p::FrameDecoder decoder;
    Collector got;
    size_t i = 0;
    while (i < stream.size()) {
      const size_t chunk = std::min<size_t>(stream.size() - i, 1 + rng() % 40);
      decoder.feed(stream.data() + i, chunk, got);
      i += chunk;
    }
    CHECK(got.packets.size() == vectors.size() && decoder.stats().errors() == 0);
    for (size_t k = 0; k < got.packets.size() && k < vectors.size(); ++k) {
      CHECK(got.packets[k].seq == vectors[k].seq && got.packets[k].payload == vectors[k].payload());
    }
  }
}

void test_random_garbage_never_crashes_and_resyncs(const std::vector<Vector>& vectors,
                                                   std::mt19937& rng) {
  p::FrameDecoder decoder;
  Collector got;
  uint64_t fed = 0;
  for (int round = 0; round < 200; ++round) {
    ByteVec garbage(rng() % 9000);
    const unsigned zero_odds = 1 + rng() % 5000;
    for (auto& b : garbage) b = (rng() % zero_odds == 0) ? 0 : static_cast<uint8_t>(rng());
    size_t i = 0;
    while (i < garbage.size()) {
      const size_t chunk = std::min<size_t>(garbage.size() - i, 1 + rng() % 700);
      decoder.feed(garbage.data() + i, chunk, got);
      i += chunk;
    }
    // After garbage, a lone delimiter then a good frame: that frame always comes through.
    const Vector& v = vectors[rng() % vectors.size()];
    const size_t before = got.packets.size();
    const uint8_t delimiter = 0;
    decoder.feed(&delimiter, 1, got);
    decoder.feed(v.frame.data(), v.frame.size(), got);
    fed += garbage.size() + 1 + v.frame.size();
    CHECK(got.packets.size() >= before + 1);
    CHECK(!got.packets.empty() && got.packets.back().payload == v.payload() &&
          got.packets.back().seq == v.seq);
  }
  CHECK(decoder.stats().bytes == fed);
  CHECK(decoder.stats().errors() > 0);
}

void test_every_flipped_byte_is_counted_once(const std::vector<Vector>& vectors) {
  for (const Vector& v : vectors) {
    for (size_t pos = 0; pos + 1 < v.frame.size(); ++pos) {
      for (uint8_t mask : {0x01, 0x80, 0x5A}) {
        ByteVec bad = v.frame;
        bad[pos] = static_cast<uint8_t>(bad[pos] ^ mask);
        if (bad[pos] == 0) continue;  // that would split the frame in two: a different test
        p::FrameDecoder decoder;
        Collector got;
        decoder.feed(bad.data(), bad.size(), got);
        CHECK_MSG(got.packets.empty() && decoder.stats().errors() == 1,
                  v.name + " flip at " + std::to_string(pos));
        decoder.feed(v.frame.data(), v.frame.size(), got);
        CHECK_MSG(got.packets.size() == 1 && decoder.stats().frames == 1, v.name);
      }
    }
    // A frame cut short by a delimiter: one error, then the next frame decodes.
    p::FrameDecoder decoder;
    Collector got;
    const size_t keep = v.frame.size() / 2;
    decoder.feed(v.frame.data(), keep, got);
    decoder.feed(static_cast<uint8_t>(0), got);
    decoder.feed(v.frame.data(), v.frame.size(), got);
    CHECK_MSG(decoder.stats().errors() == 1 && got.packets.size() == 1, v.name + " cut");
  }
}

void test_error_kinds_are_told_apart() {
  p::FrameDecoder decoder;
  Collector got;
  const uint8_t short_frame[] = {0x03, 0x01, 0x02, 0x00};  // decodes to 2 bytes
  decoder.feed(short_frame, sizeof(short_frame), got);
  CHECK(decoder.stats().short_frames == 1);
  const uint8_t cobs_overrun[] = {0x09, 0x01, 0x02, 0x00};
  decoder.feed(cobs_overrun, sizeof(cobs_overrun), got);
  CHECK(decoder.stats().cobs_errors == 1);
  const uint8_t bad_crc[] = {0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x00};
  decoder.feed(bad_crc, sizeof(bad_crc), got);
  CHECK(decoder.stats().crc_errors == 1);
  const uint8_t empties[] = {0x00, 0x00, 0x00};
  decoder.feed(empties, sizeof(empties), got);
  CHECK(decoder.stats().errors() == 3 && got.packets.empty());

  // kMaxEncodedFrame bytes between delimiters are still a frame (a bad one here); one more is
  // oversize, counted once however long it runs, and decoding resumes after the next delimiter.
  ByteVec run(p::kMaxEncodedFrame, 0x11);
  run.push_back(0x00);
  decoder.feed(run.data(), run.size(), got);
  CHECK(decoder.stats().oversize_frames == 0 && decoder.stats().cobs_errors == 2);
  ByteVec longer(3 * p::kMaxEncodedFrame, 0x11);
  for (uint8_t b : longer) decoder.feed(b, got);
  CHECK(decoder.stats().oversize_frames == 1);
  decoder.feed(static_cast<uint8_t>(0), got);
  CHECK(decoder.stats().oversize_frames == 1 && decoder.stats().errors() == 5);
}

void test_limits(std::mt19937& rng) {
  // The largest payload frames and deframes; one byte more is refused by every encoder.
  std::vector<int16_t> samples(p::kMaxPayload / 2);
  for (auto& s : samples) s = static_cast<int16_t>(rng());
  ByteVec payload(p::kMaxPayload);
  for (auto& b : payload) b = static_cast<uint8_t>(rng() % 2 ? 0xFF : rng());
  std::vector<uint8_t> frame(p::kMaxFrameBytes);
  p::Packet packet{0x12, 0, 0xBEEF, payload.data(), payload.size()};
  size_t n = p::encode_frame(packet, frame.data(), frame.size());
  CHECK(n > 0 && n <= p::kMaxFrameBytes);
  p::FrameDecoder decoder;
  Collector got;
  decoder.feed(frame.data(), n, got);
  CHECK(got.packets.size() == 1 && got.packets[0].payload == payload);
  packet.payload_size = p::kMaxPayload + 1;
  ByteVec big(p::kMaxPayload + 1);
  packet.payload = big.data();
  CHECK(p::encode_frame(packet, frame.data(), frame.size()) == 0);
  std::vector<uint8_t> roomy(2 * p::kMaxFrameBytes);
  CHECK(p::pack_packet(packet, roomy.data(), roomy.size()) == 0);

  // encode_message fits the largest AudioBlock the payload limit allows, and not one sample more.
  const size_t max_samples = (p::kMaxPayload - 12) / 2;
  p::AudioBlock block{1, 2, 16000, p::I16Array::of_samples(samples.data(), max_samples)};
  n = p::encode_message(block, 9, frame.data(), frame.size());
  CHECK(n > 0 && n <= p::kMaxFrameBytes);
  got.packets.clear();
  decoder.feed(frame.data(), n, got);
  p::AudioBlock back;
  CHECK(got.packets.size() == 1);
  if (got.packets.size() == 1) {
    const ByteVec& pl = got.packets[0].payload;
    CHECK(p::decode_payload(pl.data(), pl.size(), &back) == p::WireError::kOk);
    CHECK(back.data.count == max_samples && back.data.at(5) == samples[5]);
  }
  block.data.count = max_samples + 1;
  CHECK(p::encode_message(block, 9, roomy.data(), roomy.size()) == 0);

  // Small buffers: every encoder says no instead of writing past the end (ASan checks).
  for (size_t cap = 0; cap < 40; ++cap) {
    std::vector<uint8_t> tight(cap);
    const size_t written = p::encode_message(p::Log{20, p::Str::of("IMU ready")}, 7, tight.data(),
                                             tight.size());
    CHECK(written == 0 || written <= cap);
    uint8_t payload_bytes[3] = {1, 0, 2};
    const p::Packet small{0x05, 0, 1, payload_bytes, 3};
    const size_t framed = p::encode_frame(small, tight.data(), tight.size());
    CHECK(framed == 0 || framed <= cap);
    const size_t empty = p::frame_payload_in_place(0x05, 0, 1, tight.data(), tight.size(), 0);
    CHECK(empty == 0 || empty <= cap);
    CHECK(p::frame_payload_in_place(0x05, 0, 1, tight.data(), tight.size(), cap + 1) == 0);
  }

  // Too long / too many to encode.
  std::string long_text(256, 'x');
  uint8_t out[600];
  size_t size = 0;
  CHECK(p::encode_payload(p::Log{20, p::Str::of(long_text.c_str())}, out, sizeof(out), &size) ==
        p::WireError::kTooLong);
  p::Info info = info_example();
  info.sensor_count = p::kMaxSensors + 1;
  CHECK(p::encode_payload(info, out, sizeof(out), &size) == p::WireError::kTooMany);
  CHECK(p::encode_payload(info_example(), out, 10, &size) == p::WireError::kNoRoom);
  p::ModelSlots slots = model_slots_example();
  slots.slot_count = p::kMaxModelSlots + 1;
  CHECK(p::encode_payload(slots, out, sizeof(out), &size) == p::WireError::kTooMany);

  // More slots on the wire than the struct stores: kTooMany, not a write past slots[].
  ByteVec many{p::kNoSlot, static_cast<uint8_t>(p::kMaxModelSlots + 1)};
  for (size_t i = 0; i <= p::kMaxModelSlots; ++i) {
    const uint8_t empty_slot[] = {static_cast<uint8_t>(i), 0, 0, 0, 0, 0, 0, 0, 0};
    many.insert(many.end(), empty_slot, empty_slot + sizeof(empty_slot));
  }
  many.insert(many.end(), 8, 0);
  p::ModelSlots back_slots;
  CHECK(p::decode_payload(many.data(), many.size(), &back_slots) == p::WireError::kTooMany);

  // Lists longer than the structs store: kTooMany both ways, never a write past the array.
  p::RefListReply refs = ref_list_reply_example();
  refs.class_count = p::kMaxClassRefs + 1;
  CHECK(p::encode_payload(refs, out, sizeof(out), &size) == p::WireError::kTooMany);
  ByteVec many_refs{16, static_cast<uint8_t>(p::kMaxClassRefs + 1)};
  for (size_t i = 0; i <= p::kMaxClassRefs; ++i) {
    const uint8_t empty_refs[] = {static_cast<uint8_t>(i), 0, 0, 0, 0, 0, 0, 1};
    many_refs.insert(many_refs.end(), empty_refs, empty_refs + sizeof(empty_refs));
  }
  p::RefListReply back_refs;
  CHECK(p::decode_payload(many_refs.data(), many_refs.size(), &back_refs) == p::WireError::kTooMany);
  many_refs[1] = static_cast<uint8_t>(p::kMaxClassRefs);  // exactly the limit: fine
  many_refs.resize(many_refs.size() - 8);
  CHECK(p::decode_payload(many_refs.data(), many_refs.size(), &back_refs) == p::WireError::kOk &&
        back_refs.class_count == p::kMaxClassRefs && back_refs.classes[31].class_id == 31);

  p::HidMapSet map_set = hid_map_set_example();
  map_set.action_count = p::kMaxHidActions + 1;
  CHECK(p::encode_payload(map_set, out, sizeof(out), &size) == p::WireError::kTooMany);
  p::HidMap map = hid_map_example();
  map.action_count = p::kMaxHidActions + 1;
  CHECK(p::encode_payload(map, out, sizeof(out), &size) == p::WireError::kTooMany);
  map.action_count = p::kMaxHidActions;
  CHECK(p::encode_payload(map, out, sizeof(out), &size) == p::WireError::kOk &&
        size == 2 + 9 * p::kMaxHidActions);
  ByteVec many_actions{static_cast<uint8_t>(p::kMaxHidActions + 1)};
  many_actions.insert(many_actions.end(), 9 * (p::kMaxHidActions + 1), 0);
  p::HidMapSet back_map_set;
  CHECK(p::decode_payload(many_actions.data(), many_actions.size(), &back_map_set) ==
        p::WireError::kTooMany);
  many_actions.insert(many_actions.begin(), 1);  // HidMap: enabled, then the same list
  p::HidMap back_map;
  CHECK(p::decode_payload(many_actions.data(), many_actions.size(), &back_map) ==
        p::WireError::kTooMany);

  // A ModelChunk filling the payload limit frames and decodes; one data byte more does not encode.
  std::vector<uint8_t> chunk_data(p::kMaxPayload - 14);
  for (auto& b : chunk_data) b = static_cast<uint8_t>(rng());
  p::ModelChunk chunk{kTransferExample, 7, p::crc32(chunk_data.data(), chunk_data.size()),
                      bytes_of(chunk_data.data(), chunk_data.size())};
  n = p::encode_message(chunk, 11, frame.data(), frame.size());
  CHECK(n > 0 && n <= p::kMaxFrameBytes);
  got.packets.clear();
  decoder.feed(frame.data(), n, got);
  CHECK(got.packets.size() == 1);
  if (got.packets.size() == 1) {
    const ByteVec& pl = got.packets[0].payload;
    p::ModelChunk back_chunk;
    CHECK(p::decode_payload(pl.data(), pl.size(), &back_chunk) == p::WireError::kOk);
    CHECK(back_chunk.data.size == chunk_data.size() &&
          p::crc32(back_chunk.data.data, back_chunk.data.size) == back_chunk.crc32);
  }
  chunk.data.size += 1;
  CHECK(p::encode_message(chunk, 11, roomy.data(), roomy.size()) == 0);
}

void test_utf8_is_as_strict_as_python() {
  auto decodes = [](const ByteVec& text) {
    ByteVec payload{20, static_cast<uint8_t>(text.size())};
    payload.insert(payload.end(), text.begin(), text.end());
    p::Log log;
    return p::decode_payload(payload.data(), payload.size(), &log);
  };
  CHECK(decodes({}) == p::WireError::kOk);
  CHECK(decodes({0xE2, 0x82, 0xAC}) == p::WireError::kOk);        // euro sign
  CHECK(decodes({0xF0, 0x9D, 0x84, 0x9E}) == p::WireError::kOk);  // U+1D11E
  CHECK(decodes({0xC0, 0x80}) == p::WireError::kBadUtf8);         // overlong NUL
  CHECK(decodes({0xE0, 0x80, 0x80}) == p::WireError::kBadUtf8);   // overlong
  CHECK(decodes({0xED, 0xA0, 0x80}) == p::WireError::kBadUtf8);   // surrogate
  CHECK(decodes({0xF4, 0x90, 0x80, 0x80}) == p::WireError::kBadUtf8);  // above U+10FFFF
  CHECK(decodes({0xE2, 0x82}) == p::WireError::kBadUtf8);         // cut short
  CHECK(decodes({0x80}) == p::WireError::kBadUtf8);               // lone continuation
  CHECK(decodes({0xFF}) == p::WireError::kBadUtf8);
}

void test_random_payloads_decode_canonically(std::mt19937& rng) {
  // Whatever bytes arrive: no crash, no read outside the payload (ASan), and anything accepted
  // re-encodes to exactly the bytes received (the encoding is canonical).
  const uint8_t types[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13,
                           0x14, 0x15, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
                           0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x40,
                           0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x70, 0x71, 0x72, 0x73,
                           0x74};
  int accepted = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const uint8_t type = types[rng() % sizeof(types)];
    ByteVec payload(rng() % 48);
    for (auto& b : payload) b = static_cast<uint8_t>(rng() % 4 ? rng() % 12 : rng());
    ByteVec again;
    if (decode_and_reencode(type, payload, &again) == p::WireError::kOk) {
      ++accepted;
      CHECK(again == payload);
    }
  }
  CHECK(accepted > 100);
}

// -- stdin modes for the Python parity tests ------------------------------------------------------

ByteVec read_stdin() {
  ByteVec data;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), stdin)) > 0) data.insert(data.end(), buf, buf + n);
  return data;
}

class PrintingHandler : public p::PacketHandler {
 public:
  void on_packet(const p::Packet& packet) override {
    std::printf("packet %u %u %u %s\n", packet.type, packet.seq, packet.flags,
                to_hex(packet.payload, packet.payload_size).c_str());
  }
};

int deframe_stdin(size_t chunk) {
  const ByteVec data = read_stdin();
  p::FrameDecoder decoder;
  PrintingHandler printer;
  for (size_t i = 0; i < data.size(); i += chunk) {
    decoder.feed(data.data() + i, std::min(chunk, data.size() - i), printer);
  }
  const p::DecoderStats& s = decoder.stats();
  std::printf("stats frames=%u bytes=%llu crc_errors=%u cobs_errors=%u short_frames=%u "
              "oversize_frames=%u\n",
              s.frames, static_cast<unsigned long long>(s.bytes), s.crc_errors, s.cobs_errors,
              s.short_frames, s.oversize_frames);
  return 0;
}

int decode_messages_stdin() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream fields(line);
    unsigned type = 0;
    std::string hex;
    ByteVec payload, again;
    fields >> type >> hex;
    if (hex == "-") hex.clear();
    if (!parse_hex(hex, &payload)) return 2;
    const p::WireError e = decode_and_reencode(static_cast<uint8_t>(type), payload, &again);
    if (e == p::WireError::kOk) {
      std::printf("ok %s\n", again.empty() ? "-" : to_hex(again).c_str());
    } else {
      std::printf("error %s\n", p::wire_error_name(e));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--deframe") == 0) {
    const long chunk = std::atol(argv[2]);
    return chunk > 0 ? deframe_stdin(static_cast<size_t>(chunk)) : 2;
  }
  if (argc == 2 && std::strcmp(argv[1], "--messages") == 0) return decode_messages_stdin();
  if (argc != 2) {
    std::printf("usage: %s tests/vectors/protocol_messages.txt | --deframe CHUNK | --messages\n",
                argv[0]);
    return 2;
  }
  std::vector<Vector> vectors;
  if (!load_vectors(argv[1], &vectors)) {
    std::printf("FAIL cannot read golden vectors from %s\n", argv[1]);
    return 1;
  }
  std::mt19937 rng(20240601u);  // fixed seed: every run sees the same "random" bytes
  test_crc32();
  test_cobs_known_encodings();
  test_cobs_round_trips_random_data(rng);
  test_golden_vectors(vectors);
  test_decoded_fields(vectors);
  test_stream_of_all_vectors_in_random_chunks(vectors, rng);
  test_random_garbage_never_crashes_and_resyncs(vectors, rng);
  test_every_flipped_byte_is_counted_once(vectors);
  test_error_kinds_are_told_apart();
  test_limits(rng);
  test_utf8_is_as_strict_as_python();
  test_random_payloads_decode_canonically(rng);
  const auto& t = wandlab::test::tally();
  std::printf("%s: %d checks, %d failed, %zu golden vectors\n", t.failures ? "FAILED" : "OK",
              t.checks, t.failures, vectors.size());
  return t.failures ? 1 : 0;
}
