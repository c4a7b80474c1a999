// RetentionLevel: one `interval:retention` level of a counter, as stored on disk.
// Plain data; parsing and validation of the spec syntax live in engine/ingest/retention.h.
#pragma once

#include <cstdint>

namespace ringstat {

// A counter has at most this many levels; pinned so records on disk have a bounded size.
inline constexpr uint32_t kRetentionLevelsMax = 8;

struct RetentionLevel {
  uint32_t interval_s = 0;   // bucket width, seconds, > 0
  uint64_t retention_s = 0;  // how far back buckets are kept, seconds, >= interval_s
  friend bool operator==(const RetentionLevel&, const RetentionLevel&) = default;
};

}  // namespace ringstat
