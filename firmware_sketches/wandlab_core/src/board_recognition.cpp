#include "board_recognition.h"

namespace wandlab {
namespace recognition {

const char* load_speech_model(const uint8_t* model, size_t size, tflm::ModelRunner& runner,
                              wake::TflmEmbedder& embedder) {
  const char* problem = runner.load(model, size);
  return problem[0] != '\0' ? problem : embedder.check();
}

}  // namespace recognition
}  // namespace wandlab
