#include "base/iso_time.h"

#include <charconv>

#include "base/integer_math.h"
#include "base/verify.h"

namespace ringstat {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;

}  // namespace

void append_zero_padded(std::string& out, int64_t value, int digits) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  VERIFY(ec == std::errc());
  for (int64_t width = end - buffer; width < digits; ++width) out.push_back('0');
  out.append(buffer, end);
}

void append_iso8601_utc(std::string& out, int64_t unix_s) {
  // Howard Hinnant's civil_from_days: eras of 400 years (146097 days) starting on 0000-03-01, so
  // the leap day is the last day of a year and floor division makes negative times just work.
  const int64_t days = floor_div(unix_s, kSecondsPerDay);
  const int64_t second_of_day = unix_s - days * kSecondsPerDay;
  const int64_t shifted = days + 719'468;  // days from 0000-03-01 to 1970-01-01
  const int64_t era = floor_div(shifted, 146'097);
  const int64_t day_of_era = shifted - era * 146'097;  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  const int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);

  if (year < 0) {
    out.push_back('-');
    append_zero_padded(out, -year, 4);
  } else {
    append_zero_padded(out, year, 4);
  }
  out.push_back('-');
  append_zero_padded(out, month, 2);
  out.push_back('-');
  append_zero_padded(out, day, 2);
  out.push_back('T');
  append_zero_padded(out, second_of_day / 3600, 2);
  out.push_back(':');
  append_zero_padded(out, second_of_day / 60 % 60, 2);
  out.push_back(':');
  append_zero_padded(out, second_of_day % 60, 2);
  out.push_back('Z');
}

}  // namespace ringstat
