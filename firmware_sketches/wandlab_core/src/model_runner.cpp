#include "model_runner.h"

#include <csetjmp>
#include <cstdarg>
#include <cmath>
#include <cstring>
#include <new>

#include "tensorflow/lite/micro/arena_allocator/single_arena_buffer_allocator.h"
#include "tensorflow/lite/micro/memory_helpers.h"
#include "tensorflow/lite/micro/memory_planner/greedy_memory_planner.h"
#include "tensorflow/lite/micro/micro_allocator.h"
#include "tensorflow/lite/micro/micro_arena_constants.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/micro_string.h"
#include "tensorflow/lite/micro/tflite_bridge/flatbuffer_conversions_bridge.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tensorflow/lite/schema/schema_utils.h"

namespace wandlab {
namespace tflm {
namespace {

using Resolver = tflite::MicroMutableOpResolver<kFirmwareOpCount>;

// Far above any tensor a board holds, and low enough that TFLM's int element counts and the kernels'
// int size arithmetic cannot overflow on a damaged shape.
constexpr uint64_t kMaxTensorBytes = 1u << 28;
constexpr uint32_t kSchemaVersion = TFLITE_SCHEMA_VERSION;

// TFLM's arena allocator, with three changes.
//
// 1. It notes by how much the first failed allocation missed. TFLM says so only through its log
//    (DebugLog), which a board may not have; with it the refusal can say how many bytes the model needs
//    at least.
// 2. A failed allocation never returns to TFLM: it longjmps back to ModelRunner::load. This TFLM (2023)
//    does not check many of its allocations - MicroAllocator::Create, the op parameters (placement new
//    on the result), the kernels' Init data and per-channel arrays, temporary tensors - so with an arena
//    that is too small it writes through a null pointer (on the PC the arena sweep in
//    tests/test_model_runner.cpp crashed at several sizes). A board checks models that may not fit its
//    arena, at boot too, so the check itself must not crash. The frames skipped hold nothing to release:
//    TFLM's automatic objects there are the op parameters' unique_ptr (its deleter is a no-op for the
//    arena's data allocator) and RuntimeShape (an empty destructor); the interpreter is then destroyed
//    normally, over an arena zeroed before the load, so its half-set node table holds null registrations.
// 3. A tail (persistent) buffer may not overlap the temporary buffers (below).
//
// Like the stock allocator, it lives in its own arena's tail.
class ShortfallArena : public tflite::SingleArenaBufferAllocator {
 public:
  ShortfallArena(uint8_t* buffer, size_t size) : SingleArenaBufferAllocator(buffer, size), size_(size) {}

  // While set, a failed allocation jumps there instead of returning null.
  void bail_to(std::jmp_buf* target) { bail_ = target; }

  // The stock allocator checks a new tail buffer against the head only, not against the temporary
  // buffers above it: with little room, a kernel's per-channel arrays (Prepare) overwrote the
  // temporary tensors Prepare was reading (a crash in PopulateConvolutionQuantizationParams on the PC).
  // Here the temporaries count as used.
  uint8_t* AllocatePersistentBuffer(size_t size, size_t alignment) override {
    const uintptr_t top = reinterpret_cast<uintptr_t>(tail());
    const uintptr_t temps_end = top - GetAvailableMemory(1);
    const uintptr_t start = size <= top - temps_end ? (top - size) & ~(uintptr_t{alignment} - 1) : 0;
    if (start < temps_end) {  // as the stock allocator places it, minus what it would overlap
      fail(size, start == 0 ? top - temps_end : size - (temps_end - start));
      return nullptr;
    }
    return SingleArenaBufferAllocator::AllocatePersistentBuffer(size, alignment);
  }

  uint8_t* AllocateTemp(size_t size, size_t alignment) override {
    const size_t available = GetAvailableMemory(alignment);
    // The memory planner's scratch takes all that is left: "Too many buffers" after it is a shortage.
    if (size == available) planner_scratch_taken_ = true;
    uint8_t* result = SingleArenaBufferAllocator::AllocateTemp(size, alignment);
    if (result == nullptr) fail(size, available);
    return result;
  }

  TfLiteStatus ResizeBuffer(uint8_t* buffer, size_t size, size_t alignment) override {
    const uint8_t* start = tflite::AlignPointerUp(GetOverlayMemoryAddress(), alignment);
    const size_t available = tail() > start ? static_cast<size_t>(tail() - start) : 0;
    const TfLiteStatus status = SingleArenaBufferAllocator::ResizeBuffer(buffer, size, alignment);
    if (status != kTfLiteOk) fail(size, available);
    return status;
  }

  // 0 while every allocation fitted; else what the first failed one missed, added to the arena. Counted
  // from the arena's last 16-byte boundary: the bytes after it are not always usable (tail buffers are
  // placed at aligned addresses), so the arena size itself would overstate the lower bound.
  size_t needed_at_least() const {
    if (missing_ == 0) return 0;
    const size_t bound = (size_ & ~(kBufferAlignment - 1)) + missing_;
    return bound > size_ ? bound : size_ + 1;
  }
  bool planner_scratch_taken() const { return planner_scratch_taken_; }

 private:
  void fail(size_t size, size_t available) {
    // A resize can also fail for a misuse that is no shortage (size <= available): nothing to note.
    if (missing_ == 0 && size > available) missing_ = size - available;
    if (bail_ != nullptr) std::longjmp(*bail_, 1);
  }

  size_t size_;
  size_t missing_ = 0;
  bool planner_scratch_taken_ = false;
  std::jmp_buf* bail_ = nullptr;
};

// SingleArenaBufferAllocator::Create, for ShortfallArena: build it on the stack, then copy it into the
// arena's tail, where it allocated room for itself. Null when the arena cannot even hold it.
// (Placement ::new here and below constructs in memory the caller gave; nothing comes from a heap. The
// global form, because TFLM's classes hide their own operator delete.)
ShortfallArena* place_shortfall_arena(uint8_t* buffer, size_t size) {
  ShortfallArena tmp(buffer, size);
  uint8_t* place = tmp.AllocatePersistentBuffer(sizeof(ShortfallArena), alignof(ShortfallArena));
  if (place == nullptr) return nullptr;
  return ::new (place) ShortfallArena(tmp);
}

bool has_elements(const flatbuffers::Vector<int32_t>* v) { return v != nullptr && v->size() > 0; }

// Every index in `indices` (may be null) within [lowest, count).
bool indices_in_range(const flatbuffers::Vector<int32_t>* indices, int32_t lowest, uint32_t count) {
  if (indices == nullptr) return true;
  for (int32_t index : *indices) {
    if (index < lowest || (index >= 0 && static_cast<uint32_t>(index) >= count)) return false;
  }
  return true;
}

const char* op_name(const tflite::OperatorCode* code) {
  const tflite::BuiltinOperator builtin = tflite::GetBuiltinCode(code);
  if (builtin == tflite::BuiltinOperator_CUSTOM) {
    return code->custom_code() != nullptr ? code->custom_code()->c_str() : "an unnamed custom op";
  }
  const char* name = tflite::EnumNameBuiltinOperator(builtin);
  return name[0] != '\0' ? name : "an op unknown to this TFLM";
}


// --- what TFLM's kernels take on trust -----------------------------------------------------------------
//
// TFLM's Prepare functions read shapes and options from the flatbuffer and check little of them; unlike
// LiteRT they do not compute an op's output shape, they use the one the model declares. A model whose
// shapes or options disagree (a damaged byte is enough) makes a kernel read and write out of bounds at
// the first Invoke. So, for each op the resolver has, the output shape must follow from the inputs and
// options as TFLite computes it, and the quantisation must be one the int8 kernels can requantise with
// (their fixed-point shifts overflow for scales far off the converter's).

constexpr uint32_t kMaxRank = 6;  // TFLM's RuntimeShape holds 6 dimensions without a heap
constexpr double kSmallestMultiplier = 1.0 / (1u << 30);

struct Shape {
  uint32_t rank = 0;
  int64_t dim[kMaxRank] = {};
  int64_t elements = 1;
};

// The shape of tensor `index`, already checked for rank, sign and size by load().
Shape shape_of(const tflite::SubGraph* graph, int32_t index) {
  Shape s;
  const auto* dims = graph->tensors()->Get(static_cast<uint32_t>(index))->shape();
  s.rank = dims == nullptr ? 0 : dims->size();
  for (uint32_t i = 0; i < s.rank; ++i) {
    s.dim[i] = dims->Get(i);
    s.elements *= s.dim[i];
  }
  return s;
}

bool same_shape(const Shape& a, const Shape& b) {
  if (a.rank != b.rank) return false;
  for (uint32_t i = 0; i < a.rank; ++i) {
    if (a.dim[i] != b.dim[i]) return false;
  }
  return true;
}

// TFLite's ComputeOutSize; 0 for options no kernel can run.
int64_t out_size(tflite::Padding padding, int64_t image, int64_t filter, int64_t stride, int64_t dilation) {
  if (stride < 1 || dilation < 1 || filter < 1) return 0;
  const int64_t effective = (filter - 1) * dilation + 1;
  if (padding == tflite::Padding_SAME) return (image + stride - 1) / stride;
  if (padding == tflite::Padding_VALID) return image >= effective ? (image + stride - effective) / stride : 0;
  return 0;
}

const tflite::QuantizationParameters* quantization(const tflite::SubGraph* graph, int32_t index) {
  const tflite::QuantizationParameters* q = graph->tensors()->Get(static_cast<uint32_t>(index))->quantization();
  return q != nullptr && q->scale() != nullptr && q->scale()->size() > 0 ? q : nullptr;
}

tflite::TensorType type_of(const tflite::SubGraph* graph, int32_t index) {
  return graph->tensors()->Get(static_cast<uint32_t>(index))->type();
}

// Scales finite and positive, zero points aligned and inside the tensor type's range.
bool quantization_sane(const tflite::Tensor* tensor) {
  const tflite::QuantizationParameters* q = tensor->quantization();
  if (q == nullptr) return true;
  if (q->scale() != nullptr) {
    for (float scale : *q->scale()) {
      if (!(scale > 0.0f) || !std::isfinite(scale)) return false;
    }
  }
  int64_t lowest = INT64_MIN;
  int64_t highest = INT64_MAX;
  if (tensor->type() == tflite::TensorType_INT8) lowest = -128, highest = 127;
  if (tensor->type() == tflite::TensorType_UINT8) lowest = 0, highest = 255;
  if (tensor->type() == tflite::TensorType_INT16) lowest = -32768, highest = 32767;
  if (q->zero_point() != nullptr) {
    // The Verifier aligns a vector's length to 4 bytes only; reading these int64 from an address that is
    // not 8-aligned is undefined (and LDRD faults on a Cortex-M4). The builder aligns them in any model.
    if (reinterpret_cast<uintptr_t>(q->zero_point()->data()) % alignof(int64_t) != 0) return false;
    for (int64_t zero : *q->zero_point()) {
      if (zero < lowest || zero > highest) return false;
    }
  }
  return true;
}

// Every input scale x weight scale / output scale of a conv-like op within (2^-30, 1): its kernels
// shift the int32 accumulator left by this multiplier's exponent and right by its negative, so outside
// that range the shifts overflow (the shipped models: 6e-4 to 0.04). Null when it is.
const char* conv_quantization_problem(const tflite::SubGraph* graph, int32_t input, int32_t filter,
                                      int32_t output) {
  const auto* qi = quantization(graph, input);
  const auto* qf = quantization(graph, filter);
  const auto* qo = quantization(graph, output);
  if (qi == nullptr || qf == nullptr || qo == nullptr) return "it lacks quantisation";
  for (float filter_scale : *qf->scale()) {
    const double m = static_cast<double>(qi->scale()->Get(0)) * filter_scale / qo->scale()->Get(0);
    if (!(m < 1.0 && m > kSmallestMultiplier)) return "its quantisation scales rescale by 1 or more, or by almost 0";
  }
  return nullptr;
}

// The bias plus `depth` products of int8 values (each at most 255 x 128 in magnitude, input offset
// included) must fit the int32 accumulator: a bias near 2^31 is damage, and overflows the kernel.
const char* bias_problem(const tflite::Model* model, const tflite::SubGraph* graph, int32_t bias, int64_t depth) {
  const tflite::Buffer* buffer = model->buffers()->Get(graph->tensors()->Get(static_cast<uint32_t>(bias))->buffer());
  if (buffer == nullptr || buffer->data() == nullptr) return nullptr;  // computed at run time: nothing to check
  const int64_t limit = INT32_MAX - depth * 255 * 128;
  const auto* bytes = buffer->data();
  for (uint32_t at = 0; at + 4 <= bytes->size(); at += 4) {
    int32_t v;
    std::memcpy(&v, bytes->data() + at, sizeof(v));
    if (v > limit || v < -limit) return "its bias is too large for its accumulator";
  }
  return nullptr;
}

// Why operator `op` (builtin `code`) cannot run as its shapes and options say, or null when it can.
const char* operator_problem(const tflite::Model* model, const tflite::SubGraph* graph, const tflite::Operator* op,
                             tflite::BuiltinOperator code) {
  const auto* buffers = model->buffers();
  const auto* in = op->inputs();
  const auto* out = op->outputs();
  const uint32_t inputs = in->size();
  for (uint32_t k = 0; k < inputs; ++k) {
    // Only a bias (the third input of conv-like ops) may be absent (-1).
    if (in->Get(k) < 0 && k != 2) return "it lacks an input";
  }
  if (out->size() != 1) return "it does not have exactly one output";
  const int32_t y_index = out->Get(0);
  const Shape y = shape_of(graph, y_index);
  for (uint32_t k = 0; k < inputs; ++k) {
    if (in->Get(k) >= 0 && shape_of(graph, in->Get(k)).rank > kMaxRank) return "it has a tensor of too many dimensions";
  }
  if (y.rank > kMaxRank) return "its output has too many dimensions";
  const Shape x = inputs > 0 ? shape_of(graph, in->Get(0)) : Shape{};
  const bool int8_io = inputs > 0 && type_of(graph, in->Get(0)) == tflite::TensorType_INT8;
  if (inputs > 0 && code != tflite::BuiltinOperator_QUANTIZE && type_of(graph, in->Get(0)) != type_of(graph, y_index)) {
    return "its input and output types differ";
  }

  switch (code) {
    case tflite::BuiltinOperator_CONV_2D:
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: {
      if (inputs < 2 || inputs > 3) return "its inputs are not input, filter and bias";
      const Shape w = shape_of(graph, in->Get(1));
      if (x.rank != 4 || w.rank != 4 || y.rank != 4) return "its input, filter or output is not 4-D";
      tflite::Padding padding;
      int64_t stride_h, stride_w, dilation_h, dilation_w, channels;
      if (code == tflite::BuiltinOperator_CONV_2D) {
        const auto* o = op->builtin_options_as_Conv2DOptions();
        if (o == nullptr) return "it has no CONV_2D options";
        padding = o->padding();
        stride_h = o->stride_h(), stride_w = o->stride_w();
        dilation_h = o->dilation_h_factor(), dilation_w = o->dilation_w_factor();
        channels = w.dim[0];
        if (w.dim[3] != x.dim[3]) return "its filter's depth is not its input's";
      } else {
        const auto* o = op->builtin_options_as_DepthwiseConv2DOptions();
        if (o == nullptr) return "it has no DEPTHWISE_CONV_2D options";
        padding = o->padding();
        stride_h = o->stride_h(), stride_w = o->stride_w();
        dilation_h = o->dilation_h_factor(), dilation_w = o->dilation_w_factor();
        channels = w.dim[3];
        if (w.dim[0] != 1 || o->depth_multiplier() < 1 || channels != x.dim[3] * o->depth_multiplier()) {
          return "its filter does not match its input's channels and depth multiplier";
        }
      }
      if (inputs == 3 && in->Get(2) >= 0 && shape_of(graph, in->Get(2)).elements != channels) {
        return "its bias does not hold one value per output channel";
      }
      const int64_t h = out_size(padding, x.dim[1], w.dim[1], stride_h, dilation_h);
      const int64_t wd = out_size(padding, x.dim[2], w.dim[2], stride_w, dilation_w);
      if (h < 1 || wd < 1 || y.dim[0] != x.dim[0] || y.dim[1] != h || y.dim[2] != wd || y.dim[3] != channels) {
        return "its output shape does not follow from its input, filter and options";
      }
      if (int8_io && (type_of(graph, in->Get(1)) != tflite::TensorType_INT8 ||
                      (inputs == 3 && in->Get(2) >= 0 && type_of(graph, in->Get(2)) != tflite::TensorType_INT32))) {
        return "its filter is not int8 or its bias not int32";
      }
      if (int8_io) {
        const char* q = conv_quantization_problem(graph, in->Get(0), in->Get(1), y_index);
        if (q != nullptr) return q;
        const int64_t depth = code == tflite::BuiltinOperator_CONV_2D ? w.dim[1] * w.dim[2] * w.dim[3]
                                                                       : w.dim[1] * w.dim[2];
        if (inputs == 3 && in->Get(2) >= 0) return bias_problem(model, graph, in->Get(2), depth);
      }
      return nullptr;
    }
    case tflite::BuiltinOperator_FULLY_CONNECTED: {
      if (inputs < 2 || inputs > 3) return "its inputs are not input, weights and bias";
      const Shape w = shape_of(graph, in->Get(1));
      if (w.rank != 2 || w.dim[1] < 1 || x.elements % w.dim[1] != 0) return "its weights do not fit its input";
      const int64_t batches = x.elements / w.dim[1];
      if (y.rank < 1 || y.dim[y.rank - 1] != w.dim[0] || y.elements != batches * w.dim[0]) {
        return "its output shape does not follow from its input and weights";
      }
      if (inputs == 3 && in->Get(2) >= 0 && shape_of(graph, in->Get(2)).elements != w.dim[0]) {
        return "its bias does not hold one value per output";
      }
      if (int8_io && (type_of(graph, in->Get(1)) != tflite::TensorType_INT8 ||
                      (inputs == 3 && in->Get(2) >= 0 && type_of(graph, in->Get(2)) != tflite::TensorType_INT32))) {
        return "its weights are not int8 or its bias not int32";
      }
      if (int8_io) {
        const char* q = conv_quantization_problem(graph, in->Get(0), in->Get(1), y_index);
        if (q != nullptr) return q;
        if (inputs == 3 && in->Get(2) >= 0) return bias_problem(model, graph, in->Get(2), w.dim[1]);
      }
      return nullptr;
    }
    case tflite::BuiltinOperator_AVERAGE_POOL_2D:
    case tflite::BuiltinOperator_MAX_POOL_2D: {
      const auto* o = op->builtin_options_as_Pool2DOptions();
      if (inputs != 1 || o == nullptr) return "it lacks its input or its pool options";
      if (x.rank != 4 || y.rank != 4) return "its input or output is not 4-D";
      const int64_t h = out_size(o->padding(), x.dim[1], o->filter_height(), o->stride_h(), 1);
      const int64_t wd = out_size(o->padding(), x.dim[2], o->filter_width(), o->stride_w(), 1);
      if (h < 1 || wd < 1 || y.dim[0] != x.dim[0] || y.dim[1] != h || y.dim[2] != wd || y.dim[3] != x.dim[3]) {
        return "its output shape does not follow from its input and options";
      }
      break;
    }
    case tflite::BuiltinOperator_RESHAPE:
      if (inputs < 1 || inputs > 2 || x.elements != y.elements) return "it changes the number of elements";
      break;
    case tflite::BuiltinOperator_L2_NORMALIZATION:
    case tflite::BuiltinOperator_QUANTIZE:
      if (inputs != 1 || !same_shape(x, y)) return "its output shape is not its input's";
      break;
    case tflite::BuiltinOperator_ADD: {
      if (inputs != 2) return "it does not have two inputs";
      const Shape b = shape_of(graph, in->Get(1));
      if (!same_shape(x, b)) {  // broadcasting: TFLM's kernels broadcast up to 4-D
        if (y.rank > 4 || x.rank > y.rank || b.rank > y.rank) return "it broadcasts beyond 4-D";
        for (uint32_t i = 0; i < y.rank; ++i) {
          const int64_t da = i + x.rank >= y.rank ? x.dim[i + x.rank - y.rank] : 1;
          const int64_t db = i + b.rank >= y.rank ? b.dim[i + b.rank - y.rank] : 1;
          if ((da != 1 && db != 1 && da != db) || y.dim[i] != (da == 1 ? db : da)) {
            return "its output shape is not its inputs' broadcast";
          }
        }
      } else if (!same_shape(x, y)) {
        return "its output shape is not its inputs'";
      }
      const auto* qa = quantization(graph, in->Get(0));
      const auto* qb = quantization(graph, in->Get(1));
      const auto* qy = quantization(graph, y_index);
      if (int8_io && (qa == nullptr || qb == nullptr || qy == nullptr)) return "it lacks quantisation";
      if (int8_io) {
        // add.cc: each input scale / twice the larger one, and twice the larger / (2^20 x output scale).
        const double twice = 2.0 * std::fmax(qa->scale()->Get(0), qb->scale()->Get(0));
        const double out = twice / (1048576.0 * qy->scale()->Get(0));
        if (!(qa->scale()->Get(0) / twice > kSmallestMultiplier && qb->scale()->Get(0) / twice > kSmallestMultiplier &&
              out < 1.0 && out > kSmallestMultiplier)) {
          return "its quantisation scales rescale by 1 or more, or by almost 0";
        }
      }
      return nullptr;
    }
    case tflite::BuiltinOperator_MEAN: {
      if (inputs != 2) return "it does not have an input and an axis";
      const tflite::Tensor* axis = graph->tensors()->Get(static_cast<uint32_t>(in->Get(1)));
      const tflite::Buffer* data = buffers->Get(axis->buffer());
      const Shape a = shape_of(graph, in->Get(1));
      // load() checked that constant data is exactly as long as its shape says.
      if (axis->type() != tflite::TensorType_INT32 || a.elements < 1 || a.elements > kMaxRank ||
          data == nullptr || data->data() == nullptr || data->data()->size() == 0) {
        return "its axis is not a constant list of int32";
      }
      bool reduced[kMaxRank] = {};
      for (int64_t k = 0; k < a.elements; ++k) {
        int32_t v;
        std::memcpy(&v, data->data()->data() + 4 * k, sizeof(v));
        if (v < -static_cast<int32_t>(x.rank) || v >= static_cast<int32_t>(x.rank)) return "its axis is out of range";
        reduced[v < 0 ? v + static_cast<int32_t>(x.rank) : v] = true;
      }
      int64_t kept = 1;
      for (uint32_t i = 0; i < x.rank; ++i) kept *= reduced[i] ? 1 : x.dim[i];
      if (y.elements != kept) return "its output shape does not follow from its input and axis";
      break;
    }
    default:
      break;
  }
  // Ops that requantise input -> output (MEAN, QUANTIZE, ...) shift by the exponent of the ratio.
  const auto* qx = inputs > 0 ? quantization(graph, in->Get(0)) : nullptr;
  const auto* qy = quantization(graph, y_index);
  if (int8_io && qx != nullptr && qy != nullptr) {
    const double ratio = static_cast<double>(qx->scale()->Get(0)) / qy->scale()->Get(0);
    if (!(ratio < 65536.0 && ratio > kSmallestMultiplier)) {
      return "its quantisation scales rescale by 2^16 or more, or by almost 0";
    }
  }
  return nullptr;
}
}  // namespace

struct ModelRunner::State {
  Resolver resolver;
  ShortfallArena* arena = nullptr;
  TfLiteTensor* input = nullptr;  // the interpreter's, valid while a model is loaded
  TfLiteTensor* output = nullptr;
  alignas(tflite::MicroInterpreter) unsigned char interpreter_bytes[sizeof(tflite::MicroInterpreter)];

  tflite::MicroInterpreter* interpreter() {
    return std::launder(reinterpret_cast<tflite::MicroInterpreter*>(interpreter_bytes));
  }
  const tflite::MicroInterpreter* interpreter() const {
    return std::launder(reinterpret_cast<const tflite::MicroInterpreter*>(interpreter_bytes));
  }
};

ModelRunner::ModelRunner(uint8_t* model_buffer, size_t model_capacity, uint8_t* arena, size_t arena_bytes)
    : model_buffer_(model_buffer), model_capacity_(model_capacity), arena_(arena), arena_bytes_(arena_bytes) {
  static_assert(sizeof(State) <= kStateBytes, "ModelRunner::kStateBytes is too small for this TFLM: raise it");
  static_assert(alignof(State) <= 16, "ModelRunner::state_ is aligned to 16 bytes only");
  State* s = ::new (state_) State();
  // Exactly budgets.FIRMWARE_OPS; Add* only fails when the resolver is full, which the count rules out.
  s->resolver.AddConv2D();
  s->resolver.AddDepthwiseConv2D();
  s->resolver.AddFullyConnected();
  s->resolver.AddReshape();
  s->resolver.AddL2Normalization();
  s->resolver.AddMean();
  s->resolver.AddAveragePool2D();
  s->resolver.AddMaxPool2D();
  s->resolver.AddAdd();
  s->resolver.AddQuantize();
}

ModelRunner::~ModelRunner() {
  unload();
  state()->~State();
}

ModelRunner::State* ModelRunner::state() { return std::launder(reinterpret_cast<State*>(state_)); }
const ModelRunner::State* ModelRunner::state() const {
  return std::launder(reinterpret_cast<const State*>(state_));
}

const char* ModelRunner::refuse(const char* text) {
  unload();
  return text;
}

const char* ModelRunner::refusef(const char* format, ...) {
  unload();
  va_list args;
  va_start(args, format);
  MicroVsnprintf(message_, static_cast<int>(sizeof(message_)), format, args);
  va_end(args);
  return message_;
}

void ModelRunner::unload() {
  if (interpreter_built_) {
    state()->interpreter()->~MicroInterpreter();
    interpreter_built_ = false;
  }
  state()->arena = nullptr;
  state()->input = nullptr;
  state()->output = nullptr;
  loaded_ = false;
}

// Everything TFLM allocates for a model, with a failed allocation landing at the setjmp below (see
// ShortfallArena). Nothing here is live across the jump but `s` and `model`, set before it and never
// changed after.
int ModelRunner::allocate(const void* flatbuffer_model) {
  State* const s = state();
  const tflite::Model* const model = static_cast<const tflite::Model*>(flatbuffer_model);
  std::jmp_buf bail;
  if (setjmp(bail) != 0) {
    s->arena->bail_to(nullptr);
    return kTfLiteError;
  }
  s->arena->bail_to(&bail);
  uint8_t* place = s->arena->AllocatePersistentBuffer(sizeof(tflite::GreedyMemoryPlanner),
                                                      alignof(tflite::GreedyMemoryPlanner));
  tflite::GreedyMemoryPlanner* planner = ::new (place) tflite::GreedyMemoryPlanner();
  tflite::MicroAllocator* allocator = tflite::MicroAllocator::Create(s->arena, planner);
  ::new (s->interpreter_bytes) tflite::MicroInterpreter(model, s->resolver, allocator);
  interpreter_built_ = true;
  const TfLiteStatus status = s->interpreter()->AllocateTensors();
  s->arena->bail_to(nullptr);
  return status;
}

// MicroVsnprintf reads %u as uint32_t and %d as int32_t: every number below is cast to one of those.
const char* ModelRunner::load(const uint8_t* tflite, size_t size) {
  unload();
  arena_needed_at_least_ = 0;
  if (tflite == nullptr || size == 0) return refuse("the model is empty");
  if ((model_buffer_ != nullptr && reinterpret_cast<uintptr_t>(model_buffer_) % kBufferAlignment != 0) ||
      arena_ == nullptr || reinterpret_cast<uintptr_t>(arena_) % kBufferAlignment != 0) {
    return refuse("the firmware's model buffer or tensor arena is not 16-byte aligned");
  }
  if (model_buffer_ == nullptr) {
    // In place: TFLM reads int32 and float data straight from the flatbuffer, which the converter aligns
    // relative to the flatbuffer's start - so the start must be aligned too.
    if (reinterpret_cast<uintptr_t>(tflite) % kBufferAlignment != 0) {
      return refuse("the model's TFLM data is not 16-byte aligned in the board image, and this board runs "
                    "models in place: pack the image with wandlab (it puts the TFLM section first)");
    }
    model_ = tflite;
  } else {
    if (size > model_capacity_) {
      return refusef("the model is %u bytes; this board's model buffer holds %u",
                     static_cast<uint32_t>(size), static_cast<uint32_t>(model_capacity_));
    }
    if (tflite != model_buffer_) std::memmove(model_buffer_, tflite, size);
    model_ = model_buffer_;
  }

  // TFLM trusts the flatbuffer; a damaged one makes it read anywhere. Verify first, always.
  flatbuffers::Verifier verifier(model_, size);
  if (!tflite::VerifyModelBuffer(verifier)) {
    return refuse("the model is not a valid .tflite flatbuffer (the flatbuffers verifier refused it)");
  }
  const tflite::Model* model = tflite::GetModel(model_);
  if (model->version() != kSchemaVersion) {
    return refusef("the model is .tflite schema version %u; this firmware reads version %u",
                   static_cast<uint32_t>(model->version()), kSchemaVersion);
  }

  // What the Verifier leaves to the reader and TFLM does not check (LiteRT's verifier does).
  const auto* subgraphs = model->subgraphs();
  const auto* buffers = model->buffers();
  const auto* opcodes = model->operator_codes();
  if (subgraphs == nullptr || subgraphs->size() != 1) {
    return refusef("the model has %u subgraphs; the firmware runs models with exactly one",
                   static_cast<uint32_t>(subgraphs == nullptr ? 0 : subgraphs->size()));
  }
  const tflite::SubGraph* graph = subgraphs->Get(0);
  if (buffers == nullptr || opcodes == nullptr || graph->tensors() == nullptr || graph->operators() == nullptr ||
      graph->inputs() == nullptr || graph->outputs() == nullptr) {
    return refuse("the model is damaged: its buffers, op codes, tensors, operators, inputs or outputs are missing");
  }
  const uint32_t tensor_count = graph->tensors()->size();
  for (uint32_t i = 0; i < tensor_count; ++i) {
    const tflite::Tensor* tensor = graph->tensors()->Get(i);
    if (tensor->buffer() >= buffers->size()) {
      return refusef("the model is damaged: tensor %u uses buffer %u of %u", i, tensor->buffer(),
                     static_cast<uint32_t>(buffers->size()));
    }
    if (tensor->sparsity() != nullptr) return refusef("tensor %u of the model is sparse; TFLM runs dense tensors", i);
    TfLiteType type;
    size_t type_bytes = 0;
    if (tflite::ConvertTensorType(tensor->type(), &type) != kTfLiteOk ||
        tflite::TfLiteTypeSizeOf(type, &type_bytes) != kTfLiteOk) {
      return refusef("tensor %u of the model has a type TFLM cannot hold (%s)", i,
                     tflite::EnumNameTensorType(tensor->type()));
    }
    uint64_t bytes = type_bytes;
    const auto* shape = tensor->shape();
    const uint32_t rank = shape == nullptr ? 0 : shape->size();
    if (rank > kMaxRank) {
      return refusef("tensor %u of the model has %u dimensions; TFLM takes at most %u", i, rank, kMaxRank);
    }
    if (!quantization_sane(tensor)) {
      return refusef("the model is damaged: tensor %u has a scale that is not positive or a zero point out of range",
                     i);
    }
    for (uint32_t d = 0; d < rank; ++d) {
      const int32_t dim = shape->Get(d);
      if (dim < 0) return refusef("the model is damaged: tensor %u has dimension %d", i, dim);
      bytes = bytes * static_cast<uint64_t>(dim);
      if (bytes > kMaxTensorBytes) return refusef("the model is damaged: tensor %u claims more than %u bytes", i,
                                                  static_cast<uint32_t>(kMaxTensorBytes));
    }
    const tflite::Buffer* buffer = buffers->Get(tensor->buffer());
    const uint32_t data_bytes = buffer != nullptr && buffer->data() != nullptr ? buffer->data()->size() : 0;
    if (data_bytes != 0 && data_bytes != bytes) {
      return refusef("the model is damaged: tensor %u has %u bytes of data, its shape needs %u", i, data_bytes,
                     static_cast<uint32_t>(bytes));
    }
    // Kernels read constant data in place (int32 biases, ...); the converter aligns it, a damaged offset
    // need not (the Verifier checks a byte vector's length field, not its data's alignment).
    if (data_bytes != 0 && reinterpret_cast<uintptr_t>(buffer->data()->data()) % type_bytes != 0) {
      return refusef("the model is damaged: the data of tensor %u is not aligned to its type", i);
    }
    // Per-channel kernels read one scale per channel of the quantized dimension.
    const tflite::QuantizationParameters* q = tensor->quantization();
    if (q != nullptr && q->scale() != nullptr && q->scale()->size() > 1) {
      const int32_t axis = q->quantized_dimension();
      if (axis < 0 || static_cast<uint32_t>(axis) >= rank ||
          q->scale()->size() != static_cast<uint32_t>(shape->Get(axis))) {
        return refusef("the model is damaged: tensor %u has %u scales for its quantized dimension %d", i,
                       static_cast<uint32_t>(q->scale()->size()), axis);
      }
    }
  }
  if (!indices_in_range(graph->inputs(), 0, tensor_count) || !indices_in_range(graph->outputs(), 0, tensor_count)) {
    return refusef("the model is damaged: an input or output is not one of its %u tensors", tensor_count);
  }
  const uint32_t operator_count = graph->operators()->size();
  for (uint32_t j = 0; j < operator_count; ++j) {
    const tflite::Operator* op = graph->operators()->Get(j);
    if (op->opcode_index() >= opcodes->size()) {
      return refusef("the model is damaged: operator %u uses op code %u of %u", j, op->opcode_index(),
                     static_cast<uint32_t>(opcodes->size()));
    }
    // -1 marks an optional input TFLM skips; no kernel is ever handed a missing list.
    if (op->inputs() == nullptr || op->outputs() == nullptr || !has_elements(op->outputs()) ||
        !indices_in_range(op->inputs(), -1, tensor_count) || !indices_in_range(op->outputs(), 0, tensor_count) ||
        !indices_in_range(op->intermediates(), 0, tensor_count)) {
      return refusef("the model is damaged: operator %u reads or writes a tensor it does not have", j);
    }
  }

  // Every op the graph uses in the resolver; name all the missing ones, sorted, as image_check.py does.
  constexpr size_t kMaxMissing = 16;
  const char* missing[kMaxMissing];
  size_t missing_count = 0;
  for (uint32_t j = 0; j < operator_count; ++j) {
    const tflite::OperatorCode* code = opcodes->Get(graph->operators()->Get(j)->opcode_index());
    const tflite::BuiltinOperator builtin = tflite::GetBuiltinCode(code);
    const bool found = builtin == tflite::BuiltinOperator_CUSTOM
                           ? code->custom_code() != nullptr && state()->resolver.FindOp(code->custom_code()->c_str())
                           : state()->resolver.FindOp(builtin) != nullptr;
    if (found) continue;
    const char* name = op_name(code);
    size_t at = 0;
    while (at < missing_count && std::strcmp(missing[at], name) < 0) ++at;
    if (at < missing_count && std::strcmp(missing[at], name) == 0) continue;
    if (missing_count == kMaxMissing) break;
    for (size_t k = missing_count; k > at; --k) missing[k] = missing[k - 1];
    missing[at] = name;
    ++missing_count;
  }
  if (missing_count > 0) {
    int used = MicroSnprintf(message_, static_cast<int>(sizeof(message_)),
                             "the model uses op(s) the firmware does not have: %s", missing[0]);
    for (size_t k = 1; k < missing_count && used > 0; ++k) {
      const size_t end = static_cast<size_t>(used) - 1;  // MicroSnprintf counts the NUL
      used = static_cast<int>(end) +
             MicroSnprintf(message_ + end, static_cast<int>(sizeof(message_) - end), ", %s", missing[k]);
    }
    unload();
    return message_;
  }

  for (uint32_t j = 0; j < operator_count; ++j) {
    const tflite::Operator* op = graph->operators()->Get(j);
    const tflite::BuiltinOperator code = tflite::GetBuiltinCode(opcodes->Get(op->opcode_index()));
    const char* problem = operator_problem(model, graph, op, code);
    if (problem != nullptr) {
      return refusef("the model is damaged: operator %u (%s) cannot run: %s", j, tflite::EnumNameBuiltinOperator(code),
                     problem);
    }
  }

  // TFLM's stock MicroAllocator::Create(arena, size), with the shortfall-noting arena allocator.
  std::memset(arena_, 0, arena_bytes_);
  State* s = state();
  s->arena = place_shortfall_arena(arena_, arena_bytes_);
  const int status = s->arena != nullptr ? allocate(model) : kTfLiteError;
  if (status != kTfLiteOk) {
    size_t needed = s->arena == nullptr ? arena_bytes_ + 1 : s->arena->needed_at_least();
    if (needed == 0 && s->arena->planner_scratch_taken()) needed = arena_bytes_ + 1;
    if (needed == 0) return refuse("TFLM cannot load the model (one of its ops refused its tensors)");
    arena_needed_at_least_ = needed;
    return refusef("the model's tensors do not fit this board's %u byte tensor arena (TFLM needs at least %u); "
                   "train a smaller model",
                   static_cast<uint32_t>(arena_bytes_), static_cast<uint32_t>(needed));
  }

  tflite::MicroInterpreter* interpreter = s->interpreter();
  if (interpreter->inputs_size() != 1 || interpreter->outputs_size() != 1) {
    return refusef("the model has %u inputs and %u outputs; the firmware runs models with one of each",
                   static_cast<uint32_t>(interpreter->inputs_size()),
                   static_cast<uint32_t>(interpreter->outputs_size()));
  }
  const TfLiteTensor* in = s->input = interpreter->input(0);
  const TfLiteTensor* out = s->output = interpreter->output(0);
  if (in == nullptr || out == nullptr || in->type != kTfLiteInt8 || out->type != kTfLiteInt8) {
    return refusef("the model's input is %s and its output %s; the firmware runs int8 models",
                   in == nullptr ? "missing" : TfLiteTypeGetName(in->type),
                   out == nullptr ? "missing" : TfLiteTypeGetName(out->type));
  }
  if (in->dims == nullptr || out->dims == nullptr || static_cast<size_t>(in->dims->size) > kMaxDims ||
      static_cast<size_t>(out->dims->size) > kMaxDims) {
    return refusef("the model's input or output has more than %u dimensions", static_cast<uint32_t>(kMaxDims));
  }
  loaded_ = true;
  // A kernel can still fail at its first Eval (a shape Prepare let through).
  std::memset(input(), 0, input_bytes());
  if (!invoke()) return refuse("the model fails its first inference in TFLM");
  return "";
}

int8_t* ModelRunner::input() { return loaded_ ? tflite::GetTensorData<int8_t>(state()->input) : nullptr; }
size_t ModelRunner::input_bytes() const { return loaded_ ? state()->input->bytes : 0; }
float ModelRunner::input_scale() const { return loaded_ ? state()->input->params.scale : 0.0f; }
int32_t ModelRunner::input_zero_point() const { return loaded_ ? state()->input->params.zero_point : 0; }
size_t ModelRunner::input_rank() const { return loaded_ ? static_cast<size_t>(state()->input->dims->size) : 0; }
int32_t ModelRunner::input_dim(size_t i) const { return i < input_rank() ? state()->input->dims->data[i] : 0; }

const int8_t* ModelRunner::output() const {
  return loaded_ ? tflite::GetTensorData<int8_t>(state()->output) : nullptr;
}
size_t ModelRunner::output_bytes() const { return loaded_ ? state()->output->bytes : 0; }
float ModelRunner::output_scale() const { return loaded_ ? state()->output->params.scale : 0.0f; }
int32_t ModelRunner::output_zero_point() const { return loaded_ ? state()->output->params.zero_point : 0; }
size_t ModelRunner::output_rank() const { return loaded_ ? static_cast<size_t>(state()->output->dims->size) : 0; }
int32_t ModelRunner::output_dim(size_t i) const { return i < output_rank() ? state()->output->dims->data[i] : 0; }

bool ModelRunner::invoke() { return loaded_ && state()->interpreter()->Invoke() == kTfLiteOk; }

size_t ModelRunner::arena_used_bytes() const {
  return loaded_ ? state()->interpreter()->arena_used_bytes() : 0;
}

size_t ModelRunner::registered_ops(const char** names, size_t max) const {
  size_t count = 0;
  for (int code = tflite::BuiltinOperator_MIN; code <= tflite::BuiltinOperator_MAX; ++code) {
    const auto op = static_cast<tflite::BuiltinOperator>(code);
    if (state()->resolver.FindOp(op) == nullptr) continue;
    if (count < max && names != nullptr) names[count] = tflite::EnumNameBuiltinOperator(op);
    ++count;
  }
  return count;
}

}  // namespace tflm
}  // namespace wandlab
