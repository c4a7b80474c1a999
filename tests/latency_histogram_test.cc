// LatencyHistogram: bucket layout, percentiles within 1/128, merging, the Prometheus bounds.
#include "net/http/latency_histogram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace ringstat {
namespace {

TEST_CASE("an empty histogram answers zero everywhere") {
  const LatencyHistogram histogram;
  CHECK(histogram.count() == 0);
  CHECK(histogram.sum_ns() == 0);
  CHECK(histogram.min_ns() == 0);
  CHECK(histogram.max_ns() == 0);
  CHECK(histogram.percentile_ns(50) == 0);
  CHECK(histogram.percentile_ns(100) == 0);
  for (const uint64_t count : histogram.cumulative_bound_counts()) CHECK(count == 0);
}

TEST_CASE("buckets tile the value range without gaps or overlaps") {
  CHECK(LatencyHistogram::bucket_lowest_ns(0) == 0);
  for (size_t i = 0; i + 1 < kLatencyBucketCount; ++i) {
    CAPTURE(i);
    const uint64_t lowest = LatencyHistogram::bucket_lowest_ns(i);
    const uint64_t highest = LatencyHistogram::bucket_highest_ns(i);
    REQUIRE(highest >= lowest);
    REQUIRE(LatencyHistogram::bucket_lowest_ns(i + 1) == highest + 1);
    REQUIRE(LatencyHistogram::bucket_index(lowest) == i);
    REQUIRE(LatencyHistogram::bucket_index(highest) == i);
    // Log-linear: a bucket is at most 1/128 of its lowest value wide (exact below 256).
    if (lowest >= kLatencyExactLimit_ns) REQUIRE((highest - lowest + 1) * 128 <= lowest);
  }
  CHECK(LatencyHistogram::bucket_highest_ns(kLatencyBucketCount - 1) ==
        kLatencyTrackedLimit_ns - 1);
}

TEST_CASE("values below 256 ns each have their own bucket") {
  for (uint64_t value = 0; value < kLatencyExactLimit_ns; ++value) {
    CHECK(LatencyHistogram::bucket_index(value) == value);
  }
  CHECK(LatencyHistogram::bucket_index(256) == 256);
  CHECK(LatencyHistogram::bucket_index(257) == 256);  // 256..257 share a 2 ns bucket
  CHECK(LatencyHistogram::bucket_index(258) == 257);
}

TEST_CASE("values beyond the tracked range share the last bucket and keep exact totals") {
  LatencyHistogram histogram;
  const uint64_t huge = uint64_t{1} << 50;
  histogram.record(huge);
  CHECK(LatencyHistogram::bucket_index(huge) == kLatencyBucketCount - 1);
  CHECK(LatencyHistogram::bucket_index(UINT64_MAX) == kLatencyBucketCount - 1);
  CHECK(histogram.count() == 1);
  CHECK(histogram.max_ns() == huge);
  CHECK(histogram.sum_ns() == huge);
  CHECK(histogram.percentile_ns(100) == huge);
  CHECK(histogram.percentile_ns(50) == huge);  // clamped to [min, max]
}

TEST_CASE("percentiles of small values are exact") {
  LatencyHistogram histogram;
  for (uint64_t value = 1; value <= 100; ++value) histogram.record(value);
  CHECK(histogram.percentile_ns(0) == 1);
  CHECK(histogram.percentile_ns(1) == 1);
  CHECK(histogram.percentile_ns(50) == 50);
  CHECK(histogram.percentile_ns(50.5) == 51);
  CHECK(histogram.percentile_ns(99) == 99);
  CHECK(histogram.percentile_ns(100) == 100);
  CHECK(histogram.min_ns() == 1);
  CHECK(histogram.sum_ns() == 5050);
}

TEST_CASE("percentiles of spread values are within 1/128 of the exact rank") {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(std::log(2e6), 1.5);  // around 2 ms
  LatencyHistogram histogram;
  std::vector<uint64_t> values;
  for (int i = 0; i < 20'000; ++i) {
    const auto value = static_cast<uint64_t>(latency(random));
    values.push_back(value);
    histogram.record(value);
  }
  std::sort(values.begin(), values.end());
  for (const double percent : {0.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    CAPTURE(percent);
    const auto rank = std::max<size_t>(
        1, static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(values.size()))));
    const uint64_t exact = values[rank - 1];
    const uint64_t estimate = histogram.percentile_ns(percent);
    CHECK(estimate >= exact);
    CHECK(estimate - exact <= exact / 128 + 1);
  }
  CHECK(histogram.percentile_ns(100) == values.back());
  CHECK(histogram.max_ns() == values.back());
  CHECK(histogram.min_ns() == values.front());
}

TEST_CASE("merging equals recording everything into one histogram") {
  std::mt19937_64 random(11);
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram all;
  for (int i = 0; i < 5000; ++i) {
    const uint64_t value = random() % 20'000'000'000;
    (i % 3 == 0 ? a : b).record(value);
    all.record(value);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.sum_ns() == all.sum_ns());
  CHECK(a.min_ns() == all.min_ns());
  CHECK(a.max_ns() == all.max_ns());
  CHECK(a.cumulative_bound_counts() == all.cumulative_bound_counts());
  for (const double percent : {1.0, 25.0, 50.0, 75.0, 99.0}) {
    CHECK(a.percentile_ns(percent) == all.percentile_ns(percent));
  }
  LatencyHistogram empty;
  empty.merge(all);
  CHECK(empty.min_ns() == all.min_ns());
}

TEST_CASE("Prometheus bound counts are exact at each bound, not rounded to buckets") {
  LatencyHistogram histogram;
  histogram.record(100'000);         // exactly 100 us: le="0.0001"
  histogram.record(100'001);         // just above it
  histogram.record(10'000'000'000);  // exactly 10 s: the last bound
  histogram.record(10'000'000'001);  // only in +Inf
  const auto counts = histogram.cumulative_bound_counts();
  CHECK(counts[0] == 1);
  CHECK(counts[1] == 2);
  CHECK(counts[kLatencyBoundCount - 2] == 2);
  CHECK(counts[kLatencyBoundCount - 1] == 3);
  CHECK(histogram.count() == 4);
}

TEST_CASE("the histogram writes itself as a Prometheus histogram in seconds") {
  LatencyHistogram histogram;
  histogram.record(50'000);
  histogram.record(300'000'000);
  std::string out;
  PrometheusWriter writer(out);
  writer.family("http_request_seconds", "Request latency.", MetricType::kHistogram);
  histogram.write_prometheus(writer, {});
  CHECK(out ==
        "# HELP http_request_seconds Request latency.\n"
        "# TYPE http_request_seconds histogram\n"
        "http_request_seconds_bucket{le=\"0.0001\"} 1\n"
        "http_request_seconds_bucket{le=\"0.00025\"} 1\n"
        "http_request_seconds_bucket{le=\"0.0005\"} 1\n"
        "http_request_seconds_bucket{le=\"0.001\"} 1\n"
        "http_request_seconds_bucket{le=\"0.0025\"} 1\n"
        "http_request_seconds_bucket{le=\"0.005\"} 1\n"
        "http_request_seconds_bucket{le=\"0.01\"} 1\n"
        "http_request_seconds_bucket{le=\"0.025\"} 1\n"
        "http_request_seconds_bucket{le=\"0.05\"} 1\n"
        "http_request_seconds_bucket{le=\"0.1\"} 1\n"
        "http_request_seconds_bucket{le=\"0.25\"} 1\n"
        "http_request_seconds_bucket{le=\"0.5\"} 2\n"
        "http_request_seconds_bucket{le=\"1\"} 2\n"
        "http_request_seconds_bucket{le=\"2.5\"} 2\n"
        "http_request_seconds_bucket{le=\"5\"} 2\n"
        "http_request_seconds_bucket{le=\"10\"} 2\n"
        "http_request_seconds_bucket{le=\"+Inf\"} 2\n"
        "http_request_seconds_sum 0.30005\n"
        "http_request_seconds_count 2\n");
}

TEST_CASE("the sum saturates instead of wrapping") {
  LatencyHistogram histogram;
  histogram.record(UINT64_MAX - 1);
  histogram.record(5);
  CHECK(histogram.sum_ns() == UINT64_MAX);
  CHECK(histogram.count() == 2);
}

TEST_CASE("reset forgets everything") {
  LatencyHistogram histogram;
  histogram.record(1000);
  histogram.reset();
  CHECK(histogram.count() == 0);
  CHECK(histogram.percentile_ns(50) == 0);
  CHECK(histogram.cumulative_bound_counts()[0] == 0);
}

TEST_CASE("the bounds in seconds and nanoseconds agree") {
  for (size_t i = 0; i < kLatencyBoundCount; ++i) {
    CHECK(std::llround(kLatencyBounds_s[i] * 1e9) == static_cast<long long>(kLatencyBounds_ns[i]));
  }
}

}  // namespace
}  // namespace ringstat
