// The Graphite plaintext parser (docs/protocols.md section 2): `path value [timestamp]` in, a
// ParsedLine of views into that line (or a RejectReason) out. Single-threaded pure code on the
// per-sample hot path: no allocation, no locale, no clock.
#pragma once

#include <string_view>

#include "engine/ingest/parsed_line.h"

namespace ringstat {

// Parses one line without its '\n'; one trailing '\r' is ignored. Blank handling and field
// splitting are as for istatd lines (engine/ingest/istatd_line.h); a blank line is kEmpty.
// Decisions:
// - Every sample is a gauge, and the path is taken literally: a leading `*` is part of the name
//   and `^` is an ordinary character (caret fan-out is istatd syntax), so name_syntax is
//   kLiteral. Otherwise the path is normalised, limited and rejected exactly like an istatd name.
// - There are no meta or reserved lines: `#` and `@` are ordinary first characters of a path.
// - A `;` anywhere in the path is tag syntax and is rejected as kTaggedName.
// - Timestamp: see parse_graphite_timestamp (engine/ingest/number_parse.h); -1 and a missing
// timestamp
//   both give has_time = false.
// - Reasons are checked in this order: field count (2 or 3), tag syntax, the path, the value, the
//   timestamp.
LineResult parse_graphite_line(std::string_view line);

}  // namespace ringstat
