// IngestSample: one sample on its way from a parsed line to a shard (Shard::add_batch), with its
// normalised name and that name's hash. A value type; the name is a view whose owner the holder
// must know (a caret-expanded name lives only during its visit; IngestBatch copies it).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/ingest/parsed_line.h"
#include "fileformat/bucket.h"
#include "fileformat/counter_kind.h"

namespace ringstat {

// One sample for Shard::add_batch: a normalised, valid name and its hash, as routing computed it.
struct IngestSample {
  std::string_view name;
  uint64_t hash = 0;
  std::optional<int64_t> time;  // empty: now
  Bucket bucket;
  CounterKind kind = CounterKind::kGauge;
  bool aggregated = false;
};

// The sample a parsed line makes, before its name (one per caret-expanded name) and hash are set.
inline IngestSample ingest_sample_from(const SampleFields& fields) {
  IngestSample sample;
  sample.time = fields.has_time ? std::optional<int64_t>(fields.time) : std::nullopt;
  sample.bucket = fields.bucket;
  sample.kind = fields.kind;
  sample.aggregated = fields.aggregated;
  return sample;
}

}  // namespace ringstat
