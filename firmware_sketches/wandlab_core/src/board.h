// The board's side of the protocol session, in portable C++: the twin of
// app/wandlab/virtual/board.py + pty_server.py for what a real board does today - Hello/Info,
// Ping/Pong, StreamStart/StreamStop, ImuBlock/AudioBlock with block numbers and drop counters,
// StreamStats about once a second, ButtonEvent and Log - and Error for everything else, with the same
// codes the Python board uses (UNKNOWN_MESSAGE, BAD_ARGUMENT; UNSUPPORTED for known requests this
// firmware does not implement yet).
//
// The board layer (native_board, wandlab_xiao_sense) owns one Board, feeds it received bytes
// (receive()), fills its sample rings from the sensors (imu_ring(), audio_ring()) and calls poll()
// from its main loop. Everything goes out through the ByteSink; the Board has no heap, no globals and
// no Arduino header. Memory: about 21 KB, most of it the frame decoder (4.1 KB), the transmit frame
// (4.1 KB) and the two sample rings (kImuSlots and kAudioSlots blocks).
#pragma once

#include <cstddef>
#include <cstdint>

#include "block_ring.h"
#include "board_io.h"
#include "frame_decoder.h"
#include "messages.h"

namespace wandlab {
namespace board {

class Board;

// What the board is. Static: the board layer fills it once.
struct BoardDescription {
  static constexpr size_t kMaxRates = 8;

  const char* name = "";
  const char* firmware_version = "";
  const char* uid = "";
  uint8_t imu_axes = 6;  // 6: accel + gyro, 3: accel only, 0: no IMU
  float accel_range_g = 4.0f;
  float accel_scale = 4.0f / 32768.0f;  // g per LSB
  float gyro_range_dps = 2000.0f;
  float gyro_scale = 2000.0f / 32768.0f;  // deg/s per LSB
  uint16_t imu_rates_hz[kMaxRates] = {25, 50, 100, 200, 400};
  size_t imu_rate_count = 5;
  uint16_t imu_default_rate_hz = 100;  // StreamStart.imu_rate_hz 0 means this
  bool microphone = true;
  uint16_t audio_rate_hz = 16000;
  uint8_t model_slots = 0;
  uint32_t max_model_bytes = 0;
  uint32_t arena_bytes = 0;
};

// An extension's request, which the core already found well-formed, decoded into its message.
template <class M>
bool decode_request(const protocol::Packet& packet, M* message) {
  return protocol::decode_message(packet, message) == protocol::WireError::kOk;
}

// Requests the core does not handle itself (model, enroll, controller and simulation families) go
// here first, so a board can add them without touching the core.
class BoardExtension {
 public:
  // True if the request was handled (and answered through board.send()/reply_error()/ack()); false
  // lets the core answer Error UNSUPPORTED.
  virtual bool on_request(const protocol::Packet& packet, Board& board) = 0;
  virtual const char* active_model_id() const { return ""; }
  // Info's model and class fields (model_slots, max_model_bytes, arena_bytes, enrolled_labels):
  // Board::info() fills the rest from the description first.
  virtual void describe(protocol::Info* info) const { (void)info; }
  // A new host session (Hello) or the host went away (disconnected()): what that host started ends.
  virtual void session_ended() {}
  // A request whose payload does not decode: true if the extension answered it (a limit the C++
  // structs have and the Python messages do not); false lets the core answer BAD_ARGUMENT.
  virtual bool on_malformed(const protocol::Packet& packet, protocol::WireError error, Board& board) {
    (void)packet;
    (void)error;
    (void)board;
    return false;
  }

 protected:
  ~BoardExtension() = default;
};

// ~25 IMU blocks a second whatever the rate (board.py: max(1, rate // 25) samples per block), so the
// largest block is 400 Hz / 25 = 16 samples of 6 axes.
constexpr size_t kImuBlocksPerSecond = 25;
constexpr size_t kImuMaxBlockFrames = 16;
constexpr size_t kImuSlots = 16;  // 0.64 s of 400 Hz samples
constexpr size_t kAudioBlockSamples = 256;  // 16 ms at 16 kHz, as board.py AUDIO_BLOCK
// 256 ms; a board short of RAM may hold less (the XIAO: 8 blocks, 128 ms, -DWANDLAB_AUDIO_SLOTS=8).
#ifndef WANDLAB_AUDIO_SLOTS
#define WANDLAB_AUDIO_SLOTS 16
#endif
constexpr size_t kAudioSlots = WANDLAB_AUDIO_SLOTS;

using ImuRing = BlockRing<kImuSlots, kImuMaxBlockFrames * 6>;
using AudioRing = BlockRing<kAudioSlots, kAudioBlockSamples>;

// How the current link carries packets: COBS frames on a byte stream (USB CDC, a pty), or whole
// packets (header, payload, CRC) that the link cuts into fragments itself (BLE, see fragments.h).
enum class Framing : uint8_t { kSerial, kPacket };

class Board : private protocol::PacketHandler {
 public:
  Board(const BoardDescription& description, ByteSink& sink, Clock& clock, SensorControl& sensors,
        BoardExtension* extension = nullptr);
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  // Bytes from the host, in chunks of any size (serial framing).
  void receive(const uint8_t* data, size_t size);
  // A whole packet from a link that does its own framing (BLE reassembly).
  void receive_packet(const protocol::Packet& packet) { on_packet(packet); }
  // Answer over another link from now on: a board with USB and BLE talks to the host that spoke last.
  void use_link(ByteSink& sink, Framing framing);
  // The link answers go to now.
  const ByteSink* link() const { return sink_; }
  // Time passing: sends the sample blocks the rings hold and, about once a second while streaming,
  // StreamStats. Call it often (every loop()).
  void poll();
  // The host went away (USB unplugged, port closed): stop streaming, forget half a frame.
  void disconnected();

  // The sensors' producer side: push samples here while the sensor is started.
  ImuRing& imu_ring() { return imu_ring_; }
  AudioRing& audio_ring() { return audio_ring_; }

  // Unsolicited messages.
  void button(uint8_t button, bool pressed);
  void log(protocol::LogLevel level, const char* text);

  // Replies, for extensions.
  template <class M>
  bool send(const M& message) {
    next_seq_ = static_cast<uint16_t>(next_seq_ + 1);
    const size_t n = encode(message, next_seq_);
    return n > 0 && sink_->write(tx_, n);
  }
  void ack(uint16_t ref_seq) { send(protocol::Ack{ref_seq}); }
  void reply_error(uint16_t ref_seq, protocol::ErrorCode code, const char* text);
  void reply_error(uint16_t ref_seq, protocol::ErrorCode code, const protocol::Str& text) {
    send(protocol::Error{ref_seq, static_cast<uint16_t>(code), text});
  }

  // State, for LEDs and tests.
  bool in_session() const { return in_session_; }
  bool streaming_imu() const { return imu_on_; }
  bool streaming_audio() const { return audio_on_; }
  uint16_t imu_rate_hz() const { return imu_on_ ? imu_rate_hz_ : description_.imu_default_rate_hz; }
  protocol::StreamStats stream_stats() const;
  const protocol::DecoderStats& decoder_stats() const { return decoder_.stats(); }
  const BoardDescription& description() const { return description_; }
  protocol::Info info() const;

 private:
  void on_packet(const protocol::Packet& packet) override;
  void on_hello(const protocol::Packet& packet);
  void on_stream_start(const protocol::Packet& packet);
  void on_stream_stop(const protocol::Packet& packet);
  void on_other(const protocol::Packet& packet);
  void stop_imu();
  void stop_audio();
  void send_imu_blocks();
  void send_audio_blocks();
  // A sample block goes out only if the sink takes it now; else it is dropped and counted.
  template <class M>
  bool send_droppable(const M& message);
  bool rate_supported(uint16_t rate_hz) const;
  // `message` as the current link wants it, into tx_: a serial frame or a bare packet. Its size, or 0.
  template <class M>
  size_t encode(const M& message, uint16_t seq) {
    if (framing_ == Framing::kSerial) return protocol::encode_message(message, seq, tx_, sizeof(tx_));
    protocol::Writer w(tx_ + protocol::kHeaderSize, protocol::kMaxPayload);
    if (!message.write(w)) return 0;
    const protocol::Packet packet{M::kType, 0, seq, tx_ + protocol::kHeaderSize, w.size()};
    return protocol::pack_packet(packet, tx_, sizeof(tx_));  // the payload is already in place
  }

  const BoardDescription& description_;
  ByteSink* sink_;
  Framing framing_ = Framing::kSerial;
  Clock& clock_;
  SensorControl& sensors_;
  BoardExtension* extension_;

  protocol::FrameDecoder decoder_;
  uint8_t tx_[protocol::kMaxFrameBytes];
  char text_[160];  // Error / Log text being built
  uint16_t next_seq_ = 0;  // the first message goes out with seq 1, as pty_server.py numbers them

  ImuRing imu_ring_;
  AudioRing audio_ring_;
  bool in_session_ = false;
  bool imu_on_ = false;
  bool audio_on_ = false;
  uint16_t imu_rate_hz_ = 0;
  uint32_t imu_tx_dropped_ = 0;
  uint32_t audio_tx_dropped_ = 0;
  uint32_t last_stats_us_ = 0;
};

}  // namespace board
}  // namespace wandlab
