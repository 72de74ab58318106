// The native board's speech model; see speech_model.h.

#include "speech_model.h"

#include <cstdio>

#include "crc32.h"

namespace wandlab {
namespace native {

bool SpeechModel::open(const char* path) {
  ok_ = false;
  if (path == nullptr || path[0] == '\0') return false;
  std::FILE* file = std::fopen(path, "rb");
  if (file == nullptr) {
    std::snprintf(problem_, sizeof(problem_), "the speech model %s cannot be read", path);
    return false;
  }
  size_ = std::fread(model_, 1, sizeof(model_), file);
  const bool more = std::fgetc(file) != EOF;
  std::fclose(file);
  if (more) {
    std::snprintf(problem_, sizeof(problem_), "the speech model %s is larger than the board's %zu bytes", path,
                  sizeof(model_));
    return false;
  }
  const char* refused = runner_.load(model_, size_);
  if (refused[0] == '\0') refused = embedder_.check();
  if (refused[0] != '\0') {
    std::snprintf(problem_, sizeof(problem_), "the speech model %s does not run: %s", path, refused);
    return false;
  }
  crc_ = protocol::crc32(model_, size_);
  problem_[0] = '\0';
  ok_ = true;
  return true;
}

}  // namespace native
}  // namespace wandlab
