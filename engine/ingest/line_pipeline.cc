#include "engine/ingest/line_pipeline.h"

#include "base/verify.h"
#include "engine/ingest/counter_hash.h"
#include "engine/ingest/counter_name.h"
#include "engine/ingest/graphite_line.h"
#include "engine/ingest/ingest_sample.h"
#include "engine/ingest/istatd_line.h"
#include "engine/ingest/parsed_line.h"

namespace ringstat {

namespace {

bool is_stream(IngestListener listener) {
  return listener == IngestListener::kStatTcp || listener == IngestListener::kGraphiteTcp;
}

bool is_datagram(IngestListener listener) {
  return listener == IngestListener::kStatUdp || listener == IngestListener::kGraphiteUdp;
}

}  // namespace

LinePipeline::LinePipeline(uint32_t shard_count, IngestCountersByListener& counters,
                           size_t carry_buffers)
    : shard_count_(shard_count), counters_(counters), carry_(carry_buffers) {
  VERIFY(shard_count > 0);
}

IngestCounters& LinePipeline::counters_of(IngestListener listener) {
  return counters_[static_cast<size_t>(listener)];
}

// The splitter's callbacks are lambdas, not std::function: LineSplitter::feed is a template, so
// each line costs a direct call and nothing is allocated.
void LinePipeline::feed_stream(IngestListener listener, LineSplitter& splitter, AgentMeta* agent,
                               std::string_view bytes, SampleSink& sink) {
  VERIFY(is_stream(listener));
  IngestCounters& counters = counters_of(listener);
  splitter.feed(
      bytes, carry_, [&](std::string_view line) { take_line(listener, agent, line, sink); },
      [&](RejectReason reason) { ++counters.rejected[static_cast<size_t>(reason)]; });
}

void LinePipeline::finish_stream(IngestListener listener, LineSplitter& splitter, AgentMeta* agent,
                                 SampleSink& sink) {
  VERIFY(is_stream(listener));
  IngestCounters& counters = counters_of(listener);
  splitter.finish(
      carry_, [&](std::string_view line) { take_line(listener, agent, line, sink); },
      [&](RejectReason reason) { ++counters.rejected[static_cast<size_t>(reason)]; });
}

void LinePipeline::release_stream(LineSplitter& splitter) { splitter.release(carry_); }

void LinePipeline::feed_datagram(IngestListener listener, std::string_view datagram,
                                 SampleSink& sink) {
  VERIFY(is_datagram(listener));
  IngestCounters& counters = counters_of(listener);
  split_datagram(
      datagram, [&](std::string_view line) { take_line(listener, nullptr, line, sink); },
      [&](RejectReason reason) { ++counters.rejected[static_cast<size_t>(reason)]; });
}

void LinePipeline::take_line(IngestListener listener, AgentMeta* agent, std::string_view line,
                             SampleSink& sink) {
  IngestCounters& counters = counters_of(listener);
  ++counters.lines;
  const LineResult parsed =
      is_graphite(listener) ? parse_graphite_line(line) : parse_istatd_line(line);
  if (!parsed.ok()) {
    ++counters.rejected[static_cast<size_t>(*parsed.reject)];
    return;
  }
  switch (parsed.line.kind) {
    case LineKind::kEmpty:
      return;
    case LineKind::kReserved:
      ++counters.reserved_lines;
      return;
    case LineKind::kMeta:
      ++counters.meta_lines;
      // UDP senders are not agents (docs/protocols.md "Meta lines"); nor is a stream whose
      // caller keeps no AgentMeta.
      if (agent != nullptr) agent->set(parsed.line.meta_key, parsed.line.meta_value);
      return;
    case LineKind::kSample:
      break;
  }
  const SampleFields& fields = parsed.line.sample;
  IngestSample sample = ingest_sample_from(fields);
  // The parser validated every expanded name, so a line yields all of its samples or none.
  for_each_counter_name(fields.raw_name, fields.name_syntax, [&](std::string_view name) {
    sample.name = name;
    sample.hash = hash_counter_name(name);
    sink.take(sample, shard_of_hash(sample.hash, shard_count_), listener);
  });
}

}  // namespace ringstat
