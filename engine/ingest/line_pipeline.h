// LinePipeline: the engine's half of ingest, from received bytes to hashed samples with their
// shard. It frames lines (LineSplitter, with the carry buffers it owns), parses them (istatd or
// Graphite by listener), expands and normalises names, hashes each name once and hands every
// sample to a SampleSink; it counts lines, rejections, reserved and meta lines per listener
// (samples_accepted is the shard's answer, counted by whoever applies the batches). Nothing is
// allocated per line or sample; only a meta line may allocate, in its AgentMeta. The sink takes
// every sample (back-pressure is the sink's business) and must not call back into the pipeline.
// One per reactor; single-threaded; never touched from another thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/ingest/agent_meta.h"
#include "engine/ingest/ingest_counters.h"
#include "engine/ingest/line_splitter.h"
#include "engine/ingest/sample_sink.h"

namespace ringstat {

class LinePipeline {
 public:
  // `shard_count` > 0 shards of the store; `counters` outlives the pipeline; `carry_buffers`
  // partial TCP lines may be pending at once across every connection (CarryPool).
  LinePipeline(uint32_t shard_count, IngestCountersByListener& counters, size_t carry_buffers);
  LinePipeline(const LinePipeline&) = delete;
  LinePipeline& operator=(const LinePipeline&) = delete;

  // One receive buffer of a TCP connection: completes lines with the connection's splitter.
  // `agent` gets the `#key value` lines (null: counted, then dropped). `bytes` may be reused as
  // soon as this returns: a partial last line is copied into a carry buffer.
  void feed_stream(IngestListener listener, LineSplitter& splitter, AgentMeta* agent,
                   std::string_view bytes, SampleSink& sink);
  // End of a TCP stream: its last unterminated line (LineSplitter::finish). Gives the carry back.
  void finish_stream(IngestListener listener, LineSplitter& splitter, AgentMeta* agent,
                     SampleSink& sink);
  // A connection closed without a clean end of stream: drops its partial line, if any, and gives
  // the carry buffer back (LineSplitter::release). Every splitter fed here must end in
  // finish_stream or release_stream before it is destroyed or reused.
  void release_stream(LineSplitter& splitter);

  // One UDP datagram: lines, the last needing no '\n'; no carry, no agent.
  void feed_datagram(IngestListener listener, std::string_view datagram, SampleSink& sink);

 private:
  void take_line(IngestListener listener, AgentMeta* agent, std::string_view line,
                 SampleSink& sink);
  IngestCounters& counters_of(IngestListener listener);

  uint32_t shard_count_;
  IngestCountersByListener& counters_;
  CarryPool carry_;
};

}  // namespace ringstat
