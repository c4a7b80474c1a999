// The istatd line protocol parser (docs/protocols.md section 1): one line in, a ParsedLine of views
// into that line (or a RejectReason) out. Single-threaded pure code on the per-sample hot path:
// no allocation, no locale, no clock. Checks that need the clock or the counter (60 s from the
// future, retention, the counter's kind) belong to the shard, not here.
#pragma once

#include <string_view>

#include "engine/ingest/parsed_line.h"
#include "fileformat/bucket.h"

namespace ringstat {

// Relative slack for the 7-field `min <= sum/count <= max` check, for float rounding in
// forwarded data (istatd allowed the same 0.01 %).
inline constexpr double kAggregateTolerance = 1e-4;

// min <= max exactly, and sum/count >= min - 1e-4 * |min| and <= max + 1e-4 * |max|: each bound
// is widened relative to its own magnitude. Requires count >= 1.
bool is_consistent_aggregate(const Bucket& bucket);

// Parses one line without its '\n'; one trailing '\r' is ignored. Rules beyond the spec's text:
// - Leading spaces and tabs are skipped (istatd did the same), so the first-character rules
//   apply to the first non-blank character and a blank line is kEmpty.
// - Fields are separated by runs of spaces and tabs only; any other byte belongs to its field
//   (in a name, bytes below 33 then normalise to '_'; in a number, they make it bad).
// - `#key value`: the key runs from after '#' to the first blank, the value is the rest with
//   surrounding blanks trimmed and may contain blanks (`#plugin cpu 0`). A '#' line without a
//   key or without a value is rejected as kBadMeta, as istatd counted it bad.
// - Reasons are checked in this order: field count (2, 3 or 7; never 8+), then the names
//   (validate_counter_names; a bare `*` is an empty name), then each number in field order.
// A kSample result always carries valid names (name_syntax kCaretFanOut).
LineResult parse_istatd_line(std::string_view line);

}  // namespace ringstat
