// The board's recogniser: the BoardExtension that ties the model slots, TFLM, the motion segmenter,
// the k-NN class table, enrollment and the HID map together - what a board does with a model once it
// is flashed.
//
// The C++ twin of app/wandlab/virtual/recognizer.py (BoardRecognizer), enrollment.py (EnrollSession,
// in enroll_session.h) and the parts of app/wandlab/virtual/board.py that connect them: the model
// family and _sync_model (a newly active model is loaded into TFLM and handed to the class table; its
// notes and problems go to the host as Log WARNING), the IMU the board feeds it whether or not the
// host streams (wants_imu), and Info's model fields. Same replies and texts as Python
// (tests/firmware/test_recognizer_twin.py sends both the same requests and IMU frames and compares).
//
// Per motion segment the board cuts from its own IMU stream: the trimmed window, IMU features exactly
// as training (imu_window.h), the int8 model in TFLM, an integer k-NN with per-class thresholds
// (ref_store.h), then an InferenceEvent (while the host asked for events) and, for an accepted class
// with an action, a HID press and a HidReport. Decisions only on decidable segments (settled, not
// clipped); enrollment takes every segment while it runs, and recognition pauses meanwhile.
//
// The board layer owns one Recognizer and one Board (constructed with the recogniser as its
// extension), then:
//   recognizer.begin(board);                      // once: load the slots, send their notes, load the model
//   loop: board.receive(...); board.poll();
//         recognizer.on_imu(board, counts, frames, first_index, rate_hz);  // every IMU block, streamed or not,
//                                                   // while the host streams or wants_imu() holds
//         recognizer.poll(board);                   // enrollment timeouts
// Time comes from the board's Clock (micros(), extended to 64 bits here: call poll() at least once
// every 71 minutes).
//
// One ModelRunner only. The image check (ModelFinish, and every slot at boot) loads the image it checks
// into that runner - TFLM needs the model in its buffer and arena to say whether it runs - and the
// recogniser loads its active model again after every model request that ran a check: the flatbuffers
// Verifier, TFLM's allocation and one inference per upload (milliseconds, estimated; not measured on a
// board) instead of a second arena (8 KB on the XIAO).
//
// Memory (no heap). The caller provides the tensor arena and segment buffer (Memory, or
// RecognizerMemory<> below) and, on a board whose slots are not memory-mapped, a model buffer; the
// object holds the class table, the HID map, the slots' state and the enrollment. The model itself runs
// in place from its slot. For 100 Hz, 6 axes and an 8 KB arena, sizeof on a Cortex-M4
// (arm-none-eabi-g++ 12.2 -Os):
//   RecognizerMemory<8 * 1024, 100, 6>                 16.0 KB: tensor arena 8 KB, segment buffer 7.6 KB
//                                                       (325 frames x 6 floats), trim scratch 0.4 KB
//   Recognizer, the core's default limits              41.4 KB: class table (refs::RefStore) 31.4 KB, of
//                                                       it 21.7 KB the own classes' record (32 classes,
//                                                       16 KB of references and shape codes), 3 KB the
//                                                       codes of references being enrolled or sent, 2.5 KB
//                                                       decide's embedding and fused distances; model
//                                                       slots 3.1 KB; feature window 2.0 KB; enrollment
//                                                       2.9 KB (the takes' embeddings and shape codes);
//                                                       TFLM interpreter state 0.9 KB; HID map 0.3 KB;
//                                                       segmenter state, texts and flags 0.8 KB
//   Recognizer, the XIAO's limits                      27.4 KB: 8 own classes, 4 KB of references and
//                                                       codes (WANDLAB_MAX_OWN_CLASSES, WANDLAB_REF_POOL_BYTES)
// 57.4 KB in all with the default limits (kCortexM4RamBytes; tests/test_recognizer.cpp prints the host's
// sizes and checks them), 43.3 KB with the XIAO's.
// Stack (-fstack-usage, with callees): an IMU block that ends an enrollment is the deepest, about
// 3.5 KB (on_imu, on_segment, store_enrollment and RefStore::store_enrollment's 2.4 KB); a request
// about 1.6 KB at most (on_request's message structs, RefDownload's 1 KB scratch, the class table's
// handlers), besides the Board's frames.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "board_io.h"
#include "enroll_session.h"
#include "hid_settings.h"
#include "image_sections.h"
#include "imu_window.h"
#include "message_text.h"
#include "messages.h"
#include "model_runner.h"
#include "model_slots.h"
#include "motion_segmenter.h"
#include "record_store.h"
#include "ref_store.h"
#include "slot_flash.h"

namespace wandlab {
namespace recognizer {

// The model's input window the board computes features for: window x channels floats (the shipped
// gesture models: 64 x 3 and 64 x 6). A model with more is refused before it becomes active.
constexpr size_t kMaxFeatureValues = 512;
constexpr size_t kMaxEmbeddingValues = refs::kMaxDim;
constexpr size_t kKeyChars = 2 * protocol::kSha256Bytes;  // the active slot's SHA-256 in hex (Python's key)
constexpr const char* kNoModel = "no model is active on the board: push one (wandlab flash) first";

// What a board's BLE HID does with an action (BoardRecognizer.press).
class HidPress {
 public:
  // Sends the action's input reports; true if a bonded, encrypted host received them.
  virtual bool press(const protocol::HidAction& action) = 0;

 protected:
  ~HidPress() = default;
};

// The caller's buffers. model_buffer (null: models run in place from their slot, SlotFlash::data()) and
// arena 16-byte aligned (tflm::kBufferAlignment);
// segment_frames holds segment_capacity_frames rows of the board's IMU axes (motion::segment_frames of
// the board's highest rate), trim_scratch motion::trim_scratch_doubles(segment_capacity_frames).
struct Memory {
  uint8_t* model_buffer = nullptr;
  size_t model_capacity = 0;
  uint8_t* arena = nullptr;
  size_t arena_bytes = 0;
  float* segment_frames = nullptr;
  int32_t segment_capacity_frames = 0;
  double* trim_scratch = nullptr;
  int32_t trim_scratch_doubles = 0;
};

// The buffers for a board whose slots are memory-mapped (the model runs in place from its slot, see
// model_runner.h): RecognizerMemory<8 * 1024, 100, 6> for the XIAO.
template <size_t kArenaBytes, int kMaxRateHz, int32_t kAxes>
struct RecognizerMemory {
  static constexpr int32_t kSegmentFrames = motion::segment_frames(kMaxRateHz);
  static constexpr int32_t kScratchDoubles = motion::trim_scratch_doubles(kSegmentFrames);

  alignas(tflm::kBufferAlignment) uint8_t arena[kArenaBytes];
  float frames[static_cast<size_t>(kSegmentFrames) * kAxes];
  double scratch[kScratchDoubles];

  Memory memory() {
    Memory m;
    m.arena = arena;
    m.arena_bytes = kArenaBytes;
    m.segment_frames = frames;
    m.segment_capacity_frames = kSegmentFrames;
    m.trim_scratch = scratch;
    m.trim_scratch_doubles = kScratchDoubles;
    return m;
  }
};

// The slots' ImageCheck: what virtual/image_check.py check_image refuses (the layout, the JSON sections,
// then TFLM: image_check::check_board_image), and what this board cannot hold (more classes or wider
// embeddings than refs::RefStore keeps, a feature window above kMaxFeatureValues). It runs the image in
// `runner`, so the recogniser reloads its own model after it (used()).
class BoardModelCheck : public slots::ImageCheck {
 public:
  explicit BoardModelCheck(tflm::ModelRunner& runner) : runner_(runner) {}
  const char* check(const uint8_t* image, size_t size) override;
  // Whether check() ran since the last call (and so the runner may hold another model).
  bool used() {
    const bool was = used_;
    used_ = false;
    return was;
  }

 private:
  tflm::ModelRunner& runner_;
  bool used_ = false;
  char message_[tflm::kMaxMessageBytes] = {};
};

class Recognizer : public board::BoardExtension {
 public:
  // refs_record / hid_record: where the board's own classes and its HID map persist (null: RAM only).
  // imu_axes: the board's (3 or 6), the axes on_imu() frames have.
  Recognizer(slots::SlotFlash& flash, board::Clock& clock, const Memory& memory, uint8_t imu_axes,
             RecordStore* refs_record = nullptr, RecordStore* hid_record = nullptr);
  Recognizer(const Recognizer&) = delete;
  Recognizer& operator=(const Recognizer&) = delete;

  // Boot: reads the slots (re-checking each stored image), sends their notes and the class table's as
  // Log WARNING, loads the active model. Call once, before anything else, with the board it serves.
  void begin(board::Board& board);

  // -- BoardExtension -------------------------------------------------------------------------------
  // The model, enroll and controller families (ForgetHosts and the rest: false, for the board layer).
  bool on_request(const protocol::Packet& packet, board::Board& board) override;
  const char* active_model_id() const override { return slots_.active_model_id(); }
  // Info: model_slots, max_model_bytes, arena_bytes, enrolled_labels (Python's VirtualBoard.info).
  void describe(protocol::Info* info) const override;
  // Hello or the host gone: host-requested recognition and enrollment end (stop_session).
  void session_ended() override;
  // A HidMapSet of more than 32 actions does not decode in C++: answered as Python's check_actions.
  bool on_malformed(const protocol::Packet& packet, protocol::WireError error, board::Board& board) override;

  // -- live samples -------------------------------------------------------------------------------
  // Whether the board must keep sampling its IMU even if the host streams nothing.
  bool wants_imu() const;
  // An IMU block: `frames` frames of the board's axes as int16 counts (the description's scales), the
  // first with stream index `first_index`, at rate_hz. Feed every block while the host streams IMU,
  // and the board's own samples while wants_imu() holds (Python's BoardRecognizer.feed).
  void on_imu(board::Board& board, const int16_t* counts, size_t frames, uint32_t first_index, uint16_t rate_hz);
  // Time passing: an enrollment whose take did not come in time fails.
  void poll(board::Board& board);

  // Press class_id's action (gestures and wake words both come here): the report for the host in *out,
  // or false when the class has no action.
  bool act(uint8_t class_id, protocol::HidReport* out);
  void set_press(HidPress* press) { press_ = press; }

  // -- state, for LEDs, benchmarks and tests ---------------------------------------------------------
  bool model_ready() const { return image_ok_; }
  const char* problem() const { return problem_; }  // "" when a model runs
  bool recognizing() const { return recognizing_; }
  bool enrolling() const { return session_.running(); }
  uint32_t decisions() const { return decisions_; }
  uint32_t last_latency_us() const { return last_latency_us_; }
  uint32_t segments_skipped() const { return segments_skipped_; }  // not decidable
  uint32_t segments_failed() const { return segments_failed_; }    // features or TFLM failed
  uint32_t reports_sent() const { return reports_sent_; }  // presses with HID on, received or not
  const refs::RefStore& classes() const { return refs_; }
  const hid::HidSettings& hid() const { return hid_; }
  const slots::ModelSlots& slots() const { return slots_; }
  // The embedding of a window of `count` frames (the board's axes, g and deg/s) at rate_hz with the
  // active model, into out (dim values; returns dim, or 0 without a model or on a failure).
  size_t embed(const float* frames, int32_t count, double rate_hz, int8_t* out, size_t capacity);

 private:
  class BoardNotes;
  class BoardProgress;

  uint64_t now_us();
  void sync_model(board::Board& board, bool force);
  const char* load_active(const uint8_t* data, size_t size, board_image::Image* image);
  void adopt(board::Board& board, const uint8_t* data, size_t size, const char* key);
  void on_segment(board::Board& board, const motion::Segment& segment, uint64_t now);
  void store_enrollment(board::Board& board);
  void channels_problem(uint8_t axes, Text* text) const;
  void start_enrollment(const protocol::Packet& packet, board::Board& board);
  void download(const protocol::Packet& packet, board::Board& board);

  board::Clock& clock_;
  uint8_t axes_;
  size_t arena_bytes_;
  tflm::ModelRunner runner_;
  BoardModelCheck check_;
  slots::ModelSlots slots_;
  refs::RefStore refs_;
  hid::HidSettings hid_;
  motion::MotionSegmenterCore segmenter_;
  enroll::EnrollSession session_;
  HidPress* press_ = nullptr;

  // The model.
  uint32_t seen_changes_ = 0;
  bool image_ok_ = false;
  char key_[kKeyChars + 1] = {};
  char problem_[Text::kMaxBytes + 1] = {};
  imu_features::Config features_;
  float window_[kMaxFeatureValues] = {};

  // Recognition.
  bool recognizing_ = false;
  bool events_ = false;
  bool segmenter_ready_ = false;  // reset for the current rate (Python: a Segmenter exists)
  uint16_t segmenter_rate_ = 0;
  uint32_t decisions_ = 0;
  uint32_t last_latency_us_ = 0;
  uint32_t segments_skipped_ = 0;
  uint32_t segments_failed_ = 0;
  uint32_t reports_sent_ = 0;

  // The 64-bit clock.
  uint32_t last_micros_ = 0;
  uint64_t micros64_ = 0;
};

// The recogniser's RAM on a Cortex-M4 with the core's default limits (100 Hz, 6 axes, 8 KB arena):
// sizeof(Recognizer) + sizeof(RecognizerMemory<8 * 1024, 100, 6>) = 58,784 bytes, rounded up; the host
// test checks that the 64-bit host needs no more than 1.1 times this.
constexpr size_t kCortexM4RamBytes = 58 * 1024;

}  // namespace recognizer
}  // namespace wandlab
