// LatencyHistogram: a fixed-size log-linear histogram of durations in nanoseconds (HdrHistogram's
// layout: every power of two split into 128 linear sub-buckets, so a percentile is within 1/128
// of the true value), plus exact counts for the fixed Prometheus `le` bounds of `/metrics`.
// Used for HTTP request latency and by the perf harness. Single-threaded: each reactor keeps its
// own and they are merged when asked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "net/http/prometheus.h"

namespace ringstat {

// Sub-buckets per power of two: 2^7.
inline constexpr int kLatencySubBucketBits = 7;
inline constexpr uint64_t kLatencySubBuckets = uint64_t{1} << kLatencySubBucketBits;
// Values below 2^(bits + 1) = 256 ns each have a bucket of their own.
inline constexpr uint64_t kLatencyExactLimit_ns = kLatencySubBuckets * 2;
// Values from 2^40 ns (about 18 minutes) up share the last bucket; count, sum, max and the
// Prometheus counts stay exact for them.
inline constexpr int kLatencyTrackedBits = 40;
inline constexpr uint64_t kLatencyTrackedLimit_ns = uint64_t{1} << kLatencyTrackedBits;
inline constexpr size_t kLatencyBucketCount =
    kLatencyExactLimit_ns +
    static_cast<size_t>(kLatencyTrackedBits - kLatencySubBucketBits - 1) * kLatencySubBuckets;
static_assert(kLatencyBucketCount == 4352);  // 34 KiB of counts

// The `le` bounds exported to Prometheus: 100 us to 10 s.
inline constexpr size_t kLatencyBoundCount = 16;
inline constexpr std::array<uint64_t, kLatencyBoundCount> kLatencyBounds_ns = {
    100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
    10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
    1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
inline constexpr std::array<double, kLatencyBoundCount> kLatencyBounds_s = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

class LatencyHistogram {
 public:
  void record(uint64_t value_ns);
  void merge(const LatencyHistogram& other);
  void reset() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t sum_ns() const { return sum_ns_; }  // saturates at UINT64_MAX
  uint64_t min_ns() const { return count_ == 0 ? 0 : min_ns_; }
  uint64_t max_ns() const { return max_ns_; }

  // A value that at least `percent` (0..100) of the recorded values do not exceed: the highest
  // value of the bucket holding the ceil(percent / 100 * count)-th smallest value (at least the
  // first), kept within [min, max]. Within 1/128 of the exact answer; exact below 256 ns and for
  // 100. 0 when nothing was recorded.
  uint64_t percentile_ns(double percent) const;

  // For each of kLatencyBounds_ns, how many values were <= it: exact, not bucket-rounded.
  std::array<uint64_t, kLatencyBoundCount> cumulative_bound_counts() const;

  // `name_bucket`, `name_sum` (seconds) and `name_count` into the writer's current histogram
  // family.
  void write_prometheus(PrometheusWriter& writer, MetricLabels labels) const;

  // The bucket layout, exposed for tests: the index of a value, and a bucket's value range.
  static size_t bucket_index(uint64_t value_ns);
  static uint64_t bucket_lowest_ns(size_t index);
  static uint64_t bucket_highest_ns(size_t index);

 private:
  std::array<uint64_t, kLatencyBucketCount> buckets_{};
  // bound_counts_[i]: values in (kLatencyBounds_ns[i-1], kLatencyBounds_ns[i]].
  std::array<uint64_t, kLatencyBoundCount> bound_counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
};

}  // namespace ringstat
