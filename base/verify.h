// VERIFY: assertions that stay on in release builds.
// The lowest layer of ringstat, so every other layer may use it. A failed VERIFY is a programmer
// error: it prints file, line and the condition, then aborts. Expected failures are values instead.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace ringstat {

[[noreturn]] inline void verify_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "VERIFY failed: %s at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace ringstat

#define VERIFY(condition)                                        \
  do {                                                           \
    if (!(condition)) [[unlikely]]                               \
      ::ringstat::verify_failed(#condition, __FILE__, __LINE__); \
  } while (0)
