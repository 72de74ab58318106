// Host test of the board logic (src/board.{h,cpp}) with a fake sink, clock and sensors.
// Build: g++ -std=c++17 -Isrc tests/test_board.cpp src/board.cpp <protocol sources>
// Usage: test_board GOLDEN_VECTORS CONVERSATION
//   GOLDEN_VECTORS  tests/vectors/protocol_messages.txt: every golden request is answered as docs/protocol.md says
//   CONVERSATION    tests/board_conversation.txt: a session recorded from the Python board
//                   (tests/firmware/board_conversation.py), replayed here byte for byte

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "board.h"
#include "protocol_test_support.h"

namespace wp = wandlab::protocol;
namespace wb = wandlab::board;
using wandlab::test::ByteVec;
using wandlab::test::parse_hex;
using wandlab::test::to_hex;

namespace {

class VectorSink : public wb::ByteSink {
 public:
  bool write(const uint8_t* data, size_t size) override {
    bytes.insert(bytes.end(), data, data + size);
    return true;
  }
  size_t room() const override { return room_bytes; }

  // Splits what was written into frames (delimiter included) and forgets it.
  std::vector<ByteVec> take_frames() {
    std::vector<ByteVec> frames;
    ByteVec frame;
    for (uint8_t b : bytes) {
      frame.push_back(b);
      if (b == 0) {
        frames.push_back(frame);
        frame.clear();
      }
    }
    CHECK_MSG(frame.empty(), "the board left half a frame in the sink");
    bytes.clear();
    return frames;
  }

  ByteVec bytes;
  size_t room_bytes = 1 << 20;
};

class FakeClock : public wb::Clock {
 public:
  uint32_t micros() const override { return now_us; }
  uint32_t now_us = 0;
};

// Sensors that produce whole blocks on a clock, as the Python board does (samples due by now, rounded
// down to blocks), from a queue of samples given by the test.
class FakeSensors : public wb::SensorControl {
 public:
  explicit FakeSensors(FakeClock& clock) : clock_(clock) {}

  bool start_imu(uint16_t rate_hz) override {
    imu_rate = rate_hz;
    imu_start_us = clock_.now_us;
    imu_emitted = 0;
    imu_on = true;
    ++imu_starts;
    return imu_ok;
  }
  void stop_imu() override { imu_on = false; }
  bool start_audio() override {
    audio_start_us = clock_.now_us;
    audio_emitted = 0;
    audio_on = true;
    return true;
  }
  void stop_audio() override { audio_on = false; }
  uint32_t free_ram_bytes() const override { return free_ram; }
  uint8_t battery_percent() const override { return battery; }

  // Pushes the blocks due by now into the board's rings.
  void produce(wb::Board& board) {
    if (imu_on) {
      const size_t block = board.imu_ring().block_frames();
      const size_t axes = board.imu_ring().channels();
      const size_t due = due_frames(imu_start_us, imu_rate);
      while (due - imu_emitted >= block) {
        const int16_t* values = take(&imu_samples, &imu_next, block * axes);
        board.imu_ring().push(values, block);
        imu_emitted += block;
      }
    }
    if (audio_on) {
      const size_t due = due_frames(audio_start_us, 16000);
      while (due - audio_emitted >= wb::kAudioBlockSamples) {
        board.audio_ring().push(take(&audio_samples, &audio_next, wb::kAudioBlockSamples),
                                wb::kAudioBlockSamples);
        audio_emitted += wb::kAudioBlockSamples;
      }
    }
  }

  std::vector<int16_t> imu_samples;
  std::vector<int16_t> audio_samples;
  size_t imu_next = 0;
  size_t audio_next = 0;
  bool imu_on = false;
  bool audio_on = false;
  bool imu_ok = true;
  int imu_starts = 0;
  uint16_t imu_rate = 0;
  uint32_t free_ram = 12345;
  uint8_t battery = 77;

 private:
  // int((now - start) * rate) in double, as board.py computes it from float seconds.
  size_t due_frames(uint32_t start_us, uint32_t rate) const {
    const double elapsed = static_cast<double>(clock_.now_us) / 1e6 - static_cast<double>(start_us) / 1e6;
    return static_cast<size_t>(elapsed * rate);
  }
  static const int16_t* take(std::vector<int16_t>* samples, size_t* next, size_t n) {
    if (*next + n > samples->size()) samples->resize(*next + n, 0);  // synthetic tests: silence
    const int16_t* at = samples->data() + *next;
    *next += n;
    return at;
  }

  FakeClock& clock_;
  uint32_t imu_start_us = 0;
  uint32_t audio_start_us = 0;
  size_t imu_emitted = 0;
  size_t audio_emitted = 0;
};

struct Rig {
  Rig() : sensors(clock), board(description(), sink, clock, sensors) {}

  static const wb::BoardDescription& description() {
    static const wb::BoardDescription d = [] {
      wb::BoardDescription x;
      x.name = "Test board";
      x.firmware_version = "test-1";
      x.uid = "0123456789ab";
      x.model_slots = 2;
      x.max_model_bytes = 200000;
      x.arena_bytes = 32768;
      return x;
    }();
    return d;
  }

  void send(const ByteVec& frame) { board.receive(frame.data(), frame.size()); }
  template <class M>
  void send(const M& message, uint16_t seq) {
    uint8_t frame[wp::kMaxFrameBytes];
    const size_t n = wp::encode_message(message, seq, frame, sizeof(frame));
    board.receive(frame, n);
  }
  void at(uint32_t us) { clock.now_us = us; }
  void poll() {
    sensors.produce(board);
    board.poll();
  }
  std::vector<wandlab::test::Received> replies() {
    wandlab::test::Collector collector;
    wp::FrameDecoder decoder;
    for (const ByteVec& f : sink.take_frames()) decoder.feed(f.data(), f.size(), collector);
    CHECK(decoder.stats().errors() == 0);
    return collector.packets;
  }

  VectorSink sink;
  FakeClock clock;
  FakeSensors sensors;
  wb::Board board;
};

template <class M>
bool decode(const wandlab::test::Received& r, M* m) {
  if (r.type != M::kType) return false;
  return wp::decode_payload(r.payload.data(), r.payload.size(), m) == wp::WireError::kOk;
}

// -- golden vectors ---------------------------------------------------------------------------------

struct Golden {
  std::string name;
  uint8_t type;
  uint16_t seq;
  ByteVec packet;
  ByteVec frame;
};

std::vector<Golden> read_golden(const char* path) {
  std::vector<Golden> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Golden g;
    std::string type_hex, packet_hex, frame_hex;
    unsigned seq = 0;
    fields >> g.name >> type_hex >> seq >> packet_hex >> frame_hex;
    ByteVec t;
    if (!parse_hex(type_hex, &t) || !parse_hex(packet_hex, &g.packet) || !parse_hex(frame_hex, &g.frame)) {
      CHECK_MSG(false, "bad golden line: " + line);
      continue;
    }
    g.type = t[0];
    g.seq = static_cast<uint16_t>(seq);
    out.push_back(g);
  }
  return out;
}

bool is_request(uint8_t type) {
  switch (type) {
    case wp::Hello::kType: case wp::Ping::kType: case wp::StreamStart::kType: case wp::StreamStop::kType:
    case wp::ModelBegin::kType: case wp::ModelChunk::kType: case wp::ModelFinish::kType:
    case wp::ModelAbort::kType: case wp::ModelQuery::kType: case wp::ModelActivate::kType:
    case wp::EnrollStart::kType: case wp::EnrollCancel::kType: case wp::RefList::kType:
    case wp::RefClear::kType: case wp::RefUpload::kType: case wp::RefDownload::kType:
    case wp::HidMapSet::kType: case wp::HidMapGet::kType: case wp::HidEnable::kType:
    case wp::RecognizeStart::kType: case wp::RecognizeStop::kType: case wp::ForgetHosts::kType:
    case wp::WordUpload::kType: case wp::WordList::kType: case wp::WordClear::kType:
    case wp::SimPerform::kType: case wp::SimSay::kType: case wp::SimPerson::kType:
    case wp::SimUnplug::kType: case wp::SimButton::kType:
      return true;
    default:
      return false;
  }
}

void test_golden_requests(const std::vector<Golden>& golden) {
  CHECK(golden.size() >= 40);
  for (const Golden& g : golden) {
    Rig rig;
    rig.send(g.frame);
    const auto replies = rig.replies();
    const std::string what = g.name;
    if (g.type == wp::Hello::kType) {
      wp::Info info;
      CHECK_MSG(replies.size() == 1 && decode(replies[0], &info), what);
      CHECK(info.board_name.equals("Test board") && info.protocol_version == wp::kProtocolVersion);
      CHECK(info.sensor_count == 3 && info.sensors[0].rate_hz == 100 && info.sensors[2].rate_hz == 16000);
      CHECK(info.free_ram_bytes == 12345 && info.battery_percent == 77 && info.model_slots == 2);
      CHECK(replies[0].seq == 1);  // the board numbers its packets from 1, as pty_server.py
      continue;
    }
    if (g.type == wp::Ping::kType) {
      wp::Ping ping;
      wp::Pong pong;
      CHECK(decode({g.type, 0, g.seq, ByteVec(g.packet.begin() + 4, g.packet.end() - 4)}, &ping));
      CHECK_MSG(replies.size() == 1 && decode(replies[0], &pong) && pong.token == ping.token, what);
      continue;
    }
    if (g.type == wp::StreamStart::kType || g.type == wp::StreamStop::kType) {
      // Ack(ref_seq) - or, for a rate the board lacks, Error BAD_ARGUMENT; StreamStop: stats first.
      CHECK_MSG(!replies.empty(), what);
      const auto& last = replies.back();
      wp::Ack ack;
      wp::Error error;
      const bool acked = decode(last, &ack) && ack.ref_seq == g.seq;
      const bool refused = decode(last, &error) && error.ref_seq == g.seq &&
                           error.code == static_cast<uint16_t>(wp::ErrorCode::kBadArgument);
      CHECK_MSG(acked || refused, what);
      if (g.type == wp::StreamStop::kType) {
        wp::StreamStats stats;
        CHECK_MSG(replies.size() == 2 && decode(replies[0], &stats), what + ": StreamStats before the Ack");
      }
      continue;
    }
    wp::Error error;
    CHECK_MSG(replies.size() == 1 && decode(replies[0], &error), what + ": one Error");
    CHECK_MSG(error.ref_seq == g.seq, what + ": Error.ref_seq is the request's seq");
    const auto expected = is_request(g.type) ? wp::ErrorCode::kUnsupported : wp::ErrorCode::kUnknownMessage;
    CHECK_MSG(error.code == static_cast<uint16_t>(expected), what + ": error code");
    CHECK_MSG(error.message.size > 0, what + ": the Error says why");
  }
  // Every proper prefix of a golden request's payload is refused as BAD_ARGUMENT (truncated).
  for (const Golden& g : golden) {
    if (!is_request(g.type) || g.packet.size() <= 8) continue;
    const size_t payload = g.packet.size() - 8;
    for (size_t cut = 0; cut < payload; ++cut) {
      Rig rig;
      uint8_t frame[wp::kMaxFrameBytes];
      wp::Packet p{g.type, 0, g.seq, g.packet.data() + 4, cut};
      rig.send(ByteVec(frame, frame + wp::encode_frame(p, frame, sizeof(frame))));
      const auto replies = rig.replies();
      wp::Error error;
      CHECK_MSG(replies.size() == 1 && decode(replies[0], &error) &&
                    error.code == static_cast<uint16_t>(wp::ErrorCode::kBadArgument) && error.ref_seq == g.seq,
                g.name + " cut to " + std::to_string(cut) + " bytes");
    }
  }
  // A type no message has.
  Rig rig;
  uint8_t frame[64];
  const wp::Packet unknown{0x6F, 0, 77, nullptr, 0};
  rig.send(ByteVec(frame, frame + wp::encode_frame(unknown, frame, sizeof(frame))));
  const auto replies = rig.replies();
  wp::Error error;
  CHECK(replies.size() == 1 && decode(replies[0], &error));
  CHECK(error.code == static_cast<uint16_t>(wp::ErrorCode::kUnknownMessage) && error.ref_seq == 77);
  CHECK(error.message.equals("unknown message type 0x6f"));
}

// -- streaming --------------------------------------------------------------------------------------

void test_streaming_numbers_blocks_and_counts_drops() {
  Rig rig;
  for (int i = 0; i < 100000; ++i) rig.sensors.imu_samples.push_back(static_cast<int16_t>(i));
  rig.send(wp::StreamStart{wp::kSensorImu | wp::kSensorAudio, 400}, 5);
  auto r = rig.replies();
  wp::Ack ack;
  CHECK(r.size() == 1 && decode(r[0], &ack) && ack.ref_seq == 5);
  CHECK(rig.board.streaming_imu() && rig.board.streaming_audio() && rig.board.imu_rate_hz() == 400);

  // 0.5 s: 200 IMU samples = 12 blocks of 16 (8 left over), 31 audio blocks of 256 - polled twice, as
  // the 16-slot audio ring holds 256 ms.
  rig.at(250000);
  rig.poll();
  rig.at(500000);
  rig.poll();
  r = rig.replies();
  size_t imu = 0, audio = 0;
  int16_t expect = 0;
  for (const auto& p : r) {
    wp::ImuBlock block;
    wp::AudioBlock sound;
    if (decode(p, &block)) {
      CHECK(block.block_seq == imu && block.first_sample == imu * 16 && block.rate_hz == 400 && block.axes == 6);
      CHECK(block.data.count == 16 * 6);
      bool in_order = true;
      for (size_t i = 0; i < block.data.count; ++i) in_order &= block.data.at(i) == expect++;
      CHECK_MSG(in_order, "IMU samples arrive as the sensor produced them");
      ++imu;
    } else if (decode(p, &sound)) {
      CHECK(sound.block_seq == audio && sound.first_sample == audio * 256 && sound.data.count == 256);
      ++audio;
    }
  }
  CHECK(imu == 12 && audio == 31 && r.size() == imu + audio);

  // The link cannot take anything: blocks are dropped (and counted), not queued or blocked on.
  rig.sink.room_bytes = 0;
  rig.at(1000000);
  rig.poll();
  rig.sink.room_bytes = 1 << 20;
  r = rig.replies();
  wp::StreamStats stats;  // only the counters, which are never dropped: 1 s since StreamStart
  CHECK(r.size() == 1 && decode(r[0], &stats));
  CHECK(stats.imu_blocks == 25 && stats.imu_dropped == 13 && stats.audio_blocks == 62 && stats.audio_dropped == 31);

  // The consumer stalls while the sensor keeps producing: the ring overruns and counts whole blocks.
  rig.at(3000000);
  rig.sensors.produce(rig.board);  // 2 s = 50 IMU blocks into a 16-slot ring
  rig.board.poll();
  r = rig.replies();
  CHECK(!r.empty() && decode(r.back(), &stats));  // > 1 s since the last counters
  CHECK(stats.imu_blocks == 75 && stats.audio_blocks == 187);
  CHECK(stats.imu_dropped == 13 + (75 - 25 - wb::kImuSlots));
  // The IMU blocks that did go out after the stall are the newest kept ones, numbered with the gap.
  std::vector<uint32_t> seqs;
  for (const auto& p : r) {
    wp::ImuBlock block;
    if (decode(p, &block)) seqs.push_back(block.block_seq);
  }
  CHECK(seqs.size() == wb::kImuSlots && seqs.front() == 25 && seqs.back() == 25 + wb::kImuSlots - 1);

  // StreamStop: what the rings hold still goes out, then the final counters, then the Ack.
  rig.at(3100000);
  rig.sensors.produce(rig.board);
  rig.send(wp::StreamStop{wp::kSensorImu | wp::kSensorAudio}, 6);
  r = rig.replies();
  CHECK(r.size() >= 3);
  CHECK(decode(r[r.size() - 2], &stats) && decode(r.back(), &ack) && ack.ref_seq == 6);
  CHECK(stats.imu_blocks == 77 && stats.audio_blocks == 193);
  CHECK(!rig.board.streaming_imu() && !rig.board.streaming_audio() && !rig.sensors.imu_on);
  // Stopped: time passing sends nothing.
  rig.at(5000000);
  rig.poll();
  CHECK(rig.replies().empty());
}

void test_sessions_buttons_and_failures() {
  Rig rig;
  rig.send(wp::StreamStart{wp::kSensorImu, 0}, 9);
  CHECK(rig.sensors.imu_rate == 100 && rig.board.imu_ring().block_frames() == 4);
  rig.replies();
  rig.send(wp::Hello{1, wp::Str::of("again")}, 10);  // a new session stops the stream
  auto r = rig.replies();
  wp::Info info;
  CHECK(r.size() == 1 && decode(r[0], &info) && !rig.board.streaming_imu() && !rig.sensors.imu_on);
  CHECK(rig.board.in_session());
  rig.board.button(0, true);
  rig.board.button(0, false);
  rig.board.log(wp::LogLevel::kWarning, "battery low");
  r = rig.replies();
  wp::ButtonEvent press, release;
  wp::Log log;
  CHECK(r.size() == 3 && decode(r[0], &press) && decode(r[1], &release) && decode(r[2], &log));
  CHECK(press.pressed == 1 && release.pressed == 0 && log.text.equals("battery low"));
  // The IMU fails to start: Error INTERNAL, not an Ack, and no stream.
  rig.sensors.imu_ok = false;
  rig.send(wp::StreamStart{wp::kSensorImu, 50}, 11);
  r = rig.replies();
  wp::Error error;
  CHECK(r.size() == 1 && decode(r[0], &error) && error.code == static_cast<uint16_t>(wp::ErrorCode::kInternal));
  CHECK(!rig.board.streaming_imu());
  rig.board.disconnected();
  CHECK(!rig.board.in_session());
  // Sequence numbers wrap like a u16 and skip nothing.
  uint16_t last = 0;
  for (int i = 0; i < 70000; ++i) {
    rig.send(wp::Ping{static_cast<uint32_t>(i)}, 1);
    r = rig.replies();
    if (r.size() != 1) break;
    if (i > 0 && r[0].seq != static_cast<uint16_t>(last + 1)) {
      CHECK_MSG(false, "seq skipped");
      break;
    }
    last = r[0].seq;
  }
}

void test_packet_framing_for_ble() {
  // A link that frames packets itself (BLE): the board takes whole packets and answers with them.
  Rig rig;
  VectorSink ble;
  rig.board.use_link(ble, wb::Framing::kPacket);
  uint8_t payload[8];
  size_t size = 0;
  CHECK(wp::encode_payload(wp::Ping{0xCAFE}, payload, sizeof(payload), &size) == wp::WireError::kOk);
  rig.board.receive_packet(wp::Packet{wp::Ping::kType, 0, 300, payload, size});
  wp::Packet reply;
  CHECK(wp::unpack_packet(ble.bytes.data(), ble.bytes.size(), &reply) == wp::PacketError::kOk);
  wp::Pong pong;
  CHECK(reply.type == wp::Pong::kType && reply.seq == 1 &&
        wp::decode_payload(reply.payload, reply.payload_size, &pong) == wp::WireError::kOk && pong.token == 0xCAFE);
  CHECK(rig.sink.bytes.empty());
  // Back on the serial link: frames again, numbering goes on.
  rig.board.use_link(rig.sink, wb::Framing::kSerial);
  rig.send(wp::Ping{1}, 301);
  const auto r = rig.replies();
  CHECK(r.size() == 1 && r[0].seq == 2);
}

// -- replay of a Python-board conversation ---------------------------------------------------------

struct Event {
  bool host;
  uint32_t t_us;
  ByteVec bytes;
  std::vector<std::pair<ByteVec, bool>> expected;  // frame, loose
};

std::vector<Event> read_conversation(const char* path) {
  std::vector<Event> events;
  std::ifstream in(path);
  CHECK_MSG(static_cast<bool>(in), std::string("cannot read ") + path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind, hex;
    fields >> kind;
    if (kind == "host" || kind == "poll") {
      Event e{kind == "host", 0, {}, {}};
      fields >> e.t_us >> hex;
      if (e.host) CHECK(parse_hex(hex, &e.bytes));
      events.push_back(e);
    } else if ((kind == "board" || kind == "board~") && !events.empty()) {
      fields >> hex;
      ByteVec frame;
      CHECK(parse_hex(hex, &frame));
      events.back().expected.push_back({frame, kind == "board~"});
    } else {
      CHECK_MSG(false, "bad conversation line: " + line);
    }
  }
  return events;
}

wandlab::test::Received unframe(const ByteVec& frame) {
  wandlab::test::Collector c;
  wp::FrameDecoder d;
  d.feed(frame.data(), frame.size(), c);
  return c.packets.empty() ? wandlab::test::Received{0, 0, 0, {}} : c.packets[0];
}

void test_replay(const char* path) {
  const std::vector<Event> events = read_conversation(path);
  CHECK(events.size() > 10);
  // The board is described by the Python board's Info, so that every byte can match; the sensors
  // produce the samples the Python board sent.
  wp::Info first;
  bool have_info = false;
  std::string name, firmware, uid;  // first's strings point into a packet that is gone: keep copies
  FakeClock clock;
  FakeSensors sensors(clock);
  for (const Event& e : events) {
    for (const auto& x : e.expected) {
      const auto p = unframe(x.first);
      wp::ImuBlock imu;
      wp::AudioBlock audio;
      if (!have_info && decode(p, &first)) {
        have_info = true;
        name.assign(first.board_name.data, first.board_name.size);
        firmware.assign(first.firmware_version.data, first.firmware_version.size);
        uid.assign(first.board_uid.data, first.board_uid.size);
      }
      if (decode(p, &imu)) {
        for (size_t i = 0; i < imu.data.count; ++i) sensors.imu_samples.push_back(imu.data.at(i));
      }
      if (decode(p, &audio)) {
        for (size_t i = 0; i < audio.data.count; ++i) sensors.audio_samples.push_back(audio.data.at(i));
      }
    }
  }
  CHECK_MSG(have_info && first.sensor_count == 3, "the conversation has an Info with accel, gyro, mic");
  if (!have_info || first.sensor_count != 3) return;
  wb::BoardDescription d;
  d.name = name.c_str();
  d.firmware_version = firmware.c_str();
  d.uid = uid.c_str();
  d.accel_range_g = first.sensors[0].range;
  d.accel_scale = first.sensors[0].scale;
  d.gyro_range_dps = first.sensors[1].range;
  d.gyro_scale = first.sensors[1].scale;
  d.imu_default_rate_hz = static_cast<uint16_t>(first.sensors[0].rate_hz);
  d.model_slots = first.model_slots;
  d.max_model_bytes = first.max_model_bytes;
  d.arena_bytes = first.arena_bytes;
  sensors.free_ram = first.free_ram_bytes;
  sensors.battery = first.battery_percent;

  VectorSink sink;
  wb::Board board(d, sink, clock, sensors);
  int event_no = 0;
  size_t frames_compared = 0;
  for (const Event& e : events) {
    ++event_no;
    clock.now_us = e.t_us;
    if (e.host) {
      board.receive(e.bytes.data(), e.bytes.size());
    } else {
      sensors.produce(board);
      board.poll();
    }
    const std::vector<ByteVec> got = sink.take_frames();
    const std::string where = std::string(e.host ? "host" : "poll") + " at " + std::to_string(e.t_us) + " us";
    if (!CHECK_MSG(got.size() == e.expected.size(),
                   where + ": " + std::to_string(got.size()) + " frames, Python sent " +
                       std::to_string(e.expected.size()))) {
      for (const auto& f : got) std::printf("  C++    %s\n", to_hex(f).substr(0, 80).c_str());
      for (const auto& f : e.expected) std::printf("  Python %s\n", to_hex(f.first).substr(0, 80).c_str());
      continue;
    }
    for (size_t i = 0; i < got.size(); ++i) {
      ++frames_compared;
      const ByteVec& want = e.expected[i].first;
      if (!e.expected[i].second) {
        CHECK_MSG(got[i] == want, where + " frame " + std::to_string(i) + "\n  C++    " + to_hex(got[i]) +
                                      "\n  Python " + to_hex(want));
        continue;
      }
      // An Error whose text is Python's decoder's own: same seq, ref_seq and code.
      const auto a = unframe(got[i]);
      const auto b = unframe(want);
      wp::Error ea, eb;
      CHECK_MSG(decode(a, &ea) && decode(b, &eb) && a.seq == b.seq && ea.ref_seq == eb.ref_seq &&
                    ea.code == eb.code && ea.message.size > 0,
                where + ": Error differs");
    }
  }
  std::printf("replayed %d events, %zu board frames\n", event_no, frames_compared);
  CHECK(frames_compared > 100);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::printf("usage: %s protocol_messages.txt board_conversation.txt\n", argv[0]);
    return 2;
  }
  const std::vector<Golden> golden = read_golden(argv[1]);
  test_golden_requests(golden);
  test_streaming_numbers_blocks_and_counts_drops();
  test_sessions_buttons_and_failures();
  test_packet_framing_for_ble();
  test_replay(argv[2]);
  const auto& t = wandlab::test::tally();
  if (t.failures > 0) {
    std::printf("FAILED: %d of %d checks\n", t.failures, t.checks);
    return 1;
  }
  std::printf("OK: %d checks, %zu golden vectors, board conversation replayed\n", t.checks, golden.size());
  return 0;
}
