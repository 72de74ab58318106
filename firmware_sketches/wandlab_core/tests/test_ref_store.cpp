// Host test: the board's class table, HID map and their request handlers answer like the Python board.
// Usage: test_ref_store [DIR]
//   Without DIR: the built-in checks (make test). With DIR (tests/firmware/knn_vectors.py):
//   float_cases.txt - Text::add_float() writes repr(); ref_store_script.txt - a recorded session of the
//   Python board (model changes with their notes, RefList/RefClear/RefUpload/RefDownload, HidMapSet/
//   HidMapGet/HidEnable, enrollment checks and stored enrollments, decisions, power cycles that reload
//   the persisted records) replayed here: every reply, encoded, must equal the Python board's bytes.
//   The glue below (request -> handler -> reply) is what a board's BoardExtension does.

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>

#include "board_image.h"
#include "crc32.h"
#include "hid_settings.h"
#include "image_sections.h"
#include "knn_test_support.h"
#include "message_text.h"
#include "messages.h"
#include "ref_store.h"

namespace bi = wandlab::board_image;
namespace wp = wandlab::protocol;
namespace refs = wandlab::refs;
namespace hid = wandlab::hid;
using wandlab::Text;
using namespace wandlab::knn_test;

namespace {

// A record kept in memory, as a file would keep it; counts saves.
class MemRecord : public wandlab::RecordStore {
 public:
  bool load(uint8_t* data, size_t* size) override {
    if (!saved_ || bytes_.size() > *size) return false;
    std::memcpy(data, bytes_.data(), bytes_.size());
    *size = bytes_.size();
    return true;
  }
  bool save(const uint8_t* data, size_t size) override {
    bytes_.assign(data, data + size);
    saved_ = true;
    ++saves_;
    return true;
  }
  Bytes bytes_;
  bool saved_ = false;
  int saves_ = 0;
};

class Notes : public refs::NoteSink {
 public:
  void note(const wp::Str& text) override {
    wp::Log log;
    log.level = static_cast<uint8_t>(wp::LogLevel::kWarning);
    log.text = text;
    uint8_t buf[512];
    size_t n = 0;
    CHECK(wp::encode_payload(log, buf, sizeof(buf), &n) == wp::WireError::kOk);
    lines.push_back("log " + hex(buf, n));
  }
  std::vector<std::string> lines;
};

template <class M>
std::string reply(const M& m) {
  static uint8_t buf[wp::kMaxPayload];
  size_t n = 0;
  const wp::WireError e = wp::encode_payload(m, buf, sizeof(buf), &n);
  CHECK_MSG(e == wp::WireError::kOk, wp::wire_error_name(e));
  char type[8];
  std::snprintf(type, sizeof(type), "%02x", M::kType);
  return std::string("reply ") + type + " " + hex(buf, n);
}

std::string error_reply(uint16_t seq, Text& text) {
  return reply(wp::Error{seq, static_cast<uint16_t>(wp::ErrorCode::kBadArgument), text.view()});
}

// The board: its records survive reloads; the stores are rebuilt from them.
struct Board {
  MemRecord ref_record, hid_record;
  std::unique_ptr<refs::RefStore> store;
  std::unique_ptr<hid::HidSettings> hid;
  Bytes blob, key, network;
  bool has_image = false;
  bi::Image image;
  int channels = 0;

  Board() { boot(); }
  void boot() {
    store.reset(new refs::RefStore(&ref_record));
    hid.reset(new hid::HidSettings(&hid_record));
  }
  std::vector<std::string> adopt(Notes* notes) {
    std::vector<std::string> out;
    if (!has_image) {
      CHECK(*store->set_model(nullptr, nullptr, 0, nullptr, notes) == '\0');
      return out;
    }
    CHECK(bi::validate(blob.data(), blob.size(), &image) == bi::Reason::kOk);
    bi::Sections sections;
    CHECK(*bi::read_sections(image, &sections) == '\0');
    channels = sections.features.channels;
    const char* problem = store->set_model(&image, key.data(), key.size(), network.data(), notes);
    CHECK_MSG(*problem == '\0', problem);
    return out;
  }
};

std::vector<std::string> handle(Board& b, uint16_t seq, uint8_t type, const Bytes& payload) {
  std::vector<std::string> out;
  Text text;
  const uint8_t* p = payload.data();
  const size_t n = payload.size();
  auto ack = [&] { out.push_back(reply(wp::Ack{seq})); };
  switch (type) {
    case wp::RefList::kType: {
      static wp::RefListReply r;
      b.store->list(&r);
      out.push_back(reply(r));
      break;
    }
    case wp::RefClear::kType: {
      wp::RefClear m;
      CHECK(wp::decode_payload(p, n, &m) == wp::WireError::kOk);
      if (b.store->clear(m, &text)) ack(); else out.push_back(error_reply(seq, text));
      break;
    }
    case wp::RefUpload::kType: {
      wp::RefUpload m;
      CHECK(wp::decode_payload(p, n, &m) == wp::WireError::kOk);
      if (b.store->upload(m, &text)) ack(); else out.push_back(error_reply(seq, text));
      break;
    }
    case wp::RefDownload::kType: {
      wp::RefDownload m;
      CHECK(wp::decode_payload(p, n, &m) == wp::WireError::kOk);
      const size_t count = b.store->download(m, &text);
      if (count == 0) {
        out.push_back(error_reply(seq, text));
        break;
      }
      for (size_t i = 0; i < count; ++i) {
        wp::RefData data;
        CHECK(b.store->download_item(m, i, &data));
        out.push_back(reply(data));
      }
      ack();
      break;
    }
    case wp::HidMapSet::kType: {
      static wp::HidMapSet m;
      const wp::WireError e = wp::decode_payload(p, n, &m);
      if (e == wp::WireError::kTooMany) {  // more actions than the struct holds: the count byte leads
        hid::count_error(p[0], &text);
        out.push_back(error_reply(seq, text));
        break;
      }
      CHECK(e == wp::WireError::kOk);
      if (b.hid->set(m, &text)) ack(); else out.push_back(error_reply(seq, text));
      break;
    }
    case wp::HidMapGet::kType: {
      static wp::HidMap m;
      b.hid->message(&m);
      out.push_back(reply(m));
      break;
    }
    case wp::HidEnable::kType: {
      wp::HidEnable m;
      CHECK(wp::decode_payload(p, n, &m) == wp::WireError::kOk);
      b.hid->enable(m.enabled != 0);
      ack();
      break;
    }
    default:
      CHECK_MSG(false, "unexpected request type " + std::to_string(type));
  }
  return out;
}

size_t replay(const std::string& dir) {
  const std::vector<std::string> lines = read_lines(dir + "/ref_store_script.txt");
  std::unique_ptr<Board> board(new Board());
  size_t steps = 0;
  for (size_t i = 0; i < lines.size();) {
    const std::string command = lines[i++];
    std::vector<std::string> want;
    while (i < lines.size() && lines[i] != "end") want.push_back(lines[i++]);
    ++i;  // "end"
    const std::vector<std::string> w = words(command);
    std::vector<std::string> got;
    Notes notes;
    Board& b = *board;
    if (w[0] == "image") {
      CHECK(read_file(dir + "/" + w[1], &b.blob));
      b.key = unhex(w[2]);
      b.network = unhex(w[3]);
      b.has_image = true;
      b.adopt(&notes);
      got = notes.lines;
    } else if (w[0] == "noimage") {
      b.has_image = false;
      b.adopt(&notes);
      got = notes.lines;
    } else if (w[0] == "reload") {
      b.boot();
      b.adopt(&notes);
      got = notes.lines;
    } else if (w[0] == "fresh") {
      board.reset(new Board());
    } else if (w[0] == "request") {
      ++steps;
      got = handle(b, static_cast<uint16_t>(std::stoul(w[1])), static_cast<uint8_t>(std::stoul(w[2], nullptr, 16)),
                   unhex(w[3]));
    } else if (w[0] == "enroll_check") {
      ++steps;
      const uint16_t seq = static_cast<uint16_t>(std::stoul(w[1]));
      const int axes = std::stoi(w[2]);
      const Bytes payload = unhex(w[3]);
      wp::EnrollStart m;
      CHECK(wp::decode_payload(payload.data(), payload.size(), &m) == wp::WireError::kOk);
      // recognizer._channels_problem(), which the board's glue words.
      Text channels;
      if (b.channels > axes) {
        channels.add("the model needs ").add_int(b.channels).add(" IMU axes, this board has ").add_int(axes);
      }
      char channels_text[256];
      channels.copy_to(channels_text, sizeof(channels_text));
      Text error;
      uint8_t id = 0;
      got.push_back(b.store->check_enroll(m, channels_text, &id, &error) ? reply(wp::Ack{seq})
                                                                         : error_reply(seq, error));
    } else if (w[0] == "enroll") {
      ++steps;
      const uint8_t id = static_cast<uint8_t>(std::stoul(w[1]));
      const Bytes label = unhex(w[2]);
      const size_t count = std::stoul(w[3]);
      const Bytes shots = unhex(w[4]);
      const Bytes codes = w.size() > 5 && w[5] != "-" ? unhex(w[5]) : Bytes{};
      const wp::Str name{reinterpret_cast<const char*>(label.data()), label.size()};
      Text message;
      const int8_t* shapes = codes.empty() ? nullptr : reinterpret_cast<const int8_t*>(codes.data());
      const bool ok = b.store->store_enrollment(id, name, reinterpret_cast<const int8_t*>(shots.data()), count,
                                                &message, shapes);
      wp::EnrollProgress progress;
      progress.class_id = id;
      progress.shot = progress.shots = static_cast<uint8_t>(count);
      progress.state = static_cast<uint8_t>(ok ? wp::EnrollState::kDone : wp::EnrollState::kFailed);
      progress.message = message.view();
      got.push_back(reply(progress));
    } else if (w[0] == "decide") {
      ++steps;
      const Bytes emb = unhex(w[1]);
      const Bytes codes = w.size() > 2 ? unhex(w[2]) : Bytes{};
      refs::ClassInfo nearest;
      const int8_t* query = codes.empty() ? nullptr : reinterpret_cast<const int8_t*>(codes.data());
      const wandlab::knn::Decision d = b.store->decide(reinterpret_cast<const int8_t*>(emb.data()), &nearest, query);
      const int id = d.found && d.accepted ? nearest.id : 255;
      got.push_back("decision " + std::to_string(id) + " " + (d.found ? hex(nearest.label.data, nearest.label.size) : "-") +
                    " " + bits(d.distance_f32()) + " " + bits(d.margin_f32()));
    } else {
      CHECK_MSG(false, "unknown command " + command);
    }
    const bool same = got == want;
    std::string detail = command.substr(0, 100);
    for (size_t k = 0; !same && k < std::max(got.size(), want.size()); ++k) {
      const std::string g = k < got.size() ? got[k] : "<none>", x = k < want.size() ? want[k] : "<none>";
      if (g != x) {
        detail += "\n    got    " + g.substr(0, 300) + "\n    Python " + x.substr(0, 300);
        break;
      }
    }
    CHECK_MSG(same, detail);
  }
  return steps;
}

void float_cases(const std::string& dir) {
  size_t n = 0;
  for (const std::string& line : read_lines(dir + "/float_cases.txt")) {
    const std::vector<std::string> w = words(line);
    const Bytes raw = unhex(w[0]);
    double v;
    std::memcpy(&v, raw.data(), sizeof(v));
    char out[40];
    wandlab::python_float_repr(v, out, sizeof(out));
    CHECK_MSG(w[1] == out, "repr " + w[1] + " got " + out);
    ++n;
  }
  CHECK(n > 500);
}

void text_built_in() {
  Text t;
  t.add("a").add_int(INT64_MIN).add(" ").add_int(0).add(" ").add_int(-7).add(" ").add_hex(0x0A, 2).add(" ").add_hex(0);
  t.add(" ").add_hex(0x3FF).add(" ").add_float(0.1).add(" ").add_float(-2.0);
  CHECK(t.view().equals("a-9223372036854775808 0 -7 0a 0 3ff 0.1 -2.0"));
  // fit_text: 252 bytes, a character cut in half dropped, then "...".
  Text long_text;
  for (int i = 0; i < 100; ++i) long_text.add("\xc3\xa9x");  // 3 bytes each
  const wp::Str cut = long_text.view();
  CHECK(cut.size == 252 + 3 && std::memcmp(cut.data + 252, "...", 3) == 0);
  Text edge;
  edge.add(std::string(251, 'a').c_str()).add("\xe2\x82\xac").add(std::string(10, 'b').c_str());  // euro sign at 251
  CHECK(edge.view().size == 251 + 3);
  Text exact;
  exact.add(std::string(255, 'z').c_str());
  CHECK(exact.view().size == 255);
}

void store_built_in() {
  // Without a model: nothing to list, no dimension for uploads; a record survives a reload byte for byte.
  MemRecord record;
  refs::RefStore store(&record);
  wp::RefListReply list;
  store.list(&list);
  CHECK(list.dim == 0 && list.class_count == 0);
  Text error;
  wp::RefUpload up;
  up.class_id = 3;
  up.label = wp::Str::of("x");
  up.threshold = 10.0f;
  up.dim = 4;
  const int8_t emb[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  up.embeddings = wp::Bytes{reinterpret_cast<const uint8_t*>(emb), 8};
  CHECK(!store.upload(up, &error) && error.view().equals("no model is active on the board: push one (wandlab flash) first"));
  Text e2;
  CHECK(store.put(3, wp::Str::of("x"), 10, emb, 2, 4, refs::Source::kUploaded, 0.25, &e2));
  CHECK(store.dim() == 4 && store.class_count() == 1 && record.saves_ == 1);
  refs::RefStore again(&record);
  refs::ClassInfo info;
  CHECK(again.get(3, &info) && info.count == 2 && info.threshold == 10 && info.margin == 0.25 &&
        info.label.equals("x") && std::memcmp(info.embeddings, emb, 8) == 0);
  // Any damaged byte: the record is ignored, the board starts without classes of its own.
  const Bytes good = record.bytes_;
  size_t ignored = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    record.bytes_ = good;
    record.bytes_[i] ^= 0x41;
    refs::RefStore damaged(&record);
    ignored += damaged.class_count() == 0 ? 1 : 0;
  }
  CHECK(ignored == good.size());
  record.bytes_ = Bytes(good.begin(), good.end() - 1);
  CHECK(refs::RefStore(&record).class_count() == 0);
  // Damage with a valid CRC (a record written by other firmware): refused or read, never a crash.
  Text e3;
  CHECK(again.put(9, wp::Str::of("nine"), 99, emb, 1, 4, refs::Source::kEnrolled, 0.5, &e3));
  CHECK(again.put(1, wp::Str::of("one"), 1, emb + 4, 1, 4, refs::Source::kUploaded, 1.0, &e3));
  const Bytes three = record.bytes_;
  std::mt19937 rng(5);
  size_t read = 0;
  for (int round = 0; round < 3000; ++round) {
    Bytes bytes = three;
    if (round % 10 == 0) bytes.resize(bytes.size() - 4 + (rng() % 9) - 4);
    for (int k = 0; k < 1 + round % 3; ++k) bytes[rng() % (bytes.size() - 4)] = static_cast<uint8_t>(rng());
    const uint32_t crc = wandlab::protocol::crc32(bytes.data(), bytes.size() - 4);
    for (int k = 0; k < 4; ++k) bytes[bytes.size() - 4 + k] = static_cast<uint8_t>(crc >> (8 * k));
    record.bytes_ = bytes;
    refs::RefStore loaded(&record);
    read += loaded.class_count() > 0 ? 1 : 0;
    loaded.list(&list);
    const int8_t query[64] = {};
    loaded.decide(query, &info);
    for (size_t c = 0; c < loaded.class_count(); ++c) {
      wp::RefData data;
      CHECK(loaded.download_item(wp::RefDownload{255}, c, &data));
      CHECK(data.dim > 0 && data.embeddings.size > 0 && data.embeddings.size % data.dim == 0);
    }
  }
  CHECK(read > 0);
  std::printf("sizeof(RefStore) = %zu bytes (record buffer %zu), sizeof(HidSettings) = %zu bytes\n",
              sizeof(refs::RefStore), refs::kMaxRecordBytes, sizeof(hid::HidSettings));

  // HID map: stored sorted, NONE dropped, survives a reload; a damaged record is ignored.
  MemRecord hid_record;
  hid::HidSettings settings(&hid_record);
  static wp::HidMapSet set;
  set.action_count = 3;
  set.actions[0] = wp::HidAction{7, 1, 0x04, 0, 0, 0};
  set.actions[1] = wp::HidAction{2, 0, 0, 0, 0, 0};
  set.actions[2] = wp::HidAction{1, 4, 0, 0, -127, 127};
  Text hid_error;
  CHECK(settings.set(set, &hid_error));
  settings.enable(true);
  hid::HidSettings loaded(&hid_record);
  CHECK(loaded.enabled() && loaded.action_for(7) != nullptr && loaded.action_for(2) == nullptr);
  wp::HidMap map;
  loaded.message(&map);
  CHECK(map.enabled == 1 && map.action_count == 2 && map.actions[0].class_id == 1 && map.actions[1].class_id == 7);
  hid_record.bytes_[8] ^= 1;
  CHECK(!hid::HidSettings(&hid_record).enabled());
}

// Shape codes in the record, and a record from before them (version 1) read as it was.
void record_versions_built_in() {
  MemRecord record;
  Text error;
  const int8_t emb[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int8_t codes[12] = {-1, 2, -3, 4, -5, 6, 16, -16, 127, -127, 0, 9};
  {
    refs::RefStore store(&record);
    CHECK(store.put(4, wp::Str::of("four"), 40, emb, 2, 4, refs::Source::kEnrolled, 0.5, &error, codes, 2, 3));
    CHECK(store.put(2, wp::Str::of("two"), 20, emb + 4, 1, 4, refs::Source::kUploaded, 0.75, &error));
  }
  refs::RefStore again(&record);
  refs::ClassInfo info;
  CHECK(again.get(4, &info) && info.count == 2 && info.shape_frames == 2 && info.shape_channels == 3 &&
        std::memcmp(info.shapes, codes, 12) == 0 && std::memcmp(info.embeddings, emb, 8) == 0);
  CHECK(again.get(2, &info) && info.shape_frames == 0 && info.shapes == nullptr && info.embeddings[0] == 5);
  CHECK(record.bytes_[4] == refs::kRecordVersion);

  // The same two classes as version 1 wrote them: 84-byte entries, references only.
  MemRecord old_record;
  {
    refs::RefStore store(&old_record);
    CHECK(store.put(4, wp::Str::of("four"), 40, emb, 2, 4, refs::Source::kEnrolled, 0.5, &error));
    CHECK(store.put(2, wp::Str::of("two"), 20, emb + 4, 1, 4, refs::Source::kUploaded, 0.75, &error));
  }
  const Bytes v2 = old_record.bytes_;
  const size_t entries = v2[6];
  Bytes v1(v2.begin(), v2.begin() + refs::kRecordHeaderBytes);
  v1[4] = 1;
  for (size_t i = 0; i < entries; ++i) {
    const size_t at = refs::kRecordHeaderBytes + i * refs::kRecordEntryBytes;
    v1.insert(v1.end(), v2.begin() + at, v2.begin() + at + refs::kRecordEntryBytesV1);
  }
  v1.insert(v1.end(), v2.begin() + refs::kRecordHeaderBytes + entries * refs::kRecordEntryBytes, v2.end() - 4);
  const uint32_t crc = wandlab::protocol::crc32(v1.data(), v1.size());
  for (int k = 0; k < 4; ++k) v1.push_back(static_cast<uint8_t>(crc >> (8 * k)));
  old_record.bytes_ = v1;
  refs::RefStore upgraded(&old_record);
  CHECK(upgraded.class_count() == 2 && upgraded.dim() == 4);
  CHECK(upgraded.get(4, &info) && info.count == 2 && info.threshold == 40 && info.label.equals("four") &&
        info.shapes == nullptr && std::memcmp(info.embeddings, emb, 8) == 0);
  CHECK(upgraded.get(2, &info) && info.margin == 0.75 && info.embeddings[0] == 5);
  CHECK(old_record.bytes_ == v2);  // saved as version 2, byte for byte what version 2 writes
  v1[20] ^= 1;  // a damaged version 1 record is ignored like any other
  old_record.bytes_ = v1;
  CHECK(refs::RefStore(&old_record).class_count() == 0);
}

}  // namespace

int main(int argc, char** argv) {
  text_built_in();
  store_built_in();
  record_versions_built_in();
  if (argc > 1) {
    float_cases(argv[1]);
    const size_t steps = replay(argv[1]);
    CHECK(steps > 300);
    std::printf("store session: %zu requests, enrollments and decisions replayed\n", steps);
  }
  return finish("test_ref_store");
}
