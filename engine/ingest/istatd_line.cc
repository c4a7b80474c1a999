#include "engine/ingest/istatd_line.h"

#include <cmath>
#include <optional>

#include "base/verify.h"
#include "engine/ingest/counter_name.h"
#include "engine/ingest/number_parse.h"

namespace ringstat {
namespace {

bool is_reserved_first_char(char c) {
  return c == '@' || c == '$' || c == '%' || c == '&' || c == ';' || c == ':';
}

// Each parser below fills one named LineResult and returns it on every path, so it is built in the
// caller's storage (NRVO) rather than copied.
void parse_meta(std::string_view text, LineResult& result) {
  size_t key_end = 0;
  while (key_end < text.size() && !is_field_separator(text[key_end])) ++key_end;
  const std::string_view key = text.substr(0, key_end);
  size_t value_start = key_end;
  while (value_start < text.size() && is_field_separator(text[value_start])) ++value_start;
  size_t value_end = text.size();
  while (value_end > value_start && is_field_separator(text[value_end - 1])) --value_end;
  if (key.empty() || value_end == value_start) {
    result.reject = RejectReason::kBadMeta;
    return;
  }
  result.line.kind = LineKind::kMeta;
  result.line.meta_key = key;
  result.line.meta_value = text.substr(value_start, value_end - value_start);
}

// Returns the reason the line is bad, if it is; fills `sample` as it goes.
std::optional<RejectReason> parse_sample(std::string_view text, SampleFields& sample) {
  const LineFields fields = split_line_fields(text);
  const size_t field_count = fields.count();
  if (field_count != 2 && field_count != 3 && field_count != 7) {
    return RejectReason::kBadFieldCount;
  }
  sample.raw_name = fields.field(0);
  sample.name_syntax = NameSyntax::kCaretFanOut;
  if (sample.raw_name.front() == '*') {
    sample.kind = CounterKind::kEvent;
    sample.raw_name.remove_prefix(1);
  }
  if (const auto bad_name = validate_counter_names(sample.raw_name, NameSyntax::kCaretFanOut)) {
    return bad_name;
  }
  if (field_count >= 3) {
    const std::optional<int64_t> time = parse_unix_seconds(fields.field(1));
    if (!time) return RejectReason::kBadTimestamp;
    sample.has_time = true;
    sample.time = *time;
  }
  if (field_count != 7) {
    const std::optional<double> value = parse_finite_double(fields.field(field_count - 1));
    if (!value) return RejectReason::kBadValue;
    sample.bucket = Bucket::of_value(*value);
    return std::nullopt;
  }
  double numbers[4];  // sum, sumsq, min, max
  for (size_t i = 0; i < 4; ++i) {
    const std::optional<double> number = parse_finite_double(fields.field(2 + i));
    if (!number) return RejectReason::kBadValue;
    numbers[i] = *number;
  }
  const std::optional<uint64_t> count = parse_count(fields.field(6));
  if (!count) return RejectReason::kBadCount;
  sample.bucket = Bucket{*count, numbers[0], numbers[1], numbers[2], numbers[3]};
  sample.aggregated = true;
  if (!is_consistent_aggregate(sample.bucket)) return RejectReason::kInconsistentAggregate;
  return std::nullopt;
}

}  // namespace

bool is_consistent_aggregate(const Bucket& bucket) {
  VERIFY(bucket.count >= 1);
  if (!(bucket.min <= bucket.max)) return false;
  const double avg = bucket.avg();
  return avg >= bucket.min - kAggregateTolerance * std::fabs(bucket.min) &&
         avg <= bucket.max + kAggregateTolerance * std::fabs(bucket.max);
}

LineResult parse_istatd_line(std::string_view line) {
  LineResult result;
  line = strip_carriage_return(line);
  size_t start = 0;
  while (start < line.size() && is_field_separator(line[start])) ++start;
  if (start == line.size()) return result;  // kEmpty
  const std::string_view text = line.substr(start);
  if (is_reserved_first_char(text.front())) {
    result.line.kind = LineKind::kReserved;
  } else if (text.front() == '#') {
    parse_meta(text.substr(1), result);
  } else {
    result.line.kind = LineKind::kSample;
    result.reject = parse_sample(text, result.line.sample);
  }
  return result;
}

}  // namespace ringstat
