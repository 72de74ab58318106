// The native board's clock: CLOCK_MONOTONIC, as the 32-bit microseconds the Board uses and as a
// 64-bit count for what must not wrap (a SimUnplug can last longer than 71 minutes).
#pragma once

#include <time.h>

#include <cstdint>

#include "board_io.h"

namespace wandlab {
namespace native {

class MonotonicClock : public board::Clock {
 public:
  uint32_t micros() const override { return static_cast<uint32_t>(micros64()); }
  uint64_t micros64() const {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  }
};

}  // namespace native
}  // namespace wandlab
