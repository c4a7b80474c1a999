// Retention: the ordered list of levels a counter aggregates into (finest first), and the parser
// for the `10s:10d,5m:1y9d,1h:6y12d` syntax of docs/protocols.md "Retention". Pure, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fileformat/retention_level.h"

namespace ringstat {

inline constexpr std::string_view kDefaultRetentionSpec = "10s:10d,5m:1y9d,1h:6y12d";

struct Retention {
  std::vector<RetentionLevel> levels;  // strictly increasing intervals, each a multiple of the last
  friend bool operator==(const Retention&, const Retention&) = default;
};

// Parses a retention spec. Units s m h d y (y = 365 d), concatenable (`1y9d`, `2h30m`).
// Errors name the offending part, e.g. "retention level 2 ('5m:xx'): bad duration 'xx'".
Result<Retention> parse_retention(std::string_view spec);

// Canonical text form, e.g. "10s:10d,5m:374d,1h:2202d"; parse_retention(format) round-trips.
std::string format_retention(const Retention& retention);

}  // namespace ringstat
