#include "net/http/prometheus.h"

#include <charconv>
#include <cmath>

#include "base/verify.h"

namespace ringstat {
namespace {

// Room for any double in shortest fixed form with exponent below kGoShortestExponentLimit, and
// in scientific form.
constexpr size_t kFloatCharsMax = 64;
// Go switches its shortest 'g' format to an exponent from 1e+06 up.
constexpr int kGoShortestExponentLimit = 6;

bool is_name_start(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) {
  return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty() || !is_name_start(name.front(), allow_colon)) return false;
  for (const char c : name) {
    if (!is_name_char(c, allow_colon)) return false;
  }
  return true;
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

bool is_valid_metric_name(std::string_view name) { return is_valid_name(name, true); }

bool is_valid_label_name(std::string_view name) {
  return is_valid_name(name, false) && !name.starts_with("__");
}

void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '"':
        out.append("\\\"");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_help_text(std::string& out, std::string_view help) {
  for (const char c : help) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_metric_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (value == 0) value = 0;  // "-0" means nothing here
  // Go's strconv.FormatFloat(v, 'g', -1, 64), which the reference client uses for values and
  // `le` bounds: the shortest digits that read back, in exponent form when the decimal exponent
  // is below -4 or at least 6 (0.0001, 123456.7, 1e+06, 1e-05), else in plain form.
  char buffer[kFloatCharsMax];
  const auto scientific =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  VERIFY(scientific.ec == std::errc());
  const std::string_view text(buffer, static_cast<size_t>(scientific.ptr - buffer));
  const size_t e = text.find('e');
  VERIFY(e != std::string_view::npos && e + 2 < text.size());
  int exponent = 0;
  const char* digits_begin = text.data() + e + 2;  // after "e+" or "e-"
  const auto parsed = std::from_chars(digits_begin, text.data() + text.size(), exponent);
  VERIFY(parsed.ec == std::errc());
  if (text[e + 1] == '-') exponent = -exponent;
  if (exponent < -4 || exponent >= kGoShortestExponentLimit) {
    out.append(text);
    return;
  }
  const auto fixed =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  VERIFY(fixed.ec == std::errc());
  out.append(buffer, static_cast<size_t>(fixed.ptr - buffer));
}

void PrometheusWriter::family(std::string_view name, std::string_view help, MetricType type) {
  VERIFY(is_valid_metric_name(name));
  VERIFY(type != MetricType::kCounter || name.ends_with("_total"));
  const bool first_time = families_.emplace(name).second;
  VERIFY(first_time);
  family_ = std::string(name);
  type_ = type;
  out_.append("# HELP ");
  out_.append(name);
  out_.push_back(' ');
  append_help_text(out_, help);
  out_.append("\n# TYPE ");
  out_.append(name);
  out_.push_back(' ');
  out_.append(type_name(type));
  out_.push_back('\n');
}

void PrometheusWriter::begin_sample(std::string_view suffix, MetricLabels labels,
                                    std::string_view le) {
  out_.append(family_);
  out_.append(suffix);
  if (labels.size() != 0 || !le.empty()) {
    out_.push_back('{');
    bool first = true;
    for (const MetricLabel& label : labels) {
      VERIFY(is_valid_label_name(label.name));
      VERIFY(label.name != "le" || type_ != MetricType::kHistogram);
      if (!first) out_.push_back(',');
      first = false;
      out_.append(label.name);
      out_.append("=\"");
      append_label_value(out_, label.value);
      out_.push_back('"');
    }
    if (!le.empty()) {
      if (!first) out_.push_back(',');
      out_.append("le=\"");
      out_.append(le);
      out_.push_back('"');
    }
    out_.push_back('}');
  }
  out_.push_back(' ');
}

void PrometheusWriter::sample_unsigned(MetricLabels labels, uint64_t value) {
  VERIFY(!family_.empty() && type_ != MetricType::kHistogram);
  begin_sample("", labels, "");
  out_.append(std::to_string(value));
  out_.push_back('\n');
}

void PrometheusWriter::sample_integer(MetricLabels labels, int64_t value) {
  VERIFY(!family_.empty() && type_ != MetricType::kHistogram);
  VERIFY(type_ != MetricType::kCounter || value >= 0);
  begin_sample("", labels, "");
  out_.append(std::to_string(value));
  out_.push_back('\n');
}

void PrometheusWriter::sample(MetricLabels labels, double value) {
  VERIFY(!family_.empty() && type_ != MetricType::kHistogram);
  begin_sample("", labels, "");
  append_metric_value(out_, value);
  out_.push_back('\n');
}

void PrometheusWriter::histogram(MetricLabels labels, const HistogramSnapshot& snapshot) {
  VERIFY(!family_.empty() && type_ == MetricType::kHistogram);
  VERIFY(snapshot.upper_bounds.size() == snapshot.cumulative_counts.size());
  std::string le;
  uint64_t previous = 0;
  for (size_t i = 0; i < snapshot.upper_bounds.size(); ++i) {
    VERIFY(i == 0 || snapshot.upper_bounds[i] > snapshot.upper_bounds[i - 1]);
    VERIFY(std::isfinite(snapshot.upper_bounds[i]));
    VERIFY(snapshot.cumulative_counts[i] >= previous);
    previous = snapshot.cumulative_counts[i];
    le.clear();
    append_metric_value(le, snapshot.upper_bounds[i]);
    begin_sample("_bucket", labels, le);
    out_.append(std::to_string(snapshot.cumulative_counts[i]));
    out_.push_back('\n');
  }
  VERIFY(snapshot.count >= previous);
  begin_sample("_bucket", labels, "+Inf");
  out_.append(std::to_string(snapshot.count));
  out_.push_back('\n');
  begin_sample("_sum", labels, "");
  append_metric_value(out_, snapshot.sum);
  out_.push_back('\n');
  begin_sample("_count", labels, "");
  out_.append(std::to_string(snapshot.count));
  out_.push_back('\n');
}

}  // namespace ringstat
