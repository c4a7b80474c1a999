// SampleSink: where the engine's LinePipeline (engine/ingest/line_pipeline.h) hands each sample
// with the shard its name hashes to. Implemented by the daemon's ingest router (net/daemon), and
// by tests and benchmarks. Called on the pipeline's thread only.
#pragma once

#include <cstdint>

#include "engine/ingest/ingest_counters.h"
#include "engine/ingest/ingest_sample.h"

namespace ringstat {

// Where the line pipeline hands each sample: the daemon's ingest router.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // One sample for `shard`; sample.name is valid only during the call.
  virtual void take(const IngestSample& sample, uint32_t shard, IngestListener listener) = 0;
};

}  // namespace ringstat
