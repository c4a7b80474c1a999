// Bucket: the aggregate of every sample in one [time, time + interval) cell of one counter level.
// A plain value type shared by every layer; merging is exact (counts and sums add, min/max
// combine), which is what makes staged deltas, late samples and query reduction commutative.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

#include "base/integer_math.h"

namespace ringstat {

struct Bucket {
  uint64_t count = 0;  // 0 = no data
  double sum = 0;
  double sumsq = 0;
  double min = 0;
  double max = 0;

  bool empty() const { return count == 0; }

  static Bucket of_value(double value) { return Bucket{1, value, value * value, value, value}; }

  // True when merging `other` would leave the exact, finite range: the count would wrap or the
  // sum or sum of squares would turn infinite. Ingest checks this before it accepts a sample, so
  // whatever ingest accepts, pages, snapshots and recovery can hold (docs/protocols.md, overflow).
  bool merge_would_overflow(const Bucket& other) const {
    if (other.count == 0) return false;
    if (!other.is_finite()) return true;
    if (count == 0) return false;
    uint64_t total = 0;
    if (__builtin_add_overflow(count, other.count, &total)) return true;
    return !std::isfinite(sum + other.sum) || !std::isfinite(sumsq + other.sumsq);
  }

  bool is_finite() const {
    return std::isfinite(sum) && std::isfinite(sumsq) && std::isfinite(min) && std::isfinite(max);
  }

  // Exact while merge_would_overflow() is false. Past that the result saturates (count at its
  // largest value, sums at the largest finite double) instead of wrapping, and the return value
  // says so: merges that happen after ingest accepted both parts (a late bucket into its page, a
  // query's cells) stay representable and never crash a reader.
  bool merge(const Bucket& other) {
    if (other.count == 0) return false;
    if (count == 0) {
      *this = other;
      return false;
    }
    bool saturated = __builtin_add_overflow(count, other.count, &count);
    if (saturated) count = std::numeric_limits<uint64_t>::max();
    sum += other.sum;
    sumsq += other.sumsq;
    if (!std::isfinite(sum)) {
      sum = std::copysign(DBL_MAX, sum);
      saturated = true;
    }
    if (!std::isfinite(sumsq)) {
      sumsq = DBL_MAX;
      saturated = true;
    }
    min = std::min(min, other.min);
    max = std::max(max, other.max);
    return saturated;
  }

  double avg() const { return count == 0 ? 0 : sum / static_cast<double>(count); }

  // Sample standard deviation, clamped at 0 against rounding; 0 if count < 2 (docs/protocols.md).
  double sdev() const {
    if (count < 2) return 0;
    const double n = static_cast<double>(count);
    const double variance = (n * sumsq - sum * sum) / (n * (n - 1));
    return std::sqrt(std::max(0.0, variance));
  }

  friend bool operator==(const Bucket&, const Bucket&) = default;
};

// A bucket together with its start time (unix seconds, a multiple of the interval it belongs to).
struct TimedBucket {
  int64_t time = 0;
  Bucket bucket;
  friend bool operator==(const TimedBucket&, const TimedBucket&) = default;
};

}  // namespace ringstat
