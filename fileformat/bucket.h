// Bucket: the aggregate of every sample in one [time, time + interval) cell of one counter level.
// A plain value type shared by every layer; merging is exact (counts and sums add, min/max
// combine), which is what makes staged deltas, late samples and query reduction commutative.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ringstat {

struct Bucket {
  uint64_t count = 0;  // 0 = no data
  double sum = 0;
  double sumsq = 0;
  double min = 0;
  double max = 0;

  bool empty() const { return count == 0; }

  static Bucket of_value(double value) { return Bucket{1, value, value * value, value, value}; }

  void merge(const Bucket& other) {
    if (other.count == 0) return;
    if (count == 0) {
      *this = other;
      return;
    }
    count += other.count;
    sum += other.sum;
    sumsq += other.sumsq;
    min = std::min(min, other.min);
    max = std::max(max, other.max);
  }

  double avg() const { return count == 0 ? 0 : sum / static_cast<double>(count); }

  // Sample standard deviation, clamped at 0 against rounding; 0 when count < 2 (spec/ingest.md).
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
