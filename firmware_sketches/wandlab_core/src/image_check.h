// The board's own check of a whole board image before it may become active (and again at boot): the
// C++ twin of app/wandlab/virtual/image_check.py's load_image, on a board.
//
// In order: the layout (board_image::validate: magic, version, sections, the TFLM section's identifier
// and root table); the numbers the model must match, read from the JSON sections without a JSON
// library: FEAT's top-level integers "window" and "channels", REFS' top-level integer "dim"; then the
// TFLM section in the model runner (flatbuffers Verifier, schema, ops, tensor arena, one int8 input and
// output, one inference: ModelRunner::load); then the model's input shape against (1, window, channels)
// and its output's last dimension against "dim", as _check_io does.
//
// What it does not check, and Python's board_image.unpack does: that the JSON sections are valid JSON
// as a whole, the other feature settings, LABL, and that labels, references and thresholds agree (a
// board's image section reader does that when it reads them).
//
// The model runner is left loaded with the checked model when the check passes and unloaded when it
// fails: a board that must keep running its active model while it checks another needs a second runner
// (its own model buffer and arena) or must reload the active model afterwards.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model_runner.h"

namespace wandlab {
namespace image_check {

constexpr size_t kMaxMessageBytes = tflm::kMaxMessageBytes;

// "" when the board can run the `size` bytes at `image` with `runner`, else one English sentence
// saying why not: a string literal, the runner's message, or `message` (message_bytes long) filled in.
const char* check_board_image(const uint8_t* image, size_t size, tflm::ModelRunner& runner, char* message,
                              size_t message_bytes);

// The model-slot manager's ImageCheck (model_slots.h): const char* check(const uint8_t*, size_t).
// Deliberately not derived from it here (the two headers were written apart); derive and add
// `override` where they meet.
class BoardImageCheck {
 public:
  explicit BoardImageCheck(tflm::ModelRunner& runner) : runner_(runner) {}
  const char* check(const uint8_t* image, size_t size) {
    return check_board_image(image, size, runner_, message_, sizeof(message_));
  }

 private:
  tflm::ModelRunner& runner_;
  char message_[kMaxMessageBytes] = {};
};

// The top-level member `key` of the JSON object in `size` bytes at `json`, if it is an integer (the
// last one, as Python keeps the last of duplicate keys). False when it is absent, not an integer, out
// of int64 range, or the text is not an object this scanner can walk. Nested values are skipped, not
// validated.
bool top_level_integer(const uint8_t* json, size_t size, const char* key, int64_t* value);

}  // namespace image_check
}  // namespace wandlab
