// What a board with flash for model slots runs besides the protocol: the gesture recogniser, fed IMU
// blocks by its tap, and the wake-word detector with the speech model compiled into the image. The XIAO,
// the Nano 33 and the ESP32-S3 each build one at boot and call it from their loop; the native board wires
// the same parts from files (native_board/main.cpp). No heap: a board places it where it has room.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "board.h"
#include "board_words.h"
#include "crc32.h"
#include "extension_chain.h"
#include "hid_reports.h"
#include "model_runner.h"
#include "paged_storage.h"
#include "record_store.h"
#include "recognizer.h"
#include "recognizer_tap.h"
#include "slot_flash.h"
#include "wake_detector.h"

namespace wandlab {
namespace recognition {

// Whether the board's records fit their areas of `layout`: the class table's and the wake words' largest
// records follow the build's limits (WANDLAB_MAX_OWN_CLASSES, WANDLAB_REF_POOL_BYTES, WANDLAB_WORD_POOL_BYTES).
constexpr bool records_fit(const storage::StorageLayout& layout) {
  return refs::kMaxRecordBytes <= layout.class_capacity() && words::kMaxRecordBytes <= layout.words_capacity();
}

// Loads the speech model (in flash, run in place) into its runner: "" or why the board cannot detect
// wake words.
const char* load_speech_model(const uint8_t* model, size_t size, tflm::ModelRunner& runner,
                              wake::TflmEmbedder& embedder);

// The recogniser's presses as HID input reports through a link that sends them to a bonded host (the
// XIAO's and the ESP32-S3's BLE links: bool send_input_report(uint8_t id, const uint8_t* value, size_t size)).
template <class Link>
class ReportHidPress : public recognizer::HidPress {
 public:
  explicit ReportHidPress(Link& link) : link_(link) {}
  bool press(const protocol::HidAction& action) override {
    hid::InputReport reports[hid::kMaxReportsPerAction];
    const size_t n = hid::reports_for(action, reports);
    bool sent = n > 0;
    for (size_t i = 0; i < n; ++i) sent &= link_.send_input_report(reports[i].report_id, reports[i].value, reports[i].size);
    return sent;
  }

 private:
  Link& link_;
};

// kArenaBytes: the gesture model's tensor arena; kMaxRateHz: the highest IMU rate the recogniser
// segments at (its segment buffer); kSpeechArenaBytes: the speech model's arena.
template <size_t kArenaBytes, int kMaxRateHz, size_t kSpeechArenaBytes, int32_t kAxes = 6>
struct BoardRecognition {
  static constexpr uint16_t kRecognizerRateHz = static_cast<uint16_t>(kMaxRateHz);

  BoardRecognition(storage::BoardStorage& storage, board::Clock& clock, const uint8_t* speech_model,
                   size_t speech_bytes)
      : recognizer(storage.slots, clock, memory.memory(), static_cast<uint8_t>(kAxes), &storage.classes,
                   &storage.hid),
        tap(recognizer),
        speech_runner(nullptr, 0, speech_arena, sizeof(speech_arena)),
        embedder(speech_runner),
        speech_problem(load_speech_model(speech_model, speech_bytes, speech_runner, embedder)),
        words(speech_problem[0] == '\0' ? &embedder : nullptr, protocol::crc32(speech_model, speech_bytes),
              speech_problem, recognizer, clock, &storage.words) {}
  BoardRecognition(const BoardRecognition&) = delete;
  BoardRecognition& operator=(const BoardRecognition&) = delete;

  // Builds one in `space` (sizeof and alignof BoardRecognition bytes) with the compiled-in speech model
  // and joins it to the board (attach); at boot, not during static initialisation (TFLM runs here).
  static BoardRecognition* start(void* space, storage::BoardStorage& storage, board::Clock& clock,
                                 const uint8_t* (*speech_model)(size_t*), board::Board& board,
                                 board::ExtensionChain& extensions, recognizer::HidPress* press) {
    size_t bytes = 0;
    const uint8_t* model = speech_model(&bytes);
    BoardRecognition* recognition = new (space) BoardRecognition(storage, clock, model, bytes);
    recognition->attach(board, extensions, press);
    return recognition;
  }

  // Joins the board once at boot: the model, enroll, controller and word requests, the IMU blocks, the
  // presses (null: the board has no HID), then reads the slots and the stored classes and words.
  bool attach(board::Board& board, board::ExtensionChain& extensions, recognizer::HidPress* press) {
    recognizer.set_press(press);
    tap.bind(board);
    const bool added = extensions.add(recognizer) && extensions.add(words);
    recognizer.begin(board);  // reads and checks the slots, loads the active model
    words.begin(board);       // the stored words' notes
    return added;
  }

  // Once a loop, after Board::poll(): decisions follow the samples they were made on.
  void poll(board::Board& board) {
    tap.deliver();
    words.deliver();
    recognizer.poll(board);
  }

  // The microphone's blocks waiting in `heard`, to the wake-word detector.
  void hear_pending() {
    for (const board::AudioRing::Block* block = heard.peek(); block != nullptr; block = heard.peek()) {
      words.hear(block->data, block->values, block->first_sample);
      heard.pop();
    }
  }

  recognizer::RecognizerMemory<kArenaBytes, kMaxRateHz, kAxes> memory;
  recognizer::Recognizer recognizer;
  recognizer::RecognizerTap tap;
  alignas(tflm::kBufferAlignment) uint8_t speech_arena[kSpeechArenaBytes];
  tflm::ModelRunner speech_runner;
  wake::TflmEmbedder embedder;
  const char* speech_problem;
  words::BoardWords words;
  board::AudioRing heard;  // the microphone's samples for the words, from its interrupt
};

// What the XIAO nRF52840 Sense, the Nano 33 BLE Sense and the XIAO ESP32S3 give the models (docs/firmware.md,
// "Budgets"): an 8 KB arena for the gesture model, which runs in place from its slot; the segment buffer
// for 100 Hz, the boards' default rate and the highest the recogniser segments at (at 200 and 400 Hz a
// gesture's longest segment is shorter); 16 KB for the speech model's arena (the shipped model needs
// 14,928 bytes where TFLM's pointers are 64-bit, less on a board's 32-bit ones).
using SensorBoardRecognition = BoardRecognition<8 * 1024, 100, 16 * 1024>;

}  // namespace recognition
}  // namespace wandlab
