// Integer division that rounds toward negative infinity (and its ceiling twin), for bucket indices
// and calendar arithmetic. Pure constexpr functions, safe from any thread.
#pragma once

#include <cstdint>

namespace ringstat {

// Floor division for bucket indices: istatd truncated toward zero and lost data for samples
// older than a file's epoch. Invariant 1 (docs/architecture.md): index = floor(t / interval).
constexpr int64_t floor_div(int64_t numerator, int64_t denominator) {
  int64_t quotient = numerator / denominator;
  if ((numerator % denominator != 0) && ((numerator < 0) != (denominator < 0))) --quotient;
  return quotient;
}

constexpr int64_t ceil_div(int64_t numerator, int64_t denominator) {
  return -floor_div(-numerator, denominator);
}

}  // namespace ringstat
