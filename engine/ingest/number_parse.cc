#include "engine/ingest/number_parse.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace ringstat {
namespace {

// The exponent of a number that is out of double's range is only used for its sign, so it is
// clamped; any bound far beyond the 4096 digits a line can hold would do.
constexpr int64_t kExponentClamp = int64_t{1} << 40;

// 2^63 as a double: the first floored Graphite time that no longer fits in int64.
constexpr double kFirstUnrepresentableTime = 9223372036854775808.0;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Drops one leading '+', but only when a digit (or, for floating point, a '.') follows, so that
// "+-1", "++1" and a lone "+" stay invalid.
std::string_view strip_plus(std::string_view text, bool allow_point) {
  if (text.size() >= 2 && text[0] == '+' &&
      (is_digit(text[1]) || (allow_point && text[1] == '.'))) {
    text.remove_prefix(1);
  }
  return text;
}

// Only called for text that from_chars matched completely but reported out of range, so its
// magnitude is either above DBL_MAX or below the smallest subnormal. The decimal order of
// magnitude (value in [10^(order-1), 10^order)) tells which: negative means underflow.
bool is_underflow(std::string_view text) {
  size_t i = (!text.empty() && text[0] == '-') ? 1 : 0;
  int64_t order = 0;
  bool seen_nonzero = false;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    if (seen_nonzero || text[i] != '0') {
      seen_nonzero = true;
      ++order;
    }
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && is_digit(text[i]); ++i) {
      if (seen_nonzero) continue;
      if (text[i] == '0') {
        --order;
      } else {
        seen_nonzero = true;
      }
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      negative = text[i] == '-';
      ++i;
    }
    int64_t exponent = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), exponent);
    (void)ptr;
    if (ec == std::errc::result_out_of_range || exponent > kExponentClamp) {
      exponent = kExponentClamp;
    }
    order += negative ? -exponent : exponent;
  }
  return order < 0;
}

}  // namespace

std::optional<double> parse_finite_double(std::string_view text) {
  text = strip_plus(text, /*allow_point=*/true);
  if (text.empty()) return std::nullopt;
  const char* const end = text.data() + text.size();
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    if (!is_underflow(text)) return std::nullopt;
    return text[0] == '-' ? -0.0 : 0.0;
  }
  if (ec != std::errc{}) return std::nullopt;
  // from_chars accepts "nan", "inf" and "infinity"; the protocol does not.
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_unix_seconds(std::string_view text) {
  text = strip_plus(text, /*allow_point=*/false);
  if (text.empty() || !is_digit(text[0])) return std::nullopt;
  const char* const end = text.data() + text.size();
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || value <= 0) return std::nullopt;
  return value;
}

std::optional<uint64_t> parse_count(std::string_view text) {
  text = strip_plus(text, /*allow_point=*/false);
  if (text.empty() || !is_digit(text[0])) return std::nullopt;
  const char* const end = text.data() + text.size();
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || value < 1) return std::nullopt;
  return value;
}

std::optional<GraphiteTime> parse_graphite_timestamp(std::string_view text) {
  // Integers are parsed exactly first: a double only holds 53 bits, and most senders use them.
  const std::string_view unsigned_part = strip_plus(text, /*allow_point=*/false);
  if (!unsigned_part.empty()) {
    const char* const end = unsigned_part.data() + unsigned_part.size();
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(unsigned_part.data(), end, value);
    if (ptr == end) {
      if (ec != std::errc{}) return std::nullopt;
      if (value == -1) return GraphiteTime{.is_now = true, .time = 0};
      if (value <= 0) return std::nullopt;
      return GraphiteTime{.is_now = false, .time = value};
    }
  }
  const std::optional<double> value = parse_finite_double(text);
  if (!value) return std::nullopt;
  if (*value == -1.0) return GraphiteTime{.is_now = true, .time = 0};
  const double floored = std::floor(*value);
  if (floored < 1.0 || floored >= kFirstUnrepresentableTime) return std::nullopt;
  return GraphiteTime{.is_now = false, .time = static_cast<int64_t>(floored)};
}

}  // namespace ringstat
