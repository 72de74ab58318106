// Embedding + DTW ranking's arithmetic: a take's int8 shape codes and the DTW cost between two takes.
//
// The C++ twin of app/wandlab/onboard/hybrid_rank.py (shape_codes, dtw_costs, fused_distances);
// tests/firmware/test_shape_dtw_twin.py feeds both the same windows (tests/firmware/shape_vectors.py) and
// requires the same DTW costs and fused distances exactly, and the same codes (both z-normalise in
// double; a value on a rounding edge could still round apart through summation order: +-1 allowed).
//
// Why it exists: on gesture sets the base model never saw, ranking the enrolled classes by embedding
// distance + DTW cost beats both alone (docs/ml.md "Embedding + DTW ranking"). The class table
// (ref_store.h) ranks with it when the query and every class have shape codes.
//
// Memory: no heap; dtw_cost keeps two rows of kMaxFrames int32 on the stack (256 B). Cost: frames^2 *
// channels multiply-adds and a 3-way minimum per cell (32 x 32 x 3 = 3,072 MACs per pair at 3 channels).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wandlab {
namespace shape {

constexpr int32_t kScale = 16;       // hybrid_rank.SHAPE_SCALE
constexpr size_t kStep = 2;          // hybrid_rank.SHAPE_STEP: 64 window points -> 32 frames
constexpr int64_t kDtwWeight = 600;  // hybrid_rank.DTW_WEIGHT
constexpr size_t kMaxFrames = 32;
constexpr size_t kMaxChannels = 6;

// The model's float window (points rows of `channels` values, row-major, imu_features::take_features)
// -> (points / kStep) x channels int8 codes: each channel z-normalised over all points, every kStep-th
// row kept, times kScale, rounded half to even (numpy's round), clipped to +-127. False (nothing
// written) if points / kStep > kMaxFrames, points is odd, or channels is 0 or > kMaxChannels.
bool shape_codes(const float* window, size_t points, size_t channels, int8_t* out);

// Full-window DTW between two takes' codes (frames x channels each), squared difference summed over the
// channels per cell; at most frames * channels * 254^2, so int32 for the sizes above. -1 if frames is 0
// or > kMaxFrames, or channels is 0 or > kMaxChannels.
int32_t dtw_cost(const int8_t* a, const int8_t* b, size_t frames, size_t channels);

// embedding distance + dtw * kDtwWeight / (kScale^2 * channels), floor division (both non-negative).
int64_t fused_distance(int64_t embedding_distance, int32_t dtw, size_t channels);

}  // namespace shape
}  // namespace wandlab
