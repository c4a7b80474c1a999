// ParsedLine: what one ingest line (istatd or Graphite, docs/protocols.md sections 1-2) says, as
// views into the caller's line, plus the whitespace field splitter both parsers share.
// Single-threaded pure code on the per-sample hot path; owned by the ingest parsers.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "base/verify.h"
#include "engine/ingest/byte_scan.h"
#include "engine/ingest/counter_name.h"
#include "engine/ingest/reject_reason.h"
#include "fileformat/bucket.h"
#include "fileformat/counter_kind.h"

namespace ringstat {

enum class LineKind : uint8_t {
  kSample,    // a counter sample: see ParsedLine::sample
  kMeta,      // istatd `#key value`: see ParsedLine::meta_key / meta_value
  kEmpty,     // nothing but spaces and tabs: ignored, not counted as bad
  kReserved,  // istatd first character `@ $ % & ; :`: ignored and counted by the caller
};

// Members are ordered largest first so a ParsedLine stays small: one is filled per line.
struct SampleFields {
  // The name as sent, after the '*' and before expansion and normalisation; valid for
  // validate_counter_names / for_each_counter_name with name_syntax. Points into the line.
  std::string_view raw_name;
  int64_t time = 0;                        // unix seconds, > 0, when has_time
  Bucket bucket;                           // 2/3 fields: Bucket::of_value(value); 7 fields: as sent
  CounterKind kind = CounterKind::kGauge;  // kEvent for istatd's leading '*'
  // kCaretFanOut for istatd names, kLiteral for Graphite paths.
  NameSyntax name_syntax = NameSyntax::kCaretFanOut;
  bool has_time = false;    // false: the sample is at the server's "now"
  bool aggregated = false;  // the 7-field pre-aggregated form
};

struct ParsedLine {
  SampleFields sample;          // kSample only
  std::string_view meta_key;    // kMeta only: the text after '#', non-empty
  std::string_view meta_value;  // kMeta only: the rest, trimmed, non-empty
  LineKind kind = LineKind::kEmpty;
};

// A line either parses (possibly as kEmpty or kReserved) or is rejected for one reason. A plain
// struct rather than a variant so the parsers build it in the caller's storage (one named result,
// returned on every path) instead of copying 100-odd bytes per sample.
struct LineResult {
  ParsedLine line;                     // meaningful only when ok()
  std::optional<RejectReason> reject;  // why the line was rejected; nothing was stored
  bool ok() const { return !reject.has_value(); }
};

// Most fields any line form has (istatd's pre-aggregated form).
inline constexpr size_t kLineFieldsMax = 7;

// The fields of a line, split at runs of spaces and tabs (only those: other control bytes are
// part of a field). count() is the true number of fields up to kLineFieldsMax + 1 (the split stops
// there), but only the first kLineFieldsMax are kept; callers reject any count they do not
// expect. The storage is deliberately left uninitialised: this runs once per sample, and only
// field(i) for i < min(count, kLineFieldsMax) may be read.
class LineFields {
 public:
  size_t count() const { return count_; }
  std::string_view field(size_t i) const {
    VERIFY(i < count_);
    VERIFY(i < kLineFieldsMax);
    return std::string_view(start_[i], size_[i]);
  }
  void add(const char* start, size_t size) {
    if (count_ < kLineFieldsMax) {
      start_[count_] = start;
      size_[count_] = size;
    }
    ++count_;
  }

 private:
  size_t count_ = 0;
  const char* start_[kLineFieldsMax];
  size_t size_[kLineFieldsMax];
};

inline bool is_field_separator(char c) { return c == ' ' || c == '\t'; }

namespace parsed_line_detail {

// The end of the field starting at `cursor`: the first space or tab, or `end`. Eight bytes at a
// time (SWAR) because every byte of every line passes through here; the loads are memcpy'd, so
// alignment does not matter, and never read past `end`.
inline const char* field_end(const char* cursor, const char* const end) {
  if constexpr (std::endian::native == std::endian::little) {
    while (end - cursor >= 8) {
      uint64_t word;
      std::memcpy(&word, cursor, sizeof(word));
      const uint64_t separators = bytes_equal(word, ' ') | bytes_equal(word, '\t');
      if (separators != 0) return cursor + std::countr_zero(separators) / 8;
      cursor += 8;
    }
  }
  while (cursor != end && !is_field_separator(*cursor)) ++cursor;
  return cursor;
}

}  // namespace parsed_line_detail

inline LineFields split_line_fields(std::string_view line) {
  LineFields fields;
  const char* cursor = line.data();
  const char* const end = cursor + line.size();
  // One more field than the longest form is enough to know the line is bad.
  while (fields.count() <= kLineFieldsMax) {
    while (cursor != end && is_field_separator(*cursor)) ++cursor;
    if (cursor == end) break;
    const char* const start = cursor;
    cursor = parsed_line_detail::field_end(cursor, end);
    fields.add(start, static_cast<size_t>(cursor - start));
  }
  return fields;
}

// A line handed over without its '\n' may still end in the '\r' of a CRLF ending; it is ignored.
inline std::string_view strip_carriage_return(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace ringstat
