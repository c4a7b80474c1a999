#include "engine/ingest/retention.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

namespace ringstat {
namespace {

constexpr uint64_t kSecondsPerDay = 86400;

// Longest accepted duration. Far beyond any useful retention, and small enough that time
// arithmetic on unix seconds (now - retention_s, counts of buckets) can never overflow int64.
constexpr uint64_t kDuration_s_max = 10000 * 365 * kSecondsPerDay;
constexpr std::string_view kDurationTextMax = "10000y";

constexpr uint64_t kInterval_s_max = UINT32_MAX;  // RetentionLevel::interval_s is 32 bits

std::optional<uint64_t> unit_seconds(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return kSecondsPerDay;
    case 'y':
      return 365 * kSecondsPerDay;  // docs/protocols.md "Retention": y = 365 d
    default:
      return std::nullopt;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Built by appending: GCC 12 reports a false -Wrestrict for "'" + std::string(...).
std::string quoted(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result += '\'';
  result += text;
  result += '\'';
  return result;
}

// A duration is one or more `<digits><unit>` groups, summed (`1y9d`, `2h30m`, `90s`). Every
// number needs its unit, so a bare `10` is an error rather than a guess.
Result<uint64_t> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return Error{"bad duration " + quoted(text) +
                 " (expected numbers with units s m h d y, e.g. 10s or 1y9d)"};
  };
  const auto too_long = [&] {
    return Error{"duration " + quoted(text) + " is longer than " + std::string(kDurationTextMax)};
  };
  if (text.empty()) return bad();
  uint64_t total_s = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) return bad();
    uint64_t number = 0;
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data() + i, end, number);
    if (ec == std::errc::result_out_of_range) return too_long();
    if (ec != std::errc{} || ptr == end) return bad();
    const std::optional<uint64_t> unit_s = unit_seconds(*ptr);
    if (!unit_s) return bad();
    if (number > kDuration_s_max / *unit_s) return too_long();
    total_s += number * *unit_s;
    if (total_s > kDuration_s_max) return too_long();
    i = static_cast<size_t>(ptr - text.data()) + 1;
  }
  return total_s;
}

std::string format_duration(uint64_t seconds) {
  if (seconds % kSecondsPerDay == 0) return std::to_string(seconds / kSecondsPerDay) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

}  // namespace

Result<Retention> parse_retention(std::string_view spec) {
  if (spec.empty()) return Error{"retention spec is empty"};
  Retention retention;
  size_t level_number = 0;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    const std::string_view part = spec.substr(start, end - start);
    start = end + 1;
    ++level_number;
    const std::string prefix = "retention level " + std::to_string(level_number);
    if (part.empty()) {
      return Error{prefix + " is empty (no empty parts, no leading or trailing comma)"};
    }
    const std::string where = prefix + " (" + quoted(part) + "): ";
    if (level_number > kRetentionLevelsMax) {
      return Error{where + "at most " + std::to_string(kRetentionLevelsMax) + " levels"};
    }
    const size_t colon = part.find(':');
    if (colon == std::string_view::npos) return Error{where + "expected interval:retention"};
    if (part.find(':', colon + 1) != std::string_view::npos) {
      return Error{where +
                   "expected interval:retention; istatd's interval:retention:name:lambda "
                   "trailing levels are not supported"};
    }
    const std::string_view interval_text = part.substr(0, colon);
    const std::string_view retention_text = part.substr(colon + 1);
    const Result<uint64_t> interval_s = parse_duration(interval_text);
    if (!interval_s) return Error{where + interval_s.error()};
    const Result<uint64_t> retention_s = parse_duration(retention_text);
    if (!retention_s) return Error{where + retention_s.error()};
    if (interval_s.value() == 0) return Error{where + "interval must be at least 1s"};
    if (interval_s.value() > kInterval_s_max) {
      return Error{where + "interval " + quoted(interval_text) + " is longer than " +
                   std::to_string(kInterval_s_max) + "s"};
    }
    if (retention_s.value() < interval_s.value()) {
      return Error{where + "retention " + quoted(retention_text) + " is shorter than interval " +
                   quoted(interval_text)};
    }
    if (!retention.levels.empty()) {
      const uint64_t previous_s = retention.levels.back().interval_s;
      if (interval_s.value() <= previous_s) {
        return Error{where + "interval " + quoted(interval_text) +
                     " must be longer than the previous level's " + format_duration(previous_s)};
      }
      if (interval_s.value() % previous_s != 0) {
        return Error{where + "interval " + quoted(interval_text) +
                     " must be a multiple of the previous level's " + format_duration(previous_s)};
      }
    }
    retention.levels.push_back(
        RetentionLevel{static_cast<uint32_t>(interval_s.value()), retention_s.value()});
  }
  return retention;
}

std::string format_retention(const Retention& retention) {
  std::string text;
  for (const RetentionLevel& level : retention.levels) {
    if (!text.empty()) text += ',';
    text += format_duration(level.interval_s);
    text += ':';
    text += format_duration(level.retention_s);
  }
  return text;
}

}  // namespace ringstat
