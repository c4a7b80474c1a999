// ISO 8601 timestamps in UTC (`2026-11-21T05:55:40Z`) for the log, CSV bodies and the agent list.
// Pure arithmetic on unix seconds: never the C library's locale or time zone, safe from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace ringstat {

// Appends `value` in decimal, with leading zeros up to `digits` characters. Padding is for
// non-negative values (a negative one is written as it is, its '-' after any zeros).
void append_zero_padded(std::string& out, int64_t value, int digits);

// Appends the UTC time of `unix_s`. Before 1970 works; a year outside 0..9999 is written with a
// sign or more digits.
void append_iso8601_utc(std::string& out, int64_t unix_s);

}  // namespace ringstat
