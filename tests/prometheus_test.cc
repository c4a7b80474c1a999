// The Prometheus text format 0.0.4 writer: families, samples, escaping, values, histograms.
#include "net/http/prometheus.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

namespace ringstat {
namespace {

TEST_CASE("a counter family: HELP and TYPE once, then its samples") {
  std::string out;
  PrometheusWriter writer(out);
  writer.family("ringstat_samples_accepted_total", "Samples stored.", MetricType::kCounter);
  writer.sample({{"listener", "tcp"}}, uint64_t{12});
  writer.sample({{"listener", "udp"}}, uint64_t{0});
  CHECK(out ==
        "# HELP ringstat_samples_accepted_total Samples stored.\n"
        "# TYPE ringstat_samples_accepted_total counter\n"
        "ringstat_samples_accepted_total{listener=\"tcp\"} 12\n"
        "ringstat_samples_accepted_total{listener=\"udp\"} 0\n");
}

TEST_CASE("a gauge without labels, with integer and double values") {
  std::string out;
  PrometheusWriter writer(out);
  writer.family("ringstat_counters", "Live counters.", MetricType::kGauge);
  writer.sample({}, int64_t{-3});
  writer.sample({{"shard", "1"}}, 0.25);
  CHECK(out ==
        "# HELP ringstat_counters Live counters.\n"
        "# TYPE ringstat_counters gauge\n"
        "ringstat_counters -3\n"
        "ringstat_counters{shard=\"1\"} 0.25\n");
}

TEST_CASE("every integer type is written exactly") {
  std::string out;
  PrometheusWriter writer(out);
  writer.family("g", "G.", MetricType::kGauge);
  writer.sample({}, uint32_t{7});
  writer.sample({}, size_t{8});
  writer.sample({}, int{-9});
  writer.sample({}, INT64_MIN);
  writer.sample({}, uint64_t{1} << 60);
  CHECK(out ==
        "# HELP g G.\n# TYPE g gauge\ng 7\ng 8\ng -9\ng -9223372036854775808\n"
        "g 1152921504606846976\n");
}

TEST_CASE("several labels keep their order and are comma-separated") {
  std::string out;
  PrometheusWriter writer(out);
  writer.family("http_requests_total", "Requests.", MetricType::kCounter);
  writer.sample({{"path", "/x"}, {"code", "200"}}, uint64_t{UINT64_MAX});
  CHECK(out.ends_with("http_requests_total{path=\"/x\",code=\"200\"} 18446744073709551615\n"));
}

TEST_CASE("label values escape backslash, quote and newline only") {
  std::string out;
  append_label_value(out, "a\\b\"c\nd\te");
  CHECK(out == "a\\\\b\\\"c\\nd\te");
}

TEST_CASE("HELP text escapes backslash and newline but not quotes") {
  std::string out;
  PrometheusWriter writer(out);
  writer.family("x", "line \"one\"\nback\\slash", MetricType::kGauge);
  CHECK(out == "# HELP x line \"one\"\\nback\\\\slash\n# TYPE x gauge\n");
}

TEST_CASE("values are written as Go's FormatFloat g -1 writes them, with Go's infinities") {
  const std::pair<double, const char*> cases[] = {
      {0.0, "0"},
      {-0.0, "0"},
      {1.5, "1.5"},
      {0.1, "0.1"},
      {1e21, "1e+21"},
      {1e6, "1e+06"},
      {1234567, "1.234567e+06"},
      {123456.7, "123456.7"},
      {100000, "100000"},
      {0.0001, "0.0001"},
      {0.0005, "0.0005"},
      {0.00001, "1e-05"},
      {-2.5e-7, "-2.5e-07"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"}};
  for (const auto& [value, text] : cases) {
    std::string out;
    append_metric_value(out, value);
    CHECK(out == text);
  }
}

TEST_CASE("a histogram: cumulative buckets, +Inf equal to the count, sum and count") {
  std::string out;
  PrometheusWriter writer(out);
  writer.family("http_request_seconds", "Request latency.", MetricType::kHistogram);
  const double bounds[] = {0.001, 0.25, 1};
  const uint64_t counts[] = {2, 5, 5};
  writer.histogram({{"code", "200"}}, HistogramSnapshot{bounds, counts, 1.75, 7});
  writer.histogram({}, HistogramSnapshot{bounds, {counts, 3}, 0, 5});
  CHECK(out ==
        "# HELP http_request_seconds Request latency.\n"
        "# TYPE http_request_seconds histogram\n"
        "http_request_seconds_bucket{code=\"200\",le=\"0.001\"} 2\n"
        "http_request_seconds_bucket{code=\"200\",le=\"0.25\"} 5\n"
        "http_request_seconds_bucket{code=\"200\",le=\"1\"} 5\n"
        "http_request_seconds_bucket{code=\"200\",le=\"+Inf\"} 7\n"
        "http_request_seconds_sum{code=\"200\"} 1.75\n"
        "http_request_seconds_count{code=\"200\"} 7\n"
        "http_request_seconds_bucket{le=\"0.001\"} 2\n"
        "http_request_seconds_bucket{le=\"0.25\"} 5\n"
        "http_request_seconds_bucket{le=\"1\"} 5\n"
        "http_request_seconds_bucket{le=\"+Inf\"} 5\n"
        "http_request_seconds_sum 0\n"
        "http_request_seconds_count 5\n");
}

TEST_CASE("several families follow each other, each introduced once") {
  std::string out;
  PrometheusWriter writer(out);
  writer.family("a_total", "A.", MetricType::kCounter);
  writer.sample({}, uint64_t{1});
  writer.family("b", "B.", MetricType::kGauge);
  writer.sample({}, uint64_t{2});
  CHECK(out ==
        "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"
        "# HELP b B.\n# TYPE b gauge\nb 2\n");
  CHECK(out.back() == '\n');
}

TEST_CASE("metric and label name rules") {
  CHECK(is_valid_metric_name("ringstat_wal_bytes_total"));
  CHECK(is_valid_metric_name("a:b_c"));
  CHECK(is_valid_metric_name("_x"));
  CHECK_FALSE(is_valid_metric_name(""));
  CHECK_FALSE(is_valid_metric_name("1abc"));
  CHECK_FALSE(is_valid_metric_name("a-b"));
  CHECK_FALSE(is_valid_metric_name("a.b"));
  CHECK(is_valid_label_name("code"));
  CHECK(is_valid_label_name("_x1"));
  CHECK_FALSE(is_valid_label_name("__name__"));
  CHECK_FALSE(is_valid_label_name("a:b"));
  CHECK_FALSE(is_valid_label_name("9"));
}

}  // namespace
}  // namespace ringstat
