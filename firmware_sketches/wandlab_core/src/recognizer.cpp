#include "recognizer.h"

#include <cstring>

#include "board_image.h"
#include "image_check.h"
#include "sha256.h"

namespace wandlab {
namespace recognizer {

namespace wp = protocol;
namespace bi = board_image;

namespace {

using board::decode_request;

void log_warning(board::Board& board, const wp::Str& text) {
  board.send(wp::Log{static_cast<uint8_t>(wp::LogLevel::kWarning), text});
}

void to_hex(const uint8_t* bytes, size_t size, char* out) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xF];
  }
  out[2 * size] = '\0';
}

// What this board cannot hold though Python could: refs::RefStore's limits and the feature window.
const char* board_limit(const bi::Sections& sections) {
  if (sections.refs.class_count > refs::kMaxClasses) return "the image has more classes than a board holds (32)";
  if (sections.refs.dim > refs::kMaxDim) return "the image's embeddings are wider than a board stores (64 values)";
  if (sections.refs.has_bank() && sections.refs.bank_dim != sections.refs.dim) {
    return "the negatives bank and the references have different dimensions";
  }
  const size_t values = static_cast<size_t>(sections.features.window) * static_cast<size_t>(sections.features.channels);
  if (values > kMaxFeatureValues) return "the model's input window is larger than this board computes (512 values)";
  return "";
}

}  // namespace

// -- the image check ---------------------------------------------------------------------------------

const char* BoardModelCheck::check(const uint8_t* image, size_t size) {
  used_ = true;
  // Python's unpack reads the JSON sections before anything touches the model (load_image's order).
  bi::Image layout;
  bi::Sections sections;
  const bool structural = bi::validate(image, size, &layout) == bi::Reason::kOk;
  if (structural) {
    const char* problem = bi::read_sections(layout, &sections);
    if (*problem != '\0') return problem;
  }
  const char* problem = image_check::check_board_image(image, size, runner_, message_, sizeof(message_));
  // The checked image runs in place from a slot that is not the active one, and may be erased next:
  // TFLM reads the model even to tear an interpreter down, so it must not stay loaded.
  runner_.unload();
  if (*problem != '\0' || !structural) return problem;
  return board_limit(sections);
}

// -- messages to the host ----------------------------------------------------------------------------

class Recognizer::BoardNotes : public refs::NoteSink {
 public:
  explicit BoardNotes(board::Board& board) : board_(board) {}
  void note(const wp::Str& text) override { log_warning(board_, text); }

 private:
  board::Board& board_;
};

class Recognizer::BoardProgress : public enroll::ProgressSink {
 public:
  explicit BoardProgress(board::Board& board) : board_(board) {}
  void progress(const wp::EnrollProgress& message) override { board_.send(message); }

 private:
  board::Board& board_;
};

// -- construction and boot -----------------------------------------------------------------------------

Recognizer::Recognizer(slots::SlotFlash& flash, board::Clock& clock, const Memory& memory, uint8_t imu_axes,
                       RecordStore* refs_record, RecordStore* hid_record)
    : clock_(clock),
      axes_(imu_axes == 3 ? 3 : 6),
      arena_bytes_(memory.arena_bytes),
      runner_(memory.model_buffer, memory.model_capacity, memory.arena, memory.arena_bytes),
      check_(runner_),
      slots_(flash, check_),
      refs_(refs_record),
      hid_(hid_record),
      segmenter_(memory.segment_frames, memory.segment_capacity_frames, axes_, memory.trim_scratch,
                 memory.trim_scratch_doubles) {
  std::strcpy(problem_, kNoModel);
  last_micros_ = clock_.micros();
}

void Recognizer::begin(board::Board& board) {
  slots_.load();
  for (size_t i = 0; i < slots_.note_count(); ++i) {
    Text text;
    text.add(slots_.note(i));
    log_warning(board, text.view());
  }
  sync_model(board, true);
}

uint64_t Recognizer::now_us() {
  const uint32_t now = clock_.micros();
  micros64_ += static_cast<uint32_t>(now - last_micros_);
  last_micros_ = now;
  return micros64_;
}

// -- the model (board.py _sync_model, BoardRecognizer.set_model) ---------------------------------------

void Recognizer::sync_model(board::Board& board, bool force) {
  const bool checked = check_.used();
  const uint32_t changes = slots_.changes();
  if (!force && !checked && changes == seen_changes_) return;
  const bool moved = force || changes != seen_changes_;
  seen_changes_ = changes;

  const uint8_t* data = nullptr;
  size_t size = 0;
  char key[kKeyChars + 1] = {};
  if (slots_.active_image(&data, &size)) {
    const wp::ModelSlots query = slots_.query();
    for (size_t i = 0; i < query.slot_count; ++i) {
      const wp::SlotInfo& slot = query.slots[i];
      if (slot.slot == slots_.active_slot() && slot.sha256.size == wp::kSha256Bytes) {
        to_hex(slot.sha256.data, slot.sha256.size, key);
      }
    }
  } else {
    data = nullptr;
  }
  if (!moved || std::strcmp(key, key_) == 0) {
    // The same model (Python leaves the recogniser alone): only the runner, which a check may have used,
    // and the class table's views, if the same bytes now lie in the other slot, follow it.
    if (!image_ok_) return;
    bi::Image image;
    if (*load_active(data, size, &image) == '\0') {
      uint8_t network[crypto::kSha256DigestBytes];
      const bi::View& tflm = image.section(bi::Section::kTflm);
      crypto::Sha256::hash(tflm.data, tflm.size, network);
      BoardNotes notes(board);
      if (*refs_.set_model(&image, reinterpret_cast<const uint8_t*>(key_), std::strlen(key_), network, &notes) ==
          '\0') {
        return;
      }
    }
    // The same bytes no longer load (damaged flash): as a model that cannot run.
  }
  adopt(board, data, size, key);
}

// The image's sections, features and model, loaded into the runner; "" or why it cannot run.
const char* Recognizer::load_active(const uint8_t* data, size_t size, bi::Image* image) {
  if (data == nullptr) return kNoModel;
  if (bi::validate(data, size, image) != bi::Reason::kOk) return "the active slot holds no valid board image";
  bi::Sections sections;
  const char* problem = bi::read_sections(*image, &sections);
  if (*problem != '\0') return problem;
  problem = board_limit(sections);
  if (*problem != '\0') return problem;
  const bi::View& tflm = image->section(bi::Section::kTflm);
  problem = runner_.load(tflm.data, tflm.size);
  if (*problem != '\0') return problem;
  const size_t values = static_cast<size_t>(sections.features.window) * static_cast<size_t>(sections.features.channels);
  if (runner_.input_bytes() != values || runner_.output_bytes() < sections.refs.dim) {
    runner_.unload();
    return "the model's input or output does not match its features and references";
  }
  features_ = sections.features;
  return "";
}

void Recognizer::adopt(board::Board& board, const uint8_t* data, size_t size, const char* key) {
  std::strcpy(key_, key);
  image_ok_ = false;
  std::strcpy(problem_, kNoModel);
  bi::Image image;
  uint8_t network[crypto::kSha256DigestBytes] = {};
  if (data != nullptr) {
    const char* problem = load_active(data, size, &image);
    if (*problem == '\0') {
      const bi::View& tflm = image.section(bi::Section::kTflm);
      crypto::Sha256::hash(tflm.data, tflm.size, network);
      image_ok_ = true;
      problem_[0] = '\0';
    } else {
      Text text;
      text.add("the active model cannot run here: ").add(problem);
      text.copy_to(problem_, sizeof(problem_));
    }
  }
  BoardNotes notes(board);
  if (image_ok_) {
    const char* refused = refs_.set_model(&image, reinterpret_cast<const uint8_t*>(key_), std::strlen(key_), network,
                                          &notes);
    if (*refused != '\0') {  // the class table's limits; the image check refuses such images before this
      image_ok_ = false;
      Text text;
      text.add("the active model cannot run here: ").add(refused);
      text.copy_to(problem_, sizeof(problem_));
    }
  }
  if (!image_ok_) {
    runner_.unload();
    refs_.set_model(nullptr, nullptr, 0, network, &notes);
  }
  if (problem_[0] != '\0' && data != nullptr) {
    Text text;
    text.add(problem_).add("; recognition is off");
    log_warning(board, text.view());
  }
  if (!image_ok_) {
    recognizing_ = events_ = false;
    if (session_.running()) {
      BoardProgress progress(board);
      session_.fail(wp::Str::of("the model changed during enrollment; nothing was stored"), progress);
    }
    session_.stop();
  }
}

void Recognizer::channels_problem(uint8_t axes, Text* text) const {
  const int32_t need = image_ok_ ? features_.channels : 0;
  if (need > axes) text->add("the model needs ").add_int(need).add(" IMU axes, this board has ").add_int(axes);
}

// -- Info and sessions -----------------------------------------------------------------------------------

void Recognizer::describe(wp::Info* info) const {
  info->model_slots = slots::kSlotCount;
  info->max_model_bytes = static_cast<uint32_t>(slots_.max_model_bytes());
  info->arena_bytes = static_cast<uint32_t>(arena_bytes_);
  info->enrolled_label_count = 0;
  if (!image_ok_) return;
  const size_t n = refs_.class_count();
  for (size_t i = 0; i < n && info->enrolled_label_count < wp::kMaxEnrolledLabels; ++i) {
    refs::ClassInfo c;
    if (refs_.class_at(i, &c)) info->enrolled_labels[info->enrolled_label_count++] = c.label;
  }
}

void Recognizer::session_ended() {
  recognizing_ = events_ = false;
  session_.stop();
}

bool Recognizer::on_malformed(const wp::Packet& packet, wp::WireError error, board::Board& board) {
  if (packet.type != wp::HidMapSet::kType || error != wp::WireError::kTooMany || packet.payload_size == 0) return false;
  Text text;
  hid::count_error(packet.payload[0], &text);  // the action count leads the payload
  board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
  return true;
}

// -- requests (BoardRecognizer.handle) ---------------------------------------------------------------

bool Recognizer::on_request(const wp::Packet& packet, board::Board& board) {
  if (wp::family_of(packet.type) == wp::Family::kModel) {
    const bool handled = slots_.on_request(packet, board);
    sync_model(board, false);  // the reply first, then what the new model has to say (board.py)
    return handled;
  }
  Text text;
  switch (packet.type) {
    case wp::EnrollStart::kType:
      start_enrollment(packet, board);
      return true;
    case wp::EnrollCancel::kType: {
      board.ack(packet.seq);
      if (session_.running()) {
        BoardProgress progress(board);
        session_.fail(wp::Str::of("cancelled by the host"), progress);
      }
      session_.stop();
      return true;
    }
    case wp::RefList::kType: {
      wp::RefListReply reply;
      refs_.list(&reply);
      board.send(reply);
      return true;
    }
    case wp::RefClear::kType: {
      wp::RefClear m;
      if (!decode_request(packet, &m)) return false;
      if (refs_.clear(m, &text)) {
        board.ack(packet.seq);
      } else {
        board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
      }
      return true;
    }
    case wp::RefUpload::kType: {
      wp::RefUpload m;
      if (!decode_request(packet, &m)) return false;
      if (refs_.upload(m, &text)) {
        board.ack(packet.seq);
      } else {
        board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
      }
      return true;
    }
    case wp::RefDownload::kType:
      download(packet, board);
      return true;
    case wp::HidMapSet::kType: {
      wp::HidMapSet m;
      if (!decode_request(packet, &m)) return false;
      if (hid_.set(m, &text)) {
        board.ack(packet.seq);
      } else {
        board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
      }
      return true;
    }
    case wp::HidMapGet::kType: {
      wp::HidMap map;
      hid_.message(&map);
      board.send(map);
      return true;
    }
    case wp::HidEnable::kType: {
      wp::HidEnable m;
      if (!decode_request(packet, &m)) return false;
      hid_.enable(m.enabled != 0);
      board.ack(packet.seq);
      return true;
    }
    case wp::RecognizeStart::kType: {
      wp::RecognizeStart m;
      if (!decode_request(packet, &m)) return false;
      if (problem_[0] != '\0') {
        board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, problem_);
        return true;
      }
      channels_problem(board.description().imu_axes, &text);
      if (!text.empty()) {
        board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
        return true;
      }
      recognizing_ = true;
      events_ = m.events != 0;
      board.ack(packet.seq);
      return true;
    }
    case wp::RecognizeStop::kType:
      recognizing_ = events_ = false;
      board.ack(packet.seq);
      return true;
    default:
      return false;  // ForgetHosts, the word family, the simulation: the board layer's
  }
}

void Recognizer::start_enrollment(const wp::Packet& packet, board::Board& board) {
  wp::EnrollStart m;
  Text text;
  if (!decode_request(packet, &m)) {
    return board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, "malformed EnrollStart");
  }
  if (!image_ok_) return board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, problem_);
  if (session_.running()) {
    text.add("already enrolling '").add(session_.label()).add("'; cancel it first");
    return board.reply_error(packet.seq, wp::ErrorCode::kBusy, text.view());
  }
  Text channels;
  channels_problem(board.description().imu_axes, &channels);
  char channels_text[Text::kMaxBytes + 1];
  channels.copy_to(channels_text, sizeof(channels_text));
  uint8_t class_id = 0;
  if (!refs_.check_enroll(m, channels_text, &class_id, &text)) {
    return board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
  }
  board.ack(packet.seq);
  BoardProgress progress(board);
  session_.start(m, class_id, now_us(), progress);
}

void Recognizer::download(const wp::Packet& packet, board::Board& board) {
  wp::RefDownload m;
  Text text;
  if (!decode_request(packet, &m)) {
    return board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, "malformed RefDownload");
  }
  const size_t n = refs_.download(m, &text);
  if (n == 0) return board.reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.view());
  for (size_t i = 0; i < n; ++i) {
    wp::RefData data;
    if (!refs_.download_item(m, i, &data)) {
      return board.reply_error(packet.seq, wp::ErrorCode::kInternal,
                         "a class holds more references than the board can send at once");
    }
    board.send(data);
  }
  board.ack(packet.seq);
}

// -- live samples (BoardRecognizer.feed, tick) -------------------------------------------------------

bool Recognizer::wants_imu() const {
  return image_ok_ && (recognizing_ || hid_.enabled() || session_.running());
}

void Recognizer::on_imu(board::Board& board, const int16_t* counts, size_t frames, uint32_t first_index,
                        uint16_t rate_hz) {
  if (!wants_imu()) {
    segmenter_ready_ = false;  // Python drops its Segmenter: the next one starts afresh
    return;
  }
  if (!segmenter_ready_ || segmenter_rate_ != rate_hz) {
    segmenter_ready_ = true;
    segmenter_rate_ = rate_hz;
    if (segmenter_.reset(rate_hz) != motion::Status::kOk) {
      Text text;
      text.add("the recogniser cannot cut a ").add_int(rate_hz).add(" Hz IMU stream: ");
      text.add(motion::status_text(segmenter_.status()));
      log_warning(board, text.view());
    }
  }
  if (segmenter_.status() != motion::Status::kOk) return;
  const uint64_t now = now_us();
  const board::BoardDescription& d = board.description();
  segmenter_.feed_counts(counts, static_cast<int32_t>(frames), d.accel_scale, d.gyro_scale, first_index,
                         [&](const motion::Segment& segment) { on_segment(board, segment, now); });
}

void Recognizer::poll(board::Board& board) {
  const uint64_t now = now_us();
  if (!session_.running()) return;
  BoardProgress progress(board);
  session_.tick(now, progress);
}

size_t Recognizer::embed(const float* frames, int32_t count, double rate_hz, int8_t* out, size_t capacity) {
  if (!image_ok_ || !runner_.loaded()) return 0;
  const size_t values = static_cast<size_t>(features_.window) * static_cast<size_t>(features_.channels);
  const size_t dim = refs_.upload_dim();
  if (values > kMaxFeatureValues || dim == 0 || dim > capacity || runner_.output_bytes() < dim) return 0;
  if (imu_features::take_features(frames, count, axes_, rate_hz, features_, window_,
                                  static_cast<int32_t>(kMaxFeatureValues)) != imu_features::Status::kOk) {
    return 0;
  }
  // TFLM may have used the input's memory for intermediates: the whole input is written every time.
  if (imu_features::quantize(window_, static_cast<int32_t>(values), runner_.input_scale(), runner_.input_zero_point(),
                             runner_.input()) != imu_features::Status::kOk ||
      !runner_.invoke()) {
    return 0;
  }
  std::memcpy(out, runner_.output(), dim);
  return dim;
}

void Recognizer::on_segment(board::Board& board, const motion::Segment& segment, uint64_t now) {
  const bool enrolling = session_.running();
  if (!enrolling && !(recognizing_ || hid_.enabled())) return;
  if (!enrolling && !segment.decidable()) {  // still moving after 3 s, or no held wand before: not a gesture
    ++segments_skipped_;
    return;
  }
  const uint32_t t0 = clock_.micros();
  motion::Window window;
  int8_t embedding[kMaxEmbeddingValues];
  size_t dim = 0;
  if (segmenter_.model_window(segment, &window) == motion::Status::kOk) {
    dim = embed(window.frames, window.count, segmenter_.rate_hz(), embedding, sizeof(embedding));
  }
  if (dim == 0) {
    ++segments_failed_;
    return;
  }
  // The take's shape codes, from the feature window embed() left (hybrid_rank.take_codes), for ranking by
  // embedding + DTW; none when the model's window is longer than shape_dtw computes.
  int8_t codes[shape::kMaxFrames * shape::kMaxChannels];
  const size_t frames = refs_.shape_frames(), channels = refs_.shape_channels();
  const bool has_codes = frames != 0 && shape::shape_codes(window_, frames * shape::kStep, channels, codes);
  if (enrolling) {
    BoardProgress progress(board);
    session_.on_segment(embedding, dim, segment.seconds(segmenter_.rate_hz()), segment.clipped, now, progress,
                        has_codes ? codes : nullptr, frames * channels);
    if (session_.running() && session_.finished()) store_enrollment(board);
    return;
  }
  refs::ClassInfo nearest;
  const knn::Decision decision = refs_.decide(embedding, &nearest, has_codes ? codes : nullptr);
  const uint8_t class_id = decision.found && decision.accepted ? nearest.id : refs::kNoClass;
  const uint32_t latency = clock_.micros() - t0;
  ++decisions_;
  last_latency_us_ = latency;
  const bool report = recognizing_ && events_;
  if (report) {
    wp::InferenceEvent event;
    event.sample_index = static_cast<uint32_t>(segment.end_index);
    event.class_id = class_id;
    event.label = decision.found ? nearest.label : wp::Str{};
    event.distance = decision.distance_f32();
    event.margin = decision.margin_f32();
    event.latency_us = latency;
    board.send(event);
  }
  wp::HidReport hid_report;
  if (class_id != refs::kNoClass && act(class_id, &hid_report) && report) board.send(hid_report);
}

void Recognizer::store_enrollment(board::Board& board) {
  Text message;
  const bool stored = refs_.store_enrollment(session_.class_id(), session_.label(), session_.shots(),
                                             session_.shot_count(), &message, session_.shapes());
  BoardProgress progress(board);
  if (stored) {
    session_.succeed(message.view(), progress);
  } else {
    session_.fail(message.view(), progress);
  }
}

bool Recognizer::act(uint8_t class_id, wp::HidReport* out) {
  const wp::HidAction* action = hid_.action_for(class_id);
  if (action == nullptr) return false;
  reports_sent_ += hid_.enabled() ? 1 : 0;
  const bool sent = hid_.enabled() && press_ != nullptr && press_->press(*action);
  out->class_id = class_id;
  out->kind = action->kind;
  out->code = action->code;
  out->modifiers = action->modifiers;
  out->sent = sent ? 1 : 0;
  return true;
}

}  // namespace recognizer
}  // namespace wandlab
