#include "net/http/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "base/verify.h"

namespace ringstat {
namespace {

uint64_t saturating_add(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

}  // namespace

size_t LatencyHistogram::bucket_index(uint64_t value_ns) {
  if (value_ns < kLatencyExactLimit_ns) return static_cast<size_t>(value_ns);
  const uint64_t clamped = std::min(value_ns, kLatencyTrackedLimit_ns - 1);
  // The power of two holding the value, and its position among that power's sub-buckets.
  const int exponent = static_cast<int>(std::bit_width(clamped)) - 1;  // >= bits + 1
  const int shift = exponent - kLatencySubBucketBits;
  const uint64_t sub_bucket = (clamped >> shift) - kLatencySubBuckets;
  const auto group = static_cast<size_t>(exponent - kLatencySubBucketBits - 1);
  return static_cast<size_t>(kLatencyExactLimit_ns) + group * kLatencySubBuckets +
         static_cast<size_t>(sub_bucket);
}

uint64_t LatencyHistogram::bucket_lowest_ns(size_t index) {
  VERIFY(index < kLatencyBucketCount);
  if (index < kLatencyExactLimit_ns) return index;
  const size_t offset = index - static_cast<size_t>(kLatencyExactLimit_ns);
  const auto group = static_cast<int>(offset / kLatencySubBuckets);
  const uint64_t sub_bucket = offset % kLatencySubBuckets;
  const int shift = group + 1;
  return (kLatencySubBuckets + sub_bucket) << shift;
}

uint64_t LatencyHistogram::bucket_highest_ns(size_t index) {
  if (index + 1 == kLatencyBucketCount) return kLatencyTrackedLimit_ns - 1;
  return bucket_lowest_ns(index + 1) - 1;
}

void LatencyHistogram::record(uint64_t value_ns) {
  ++buckets_[bucket_index(value_ns)];
  const auto bound = std::lower_bound(kLatencyBounds_ns.begin(), kLatencyBounds_ns.end(), value_ns);
  if (bound != kLatencyBounds_ns.end())
    ++bound_counts_[static_cast<size_t>(bound - kLatencyBounds_ns.begin())];
  ++count_;
  sum_ns_ = saturating_add(sum_ns_, value_ns);
  min_ns_ = std::min(min_ns_, value_ns);
  max_ns_ = std::max(max_ns_, value_ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kLatencyBucketCount; ++i) buckets_[i] += other.buckets_[i];
  for (size_t i = 0; i < kLatencyBoundCount; ++i) bound_counts_[i] += other.bound_counts_[i];
  count_ += other.count_;
  sum_ns_ = saturating_add(sum_ns_, other.sum_ns_);
  min_ns_ = std::min(min_ns_, other.min_ns_);
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

uint64_t LatencyHistogram::percentile_ns(double percent) const {
  VERIFY(percent >= 0 && percent <= 100);
  if (count_ == 0) return 0;
  const double wanted = std::ceil(percent / 100.0 * static_cast<double>(count_));
  const uint64_t rank = std::clamp(static_cast<uint64_t>(wanted), uint64_t{1}, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kLatencyBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(bucket_highest_ns(i), min_ns_, max_ns_);
  }
  VERIFY(false);  // the buckets hold count_ values
  return max_ns_;
}

std::array<uint64_t, kLatencyBoundCount> LatencyHistogram::cumulative_bound_counts() const {
  std::array<uint64_t, kLatencyBoundCount> cumulative{};
  uint64_t running = 0;
  for (size_t i = 0; i < kLatencyBoundCount; ++i) {
    running += bound_counts_[i];
    cumulative[i] = running;
  }
  return cumulative;
}

void LatencyHistogram::write_prometheus(PrometheusWriter& writer, MetricLabels labels) const {
  const std::array<uint64_t, kLatencyBoundCount> cumulative = cumulative_bound_counts();
  HistogramSnapshot snapshot;
  snapshot.upper_bounds = kLatencyBounds_s;
  snapshot.cumulative_counts = cumulative;
  snapshot.sum = static_cast<double>(sum_ns_) / 1e9;
  snapshot.count = count_;
  writer.histogram(labels, snapshot);
}

}  // namespace ringstat
