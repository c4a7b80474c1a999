// PrometheusWriter: the Prometheus text exposition format 0.0.4 for `GET /metrics`
// (docs/http-api.md): `# HELP` and `# TYPE` once per family before its samples, escaped label
// values, `_total` counters, cumulative histograms. Appends to a caller's string; metric and
// label names are the program's own, so a bad one is a VERIFY. Single-threaded pure code.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>

namespace ringstat {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

struct MetricLabel {
  std::string_view name;
  std::string_view value;  // any bytes; escaped on output
};
using MetricLabels = std::initializer_list<MetricLabel>;

// One histogram series: cumulative counts for each finite upper bound (ascending), then the
// total, which is also the `+Inf` bucket. Bounds and sum are in the metric's unit (seconds).
struct HistogramSnapshot {
  std::span<const double> upper_bounds;
  std::span<const uint64_t> cumulative_counts;  // one per bound, non-decreasing, <= count
  double sum = 0;
  uint64_t count = 0;
};

class PrometheusWriter {
 public:
  explicit PrometheusWriter(std::string& out) : out_(out) {}

  // Starts a family: `# HELP name help` and `# TYPE name type`. Samples that follow belong to
  // it. A counter's name ends in `_total`; a name may start only one family.
  void family(std::string_view name, std::string_view help, MetricType type);

  // `name{labels} value` for the current counter or gauge family. Integers are written exactly;
  // doubles in the shortest form that reads back the same, non-finite ones as +Inf, -Inf, NaN.
  // Any integer type (so a uint32_t or size_t counter is not ambiguous between the overloads).
  template <std::integral T>
  void sample(MetricLabels labels, T value) {
    if constexpr (std::is_signed_v<T>) {
      sample_integer(labels, static_cast<int64_t>(value));
    } else {
      sample_unsigned(labels, static_cast<uint64_t>(value));
    }
  }
  void sample(MetricLabels labels, double value);

  // `name_bucket{labels,le="..."}` for each bound and `+Inf`, then `name_sum` and `name_count`,
  // for the current histogram family. The labels may not include `le`.
  void histogram(MetricLabels labels, const HistogramSnapshot& snapshot);

 private:
  void sample_unsigned(MetricLabels labels, uint64_t value);
  void sample_integer(MetricLabels labels, int64_t value);
  void begin_sample(std::string_view suffix, MetricLabels labels, std::string_view le);

  std::string& out_;
  std::string family_;  // current family's name; empty before the first
  MetricType type_ = MetricType::kGauge;
  std::unordered_set<std::string> families_;
};

// Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]*, and
// names starting with `__` are reserved.
bool is_valid_metric_name(std::string_view name);
bool is_valid_label_name(std::string_view name);

// A label value with `\`, `"` and newline escaped as `\\`, `\"`, `\n`.
void append_label_value(std::string& out, std::string_view value);
// A HELP text with `\` and newline escaped.
void append_help_text(std::string& out, std::string_view help);
// A sample value or bound as the Go reference client writes it (strconv.FormatFloat 'g', -1):
// 0.25, 0.0001, 1e-05, 123456.7, 1e+06; +Inf, -Inf, NaN; negative zero as 0.
void append_metric_value(std::string& out, double value);

}  // namespace ringstat
