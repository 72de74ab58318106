// The model runner: one int8 .tflite model in TensorFlow Lite Micro, checked before it is trusted.
//
// load() is the board's twin of app/wandlab/virtual/image_check.py's model half (_verified_ops,
// _load_tflm, _check_io, the first inference), with the same sentences where they make sense. In order:
//   1. the model fits the caller's 16-byte aligned model buffer and is copied there (a board image's
//      TFLM section sits at any offset, and TFLM reads int32/float data straight from the flatbuffer);
//      or, for a runner without a model buffer, the model itself starts 16-byte aligned and runs in
//      place (a board whose slots are memory-mapped flash: wandlab's images put the TFLM section's
//      data at offset 16, and slots start on erase pages);
//   2. the flatbuffers Verifier (tflite::VerifyModelBuffer): TFLM itself does not verify, and on the PC
//      its interpreter crashed within a few hundred randomly damaged copies of the gesture model;
//   3. what the Verifier cannot see but TFLM trusts (LiteRT's verifier checks the same): the schema
//      version, one subgraph, every tensor, buffer, opcode and operator index in range, tensor shapes,
//      sizes, data lengths and alignment, quantisation parameters;
//   4. every op in the firmware's resolver (kFirmwareOps), naming the missing ones;
//   5. what each op's kernel assumes and TFLM does not check: the declared output shape is the one
//      TFLite computes from the inputs and options, requantisation multipliers the int8 kernels can
//      shift by, biases that fit the accumulator;
//   6. TFLM allocates the model in the caller's tensor arena; if it does not fit, the sentence says how
//      many bytes the arena had and at least how many TFLM needed;
//   7. one input and one output, both int8;
//   8. one Invoke (on an all-zero input) succeeds.
// A damaged model is refused, never run: the host tests load a few hundred randomly damaged copies of
// every shipped model under ASan + UBSan.
//
// Memory: no heap. The caller owns the model buffer (optional) and the tensor arena (both 16-byte aligned, e.g.
// `alignas(16) uint8_t arena[8 * 1024];`). The op resolver and the interpreter live inside this object
// (kStateBytes: ~1.3 KB on the PC, ~0.7 KB on a Cortex-M4); everything TFLM allocates goes into the
// arena, laid out as TFLM's stock MicroInterpreter(model, resolver, arena, size) lays it out (its
// allocator object is 32 bytes larger). The arena is zeroed at every load().
//
// Only model_runner.cpp includes TFLM headers: code that includes this header needs no TFLM include
// path. TFLM itself must be built with ARDUINO defined (firmware_sketches/tflm_host/Makefile on the PC).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace tflm {

// The ops the runner's MicroMutableOpResolver registers, exactly app/wandlab/onboard/budgets.py
// FIRMWARE_OPS (tests/firmware/test_tflm.py compares the two). The shipped speech model needs no
// other op.
constexpr const char* kFirmwareOps[] = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "RESHAPE", "L2_NORMALIZATION",
    "MEAN",    "AVERAGE_POOL_2D",   "MAX_POOL_2D",     "ADD",     "QUANTIZE",
};
constexpr size_t kFirmwareOpCount = sizeof(kFirmwareOps) / sizeof(kFirmwareOps[0]);

constexpr size_t kBufferAlignment = 16;  // model buffer and tensor arena
constexpr size_t kMaxMessageBytes = 192;  // a refusal sentence, with its NUL (a wire str holds 255)
constexpr size_t kMaxDims = 6;            // input/output rank the runner reports

class ModelRunner {
 public:
  // model_buffer: where load() copies a model (model_capacity bytes), or null to run models in place
  // (the bytes given to load() must then stay valid and unchanged until unload() or the next load():
  // TFLM reads the model even to tear its interpreter down); arena: TFLM's
  // tensor arena (arena_bytes). Both must stay valid and untouched by the caller while a model is loaded.
  ModelRunner(uint8_t* model_buffer, size_t model_capacity, uint8_t* arena, size_t arena_bytes);
  ~ModelRunner();
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  // Loads `size` bytes of .tflite at `tflite` (copied into the model buffer unless it already is the
  // model buffer, or run where it is without a model buffer). Returns "" when the model is loaded and ran once, else one English sentence saying
  // why not (valid until the next load()); nothing stays loaded then.
  const char* load(const uint8_t* tflite, size_t size);
  void unload();
  bool loaded() const { return loaded_; }

  // The input tensor, input_bytes() int8 values. TFLM may reuse the input's memory for intermediate
  // tensors: write the whole input before every invoke(). Null while nothing is loaded.
  int8_t* input();
  size_t input_bytes() const;
  float input_scale() const;
  int32_t input_zero_point() const;
  // Shape of the input/output (rank <= kMaxDims; dims beyond rank are 0).
  size_t input_rank() const;
  int32_t input_dim(size_t i) const;

  const int8_t* output() const;
  size_t output_bytes() const;
  float output_scale() const;
  int32_t output_zero_point() const;
  size_t output_rank() const;
  int32_t output_dim(size_t i) const;

  // One inference on the current input. False when nothing is loaded or a kernel failed.
  bool invoke();

  // Bytes of the arena TFLM keeps for the loaded model (0 when none is loaded). Loading may need more:
  // the memory planner's scratch, given back after allocation, can be the peak (the gesture models keep
  // 4,272 bytes on the PC but need a 4,760-byte arena to load).
  size_t arena_used_bytes() const;
  // After load() refused a model for not fitting the arena: at least this many bytes would be needed
  // (TFLM stops at the first allocation that fails, so the true need may be larger). 0 otherwise.
  size_t arena_needed_at_least() const { return arena_needed_at_least_; }

  // The ops the resolver really holds, by TFLM's names ("CONV_2D", ...): fills up to `max` names and
  // returns how many there are. For tests, and for a board that reports its resolver.
  size_t registered_ops(const char** names, size_t max) const;

  // The state's size: the resolver and the interpreter, which only model_runner.cpp may name. Its
  // static_assert says when a TFLM update needs more.
  static constexpr size_t kStateBytes = sizeof(void*) == 8 ? 1344 : 720;

 private:
  struct State;
  State* state();
  const State* state() const;
  int allocate(const void* flatbuffer_model);  // a TfLiteStatus; TFLM types stay out of this header
  const char* refuse(const char* text);
  const char* refusef(const char* format, ...);

  uint8_t* model_buffer_;
  size_t model_capacity_;
  const uint8_t* model_ = nullptr;  // the loaded flatbuffer: the model buffer, or the caller's bytes
  uint8_t* arena_;
  size_t arena_bytes_;
  bool loaded_ = false;
  bool interpreter_built_ = false;
  size_t arena_needed_at_least_ = 0;
  char message_[kMaxMessageBytes] = {};
  alignas(16) unsigned char state_[kStateBytes];
};

}  // namespace tflm
}  // namespace wandlab
