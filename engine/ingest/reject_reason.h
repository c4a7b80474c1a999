// RejectReason: why an ingest line or sample was not stored. Every reason is counted per
// listener and exported by GET /metrics (docs/protocols.md section 4 "Rejections").
// Owned by the ingest parsers (engine/ingest/istatd_line.h and friends); plain constexpr data, safe
// from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringstat {

enum class RejectReason : uint8_t {
  kEmptyName,           // an expanded name is empty (bare `*`, `^`, trailing `^` on no base)
  kNameTooLong,         // an expanded name is longer than 255 bytes
  kEmptyPathComponent,  // leading/trailing '.', or '..'
  kBadFieldCount,       // not 2, 3 or 7 fields (istatd) / not 2 or 3 (Graphite)
  kBadValue,            // unparsable number, nan or inf
  kBadTimestamp,        // not a decimal integer > 0 (Graphite: decimal allowed, floored; -1 = now)
  kBadCount,            // 7-field count not an integer >= 1
  kInconsistentAggregate,  // 7-field min > max, or avg outside [min, max] beyond 1e-4 relative
  kLineTooLong,            // over 4096 bytes before the newline; discarded up to it
  kTaggedName,             // Graphite tag syntax `path;tag=value` (not supported yet)
  kFromFuture,             // gauge sample more than 60 s ahead of the server clock
  kTooOld,                 // older than the retention of every level: creates nothing
  kEventTooLate,           // event sample for a finest bucket that is already final (see engine)
  kStoreFull,              // the shard could not take the sample (staging or WAL full)
  kBadMeta,                // `#` line without both a key and a value (istatd counts it bad too)
  kCarryExhausted,         // a partial TCP line found no free carry buffer; dropped to its '\n'
  kOverflow,               // the sample (or its merge into a bucket) leaves the exact range:
                           // a count that would wrap, a sum or sum of squares that turns infinite
  kCount                   // number of reasons; not a reason
};

inline constexpr std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kEmptyName:
      return "empty_name";
    case RejectReason::kNameTooLong:
      return "name_too_long";
    case RejectReason::kEmptyPathComponent:
      return "empty_path_component";
    case RejectReason::kBadFieldCount:
      return "bad_field_count";
    case RejectReason::kBadValue:
      return "bad_value";
    case RejectReason::kBadTimestamp:
      return "bad_timestamp";
    case RejectReason::kBadCount:
      return "bad_count";
    case RejectReason::kInconsistentAggregate:
      return "inconsistent_aggregate";
    case RejectReason::kLineTooLong:
      return "line_too_long";
    case RejectReason::kTaggedName:
      return "tagged_name";
    case RejectReason::kFromFuture:
      return "from_future";
    case RejectReason::kTooOld:
      return "too_old";
    case RejectReason::kEventTooLate:
      return "event_too_late";
    case RejectReason::kStoreFull:
      return "store_full";
    case RejectReason::kBadMeta:
      return "bad_meta";
    case RejectReason::kCarryExhausted:
      return "carry_exhausted";
    case RejectReason::kOverflow:
      return "overflow";
    case RejectReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace ringstat
