// Properties every parsed ingest line must have, shared by the istatd and Graphite line targets
// (fuzz/README.md): views inside the line, valid normalised names, finite values, times > 0.
// Test-only code; libFuzzer calls a target from one thread.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/verify.h"
#include "engine/ingest/counter_name.h"
#include "engine/ingest/istatd_line.h"
#include "engine/ingest/parsed_line.h"

namespace ringstat::fuzz {

inline bool is_inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// A stored name (docs/protocols.md section 1 "Names", rules 3 and 4).
inline void check_stored_name(std::string_view name) {
  VERIFY(!name.empty());
  VERIFY(name.size() <= kNameBytesMax);
  VERIFY(name.front() != '.' && name.back() != '.');
  VERIFY(name.find("..") == std::string_view::npos);
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    VERIFY(byte >= 33 && byte <= 126);
    VERIFY(!(byte >= 'A' && byte <= 'Z'));
    VERIFY(std::string_view("/:\\\"'").find(c) == std::string_view::npos);
  }
}

// The stored names of an accepted sample, each once.
inline std::vector<std::string> stored_names(const SampleFields& sample) {
  std::vector<std::string> names;
  for_each_counter_name(sample.raw_name, sample.name_syntax, [&](std::string_view name) {
    check_stored_name(name);
    for (const std::string& earlier : names) VERIFY(earlier != name);
    names.emplace_back(name);
  });
  VERIFY(!names.empty());
  return names;
}

inline void check_sample(const SampleFields& sample, std::string_view line) {
  VERIFY(is_inside(sample.raw_name, line));
  VERIFY(!validate_counter_names(sample.raw_name, sample.name_syntax).has_value());
  stored_names(sample);
  if (sample.has_time) VERIFY(sample.time > 0);
  const Bucket& bucket = sample.bucket;
  VERIFY(bucket.count >= 1);
  VERIFY(std::isfinite(bucket.sum) && std::isfinite(bucket.min) && std::isfinite(bucket.max));
  // sumsq is value * value for a single value, which overflows to +inf above ~1.3e154.
  VERIFY(!std::isnan(bucket.sumsq));
  if (sample.aggregated) {
    VERIFY(std::isfinite(bucket.sumsq));
    VERIFY(is_consistent_aggregate(bucket));
  } else {
    VERIFY(bucket.count == 1);
    VERIFY(bucket.min == bucket.sum && bucket.max == bucket.sum);
  }
}

// What a parse said, independent of where the line lives in memory, to compare two parses.
struct LineSummary {
  std::optional<RejectReason> reject;
  LineKind kind = LineKind::kEmpty;
  std::string raw_name;
  std::string meta_key;
  std::string meta_value;
  int64_t time = 0;
  bool has_time = false;
  bool aggregated = false;
  CounterKind counter_kind = CounterKind::kGauge;
  uint64_t count = 0;
  uint64_t sum_bits = 0;  // bit patterns: -0.0 and 0.0 must not compare equal
  uint64_t sumsq_bits = 0;
  uint64_t min_bits = 0;
  uint64_t max_bits = 0;
  friend bool operator==(const LineSummary&, const LineSummary&) = default;
};

inline LineSummary summarize(const LineResult& result) {
  LineSummary summary;
  summary.reject = result.reject;
  if (!result.ok()) return summary;  // the other fields are meaningless on a rejected line
  const ParsedLine& line = result.line;
  summary.kind = line.kind;
  if (line.kind == LineKind::kMeta) {
    summary.meta_key = std::string(line.meta_key);
    summary.meta_value = std::string(line.meta_value);
  } else if (line.kind == LineKind::kSample) {
    const SampleFields& sample = line.sample;
    summary.raw_name = std::string(sample.raw_name);
    summary.time = sample.time;
    summary.has_time = sample.has_time;
    summary.aggregated = sample.aggregated;
    summary.counter_kind = sample.kind;
    summary.count = sample.bucket.count;
    summary.sum_bits = std::bit_cast<uint64_t>(sample.bucket.sum);
    summary.sumsq_bits = std::bit_cast<uint64_t>(sample.bucket.sumsq);
    summary.min_bits = std::bit_cast<uint64_t>(sample.bucket.min);
    summary.max_bits = std::bit_cast<uint64_t>(sample.bucket.max);
  }
  return summary;
}

// Both parsers skip leading blanks and ignore one trailing '\r': the same line with those added
// must parse the same.
template <class Parse>
void check_blank_and_cr_insensitive(std::string_view line, Parse parse) {
  const LineSummary plain = summarize(parse(line));
  VERIFY(summarize(parse(" \t " + std::string(line))) == plain);
  if (line.empty() || line.back() != '\r') {
    VERIFY(summarize(parse(std::string(line) + "\r")) == plain);
  }
}

}  // namespace ringstat::fuzz
