#include "engine/ingest/graphite_line.h"

#include <optional>

#include "engine/ingest/counter_name.h"
#include "engine/ingest/number_parse.h"

namespace ringstat {

namespace {

// Returns the reason the line is bad, if it is; fills `sample` as it goes.
std::optional<RejectReason> parse_sample(const LineFields& fields, SampleFields& sample) {
  const size_t field_count = fields.count();
  if (field_count != 2 && field_count != 3) return RejectReason::kBadFieldCount;
  sample.kind = CounterKind::kGauge;
  sample.raw_name = fields.field(0);
  sample.name_syntax = NameSyntax::kLiteral;
  if (sample.raw_name.find(';') != std::string_view::npos) return RejectReason::kTaggedName;
  if (const auto bad_name = validate_counter_names(sample.raw_name, NameSyntax::kLiteral)) {
    return bad_name;
  }
  const std::optional<double> value = parse_finite_double(fields.field(1));
  if (!value) return RejectReason::kBadValue;
  sample.bucket = Bucket::of_value(*value);
  if (field_count == 3) {
    const std::optional<GraphiteTime> time = parse_graphite_timestamp(fields.field(2));
    if (!time) return RejectReason::kBadTimestamp;
    sample.has_time = !time->is_now;
    sample.time = time->time;
  }
  return std::nullopt;
}

}  // namespace

// One named result returned on every path, so it is built in the caller's storage (NRVO).
LineResult parse_graphite_line(std::string_view line) {
  LineResult result;
  const LineFields fields = split_line_fields(strip_carriage_return(line));
  if (fields.count() == 0) return result;  // kEmpty
  result.line.kind = LineKind::kSample;
  result.reject = parse_sample(fields, result.line.sample);
  return result;
}

}  // namespace ringstat
