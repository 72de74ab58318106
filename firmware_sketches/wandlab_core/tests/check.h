// The host tests' one assertion: count every check, print the ones that fail, keep going; main() prints
// "N checks, F failures" (what tests/firmware/*.py look for) and returns non-zero on any failure.
#pragma once

#include <cstdio>

namespace wandlab_test {

inline int g_checks = 0;
inline int g_failures = 0;

inline void check(bool ok, const char* what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL: %s\n", what);
  }
}

}  // namespace wandlab_test
