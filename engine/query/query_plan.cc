#include "engine/query/query_plan.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>
#include <string>

#include "base/verify.h"
#include "fileformat/bucket.h"

namespace ringstat {
namespace {

// Bounds the search for a width off the ladder; see smallest_width_from_zero.
constexpr int kWidthSearchStepsMax = 100'000;

// Quotes a client's raw value in a message without breaking the one-line rule: at most
// kEchoedParameterBytesMax, anything outside printable ASCII shown as '?'.
std::string echo(std::string_view raw) {
  std::string out;
  const size_t shown = std::min(raw.size(), kEchoedParameterBytesMax);
  out.reserve(shown + 3);
  for (size_t i = 0; i < shown; ++i) {
    const unsigned char byte = static_cast<unsigned char>(raw[i]);
    out.push_back(byte >= 0x20 && byte < 0x7f ? static_cast<char>(byte) : '?');
  }
  if (shown < raw.size()) out += "...";
  return out;
}

// A decimal integer, optionally negative, nothing else (no '+', no spaces, no fraction).
Result<int64_t> parse_integer(std::string_view raw, std::string_view name) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Error{std::string(name) + " out of range: " + echo(raw)};
  }
  if (raw.empty() || ec != std::errc() || end != raw.data() + raw.size()) {
    return Error{"Bad integer argument " + std::string(name) + ": " + echo(raw)};
  }
  return value;
}

Result<std::optional<int64_t>> parse_optional_integer(std::optional<std::string_view> raw,
                                                      std::string_view name) {
  if (!raw) return std::optional<int64_t>();
  Result<int64_t> value = parse_integer(*raw, name);
  if (!value) return Error{value.error()};
  return std::optional<int64_t>(value.value());
}

Status check_time(std::optional<int64_t> value, std::string_view name) {
  if (!value) return Ok{};
  if (*value < 0) return Error{"Invalid " + std::string(name) + " parameter"};
  if (*value > kQueryTime_s_max) {
    return Error{std::string(name) + " out of range: " + std::to_string(*value) + " (at most " +
                 std::to_string(kQueryTime_s_max) + ")"};
  }
  return Ok{};
}

Result<uint64_t> resolve_sample_limit(std::optional<int64_t> value, uint64_t default_value,
                                      std::string_view name) {
  if (!value) return default_value;
  if (*value < 0) return Error{"Invalid " + std::string(name) + " parameter"};
  return static_cast<uint64_t>(*value);
}

// The number of cells of width k (in level intervals) covering [a, b), a and b in level
// intervals: ceil(b / k) - floor(a / k).
int64_t cells_for(int64_t a, int64_t b, int64_t k) { return ceil_div(b, k) - floor_div(a, k); }

// The smallest k >= 1 with cells_for(a, b, k) <= cells_max, for 0 <= a < b. cells_for is not
// monotone in k (a = 3, b = 5: k = 3 gives 1 cell, k = 4 gives 2), so this walks k upwards from
// the lower bound ceil((b - a) / cells_max), a block at a time: while q = floor(a / k) stays the
// same the count ceil(b / k) - q falls as k grows, so a block's first fit is ceil(b / (q + max)).
// Each failed block lowers q, and every k >= (b - a) / (max - 1) fits, so with max >= 2 at most
// a / (b - a) + 2 blocks are visited. When the level interval divides a day, the ladder failing
// means (b - a) * interval > 86400 * (max - 1), which keeps that under the number of days since
// 1970 in `start` (about 20 000 today, 2 932 897 in the year 9999). max == 1 has no such bound
// (k must put a whole range in one cell), so the walk stops after kWidthSearchStepsMax and takes
// a width that surely fits: the range split in max - 1 parts, or for max == 1 the smallest power
// of two putting a and b - 1 in one cell. Every k below the walk's position failed, so that width
// is no smaller than the walk's; it is the smallest only in the walk's reach.
int64_t smallest_width_from_zero(int64_t a, int64_t b, int64_t cells_max) {
  VERIFY(a >= 0);
  VERIFY(b > a);
  int64_t k = ceil_div(b - a, cells_max);
  for (int steps = 0; steps < kWidthSearchStepsMax; ++steps) {
    const int64_t q = a / k;
    if (ceil_div(b, k) - q <= cells_max) return k;
    const int64_t fits_at = ceil_div(b, q + cells_max);
    if (q == 0 || fits_at <= a / q) return fits_at;
    k = a / q + 1;
  }
  if (cells_max >= 2) return ceil_div(b - a, cells_max - 1);
  const uint64_t differing = static_cast<uint64_t>(a) ^ static_cast<uint64_t>(b - 1);
  return int64_t{1} << std::bit_width(differing);
}

// The smallest k >= 1 with cells_for(a, b, k) <= cells_max, when b - a > cells_max >= 1.
int64_t smallest_width(int64_t a, int64_t b, int64_t cells_max) {
  if (a >= 0) return smallest_width_from_zero(a, b, cells_max);
  // A range left of 0 is the mirror image of one right of it: the grid is symmetric about 0.
  if (b <= 0) return smallest_width_from_zero(-b, -a, cells_max);
  // Straddling 0, which every grid has as a boundary: ceil(b / k) + ceil(-a / k) cells, which
  // does fall as k grows, so a binary search finds the first fit. plan_query made max >= 2.
  VERIFY(cells_max >= 2);
  int64_t low = 1;
  int64_t high = std::max(b, -a);  // one cell on each side of 0
  while (low < high) {
    const int64_t mid = low + (high - low) / 2;
    if (cells_for(a, b, mid) <= cells_max) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}

// start >= now - retention_s, without overflow for any now.
bool retention_reaches(int64_t now, int64_t start, uint64_t retention_s) {
  if (start >= now) return true;
  // now > start, so the difference is positive; it only fails to fit when now is absurd.
  const uint64_t age_s = static_cast<uint64_t>(now) - static_cast<uint64_t>(start);
  return age_s <= retention_s;
}

}  // namespace

Result<TimeRange> resolve_time_range(std::optional<int64_t> start, std::optional<int64_t> end,
                                     int64_t now, std::string_view start_name,
                                     std::string_view end_name) {
  if (Status status = check_time(start, start_name); !status) return Error{status.error()};
  if (Status status = check_time(end, end_name); !status) return Error{status.error()};
  if (!start && !end && (now < -kQueryTime_s_max || now > kQueryTime_s_max)) {
    return Error{"server clock out of range: " + std::to_string(now)};
  }
  TimeRange range;
  if (start && end) {
    range = {*start, *end};
  } else if (end) {
    range = {*end - kDefaultQueryWindow_s, *end};
  } else if (start) {
    range = {*start, *start + kDefaultQueryWindow_s};
  } else {
    range = {now - kDefaultQueryWindow_s, now};
  }
  if (range.end < range.start) {
    return Error{std::string(end_name) + " must be greater than " + std::string(start_name)};
  }
  return range;
}

Result<GetQueryParams> parse_get_query(std::optional<std::string_view> start,
                                       std::optional<std::string_view> end,
                                       std::optional<std::string_view> samples,
                                       std::optional<std::string_view> format, int64_t now) {
  Result<std::optional<int64_t>> start_value = parse_optional_integer(start, "start");
  if (!start_value) return Error{start_value.error()};
  Result<std::optional<int64_t>> end_value = parse_optional_integer(end, "end");
  if (!end_value) return Error{end_value.error()};
  Result<std::optional<int64_t>> samples_value = parse_optional_integer(samples, "samples");
  if (!samples_value) return Error{samples_value.error()};

  GetQueryParams params;
  Result<TimeRange> range =
      resolve_time_range(start_value.value(), end_value.value(), now, "start", "end");
  if (!range) return Error{range.error()};
  params.range = range.value();
  Result<uint64_t> limit =
      resolve_sample_limit(samples_value.value(), kDefaultGetSamples, "samples");
  if (!limit) return Error{limit.error()};
  params.samples = limit.value();
  if (format) {
    if (*format == "json") {
      params.format = ResponseFormat::kJson;
    } else if (*format == "csv") {
      params.format = ResponseFormat::kCsv;
    } else {
      return Error{"Bad format argument: " + echo(*format) + " (json or csv)"};
    }
  }
  return params;
}

Result<PostQueryParams> resolve_post_query(std::optional<int64_t> start,
                                           std::optional<int64_t> stop,
                                           std::optional<int64_t> samples_max, int64_t now) {
  PostQueryParams params;
  Result<TimeRange> range = resolve_time_range(start, stop, now, "start", "stop");
  if (!range) return Error{range.error()};
  params.range = range.value();
  Result<uint64_t> limit = resolve_sample_limit(samples_max, kDefaultPostMaxSamples, "maxSamples");
  if (!limit) return Error{limit.error()};
  params.samples_max = limit.value();
  return params;
}

QueryPlan plan_query(const Retention& retention, int64_t now, int64_t start, int64_t end,
                     uint64_t samples_max) {
  VERIFY(!retention.levels.empty());
  VERIFY(start <= end);
  VERIFY(start >= -kPlanTime_s_max);
  VERIFY(end <= kPlanTime_s_max);

  QueryPlan plan;
  plan.level = retention.levels.size() - 1;
  for (size_t i = 0; i < retention.levels.size(); ++i) {
    if (retention_reaches(now, start, retention.levels[i].retention_s)) {
      plan.level = i;
      break;
    }
  }
  plan.level_interval_s = retention.levels[plan.level].interval_s;
  VERIFY(plan.level_interval_s > 0);

  // See the header: one cell cannot span both sides of 0, so samples=1 gives up negative times.
  if (samples_max == 1 && start < 0 && end > 0) start = 0;

  const int64_t interval_s = plan.level_interval_s;
  const int64_t a = floor_div(start, interval_s);
  const int64_t b = ceil_div(end, interval_s);
  int64_t width_s = interval_s;
  // b - a is below 2^41, so any samples_max at or above it cannot bind and the casts are exact.
  if (samples_max != 0 && static_cast<uint64_t>(b - a) > samples_max) {
    const int64_t cells_max = static_cast<int64_t>(samples_max);
    width_s = 0;
    for (const int64_t rung_s : kWidthLadder_s) {
      if (rung_s % interval_s != 0) continue;
      if (cells_for(start, end, rung_s) <= cells_max) {
        width_s = rung_s;
        break;
      }
    }
    if (width_s == 0) width_s = smallest_width(a, b, cells_max) * interval_s;
  }
  plan.width_s = width_s;
  plan.start = floor_div(start, width_s) * width_s;
  plan.end = ceil_div(end, width_s) * width_s;
  plan.cells = static_cast<uint64_t>((plan.end - plan.start) / width_s);
  VERIFY(samples_max == 0 || plan.cells <= samples_max);
  return plan;
}

}  // namespace ringstat
