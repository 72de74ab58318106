#include "board.h"

namespace wandlab {
namespace board {

namespace wp = protocol;

namespace {

// Bounded text building into a caller's buffer (no printf: nothing here needs the C library's).
class Text {
 public:
  Text(char* out, size_t capacity) : out_(out), capacity_(capacity) { out_[0] = '\0'; }

  Text& add(const char* s) {
    while (*s != '\0' && size_ + 1 < capacity_) out_[size_++] = *s++;
    out_[size_] = '\0';
    return *this;
  }
  Text& add(uint32_t v) {
    char digits[10];
    size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0 && size_ + 1 < capacity_) out_[size_++] = digits[--n];
    out_[size_] = '\0';
    return *this;
  }
  Text& hex2(uint8_t v) {
    const char kDigits[] = "0123456789abcdef";
    const char s[3] = {kDigits[v >> 4], kDigits[v & 0xF], '\0'};
    return add(s);
  }
  const char* c_str() const { return out_; }

 private:
  char* out_;
  size_t capacity_;
  size_t size_ = 0;
};

template <class M>
wp::WireError decode_as(const wp::Packet& packet) {
  M message;
  return wp::decode_message(packet, &message);
}

enum class Direction : uint8_t { kUnknown, kToBoard, kToHost };

// Requests a board may receive, and whether their payload decodes (*error): the core answers the ones
// it does not implement with UNSUPPORTED, or BAD_ARGUMENT when they are malformed (as pty_server.py).
Direction request_kind(const wp::Packet& packet, wp::WireError* error) {
  switch (packet.type) {
    case wp::Hello::kType: *error = decode_as<wp::Hello>(packet); break;
    case wp::Ping::kType: *error = decode_as<wp::Ping>(packet); break;
    case wp::StreamStart::kType: *error = decode_as<wp::StreamStart>(packet); break;
    case wp::StreamStop::kType: *error = decode_as<wp::StreamStop>(packet); break;
    case wp::ModelBegin::kType: *error = decode_as<wp::ModelBegin>(packet); break;
    case wp::ModelChunk::kType: *error = decode_as<wp::ModelChunk>(packet); break;
    case wp::ModelFinish::kType: *error = decode_as<wp::ModelFinish>(packet); break;
    case wp::ModelAbort::kType: *error = decode_as<wp::ModelAbort>(packet); break;
    case wp::ModelQuery::kType: *error = decode_as<wp::ModelQuery>(packet); break;
    case wp::ModelActivate::kType: *error = decode_as<wp::ModelActivate>(packet); break;
    case wp::EnrollStart::kType: *error = decode_as<wp::EnrollStart>(packet); break;
    case wp::EnrollCancel::kType: *error = decode_as<wp::EnrollCancel>(packet); break;
    case wp::RefList::kType: *error = decode_as<wp::RefList>(packet); break;
    case wp::RefClear::kType: *error = decode_as<wp::RefClear>(packet); break;
    case wp::RefUpload::kType: *error = decode_as<wp::RefUpload>(packet); break;
    case wp::RefDownload::kType: *error = decode_as<wp::RefDownload>(packet); break;
    case wp::HidMapSet::kType: *error = decode_as<wp::HidMapSet>(packet); break;
    case wp::HidMapGet::kType: *error = decode_as<wp::HidMapGet>(packet); break;
    case wp::HidEnable::kType: *error = decode_as<wp::HidEnable>(packet); break;
    case wp::RecognizeStart::kType: *error = decode_as<wp::RecognizeStart>(packet); break;
    case wp::RecognizeStop::kType: *error = decode_as<wp::RecognizeStop>(packet); break;
    case wp::ForgetHosts::kType: *error = decode_as<wp::ForgetHosts>(packet); break;
    case wp::WordUpload::kType: *error = decode_as<wp::WordUpload>(packet); break;
    case wp::WordList::kType: *error = decode_as<wp::WordList>(packet); break;
    case wp::WordClear::kType: *error = decode_as<wp::WordClear>(packet); break;
    case wp::SimPerform::kType: *error = decode_as<wp::SimPerform>(packet); break;
    case wp::SimSay::kType: *error = decode_as<wp::SimSay>(packet); break;
    case wp::SimPerson::kType: *error = decode_as<wp::SimPerson>(packet); break;
    case wp::SimUnplug::kType: *error = decode_as<wp::SimUnplug>(packet); break;
    case wp::SimButton::kType: *error = decode_as<wp::SimButton>(packet); break;
    default:
      *error = wp::WireError::kOk;
      return wp::message_name(packet.type) != nullptr ? Direction::kToHost : Direction::kUnknown;
  }
  return Direction::kToBoard;
}

// What Python's decoder says about a payload that does not decode ("Hello.host: ..."), shortened to
// the message name and the wire error: enough for a person, and no table of field names on the board.
void describe_malformed(const wp::Packet& packet, wp::WireError error, Text* text) {
  text->add(wp::message_name(packet.type)).add(": ").add(wp::wire_error_name(error));
}

}  // namespace

Board::Board(const BoardDescription& description, ByteSink& sink, Clock& clock, SensorControl& sensors,
             BoardExtension* extension)
    : description_(description), sink_(&sink), clock_(clock), sensors_(sensors), extension_(extension) {
  text_[0] = '\0';
}

void Board::receive(const uint8_t* data, size_t size) { decoder_.feed(data, size, *this); }

void Board::use_link(ByteSink& sink, Framing framing) {
  sink_ = &sink;
  framing_ = framing;
}

void Board::disconnected() {
  stop_imu();
  stop_audio();
  in_session_ = false;
  decoder_.drop_partial_frame();
  if (extension_ != nullptr) extension_->session_ended();
}

void Board::reply_error(uint16_t ref_seq, wp::ErrorCode code, const char* text) {
  send(wp::Error{ref_seq, static_cast<uint16_t>(code), wp::Str::of(text)});
}

void Board::button(uint8_t button, bool pressed) {
  send(wp::ButtonEvent{button, static_cast<uint8_t>(pressed ? 1 : 0)});
}

void Board::log(wp::LogLevel level, const char* text) {
  send(wp::Log{static_cast<uint8_t>(level), wp::Str::of(text)});
}

wp::Info Board::info() const {
  wp::Info info;
  info.board_name = wp::Str::of(description_.name);
  info.firmware_version = wp::Str::of(description_.firmware_version);
  info.board_uid = wp::Str::of(description_.uid);
  const uint32_t rate = imu_rate_hz();
  if (description_.imu_axes >= 3) {
    info.sensors[info.sensor_count++] = {static_cast<uint8_t>(wp::SensorKind::kAccel), rate,
                                         description_.accel_range_g, description_.accel_scale,
                                         wp::Str::of("g")};
  }
  if (description_.imu_axes == 6) {
    info.sensors[info.sensor_count++] = {static_cast<uint8_t>(wp::SensorKind::kGyro), rate,
                                         description_.gyro_range_dps, description_.gyro_scale,
                                         wp::Str::of("dps")};
  }
  if (description_.microphone) {
    info.sensors[info.sensor_count++] = {static_cast<uint8_t>(wp::SensorKind::kMicrophone),
                                         description_.audio_rate_hz, 1.0f, 1.0f / 32768.0f,
                                         wp::Str::of("pcm16")};
  }
  info.model_slots = description_.model_slots;
  info.max_model_bytes = description_.max_model_bytes;
  info.arena_bytes = description_.arena_bytes;
  info.free_ram_bytes = sensors_.free_ram_bytes();
  info.active_model_id = wp::Str::of(extension_ != nullptr ? extension_->active_model_id() : "");
  info.battery_percent = sensors_.battery_percent();
  if (extension_ != nullptr) extension_->describe(&info);
  return info;
}

wp::StreamStats Board::stream_stats() const {
  wp::StreamStats stats;
  if (imu_on_) {
    stats.imu_blocks = imu_ring_.blocks();
    stats.imu_dropped = imu_ring_.overruns() + imu_tx_dropped_;
  }
  if (audio_on_) {
    stats.audio_blocks = audio_ring_.blocks();
    stats.audio_dropped = audio_ring_.overruns() + audio_tx_dropped_;
  }
  return stats;
}

// -- requests ---------------------------------------------------------------------------------------

void Board::on_packet(const wp::Packet& packet) {
  switch (packet.type) {
    case wp::Hello::kType: return on_hello(packet);
    case wp::Ping::kType: {
      wp::Ping ping;
      if (wp::decode_message(packet, &ping) != wp::WireError::kOk) break;  // malformed: on_other
      send(wp::Pong{ping.token});
      return;
    }
    case wp::StreamStart::kType: return on_stream_start(packet);
    case wp::StreamStop::kType: return on_stream_stop(packet);
    default: break;
  }
  on_other(packet);
}

void Board::on_hello(const wp::Packet& packet) {
  wp::Hello hello;
  if (wp::decode_message(packet, &hello) != wp::WireError::kOk) return on_other(packet);
  // A new session: whatever the previous host left streaming stops.
  stop_imu();
  stop_audio();
  in_session_ = true;
  if (extension_ != nullptr) extension_->session_ended();
  send(info());
}

bool Board::rate_supported(uint16_t rate_hz) const {
  for (size_t i = 0; i < description_.imu_rate_count && i < BoardDescription::kMaxRates; ++i) {
    if (description_.imu_rates_hz[i] == rate_hz) return true;
  }
  return false;
}

void Board::on_stream_start(const wp::Packet& packet) {
  wp::StreamStart start;
  if (wp::decode_message(packet, &start) != wp::WireError::kOk) return on_other(packet);
  const uint16_t rate = start.imu_rate_hz != 0 ? start.imu_rate_hz : description_.imu_default_rate_hz;
  const bool want_imu = (start.sensors & wp::kSensorImu) != 0;
  const bool want_audio = (start.sensors & wp::kSensorAudio) != 0;
  if (want_imu && description_.imu_axes == 0) {
    return reply_error(packet.seq, wp::ErrorCode::kBadArgument, "this board has no IMU");
  }
  if (want_audio && !description_.microphone) {
    return reply_error(packet.seq, wp::ErrorCode::kBadArgument, "this board has no microphone");
  }
  if (want_imu && !rate_supported(rate)) {
    Text text(text_, sizeof(text_));
    text.add("IMU rate ").add(rate).add(" Hz not supported (");
    for (size_t i = 0; i < description_.imu_rate_count && i < BoardDescription::kMaxRates; ++i) {
      text.add(i == 0 ? "" : ", ").add(description_.imu_rates_hz[i]);
    }
    text.add(")");
    return reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.c_str());
  }
  if (want_imu) {
    stop_imu();
    size_t frames = rate / kImuBlocksPerSecond;
    if (frames == 0) frames = 1;
    if (frames > kImuMaxBlockFrames) frames = kImuMaxBlockFrames;
    imu_ring_.reset(frames, description_.imu_axes);
    imu_tx_dropped_ = 0;
    imu_rate_hz_ = rate;
    if (!sensors_.start_imu(rate)) {
      return reply_error(packet.seq, wp::ErrorCode::kInternal, "the IMU did not start: power the board off and on");
    }
    imu_on_ = true;
  }
  if (want_audio) {
    stop_audio();
    audio_ring_.reset(kAudioBlockSamples, 1);
    audio_tx_dropped_ = 0;
    if (!sensors_.start_audio()) {
      return reply_error(packet.seq, wp::ErrorCode::kInternal,
                         "the microphone did not start: power the board off and on");
    }
    audio_on_ = true;
  }
  last_stats_us_ = clock_.micros();
  ack(packet.seq);
}

void Board::on_stream_stop(const wp::Packet& packet) {
  wp::StreamStop stop;
  if (wp::decode_message(packet, &stop) != wp::WireError::kOk) return on_other(packet);
  const bool imu = (stop.sensors & wp::kSensorImu) != 0;
  const bool audio = (stop.sensors & wp::kSensorAudio) != 0;
  // What the sensors produced up to now still goes out, so the final counters match what was sent.
  if (imu && imu_on_) {
    sensors_.stop_imu();
    send_imu_blocks();
  }
  if (audio && audio_on_) {
    sensors_.stop_audio();
    send_audio_blocks();
  }
  // Final counters before the Ack: when the host sees the Ack it already holds the totals.
  send(stream_stats());
  if (imu) stop_imu();
  if (audio) stop_audio();
  ack(packet.seq);
}

void Board::on_other(const wp::Packet& packet) {
  wp::WireError error = wp::WireError::kOk;
  const Direction direction = request_kind(packet, &error);
  Text text(text_, sizeof(text_));
  if (direction == Direction::kUnknown) {
    text.add("unknown message type 0x").hex2(packet.type);
    return reply_error(packet.seq, wp::ErrorCode::kUnknownMessage, text.c_str());
  }
  if (error != wp::WireError::kOk) {
    if (direction == Direction::kToBoard && extension_ != nullptr && extension_->on_malformed(packet, error, *this)) {
      return;
    }
    describe_malformed(packet, error, &text);
    return reply_error(packet.seq, wp::ErrorCode::kBadArgument, text.c_str());
  }
  if (direction == Direction::kToHost) {
    // A board message sent to the board: known, but not something a board expects (board.py).
    text.add(wp::message_name(packet.type)).add(" is not handled");
    return reply_error(packet.seq, wp::ErrorCode::kUnknownMessage, text.c_str());
  }
  if (extension_ != nullptr && extension_->on_request(packet, *this)) return;
  text.add(wp::message_name(packet.type));
  if (wp::family_of(packet.type) == wp::Family::kSimulation) {
    text.add(" scripts the virtual wand; a real board does not simulate");
  } else {
    text.add(" is not supported by this firmware yet");
  }
  reply_error(packet.seq, wp::ErrorCode::kUnsupported, text.c_str());
}

// -- streaming --------------------------------------------------------------------------------------

void Board::stop_imu() {
  if (imu_on_) sensors_.stop_imu();
  imu_on_ = false;
}

void Board::stop_audio() {
  if (audio_on_) sensors_.stop_audio();
  audio_on_ = false;
}

template <class M>
bool Board::send_droppable(const M& message) {
  const uint16_t seq = static_cast<uint16_t>(next_seq_ + 1);
  const size_t n = encode(message, seq);
  if (n == 0 || sink_->room() < n) return false;
  next_seq_ = seq;  // a dropped block uses no sequence number (pty_server.py)
  return sink_->write(tx_, n);
}

void Board::send_imu_blocks() {
  for (const ImuRing::Block* block = imu_ring_.peek(); block != nullptr; block = imu_ring_.peek()) {
    wp::ImuBlock message;
    message.block_seq = block->block_seq;
    message.first_sample = block->first_sample;
    message.rate_hz = imu_rate_hz_;
    message.axes = description_.imu_axes;
    message.accel_scale = description_.accel_scale;
    message.gyro_scale = description_.gyro_scale;
    message.data = wp::I16Array::of_samples(block->data, block->values);
    if (!send_droppable(message)) ++imu_tx_dropped_;
    imu_ring_.pop();
  }
}

void Board::send_audio_blocks() {
  for (const AudioRing::Block* block = audio_ring_.peek(); block != nullptr; block = audio_ring_.peek()) {
    wp::AudioBlock message;
    message.block_seq = block->block_seq;
    message.first_sample = block->first_sample;
    message.rate_hz = description_.audio_rate_hz;
    message.data = wp::I16Array::of_samples(block->data, block->values);
    if (!send_droppable(message)) ++audio_tx_dropped_;
    audio_ring_.pop();
  }
}

void Board::poll() {
  if (imu_on_) send_imu_blocks();
  if (audio_on_) send_audio_blocks();
  if (imu_on_ || audio_on_) {
    const uint32_t now = clock_.micros();
    if (now - last_stats_us_ >= 1000000u) {
      last_stats_us_ = now;
      send(stream_stats());
    }
  }
}

}  // namespace board
}  // namespace wandlab
