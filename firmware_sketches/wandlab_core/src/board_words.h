// Wake words on the board: the word family's requests (WordUpload, WordList, WordClear) and detection
// on the board's own microphone. Twin of app/wandlab/virtual/word_detector.py (BoardWords), same replies
// and texts.
//
// The board listens whenever it holds words (listening()), whether or not the host streams audio: the
// board layer then keeps its microphone running and hands every sample to hear(). Samples wait there
// until deliver(), which the loop calls after Board::poll(), so a WakeEvent follows the AudioBlock that
// carried the sample it was decided on (board.py's order): while the host streams, samples of a block
// still filling wait for it. Then the streaming detector
// (wake_detector.h: incremental front end, the speech model every 160 ms, 1-NN cosine distances,
// confirmation and refractory second) decides; a wake goes to the host as a WakeEvent and, when the HID
// map has an action for class kWordClassBase + word id, is pressed exactly like a gesture
// (Recognizer::act: a HidReport for the host, the keys over BLE HID when on and bonded).
//
// The speech model is the board layer's: a wake::Embedder (TflmEmbedder over a ModelRunner holding the
// model, with its own arena, so words never compete with the gesture model for memory) and the CRC-32
// of its flatbuffer. A board without one answers WordList with model 0 and the other requests with
// UNSUPPORTED and the reason it was given.
//
// WakeEvent.latency_us is the board's time for the audio that completed the deciding hop: front end,
// embedding and distances (Python times the same steps).
//
// RAM: the word store (5.9 KB), the detector (4.1 KB on a Cortex-M4), 1 KB of waiting samples.
#pragma once

#include <cstddef>
#include <cstdint>

#include "board.h"
#include "recognizer.h"
#include "wake_detector.h"
#include "word_store.h"

namespace wandlab {
namespace words {

// Samples hear() keeps until deliver(): 32 ms at 16 kHz, more than one loop of a board makes; more
// arriving before a deliver() are decided at once (order as it comes, nothing lost).
constexpr size_t kQueuedSamples = 512;

class BoardWords : public board::BoardExtension {
 public:
  // embedder null: the board cannot detect words, for the reason `problem` gives (e.g. "the speech
  // model is missing from this firmware"). record null: words live in RAM only.
  BoardWords(wake::Embedder* embedder, uint32_t model_crc, const char* problem, recognizer::Recognizer& recognizer,
             board::Clock& clock, RecordStore* record = nullptr);
  BoardWords(const BoardWords&) = delete;
  BoardWords& operator=(const BoardWords&) = delete;

  // Boot: the store's notes (damaged record, words of another speech model) as Log WARNING.
  void begin(board::Board& board);

  // -- BoardExtension: the word family ---------------------------------------------------------------
  bool on_request(const protocol::Packet& packet, board::Board& board) override;

  // -- live audio ------------------------------------------------------------------------------------
  // Whether the board needs its microphone for words (it then samples it without a host stream).
  bool listening() const { return embedder_ != nullptr && store_.count() > 0; }
  // n consecutive 16 kHz samples, the first with stream index `first_index` (the numbering the host's
  // AudioBlocks use while it streams, else the microphone's own count).
  void hear(const int16_t* pcm, size_t n, uint32_t first_index);
  // The waiting samples to the detector: WakeEvent (+ HidReport) to the host for each wake.
  void deliver();
  void bind(board::Board& board) { board_ = &board; }

  // -- state, for tests and diagnostics --------------------------------------------------------------
  const WordStore& store() const { return store_; }
  const wake::WakeDetector* detector() const { return embedder_ != nullptr ? &detector_ : nullptr; }
  uint32_t wakes() const { return wakes_; }

 private:
  // The detector's embedder on a board without a speech model (it is never asked: no words are set).
  class NoModel : public wake::Embedder {
   public:
    size_t dim() const override { return 0; }
    int32_t output_zero_point() const override { return 0; }
    int8_t* input() override { return nullptr; }
    bool embed(int8_t* raw) override {
      (void)raw;
      return false;
    }
  };

  void list(board::Board& board);
  void clear(const protocol::Packet& packet, board::Board& board);
  void upload(const protocol::Packet& packet, board::Board& board);
  bool upload_problem(const protocol::WordUpload& m, Text* text) const;
  void sync();
  void feed_queued(size_t n);
  void feed(const int16_t* pcm, size_t n, uint32_t first_index);
  void announce(const wake::Wake& wake, uint32_t latency_us);

  wake::Embedder* embedder_;
  uint32_t model_crc_;
  const char* problem_;
  recognizer::Recognizer& recognizer_;
  board::Clock& clock_;
  board::Board* board_ = nullptr;
  WordStore store_;
  NoModel no_model_;
  wake::WakeDetector detector_;
  int16_t queue_[kQueuedSamples] = {};
  size_t queued_ = 0;
  uint32_t queue_first_ = 0;
  uint32_t wakes_ = 0;
};

}  // namespace words
}  // namespace wandlab
