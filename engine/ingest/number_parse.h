// Number parsing for the ingest line protocols (docs/protocols.md sections 1-2).
// Single-threaded pure code on the per-sample hot path: std::from_chars only, so no locale, no
// allocation and no exceptions. Owned by the ingest parsers; safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ringstat {

// Accepted forms, shared by every function here: ASCII decimal digits, an optional single leading
// `-` (floating point only) or `+` (every function; istatd's lexical_cast and C's strtod accept
// it too), and for floating point an optional fraction (`1.`, `.5`) and exponent (`1e3`, `1E-3`).
// Never accepted: surrounding whitespace, hex (`0x10`), `nan`, `inf`, `infinity` in any case or
// sign, digit separators, or anything after the number.

// A finite double. A magnitude beyond double's range (`1e999`) is rejected rather than turned
// into inf; one below the smallest subnormal (`1e-400`) is a finite number and becomes a zero of
// the same sign, as strtod would give.
std::optional<double> parse_finite_double(std::string_view text);

// istatd timestamps: a decimal integer of unix seconds, > 0 (`1795240618.5` is rejected).
std::optional<int64_t> parse_unix_seconds(std::string_view text);

// The 7-field `count`: a decimal integer >= 1 that fits in 64 bits.
std::optional<uint64_t> parse_count(std::string_view text);

// A Graphite timestamp: unix seconds, integer or decimal (anything parse_finite_double takes),
// floored to whole seconds; the value -1 (`-1`, `-1.0`) means "the server's now".
struct GraphiteTime {
  bool is_now = false;  // true for -1; time is then 0 and meaningless
  int64_t time = 0;     // floored unix seconds, > 0, when !is_now
  friend bool operator==(const GraphiteTime&, const GraphiteTime&) = default;
};

// Rejects anything that is not -1 and does not floor to a time > 0 (`0.5`, `-2`), and times
// beyond int64 seconds.
std::optional<GraphiteTime> parse_graphite_timestamp(std::string_view text);

}  // namespace ringstat
