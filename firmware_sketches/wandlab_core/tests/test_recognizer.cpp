// The board's recogniser (src/recognizer.{h,cpp}, src/enroll_session.{h,cpp}) on the PC, with TFLM.
//
//   test_recognizer selftest IMAGE     self-contained checks on a board image (tests/vectors/
//                                      board_image_valid.bin): no model, upload, recognition of a synthetic
//                                      motion, enrollment (timeout, clipped take, stored class), HID, a
//                                      refused upload leaving the active model running, restart, the
//                                      Python number formats, RAM; prints "N checks, F failures"
//   test_recognizer twin < script      the C++ half of tests/firmware/test_recognizer_twin.py
//
// Twin script lines (replies: "msg TYPE PAYLOAD" in hex per message the board sent, then "done"):
//   boot                          a power cycle: a new Recognizer and Board on the same flash and records
//   time US                       the board clock (microseconds)
//   req PACKET                    a request packet (header, payload, CRC) in hex
//   imu FIRST RATE FRAMES COUNTS  an IMU block of int16 counts (6 axes, little-endian hex)
//   poll                          Recognizer::poll
//   wants                         prints "wants 0|1"
//   fixed VALUE_BITS DECIMALS     prints "text ..." (enroll::add_fixed of a double given as 16 hex digits)
//   g MILLISECONDS                prints "text ..." (enroll::add_seconds_g)
// Build (needs firmware_sketches/tflm_host's libtflm.a): see the Makefile's test_recognizer target.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "board.h"
#include "crc32.h"
#include "enroll_session.h"
#include "model_slots_test_support.h"
#include "packet.h"
#include "protocol_test_support.h"
#include "recognizer.h"
#include "sha256.h"

namespace wb = wandlab::board;
namespace wp = wandlab::protocol;
namespace wr = wandlab::recognizer;
namespace wt = wandlab::test;

namespace {

// The XIAO nRF52840 Sense's sizes: what the recogniser is specified for.
constexpr size_t kArenaBytes = 8 * 1024;
constexpr int kMaxRateHz = 100;
using XiaoMemory = wr::RecognizerMemory<kArenaBytes, kMaxRateHz, 6>;
constexpr size_t kSlotBytes = 64 * 1024;
constexpr size_t kEraseUnit = 4096;
constexpr size_t kRecordPage = 4096;

class PacketSink : public wb::ByteSink {
 public:
  bool write(const uint8_t* data, size_t size) override {
    packets.emplace_back(data, data + size);
    return true;
  }
  size_t room() const override { return 1 << 20; }
  std::vector<wt::ByteVec> packets;
};

class SetClock : public wb::Clock {
 public:
  uint32_t micros() const override { return now; }
  uint32_t now = 0;
};

class NoSensors : public wb::SensorControl {
 public:
  bool start_imu(uint16_t) override { return true; }
  void stop_imu() override {}
  bool start_audio() override { return true; }
  void stop_audio() override {}
};

class RamRecord : public wandlab::RecordStore {
 public:
  bool load(uint8_t* data, size_t* size) override {
    if (bytes.empty() || bytes.size() > *size) return false;
    std::memcpy(data, bytes.data(), bytes.size());
    *size = bytes.size();
    return true;
  }
  bool save(const uint8_t* data, size_t size) override {
    bytes.assign(data, data + size);
    ++saves;
    return true;
  }
  std::vector<uint8_t> bytes;
  int saves = 0;
};

class Press : public wr::HidPress {
 public:
  bool press(const wp::HidAction& action) override {
    ++presses;
    last_code = action.code;
    return host;
  }
  bool host = true;
  int presses = 0;
  uint16_t last_code = 0;
};

struct Message {
  uint8_t type;
  wt::ByteVec payload;
};

// A board with the recogniser as its extension, rebooted on the same flash and records.
class Rig {
 public:
  // with_press: a BLE HID that presses (the self-test); without, none (the twin: Python's board has no radio).
  explicit Rig(bool with_press) : flash(kSlotBytes, kEraseUnit, kRecordPage), memory(new XiaoMemory()), pressing(with_press) {
    description.name = "recognizer test";
    description.imu_axes = 6;
    description.imu_rates_hz[0] = 100;
    description.imu_rate_count = 1;
    boot();
  }

  void boot() {
    board.reset();
    recognizer.reset(new wr::Recognizer(flash, clock, memory->memory(), 6, &refs_record, &hid_record));
    if (pressing) recognizer->set_press(&press);
    board.reset(new wb::Board(description, sink, clock, sensors, recognizer.get()));
    board->use_link(sink, wb::Framing::kPacket);
    recognizer->begin(*board);
  }

  std::vector<Message> take() {
    std::vector<Message> out;
    for (const wt::ByteVec& raw : sink.packets) {
      wp::Packet p;
      if (wp::unpack_packet(raw.data(), raw.size(), &p) != wp::PacketError::kOk) {
        std::printf("FAIL a reply does not unpack\n");
        std::exit(1);
      }
      out.push_back({p.type, wt::ByteVec(p.payload, p.payload + p.payload_size)});
    }
    sink.packets.clear();
    return out;
  }

  template <class M>
  std::vector<Message> request(const M& message) {
    uint8_t payload[wp::kMaxPayload];
    wp::Writer w(payload, sizeof(payload));
    if (!message.write(w)) {
      std::printf("FAIL a request does not encode\n");
      std::exit(1);
    }
    const wp::Packet packet{M::kType, 0, ++seq, payload, w.size()};
    board->receive_packet(packet);
    return take();
  }

  std::vector<Message> imu(const std::vector<int16_t>& counts, uint32_t first, uint16_t rate) {
    recognizer->on_imu(*board, counts.data(), counts.size() / 6, first, rate);
    return take();
  }

  wt::RamSlotFlash flash;
  RamRecord refs_record, hid_record;
  SetClock clock;
  PacketSink sink;
  NoSensors sensors;
  Press press;
  wb::BoardDescription description;
  std::unique_ptr<XiaoMemory> memory;
  std::unique_ptr<wr::Recognizer> recognizer;
  std::unique_ptr<wb::Board> board;
  bool pressing;
  uint16_t seq = 0;
};

template <class M>
bool as(const Message& m, M* out) {
  if (m.type != M::kType) return false;
  const wp::Packet p{m.type, 0, 0, m.payload.data(), m.payload.size()};
  return wp::decode_message(p, out) == wp::WireError::kOk;
}

std::string str(const wp::Str& s) { return std::string(s.data, s.size); }

std::string error_text(const std::vector<Message>& out) {
  wp::Error e;
  return out.size() == 1 && as(out[0], &e) ? str(e.message) : "(no single Error)";
}

// -- a synthetic wand: held still, then a burst of motion ------------------------------------------------

constexpr double kAccelScale = 4.0 / 32768.0;
constexpr double kGyroScale = 2000.0 / 32768.0;

void still(std::vector<int16_t>* out, int frames) {
  for (int i = 0; i < frames; ++i) {
    const int16_t f[6] = {0, 0, static_cast<int16_t>(std::lround(1.0 / kAccelScale)), 0, 0, 0};
    out->insert(out->end(), f, f + 6);
  }
}

// A wiggle of `frames` frames: a swing in x and a turn about z, `shape` varying its rhythm.
void burst(std::vector<int16_t>* out, int frames, double shape) {
  for (int i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / 100.0;
    const double ax = 1.2 * std::sin(2 * M_PI * 2.0 * shape * t);
    const double ay = 0.6 * std::sin(2 * M_PI * 3.0 * t);
    const double gz = 250.0 * std::cos(2 * M_PI * 2.0 * shape * t);
    const int16_t f[6] = {static_cast<int16_t>(std::lround(ax / kAccelScale)),
                          static_cast<int16_t>(std::lround(ay / kAccelScale)),
                          static_cast<int16_t>(std::lround(1.0 / kAccelScale)),
                          0,
                          static_cast<int16_t>(std::lround(40.0 * shape / kGyroScale)),
                          static_cast<int16_t>(std::lround(gz / kGyroScale))};
    out->insert(out->end(), f, f + 6);
  }
}

// The wand turned back and forth about its axis: rotation only, so the motion ends the moment it stops.
void turn(std::vector<int16_t>* out, int frames) {
  for (int i = 0; i < frames; ++i) {
    const double gz = 200.0 * std::sin(2 * M_PI * 1.5 * static_cast<double>(i) / 100.0) + 120.0;
    const int16_t f[6] = {0, 0, static_cast<int16_t>(std::lround(1.0 / kAccelScale)), 0, 0,
                          static_cast<int16_t>(std::lround(gz / kGyroScale))};
    out->insert(out->end(), f, f + 6);
  }
}

// Feeds `counts` in blocks of 4 frames (100 Hz / 25) from stream index *index on, the clock moving 40 ms per
// block and poll() after each; returns every message.
std::vector<Message> stream(Rig& rig, const std::vector<int16_t>& counts, uint32_t* index) {
  std::vector<Message> out;
  for (size_t at = 0; at < counts.size(); at += 24) {
    const size_t n = std::min<size_t>(24, counts.size() - at);
    std::vector<int16_t> block(counts.begin() + static_cast<long>(at), counts.begin() + static_cast<long>(at + n));
    rig.clock.now += 40000;
    for (Message& m : rig.imu(block, *index, 100)) out.push_back(m);
    *index += static_cast<uint32_t>(n / 6);
    rig.recognizer->poll(*rig.board);
    for (Message& m : rig.take()) out.push_back(m);
  }
  return out;
}

std::vector<int16_t> gesture(double shape, int burst_frames = 80) {
  std::vector<int16_t> v;
  still(&v, 100);
  burst(&v, burst_frames, shape);
  still(&v, 150);  // the gravity tracker settles (0.5 s), then 0.3 s of stillness ends the segment
  return v;
}

template <class M>
std::vector<M> all(const std::vector<Message>& out) {
  std::vector<M> found;
  for (const Message& m : out) {
    M decoded;
    if (as(m, &decoded)) found.push_back(decoded);
  }
  return found;
}

// -- uploading an image --------------------------------------------------------------------------------

std::vector<Message> upload(Rig& rig, const wt::ByteVec& image, uint32_t transfer_id) {
  constexpr uint16_t kChunk = 4000;
  wp::ModelBegin begin;
  begin.transfer_id = transfer_id;
  begin.size = static_cast<uint32_t>(image.size());
  begin.crc32 = wp::crc32(image.data(), image.size());
  uint8_t digest[32];
  wandlab::crypto::Sha256::hash(image.data(), image.size(), digest);
  begin.sha256 = wp::Bytes{digest, 32};
  begin.chunk_size = kChunk;
  begin.model_id = wp::Str::of("test model");
  std::vector<Message> out = rig.request(begin);
  for (size_t at = 0, i = 0; at < image.size(); at += kChunk, ++i) {
    const size_t n = std::min<size_t>(kChunk, image.size() - at);
    wp::ModelChunk chunk;
    chunk.transfer_id = transfer_id;
    chunk.index = static_cast<uint32_t>(i);
    chunk.crc32 = wp::crc32(image.data() + at, n);
    chunk.data = wp::Bytes{image.data() + at, n};
    for (Message& m : rig.request(chunk)) out.push_back(m);
  }
  for (Message& m : rig.request(wp::ModelFinish{transfer_id})) out.push_back(m);
  return out;
}

bool transfer_ok(const std::vector<Message>& out, std::string* why) {
  for (const wp::TransferResult& r : all<wp::TransferResult>(out)) {
    *why = str(r.message);
    return r.ok != 0;
  }
  *why = "no TransferResult";
  return false;
}

// -- the self-test ----------------------------------------------------------------------------------------

void check_formats() {
  struct Fixed {
    double value;
    int decimals;
    const char* text;
  };
  // Python: f"{value:.{decimals}f}" (half to even on the exact binary value: 1.005 is 1.00499...).
  const Fixed fixed[] = {{1.005, 2, "1.00"}, {0.125, 2, "0.12"}, {0.375, 2, "0.38"}, {2.5, 0, "2"},
                         {3.5, 0, "4"},      {0.05, 1, "0.1"},   {0.15, 1, "0.1"},   {0.25, 1, "0.2"},
                         {1.25, 1, "1.2"},   {2.675, 2, "2.67"}, {3.245, 2, "3.25"}, {0.0, 2, "0.00"},
                         {1.0, 3, "1.000"}};
  for (const Fixed& f : fixed) {
    wandlab::Text text;
    wandlab::enroll::add_fixed(&text, f.value, f.decimals);
    CHECK_MSG(str(text.view()) == f.text, str(text.view()) + " for " + f.text);
  }
  struct General {
    uint32_t ms;
    const char* text;
  };
  // Python: f"{ms / 1000:g}".
  const General general[] = {{500, "0.5"},          {15000, "15"},           {1001, "1.001"},
                             {2500, "2.5"},         {999999, "999.999"},     {1000000, "1000"},
                             {1234565, "1234.57"},  {1234575, "1234.58"},    {9999995, "10000"},
                             {99999950, "99999.9"}, {999999500, "1e+06"},    {999999499, "999999"},
                             {4294967295u, "4.29497e+06"}, {1000005000, "1e+06"}, {1000015000, "1.00002e+06"},
                             {123456789, "123457"}};
  for (const General& g : general) {
    wandlab::Text text;
    wandlab::enroll::add_seconds_g(&text, g.ms);
    CHECK_MSG(str(text.view()) == g.text, str(text.view()) + " for " + g.text);
  }
}

void check_no_model(Rig& rig) {
  CHECK(!rig.recognizer->model_ready() && !rig.recognizer->wants_imu());
  CHECK(error_text(rig.request(wp::RecognizeStart{1})) == wr::kNoModel);
  wp::EnrollStart enroll;
  enroll.class_id = wp::kAllClasses;
  enroll.label = wp::Str::of("wiggle");
  enroll.shots = 3;
  CHECK(error_text(rig.request(enroll)) == wr::kNoModel);
  const wp::Info info = rig.board->info();
  CHECK(info.model_slots == 2 && info.max_model_bytes == kSlotBytes && info.arena_bytes == kArenaBytes);
  CHECK(info.enrolled_label_count == 0 && info.active_model_id.size == 0);
  std::vector<Message> out = rig.request(wp::RefList{});
  wp::RefListReply list;
  CHECK(out.size() == 1 && as(out[0], &list) && list.dim == 0 && list.class_count == 0);
}

void check_recognition(Rig& rig, uint32_t* index, wt::ByteVec* window_embedding) {
  CHECK(rig.request(wp::RecognizeStart{1}).size() == 1);
  CHECK(rig.recognizer->recognizing() && rig.recognizer->wants_imu());
  std::vector<int16_t> quiet;
  still(&quiet, 300);
  CHECK(stream(rig, quiet, index).empty());  // a held wand decides nothing
  for (double shape : {1.0, 1.6}) {
    const uint32_t before = *index;
    const std::vector<Message> out = stream(rig, gesture(shape), index);
    const std::vector<wp::InferenceEvent> events = all<wp::InferenceEvent>(out);
    CHECK_MSG(events.size() == 1, std::to_string(events.size()) + " events");
    if (events.size() == 1) {
      const wp::InferenceEvent& e = events[0];
      // The segment ends 0.3 s of stillness after the motion, inside this stretch of stream.
      CHECK(e.sample_index > before + 180 && e.sample_index <= *index);
      CHECK(e.label.size > 0 && std::isfinite(e.distance) && e.distance >= 0);
      CHECK((e.class_id == wp::kNoClass) == (e.margin < 0));
    }
  }
  // The embedding of a fixed window, to compare after a refused upload.
  std::vector<float> frames;
  std::vector<int16_t> counts;
  burst(&counts, 90, 1.3);
  for (size_t i = 0; i < counts.size(); ++i) {
    frames.push_back(static_cast<float>(counts[i] * (i % 6 < 3 ? kAccelScale : kGyroScale)));
  }
  int8_t e[64];
  const size_t dim = rig.recognizer->embed(frames.data(), 90, 100.0, e, sizeof(e));
  CHECK(dim == 32);
  window_embedding->assign(reinterpret_cast<uint8_t*>(e), reinterpret_cast<uint8_t*>(e) + dim);
}

void check_enrollment(Rig& rig, uint32_t* index) {
  wp::EnrollStart enroll;
  enroll.class_id = wp::kAllClasses;
  enroll.label = wp::Str::of("wiggle");
  enroll.shots = 3;
  enroll.timeout_ms = 4001;
  std::vector<Message> out = rig.request(enroll);
  std::vector<wp::EnrollProgress> progress = all<wp::EnrollProgress>(out);
  CHECK(out.size() == 2 && out[0].type == wp::Ack::kType && progress.size() == 1);
  if (progress.size() == 1) {
    CHECK(progress[0].class_id == 10 && progress[0].shots == 3 && progress[0].shot == 0);
    CHECK(str(progress[0].message) == "Perform take 1 of 3");
  }
  CHECK(rig.recognizer->enrolling());
  CHECK(error_text(rig.request(enroll)) == "already enrolling 'wiggle'; cancel it first");

  // Motion that never pauses: asked again, nothing captured.
  std::vector<int16_t> nonstop;
  still(&nonstop, 60);
  turn(&nonstop, 305);  // cut at 3 s; the rest is too short to be a take
  still(&nonstop, 150);
  out = stream(rig, nonstop, index);
  progress = all<wp::EnrollProgress>(out);
  CHECK(progress.size() == 1);
  if (progress.size() == 1) {
    CHECK(progress[0].state == static_cast<uint8_t>(wp::EnrollState::kWaiting) && progress[0].shot == 0);
    // 0.25 s of pre-roll + 3 s of motion at 100 Hz
    CHECK_MSG(str(progress[0].message) == "the take ran 3.2 s without a pause; hold still, then perform take 1 of 3",
              str(progress[0].message));
  }
  for (int take = 1; take <= 3; ++take) {
    out = stream(rig, gesture(1.0 + 0.02 * take), index);
    progress = all<wp::EnrollProgress>(out);
    CHECK(all<wp::InferenceEvent>(out).empty());  // recognition pauses while enrolling
    CHECK(progress.size() == 2);
    if (progress.size() != 2) continue;
    CHECK(progress[0].state == static_cast<uint8_t>(wp::EnrollState::kCaptured) && progress[0].shot == take);
    CHECK_MSG(str(progress[0].message).rfind("take " + std::to_string(take) + " captured (", 0) == 0,
              str(progress[0].message));
    if (take < 3) {
      CHECK(progress[1].state == static_cast<uint8_t>(wp::EnrollState::kWaiting));
      CHECK(str(progress[1].message) == "Perform take " + std::to_string(take + 1) + " of 3");
    } else {
      CHECK(progress[1].state == static_cast<uint8_t>(wp::EnrollState::kDone) && progress[1].shot == 3);
      CHECK_MSG(str(progress[1].message).rfind("'wiggle' is class 10: 3 references, threshold ", 0) == 0,
                str(progress[1].message));
    }
  }
  CHECK(!rig.recognizer->enrolling());
  // The enrolled motion is recognised as the new class.
  out = stream(rig, gesture(1.04), index);
  const std::vector<wp::InferenceEvent> events = all<wp::InferenceEvent>(out);
  CHECK(events.size() == 1 && events[0].class_id == 10 && str(events[0].label) == "wiggle");
  const wp::Info info = rig.board->info();
  CHECK(info.enrolled_label_count == 11 && str(info.enrolled_labels[10]) == "wiggle");

  // A take that never comes: FAILED once the deadline has passed, not before.
  enroll.label = wp::Str::of("late");
  enroll.shots = 2;
  enroll.timeout_ms = 600;
  CHECK(rig.request(enroll).size() == 2);
  std::vector<int16_t> quiet;
  still(&quiet, 56);  // 14 blocks of 40 ms: 0.56 s
  CHECK(all<wp::EnrollProgress>(stream(rig, quiet, index)).empty());
  out = stream(rig, quiet, index);
  progress = all<wp::EnrollProgress>(out);
  CHECK(progress.size() == 1 && progress[0].state == static_cast<uint8_t>(wp::EnrollState::kFailed));
  if (progress.size() == 1) {
    CHECK_MSG(str(progress[0].message) == "no gesture within 0.6 s for take 1 of 2; nothing was stored",
              str(progress[0].message));
  }
  // Cancelled: Ack, then FAILED.
  CHECK(rig.request(enroll).size() == 2);
  out = rig.request(wp::EnrollCancel{});
  progress = all<wp::EnrollProgress>(out);
  CHECK(out.size() == 2 && out[0].type == wp::Ack::kType && progress.size() == 1 &&
        str(progress[0].message) == "cancelled by the host");
  CHECK(rig.request(wp::EnrollCancel{}).size() == 1);  // nothing running: only the Ack
}

void check_hid(Rig& rig, uint32_t* index) {
  wp::HidMapSet map;
  map.actions[0] = wp::HidAction{10, 1, 0x28, 0, 0, 0};  // wiggle -> Enter
  map.action_count = 1;
  CHECK(rig.request(map).size() == 1);
  CHECK(rig.request(wp::HidEnable{1}).size() == 1);
  rig.press.presses = 0;
  std::vector<Message> out = stream(rig, gesture(1.04), index);
  std::vector<wp::HidReport> reports = all<wp::HidReport>(out);
  CHECK(reports.size() == 1 && reports[0].class_id == 10 && reports[0].code == 0x28 && reports[0].sent == 1);
  CHECK(rig.press.presses == 1 && rig.recognizer->reports_sent() == 1);
  // A new host session: recognition stops, HID goes on pressing, silently.
  wp::Hello hello;
  hello.host = wp::Str::of("test");
  out = rig.request(hello);
  CHECK(out.size() == 1 && out[0].type == wp::Info::kType && !rig.recognizer->recognizing());
  CHECK(rig.recognizer->wants_imu());
  out = stream(rig, gesture(1.04), index);
  CHECK(out.empty() && rig.press.presses == 2);
  rig.press.host = false;
  CHECK(rig.request(wp::RecognizeStart{1}).size() == 1);
  out = stream(rig, gesture(1.04), index);
  reports = all<wp::HidReport>(out);
  CHECK(reports.size() == 1 && reports[0].sent == 0);  // no host took it
  CHECK(rig.request(wp::HidEnable{0}).size() == 1);
  CHECK(rig.request(wp::RecognizeStop{}).size() == 1 && !rig.recognizer->wants_imu());
}

void check_refused_upload_keeps_the_model(Rig& rig, const wt::ByteVec& image, const wt::ByteVec& embedding) {
  // A TFLM section with a broken flatbuffer: the check loads it into the runner and refuses it.
  wt::ByteVec broken = image;
  for (size_t i = 200; i < 240; ++i) broken[i] ^= 0x5A;
  std::string why;
  CHECK(!transfer_ok(upload(rig, broken, 7), &why));
  CHECK_MSG(!why.empty(), why);
  CHECK(rig.recognizer->model_ready());
  std::vector<float> frames;
  std::vector<int16_t> counts;
  burst(&counts, 90, 1.3);
  for (size_t i = 0; i < counts.size(); ++i) {
    frames.push_back(static_cast<float>(counts[i] * (i % 6 < 3 ? kAccelScale : kGyroScale)));
  }
  int8_t e[64];
  const size_t dim = rig.recognizer->embed(frames.data(), 90, 100.0, e, sizeof(e));
  CHECK(dim == embedding.size() && std::memcmp(e, embedding.data(), dim) == 0);
}

void check_restart(Rig& rig, uint32_t* index) {
  rig.boot();
  CHECK(rig.take().empty());  // nothing to report: the slots and records are intact
  CHECK(rig.recognizer->model_ready());
  const wp::Info info = rig.board->info();
  CHECK(info.enrolled_label_count == 11 && str(info.enrolled_labels[10]) == "wiggle");
  CHECK(str(info.active_model_id) == "test model");
  CHECK(rig.request(wp::RecognizeStart{1}).size() == 1);
  std::vector<Message> out = stream(rig, gesture(1.04), index);
  const std::vector<wp::InferenceEvent> events = all<wp::InferenceEvent>(out);
  CHECK(events.size() == 1 && events[0].class_id == 10);
  out = rig.request(wp::HidMapGet{});
  wp::HidMap map;
  CHECK(out.size() == 1 && as(out[0], &map) && map.action_count == 1 && map.actions[0].code == 0x28);
}

void check_damaged_slot_at_boot(Rig& rig) {
  // The active model's bytes change in flash: at boot the slot is set aside with a note, and the board
  // runs no model, but keeps its own classes for the next one.
  rig.flash.slot_bytes(rig.recognizer->slots().active_slot())[1000] ^= 0x01;
  rig.boot();
  const std::vector<Message> out = rig.take();
  const std::vector<wp::Log> logs = all<wp::Log>(out);
  CHECK(!logs.empty() && logs.size() == out.size());
  for (const wp::Log& log : logs) CHECK(log.level == static_cast<uint8_t>(wp::LogLevel::kWarning) && log.text.size > 0);
  CHECK(!rig.recognizer->model_ready() && !rig.recognizer->wants_imu());
  CHECK(error_text(rig.request(wp::RecognizeStart{1})) == wr::kNoModel);
  CHECK(rig.board->info().enrolled_label_count == 0);
  const std::vector<Message> listed = rig.request(wp::RefList{});
  wp::RefListReply list;
  CHECK(listed.size() == 1 && as(listed[0], &list) && list.dim == 0 && list.class_count == 1 &&
        str(list.classes[0].label) == "wiggle");
}

int selftest(const char* image_path) {
  std::ifstream file(image_path, std::ios::binary);
  const wt::ByteVec image((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (image.empty()) {
    std::printf("cannot read %s\n", image_path);
    return 2;
  }
  check_formats();
  Rig rig(true);
  check_no_model(rig);
  std::string why;
  CHECK_MSG(transfer_ok(upload(rig, image, 1), &why), why);
  CHECK(rig.recognizer->model_ready() && *rig.recognizer->problem() == '\0');
  CHECK(rig.board->info().enrolled_label_count == 10);
  uint32_t index = 0;
  wt::ByteVec embedding;
  check_recognition(rig, &index, &embedding);
  check_enrollment(rig, &index);
  check_hid(rig, &index);
  check_refused_upload_keeps_the_model(rig, image, embedding);
  check_restart(rig, &index);
  check_damaged_slot_at_boot(rig);

  const size_t ram = sizeof(wr::Recognizer) + sizeof(XiaoMemory);
  std::printf("sizeof Recognizer %zu + memory %zu = %zu bytes (%zu on a Cortex-M4)\n",
              sizeof(wr::Recognizer), sizeof(XiaoMemory), ram, wr::kCortexM4RamBytes);
  CHECK(ram * 10 <= wr::kCortexM4RamBytes * 11);
  // What a decision costs on this PC: features, quantisation and TFLM for a 0.9 s window (the k-NN adds
  // microseconds).
  Rig timing(false);
  CHECK(transfer_ok(upload(timing, image, 1), &why));
  std::vector<float> frames;
  std::vector<int16_t> counts;
  burst(&counts, 90, 1.3);
  for (size_t i = 0; i < counts.size(); ++i) {
    frames.push_back(static_cast<float>(counts[i] * (i % 6 < 3 ? kAccelScale : kGyroScale)));
  }
  int8_t e[64];
  constexpr int kRuns = 200;
  const auto t0 = std::chrono::steady_clock::now();
  int embedded = 0;
  for (int i = 0; i < kRuns; ++i) embedded += timing.recognizer->embed(frames.data(), 90, 100.0, e, sizeof(e)) == 32;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(embedded == kRuns);
  std::printf("embed: %.1f us per 0.9 s window on this PC\n", static_cast<double>(us) / kRuns);
  std::printf("%d checks, %d failures\n", wt::tally().checks, wt::tally().failures);
  return wt::tally().failures == 0 ? 0 : 1;
}

// -- the twin ----------------------------------------------------------------------------------------------

void print_messages(Rig& rig) {
  for (const Message& m : rig.take()) std::printf("msg %02x %s\n", m.type, wt::to_hex(m.payload).c_str());
  std::printf("done\n");
}

int twin() {
  std::unique_ptr<Rig> rig;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    in >> command;
    if (command.empty()) continue;
    if (command == "boot") {
      if (!rig) {
        rig.reset(new Rig(false));
      } else {
        rig->boot();
      }
      print_messages(*rig);
    } else if (command == "time") {
      uint64_t us = 0;
      in >> us;
      rig->clock.now = static_cast<uint32_t>(us);
    } else if (command == "req") {
      std::string hex;
      in >> hex;
      wt::ByteVec raw;
      wp::Packet packet;
      if (!wt::parse_hex(hex, &raw) || wp::unpack_packet(raw.data(), raw.size(), &packet) != wp::PacketError::kOk) {
        std::printf("bad request line\n");
        return 2;
      }
      rig->board->receive_packet(packet);
      print_messages(*rig);
    } else if (command == "imu") {
      uint32_t first = 0, rate = 0, frames = 0;
      std::string hex;
      in >> first >> rate >> frames >> hex;
      wt::ByteVec raw;
      if (!wt::parse_hex(hex, &raw) || raw.size() != frames * 12u) {
        std::printf("bad imu line\n");
        return 2;
      }
      std::vector<int16_t> counts(frames * 6u);
      std::memcpy(counts.data(), raw.data(), raw.size());  // little-endian, as the host
      rig->recognizer->on_imu(*rig->board, counts.data(), frames, first, static_cast<uint16_t>(rate));
      print_messages(*rig);
    } else if (command == "poll") {
      rig->recognizer->poll(*rig->board);
      print_messages(*rig);
    } else if (command == "wants") {
      std::printf("wants %d\n", rig->recognizer->wants_imu() ? 1 : 0);
    } else if (command == "fixed" || command == "g") {
      wandlab::Text text;
      if (command == "fixed") {
        std::string bits;
        int decimals = 0;
        in >> bits >> decimals;
        const uint64_t raw = std::strtoull(bits.c_str(), nullptr, 16);
        double value;
        std::memcpy(&value, &raw, sizeof(value));
        wandlab::enroll::add_fixed(&text, value, decimals);
      } else {
        uint64_t ms = 0;
        in >> ms;
        wandlab::enroll::add_seconds_g(&text, static_cast<uint32_t>(ms));
      }
      std::printf("text %s\n", str(text.view()).c_str());
    } else {
      std::printf("unknown command %s\n", command.c_str());
      return 2;
    }
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "selftest") == 0) return selftest(argv[2]);
  if (argc == 2 && std::strcmp(argv[1], "twin") == 0) return twin();
  std::fprintf(stderr, "usage: %s selftest IMAGE | %s twin < script\n", argv[0], argv[0]);
  return 2;
}
